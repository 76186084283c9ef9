"""The page's theme, stylesheet (light and dark, wide and narrow) and its two scripts: the event bridge and the article scroll."""

import gradio as gr

# The system's fonts: Gradio's bundled font files lack some bold glyphs, and nothing is fetched from font servers.
# Primary buttons and subdued text a shade darker than Gradio's: white on its orange-500, and its grey footer, fall
# short of the 4.5:1 contrast that body text needs (axe-core checks this in the browser tests).
THEME = gr.themes.Default(font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                          font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"]).set(
    button_primary_background_fill="*primary_700", button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover="*primary_800", button_primary_background_fill_hover_dark="*primary_800",
    body_text_color_subdued="*neutral_600",
)

# Passed to launch(css=...): Gradio 6 drops css given to Blocks(). Colours are variables, set again for Gradio's
# dark mode (the `dark` class it puts on the body when the system asks for it), so every box keeps its contrast.
CSS = """
:root, .sqa-light {
  --sqa-ok-bg: #ecfdf3; --sqa-ok-fg: #05603a; --sqa-ok-line: #abefc6;
  --sqa-warn-bg: #fffaeb; --sqa-warn-fg: #7a2e0e; --sqa-warn-line: #f79009; --sqa-warn-head: #b54708;
  --sqa-bad-bg: #fef3f2; --sqa-bad-fg: #b42318; --sqa-bad-line: #fecdca;
  --sqa-grey-bg: #f2f4f7; --sqa-grey-fg: #344054; --sqa-grey-line: #98a2b3;
  --sqa-info-bg: #eff8ff; --sqa-info-fg: #101828; --sqa-info-line: #2e90fa;
  --sqa-link: #175cd3; --sqa-muted: #475467; --sqa-line: #d0d5dd; --sqa-rule: #eaecf0;
  --sqa-hl-bg: #fde68a; --sqa-hl-fg: #101828; --sqa-hl-weak-bg: #e4e7ec;
  --sqa-active: #f79009; --sqa-bar-1: #2e90fa; --sqa-bar-2: #f79009; --sqa-bar-3: #12b76a; --sqa-bar-4: #9e77ed;
  --sqa-bar-5: #f04438; --sqa-tip-bg: #101828; --sqa-tip-fg: #ffffff;
}
.dark {
  --sqa-ok-bg: #053321; --sqa-ok-fg: #a6f4c5; --sqa-ok-line: #087443;
  --sqa-warn-bg: #3d2206; --sqa-warn-fg: #fedf89; --sqa-warn-line: #f79009; --sqa-warn-head: #fdb022;
  --sqa-bad-bg: #3e1410; --sqa-bad-fg: #fecdca; --sqa-bad-line: #b42318;
  --sqa-grey-bg: #1d2939; --sqa-grey-fg: #eaecf0; --sqa-grey-line: #667085;
  --sqa-info-bg: #102a56; --sqa-info-fg: #f5faff; --sqa-info-line: #53b1fd;
  --sqa-link: #84caff; --sqa-muted: #b0b8c4; --sqa-line: #475467; --sqa-rule: #344054;
  --sqa-hl-bg: #fec84b; --sqa-hl-fg: #101828; --sqa-hl-weak-bg: #d0d5dd;
  --sqa-active: #fdb022; --sqa-tip-bg: #f2f4f7; --sqa-tip-fg: #101828;
}
.sqa-status { padding: 6px 12px; border-radius: 6px; font-size: 0.95em; overflow-wrap: anywhere; }
.sqa-ready { background: var(--sqa-ok-bg); color: var(--sqa-ok-fg); border: 1px solid var(--sqa-ok-line); }
.sqa-busy { background: var(--sqa-warn-bg); color: var(--sqa-warn-fg); border: 1px solid var(--sqa-warn-line); }
.sqa-busy progress { vertical-align: middle; width: 160px; max-width: 40%; }
.sqa-failed { background: var(--sqa-bad-bg); color: var(--sqa-bad-fg); border: 1px solid var(--sqa-bad-line); }
/* Boxes in chat messages: their text (and the markdown's own p, strong, em, a) takes the box's colour. */
.sqa-nis, .sqa-partial, .sqa-nomatch { border-left: 4px solid var(--sqa-warn-line); background: var(--sqa-warn-bg);
  padding: 2px 12px; border-radius: 4px; }
.sqa-nis, .sqa-nis *, .sqa-partial, .sqa-partial *, .sqa-nomatch, .sqa-nomatch * { color: var(--sqa-warn-fg) !important; }
.sqa-partial { margin-top: 6px; }
.sqa-invalid, .sqa-pending { border-left: 4px solid var(--sqa-grey-line); background: var(--sqa-grey-bg);
  padding: 2px 12px; border-radius: 4px; }
.sqa-invalid, .sqa-invalid *, .sqa-pending, .sqa-pending * { color: var(--sqa-grey-fg) !important; }
.sqa-pending p::after { content: ""; display: inline-block; width: 0.8em; height: 0.8em; margin-left: 8px;
  border: 2px solid currentColor; border-right-color: transparent; border-radius: 50%; vertical-align: -2px;
  animation: sqa-spin 0.9s linear infinite; }
@keyframes sqa-spin { to { transform: rotate(360deg); } }
@media (prefers-reduced-motion: reduce) { .sqa-pending p::after { animation: none; } }
.sqa-refs { margin-top: 8px; padding-top: 6px; border-top: 1px solid var(--sqa-rule); font-size: 0.85em; }
.sqa-refs, .sqa-refs * { color: var(--sqa-muted) !important; }
#chat a[href^="#cite-"], .dark #chat a[href^="#cite-"] { font-weight: 600; color: var(--sqa-link) !important;
  text-decoration: none; white-space: nowrap; border-radius: 3px; padding: 0 1px; }
#chat a[href^="#cite-"]:hover, #chat a[href^="#cite-"]:focus-visible { text-decoration: underline; }
#chat a[href^="#copy-"] { font-size: 0.85em; color: var(--sqa-link) !important; }
#chat a.sqa-active, .sqa-card.sqa-active { outline: 3px solid var(--sqa-active); outline-offset: 1px; }
#chat a.sqa-active { background: var(--sqa-warn-bg); }
.sqa-panel-head { font-weight: 600; margin: 0 0 8px 0; }
.sqa-weak-head { color: var(--sqa-warn-head); }
.sqa-empty p { color: var(--sqa-muted); }
.sqa-card { border: 1px solid var(--sqa-line); border-radius: 8px; padding: 8px 10px; margin: 0 0 8px 0; cursor: pointer;
            background: var(--background-fill-primary); }
.sqa-card:hover, .sqa-card:focus { border-color: var(--sqa-info-line); box-shadow: 0 0 0 2px var(--sqa-info-line);
  outline: none; }
.sqa-card.sqa-active:focus { outline: 3px solid var(--sqa-active); }
.sqa-card.sqa-weak { border-style: dashed; }
.sqa-marker { font-weight: 700; color: var(--sqa-link); }
.sqa-card-title { font-weight: 600; }
.sqa-meta { color: var(--sqa-muted); font-size: 0.85em; overflow-wrap: anywhere; }
.sqa-score { border-bottom: 1px dotted currentColor; cursor: help; }
.sqa-quote { margin-top: 4px; font-size: 0.92em; line-height: 1.45; overflow-wrap: anywhere; }
mark.sqa-hl { background: var(--sqa-hl-bg); color: var(--sqa-hl-fg); padding: 0 1px; border-radius: 2px; }
mark.sqa-hl-weak { background: var(--sqa-hl-weak-bg); color: var(--sqa-hl-fg); padding: 0 1px; }
.sqa-article-head { margin-bottom: 8px; }
.sqa-back { display: none; margin-bottom: 6px; color: var(--sqa-link); font-weight: 600; }
.sqa-article-title { font-weight: 700; font-size: 1.1em; overflow-wrap: anywhere; }
.sqa-verified, .sqa-unverified { margin-top: 6px; padding: 4px 8px; border-radius: 4px; font-size: 0.88em;
  overflow-wrap: anywhere; }
.sqa-verified { background: var(--sqa-ok-bg); border: 1px solid var(--sqa-ok-line); }
.sqa-verified, .sqa-verified * { color: var(--sqa-ok-fg) !important; }
.sqa-unverified { background: var(--sqa-bad-bg); border: 1px solid var(--sqa-bad-line); }
.sqa-unverified, .sqa-unverified * { color: var(--sqa-bad-fg) !important; }
.sqa-verified code, .sqa-unverified code { background: transparent !important; font-weight: 600; padding: 0; }
.sqa-article-body { max-height: 62vh; overflow-y: auto; position: relative; padding-right: 8px; }
.sqa-section { font-weight: 700; margin: 14px 0 6px 0; }
.sqa-par { margin: 0 0 10px 0 !important; line-height: 1.5; overflow-wrap: anywhere; }
.sqa-pn { color: var(--sqa-muted); font-size: 0.8em; margin-right: 4px; user-select: none; }
.sqa-par.sqa-cited { background: var(--sqa-info-bg); color: var(--sqa-info-fg); border-left: 4px solid var(--sqa-info-line);
                     padding: 6px 8px; border-radius: 4px; }
.sqa-par.sqa-cited .sqa-pn { color: var(--sqa-info-fg); }
.sqa-library { width: 100%; border-collapse: collapse; font-size: 0.92em; }
.sqa-library th, .sqa-library td { text-align: left; padding: 6px 8px; border-bottom: 1px solid var(--sqa-rule);
                                   vertical-align: top; overflow-wrap: anywhere; }
.sqa-library .sqa-num, .sqa-library .sqa-date { text-align: right; white-space: nowrap; }
.sqa-library .sqa-date { text-align: left; }
.sqa-library a.sqa-open { display: block; text-align: left; padding: 0; margin: 0; color: var(--sqa-link); }
.sqa-uploads { list-style: none; padding-left: 0; margin: 0; overflow-wrap: anywhere; }
.sqa-up-added { color: var(--sqa-ok-fg); }
.sqa-up-duplicate { color: var(--sqa-muted); }
.sqa-up-rejected { color: var(--sqa-bad-fg); }
.sqa-up-empty { color: var(--sqa-warn-head); }
.sqa-examples button { font-size: 0.85em !important; }
.sqa-chips { display: flex; flex-wrap: wrap; gap: 6px; }
.sqa-chip { border: 1px solid var(--sqa-info-line); background: var(--sqa-info-bg); color: var(--sqa-info-fg);
  border-radius: 999px; padding: 2px 10px; font-size: 0.85em; cursor: pointer; }
.sqa-chip:hover, .sqa-chip:focus-visible { outline: 2px solid var(--sqa-info-line); }
.sqa-chip-all { background: transparent; }
#chips:empty, #chips:has(> div:empty) { display: none; }
/* Gradio draws chat text at 80% opacity and the selected tab in orange-500: both too faint to read easily. */
#chat .prose.chatbot.md { opacity: 1 !important; }
button[role="tab"][aria-selected="true"] { color: #c2410c !important; }
.dark button[role="tab"][aria-selected="true"] { color: #fdba74 !important; }
/* One control clears the chat: the "New chat" button (the chat's own trash icon would leave the saved copy). */
#chat button[aria-label="Clear"] { display: none !important; }
#sqa-tip { position: fixed; z-index: 1000; max-width: min(420px, 90vw); padding: 6px 10px; border-radius: 6px;
  background: var(--sqa-tip-bg); color: var(--sqa-tip-fg); font-size: 0.85em; line-height: 1.4;
  box-shadow: 0 4px 12px rgba(0, 0, 0, 0.25); pointer-events: none; }
#sqa-tip[hidden] { display: none; }
.sqa-visually-hidden { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); white-space: nowrap; }
[data-tip] { cursor: help; }
th [data-tip] { border-bottom: 1px dotted currentColor; }
.sqa-bench { border-collapse: collapse; border: none !important; font-size: 0.92em; margin: 0 0 4px 0;
             font-variant-numeric: tabular-nums; display: block; max-width: 100%; overflow-x: auto; }
.sqa-bench th, .sqa-bench td { padding: 5px 10px; border: none !important; border-bottom: 1px solid var(--sqa-rule) !important;
                               text-align: left; }
.sqa-bench td { white-space: nowrap; }
.sqa-bench tr { border: none !important; }
.sqa-bench thead th { border-bottom: 2px solid var(--sqa-line) !important; vertical-align: bottom; }
.sqa-bench tbody th { font-weight: 500; min-width: 9em; }
.sqa-bench .sqa-code { color: var(--sqa-muted); font-size: 0.8em; font-weight: 400; }
.sqa-bench .sqa-num { text-align: right; }
.sqa-bench .sqa-best { font-weight: 700; }
.sqa-bench .sqa-bare { color: var(--sqa-muted); }
.sqa-bench td.sqa-worse { background: var(--sqa-bad-bg); color: var(--sqa-bad-fg); font-weight: 600; }
.sqa-bench td.sqa-better { color: var(--sqa-ok-fg); }
.sqa-bench td.sqa-same span { color: var(--sqa-muted); }
#bench-quality, #bench-compare, #bench-latency-panel { overflow-x: auto; }
.sqa-bench-head .sqa-meta, .sqa-bench-intro .sqa-meta { margin-top: 2px; }
.sqa-chart { margin: 8px 0 16px 0; }
.sqa-chart-group { margin: 0 0 10px 0; }
.sqa-chart-name { font-weight: 600; font-size: 0.9em; margin-bottom: 2px; }
.sqa-chart-row { display: grid; grid-template-columns: 8.5em 1fr 4.5em; align-items: center; gap: 6px;
  font-size: 0.85em; font-variant-numeric: tabular-nums; }
.sqa-chart-track { background: var(--sqa-rule); border-radius: 3px; height: 12px; display: flex; overflow: hidden; }
.sqa-chart-bar { height: 100%; }
.sqa-chart-value { text-align: right; white-space: nowrap; }
.sqa-chart-label { white-space: nowrap; overflow: hidden; text-overflow: ellipsis; }
.sqa-legend { display: flex; flex-wrap: wrap; gap: 4px 12px; font-size: 0.82em; margin: 4px 0; }
.sqa-swatch { display: inline-block; width: 10px; height: 10px; border-radius: 2px; margin-right: 4px; }
.sqa-c1 { background: var(--sqa-bar-1); } .sqa-c2 { background: var(--sqa-bar-2); } .sqa-c3 { background: var(--sqa-bar-3); }
.sqa-c4 { background: var(--sqa-bar-4); } .sqa-c5 { background: var(--sqa-bar-5); }
/* Phones and narrow windows: everything in one column, no box scrolling inside the page. */
@media (max-width: 760px) {
  #intro p { display: none; }
  #top, #bench-top { gap: 4px; flex-direction: column; }
  #chat { height: auto !important; max-height: none !important; }
  #chat > div, #chat .bubble-wrap { max-height: none !important; height: auto !important; overflow: visible !important; }
  .sqa-back { display: inline-block; }
  .sqa-article-body { max-height: none; overflow: visible; }
  .sqa-library thead { position: absolute; width: 1px; height: 1px; overflow: hidden; clip: rect(0 0 0 0); }
  .sqa-library, .sqa-library tbody, .sqa-library tr, .sqa-library td { display: block; width: 100%; }
  .sqa-library tr { border: 1px solid var(--sqa-rule); border-radius: 8px; margin: 0 0 8px 0; padding: 4px 0; }
  .sqa-library td { border: none; padding: 2px 10px; text-align: left !important; }
  .sqa-library td:not(:first-child) { display: inline-block; width: auto; }
  .sqa-library td:not(:first-child)::before { content: attr(data-label) ": "; color: var(--sqa-muted); }
  .sqa-chart-row { grid-template-columns: 6.5em 1fr 4em; }
  /* The Benchmark tables fit the screen instead of scrolling sideways: narrower cells, figures may wrap. */
  .sqa-bench { font-size: 0.84em; }
  .sqa-bench th, .sqa-bench td { padding: 4px 4px; }
  .sqa-bench td { white-space: normal; }
  .sqa-bench tbody th { min-width: 0; }
  .sqa-bench .sqa-code { display: block; }
}
"""

