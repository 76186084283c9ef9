// js_on_load of the article view: scroll its own body so the cited paragraph sits near the top third.
// The Article tab may still be hidden when the value arrives, so wait until the body has a layout.
const show = (tries) => {
  const body = element.querySelector('.sqa-article-body');
  if (!body) return;
  const cited = body.querySelector('.sqa-cited');
  if (!body.offsetParent) { if (tries < 50) setTimeout(() => show(tries + 1), 100); return; }
  if (cited && body.scrollHeight <= body.clientHeight + 1) {
    // A narrow screen: the article is part of the page, not a box of its own, so the page scrolls to the paragraph.
    cited.scrollIntoView({block: 'center'});
    return;
  }
  // The paragraph before the cited one stays in sight as context, unless that would push the cited one down too far.
  const before = cited && cited.previousElementSibling;
  const top = !cited ? 0 : (before && cited.offsetTop - before.offsetTop < body.clientHeight / 3 ? before.offsetTop : cited.offsetTop - 8);
  body.scrollTop = Math.max(0, top);
  const rect = element.getBoundingClientRect();
  if (rect.top < 0 || rect.top > window.innerHeight) element.scrollIntoView({block: 'start'});
};
show(0);
watch('value', () => show(0));
