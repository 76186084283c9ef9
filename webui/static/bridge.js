// js_on_load of a hidden gr.HTML: a click on an [n] link in the chat, a source card or a library title becomes
// a Python event ("cite" or "open_article"); so does a click on a settings chip ("clear_setting"). The same script
// copies an answer, scrolls back from the article to its marker, shows the cited sentence over a hovered or focused
// marker, gives chat messages an aria-label of their text, and keeps the newest question in view. Listening on the
// document (capture phase) also covers messages and cards rendered later, and cancels a link's navigation before the
// chat's own handlers see it.
// Gradio runs this as the body of a function given `element` and `trigger`; event names appear quoted, as it requires.
const doc = document;
const tip = doc.getElementById('sqa-tip') || Object.assign(doc.body.appendChild(doc.createElement('div')),
  {id: 'sqa-tip', hidden: true});
tip.setAttribute('role', 'tooltip');
const live = doc.getElementById('sqa-live') || Object.assign(doc.body.appendChild(doc.createElement('div')),
  {id: 'sqa-live', className: 'sqa-visually-hidden'});
live.setAttribute('role', 'status');
const CITE = 'a[href^="#cite-"]';
const TIPPED = CITE + ', [data-tip]';
const textOf = (el) => el.getAttribute('data-tip') || el.sqaTip || '';
const showTip = (el) => {
  // A marker's title holds its sentence; kept aside so the browser's own tooltip does not show it a second time.
  if (el.matches(CITE) && el.hasAttribute('title')) { el.sqaTip = el.getAttribute('title'); el.removeAttribute('title'); }
  const text = textOf(el);
  if (!text) return;
  tip.textContent = text;
  tip.hidden = false;
  const r = el.getBoundingClientRect();
  const w = tip.offsetWidth, h = tip.offsetHeight;
  const left = Math.max(8, Math.min(r.left, window.innerWidth - w - 8));
  const top = r.bottom + 6 + h > window.innerHeight ? r.top - h - 6 : r.bottom + 6;
  tip.style.left = left + 'px';
  tip.style.top = Math.max(4, top) + 'px';
  el.setAttribute('aria-describedby', 'sqa-tip');
};
const hideTip = () => { tip.hidden = true; };
const activate = (turn, n, origin) => {
  doc.querySelectorAll('.sqa-active').forEach((e) => e.classList.remove('sqa-active'));
  doc.querySelectorAll(`a[href="#cite-${turn}-${n}"], [data-cite="${turn}-${n}"]`).forEach((e) => e.classList.add('sqa-active'));
  if (origin) window.sqaLast = {turn, n, origin};
};
const copy = (link) => {
  const message = link.closest('.message-content') || link.closest('.message') || link.parentElement;
  const clone = message.cloneNode(true);
  clone.querySelectorAll('a[href^="#copy-"]').forEach((a) => a.remove());
  doc.body.appendChild(clone);  // innerText needs a rendered element to keep the line breaks
  clone.style.position = 'absolute'; clone.style.left = '-10000px';
  // Markers are tied to their sentence by a no-break space: a plain one in the copied text.
  const text = clone.innerText.replace(/\u00a0/g, ' ').replace(/\n{3,}/g, '\n\n').trim();
  clone.remove();
  const done = () => { live.textContent = 'Answer copied, with its references.'; link.classList.add('sqa-copied'); };
  if (navigator.clipboard && window.isSecureContext) navigator.clipboard.writeText(text).then(done, () => {});
  window.sqaCopied = text;
};
const back = () => {
  const last = window.sqaLast;
  let target = last && doc.querySelector(`#chat a[href="#cite-${last.turn}-${last.n}"]`);
  if (last && last.origin === 'card') target = doc.querySelector(`[data-cite="${last.turn}-${last.n}"]`) || target;
  target = target || doc.getElementById('chat');
  target.scrollIntoView({block: 'center'});
  if (target.focus) target.focus({preventScroll: true});
};
const route = (event) => {
  const target = event.target.closest(CITE + ', [data-cite], a.sqa-open, a[href^="#copy-"], [data-clear], a.sqa-back');
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  hideTip();
  if (target.classList.contains('sqa-open')) { trigger('open_article', {doc: target.getAttribute('data-doc')}); return; }
  if (target.classList.contains('sqa-back')) { back(); return; }
  if (target.hasAttribute('data-clear')) { trigger('clear_setting', {name: target.getAttribute('data-clear')}); return; }
  const href = target.getAttribute('href') || '';
  if (href.startsWith('#copy-')) { copy(target); return; }
  const ref = target.getAttribute('data-cite') || href.slice('#cite-'.length);
  const [turn, n] = ref.split('-').map(Number);
  activate(turn, n, target.hasAttribute('data-cite') ? 'card' : 'marker');
  trigger('cite', {turn: turn, n: n});
};
const key = (event) => {
  if (event.key === 'Escape') hideTip();
  if ((event.key === 'Enter' || event.key === ' ') && event.target.matches && event.target.matches('[data-cite]')) route(event);
};
const over = (event) => { const el = event.target.closest && event.target.closest(TIPPED); if (el) showTip(el); };
const out = (event) => { const el = event.target.closest && event.target.closest(TIPPED); if (el) hideTip(); };
// Gradio labels each chat message with its markdown source ("Taliban\. [[1]](#cite-0-1)"): relabel with the text.
const relabel = () => {
  doc.querySelectorAll('#chat [aria-label*="message: "]').forEach((el) => {
    const content = el.querySelector('.prose, .md') || el;
    const who = el.getAttribute('aria-label').split("'s message: ")[0];
    const text = content.innerText.replace(/Copy answer with references/g, '').replace(/\s+/g, ' ').trim();
    const label = `${who === 'user' ? 'Question' : 'Answer'}: ${text}`;
    if (text && el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
  });
  // The file drop zone's name must hold its visible words, which voice control users say to click it.
  doc.querySelectorAll('#upload .upload-container[aria-label]').forEach((el) => {
    const text = el.innerText.replace(/\s+/g, ' ').trim();
    if (text && el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  });
  // Cards re-rendered after a click keep the highlight of the citation on show.
  if (window.sqaLast) activate(window.sqaLast.turn, window.sqaLast.n, null);
};
// The newest question and the start of its answer in view: when a question is sent, when its answer replaces the
// pending reply, and when a reload draws the stored conversation. On a wide screen the chat is a box of its own that
// scrolls (Gradio's autoscroll, off, would pin its bottom: the end of a long answer); on a phone the page scrolls,
// and only when the question or the start of its answer is out of sight. Messages render in steps, so the question
// is kept at the top while the chat's content settles, until the reader scrolls, taps or clicks.
const follow = {seen: '', row: null, until: 0};
const ANSWER_START = 64;  // px of the answer below its question that should be in sight too
const align = () => {
  const row = follow.row;
  if (!row || !row.isConnected || performance.now() > follow.until) { follow.row = null; return; }
  const box = doc.getElementById('chat');
  const {top, bottom} = row.getBoundingClientRect();
  if (box && box.scrollHeight > box.clientHeight + 1 && getComputedStyle(box).overflowY !== 'visible') {
    const shift = top - box.getBoundingClientRect().top - 4;
    if (Math.abs(shift) > 1) box.scrollTop += shift;
  } else if (top < 0 || bottom + ANSWER_START > window.innerHeight) {
    window.scrollBy(0, top - 8);
  }
};
const newest = () => {
  const rows = doc.querySelectorAll('#chat .user-row');
  const key = `${rows.length}:${!!doc.querySelector('#chat .sqa-pending')}`;
  if (key === follow.seen) { align(); return; }
  const grew = rows.length > Number(follow.seen.split(':')[0] || 0);
  follow.seen = key;
  if (!rows.length) return;
  if (grew) {
    // A new answer's sources replace the cards: the outline of an earlier citation goes with them.
    window.sqaLast = null;
    doc.querySelectorAll('.sqa-active').forEach((e) => e.classList.remove('sqa-active'));
  }
  follow.row = rows[rows.length - 1];
  follow.until = performance.now() + 1500;
  align();
};
const stopFollowing = () => { follow.row = null; };
let pending = false;
const observer = new MutationObserver(() => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; relabel(); newest(); });
});
// A re-mounted component replaces the listeners of the previous one instead of adding a second set.
if (window.sqaListeners) {
  for (const [name, fn] of window.sqaListeners) doc.removeEventListener(name, fn, true);
  window.sqaObserver.disconnect();
}
window.sqaListeners = [['click', route], ['keydown', key], ['mouseover', over], ['mouseout', out],
                       ['focusin', over], ['focusout', out], ['wheel', stopFollowing], ['touchmove', stopFollowing],
                       ['pointerdown', stopFollowing]];
for (const [name, fn] of window.sqaListeners) doc.addEventListener(name, fn, true);
window.sqaObserver = observer;
observer.observe(doc.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