# js_on_load of a hidden gr.HTML: a click on an [n] link in the chat, a source card or a library title becomes
# a Python event ("cite" or "open_article"); so does a click on a settings chip ("clear_setting"). The same script
# copies an answer, scrolls back from the article to its marker, shows the cited sentence over a hovered or focused
# marker, and gives chat messages an aria-label of their text. Listening on the document (capture phase) also
# covers messages and cards rendered later, and cancels a link's navigation before the chat's own handlers see it.
BRIDGE_JS = """
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
  const text = clone.innerText.replace(/\\n{3,}/g, '\\n\\n').trim();
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
// Gradio labels each chat message with its markdown source ("Taliban\\. [[1]](#cite-0-1)"): relabel with the text.
const relabel = () => {
  doc.querySelectorAll('#chat [aria-label*="message: "]').forEach((el) => {
    const content = el.querySelector('.prose, .md') || el;
    const who = el.getAttribute('aria-label').split("'s message: ")[0];
    const text = content.innerText.replace(/Copy answer with references/g, '').replace(/\\s+/g, ' ').trim();
    const label = `${who === 'user' ? 'Question' : 'Answer'}: ${text}`;
    if (text && el.getAttribute('aria-label') !== label) el.setAttribute('aria-label', label);
  });
  // The file drop zone's name must hold its visible words, which voice control users say to click it.
  doc.querySelectorAll('#upload .upload-container[aria-label]').forEach((el) => {
    const text = el.innerText.replace(/\\s+/g, ' ').trim();
    if (text && el.getAttribute('aria-label') !== text) el.setAttribute('aria-label', text);
  });
  // Cards re-rendered after a click keep the highlight of the citation on show.
  if (window.sqaLast) activate(window.sqaLast.turn, window.sqaLast.n, null);
};
let pending = false;
const observer = new MutationObserver(() => {
  if (pending) return;
  pending = true;
  requestAnimationFrame(() => { pending = false; relabel(); });
});
// A re-mounted component replaces the listeners of the previous one instead of adding a second set.
if (window.sqaListeners) {
  for (const [name, fn] of window.sqaListeners) doc.removeEventListener(name, fn, true);
  window.sqaObserver.disconnect();
}
window.sqaListeners = [['click', route], ['keydown', key], ['mouseover', over], ['mouseout', out],
                       ['focusin', over], ['focusout', out]];
for (const [name, fn] of window.sqaListeners) doc.addEventListener(name, fn, true);
window.sqaObserver = observer;
observer.observe(doc.body, {subtree: true, childList: true, attributes: true, attributeFilter: ['aria-label']});
"""

# js_on_load of the article view: scroll its own body so the cited paragraph sits near the top third.
# The Article tab may still be hidden when the value arrives, so wait until the body has a layout.
ARTICLE_JS = """
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
"""
