"""The page's theme, stylesheet and the two small scripts: one routes clicks on [n] and cards, one scrolls the article."""

import gradio as gr

# The system's fonts: Gradio's bundled font files lack some bold glyphs, and nothing is fetched from font servers.
THEME = gr.themes.Default(font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                          font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"])

# Passed to launch(css=...): Gradio 6 drops css given to Blocks().
CSS = """
.sqa-status { padding: 6px 12px; border-radius: 6px; font-size: 0.95em; }
.sqa-ready { background: #ecfdf3; color: #05603a; border: 1px solid #abefc6; }
.sqa-busy { background: #fffaeb; color: #93370d; border: 1px solid #fedf89; }
.sqa-busy progress { vertical-align: middle; width: 160px; }
.sqa-failed { background: #fef3f2; color: #b42318; border: 1px solid #fecdca; }
.sqa-nis { border-left: 4px solid #f79009; background: #fffaeb; color: #7a2e0e; padding: 2px 12px; border-radius: 4px; }
.sqa-invalid { border-left: 4px solid #98a2b3; background: #f2f4f7; color: #344054; padding: 2px 12px; border-radius: 4px; }
#chat a[href^="#cite-"] { font-weight: 600; color: #1570ef !important; text-decoration: none; white-space: nowrap; }
#chat a[href^="#cite-"]:hover { text-decoration: underline; }
.sqa-panel-head { font-weight: 600; margin: 0 0 8px 0; }
.sqa-weak-head { color: #b54708; }
.sqa-empty p { color: #667085; }
.sqa-card { border: 1px solid #d0d5dd; border-radius: 8px; padding: 8px 10px; margin: 0 0 8px 0; cursor: pointer;
            background: var(--background-fill-primary); }
.sqa-card:hover, .sqa-card:focus { border-color: #2e90fa; box-shadow: 0 0 0 2px #d1e9ff; outline: none; }
.sqa-card.sqa-weak { border-style: dashed; opacity: 0.9; }
.sqa-marker { font-weight: 700; color: #1570ef; }
.sqa-card-title { font-weight: 600; }
.sqa-meta { color: #667085; font-size: 0.85em; overflow-wrap: anywhere; }
.sqa-quote { margin-top: 4px; font-size: 0.92em; line-height: 1.45; overflow-wrap: anywhere; }
mark.sqa-hl { background: #fde68a; color: #101828; padding: 0 1px; border-radius: 2px; }
mark.sqa-hl-weak { background: #e4e7ec; color: #101828; padding: 0 1px; }
.sqa-article-head { margin-bottom: 8px; }
.sqa-article-title { font-weight: 700; font-size: 1.1em; overflow-wrap: anywhere; }
.sqa-verified { margin-top: 6px; padding: 4px 8px; border-radius: 4px; background: #ecfdf3; color: #05603a;
                border: 1px solid #abefc6; font-size: 0.88em; overflow-wrap: anywhere; }
.sqa-unverified { margin-top: 6px; padding: 4px 8px; border-radius: 4px; background: #fef3f2; color: #b42318;
                  border: 1px solid #fecdca; font-size: 0.88em; overflow-wrap: anywhere; }
.sqa-article-body { max-height: 55vh; overflow-y: auto; position: relative; padding-right: 8px; }
.sqa-section { font-weight: 700; margin: 14px 0 6px 0; }
.sqa-par { margin: 0 0 10px 0 !important; line-height: 1.5; overflow-wrap: anywhere; }
.sqa-pn { color: #98a2b3; font-size: 0.8em; margin-right: 4px; user-select: none; }
.sqa-par.sqa-cited { background: #eff8ff; color: #101828; border-left: 4px solid #2e90fa; padding: 6px 8px;
                     border-radius: 4px; }
.sqa-library { width: 100%; border-collapse: collapse; font-size: 0.92em; }
.sqa-library th, .sqa-library td { text-align: left; padding: 6px 8px; border-bottom: 1px solid #eaecf0;
                                   vertical-align: top; overflow-wrap: anywhere; }
.sqa-library .sqa-num, .sqa-library .sqa-date { text-align: right; white-space: nowrap; }
.sqa-library .sqa-date { text-align: left; }
.sqa-library a.sqa-open { display: block; text-align: left; padding: 0; margin: 0; }
.sqa-uploads { list-style: none; padding-left: 0; margin: 0; overflow-wrap: anywhere; }
.sqa-up-added { color: #05603a; }
.sqa-up-duplicate { color: #667085; }
.sqa-up-rejected { color: #b42318; }
.sqa-up-empty { color: #b54708; }
.sqa-examples button { font-size: 0.85em !important; }
.sqa-bench { border-collapse: collapse; border: none !important; font-size: 0.92em; margin: 0 0 4px 0;
             font-variant-numeric: tabular-nums; display: block; max-width: 100%; overflow-x: auto; }
.sqa-bench th, .sqa-bench td { padding: 5px 10px; border: none !important; border-bottom: 1px solid #eaecf0 !important;
                               text-align: left; white-space: nowrap; }
.sqa-bench tr { border: none !important; }
.sqa-bench thead th { border-bottom: 2px solid #d0d5dd !important; white-space: normal; min-width: 4.5em;
                      vertical-align: bottom; }
.sqa-bench .sqa-num { text-align: right; }
.sqa-bench .sqa-best { font-weight: 700; }
.sqa-bench .sqa-bare { color: #667085; }
.sqa-bench td.sqa-worse { background: #fef3f2; color: #b42318; font-weight: 600; }
.sqa-bench td.sqa-better { color: #05603a; }
.sqa-bench td.sqa-same span { color: #98a2b3; }
#bench-quality, #bench-compare, #bench-latency-panel { overflow-x: auto; }
.sqa-bench-head .sqa-meta, .sqa-bench-intro .sqa-meta { margin-top: 2px; }
"""

# js_on_load of a hidden gr.HTML: a click on an [n] link in the chat, a source card or a library title becomes
# a Python event ("cite" or "open_article"). Listening on the document (capture phase) also covers messages and cards
# rendered later, and cancels the link's navigation before the chat's own handlers see it.
BRIDGE_JS = """
const route = (event) => {
  const target = event.target.closest('a[href^="#cite-"], [data-cite], a.sqa-open');
  if (!target) return;
  event.preventDefault();
  event.stopPropagation();
  if (target.classList.contains('sqa-open')) { trigger('open_article', {doc: target.getAttribute('data-doc')}); return; }
  const ref = target.getAttribute('data-cite') || target.getAttribute('href').slice('#cite-'.length);
  const [turn, n] = ref.split('-').map(Number);
  trigger('cite', {turn: turn, n: n});
};
const key = (event) => {
  if ((event.key === 'Enter' || event.key === ' ') && event.target.matches && event.target.matches('[data-cite]')) route(event);
};
// A re-mounted component replaces the listeners of the previous one instead of adding a second set.
if (window.sqaRoute) {
  document.removeEventListener('click', window.sqaRoute, true);
  document.removeEventListener('keydown', window.sqaKey, true);
}
window.sqaRoute = route;
window.sqaKey = key;
document.addEventListener('click', route, true);
document.addEventListener('keydown', key, true);
"""

# js_on_load of the article view: scroll its own body so the cited paragraph sits near the top third.
# The Article tab may still be hidden when the value arrives, so wait until the body has a layout.
ARTICLE_JS = """
const show = (tries) => {
  const body = element.querySelector('.sqa-article-body');
  if (!body) return;
  const cited = body.querySelector('.sqa-cited');
  if (!body.offsetParent) { if (tries < 50) setTimeout(() => show(tries + 1), 100); return; }
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
