"""What the web page shows, as strings: chat messages (markdown) and panels (HTML), every piece of text escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from qa import Answer, Citation
from qa.chunking import paragraph_label
from qa.ingest import SUFFIX_LIST
from qa.types import ArticleView as Chunked
from qa.types import Upload, Verification

_SPACES = re.compile(r"\s+")
# Characters the chat's markdown renderer gives a meaning to; backslash-escaped so they show as themselves.
_MD_PUNCTUATION = set("\\`*_{}[]()#+-.!|~:$=^")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}

SOURCES_HINT = "Ask a question: the passages its answer cites appear here, with the supporting sentence highlighted."
# What the number on a source card means (one place, so a change of the score's meaning is one edit).
SCORE_LABEL = "support"
SCORE_TIP = ("How strongly this passage supports the answer, 0 to 1: an estimate that its best sentence answers "
             "the question, on the same scale in every retrieval mode")
# Statuses drawn as an answer; every other one (not_in_sources, or one this page does not know) as a refusal.
ANSWER_STATUSES = ("answered", "partial")
PENDING = "Searching the articles…"

STARTING = "starting"
READY = "ready"
FAILED = "failed"


def esc(value: object) -> str:
    """Text for HTML: every `<`, `>`, `&` and quote escaped (safe in element content and quoted attributes)."""
    return html.escape("" if value is None else str(value), quote=True)


def md_text(value: object) -> str:
    """Text for the chat's markdown: shown as typed, never as markup, a link, math or HTML; one line."""
    text = _SPACES.sub(" ", "" if value is None else str(value)).strip()
    out = []
    for ch in text:
        if ch in _HTML_SPECIAL:
            out.append(_HTML_SPECIAL[ch])  # an entity, not a backslash: `\<` would still reach the HTML sanitizer
        elif ch in _MD_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    return "".join(out)


def cite_href(turn: int, marker: int) -> str:
    """The link target of marker [n] of the turn-th answer; the page's script opens that citation instead."""
    return f"#cite-{turn}-{marker}"


def source_line(c: Citation) -> str:
    """Publisher · date · ¶n (p. 2, ¶n in a PDF): where a citation comes from, as plain text."""
    return " · ".join(x for x in (c.publisher or "unknown publisher", c.date or "undated", paragraph_label(c.n, c.page)) if x)


# --- chat messages (markdown) ------------------------------------------------------------------------------
def question_message(question: str) -> str:
    """The user's question as a chat message."""
    return md_text(question)


def _marker_link(turn: int, marker: int, cited: str) -> str:
    """[n] as a link; its title carries the cited sentence, which the page shows on hover and focus."""
    title = f' "{md_text(cited)}"' if cited else ""
    return f"[[{marker}]]({cite_href(turn, marker)}{title})"


def references(answer: Answer) -> str:
    """The answer's citations as reference lines, "[n] Title. Publisher · date · ¶n", in markdown."""
    lines = [f"\\[{c.marker}\\] {md_text(c.title)}. {md_text(source_line(c))}" for c in answer.citations]
    return "<br>\n".join(lines)


def answer_message(answer: Answer, turn: int) -> str:
    """An answer as a chat message: its sentences with clickable [n] markers, or a visibly different refusal."""
    notes = "".join(f"\n\n*{md_text(n)}*" for n in answer.notes)
    if answer.status in ANSWER_STATUSES:
        cited = {c.marker: c.sentence for c in answer.citations}
        body = " ".join(f"{md_text(s.text)} {_marker_link(turn, s.marker, s.text or cited.get(s.marker, ''))}"
                        for s in answer.sentences)
        if answer.status == "partial":  # the articles answer part of the question: said next to the answer
            body += (f'\n\n<div class="sqa-partial">\n\n**Partly answered.** {md_text(answer.message)}\n\n</div>')
        refs = (f'\n\n<div class="sqa-refs">\n\n{references(answer)}\n\n</div>' if answer.citations else "")
        # The page's script copies the message's text (sentences, markers and references) on this link.
        return f"{body}{notes}{refs}\n\n[Copy answer with references](#copy-{turn})"
    if answer.status == "invalid":
        return f'<div class="sqa-invalid">\n\n**Not a question I can search:** {md_text(answer.message)}\n\n</div>'
    closest = " · ".join(
        f"[[{c.marker}]]({cite_href(turn, c.marker)}) {md_text(c.title)}, ¶{c.n}" for c in answer.citations
    )
    # The class survives Gradio's sanitizer (data-* attributes do not); the CSS gives it its own look.
    parts = [
        '<div class="sqa-nis">', "",
        f"**Not in the sources.** {md_text(answer.message)}",
    ]
    if closest:
        parts += ["", f"Closest passages (weak, not an answer): {closest}"]
    return "\n".join(parts + [notes.strip(), "", "</div>"])


def notice_message(text: str) -> str:
    """A message from the app itself (not from the articles), e.g. that the index is still being built."""
    return f'<div class="sqa-invalid">\n\n{md_text(sentence(text))}\n\n</div>'


def no_match_message(filters: str) -> str:
    """The reply when the filters leave no article to search: says so, instead of "not in the sources"."""
    return (f'<div class="sqa-nomatch">\n\n**No article matches the filters** ({md_text(filters)}), so nothing was '
            "searched. Clear or widen them (the × on the settings above the question) and ask again.\n\n</div>")


def pending_message() -> str:
    """The reply shown while an answer is on its way."""
    return f'<div class="sqa-pending">\n\n{md_text(PENDING)}\n\n</div>'


def sentence(text: str) -> str:
    """A message with its first letter capitalised (engine messages start in lower case, to follow "error: ")."""
    return text[:1].upper() + text[1:]


# --- side panels (HTML) ------------------------------------------------------------------------------------
def marked(text: str, spans: Iterable[tuple[int, int]], css: str = "sqa-hl") -> str:
    """A text escaped piece by piece, with the given character spans wrapped in <mark>."""
    out, pos = [], 0
    for a, b in sorted(spans):
        a, b = max(a, pos), min(b, len(text))
        if a >= b:
            continue
        out.append(esc(text[pos:a]))
        out.append(f'<mark class="{css}">{esc(text[a:b])}</mark>')
        pos = b
    out.append(esc(text[pos:]))
    return "".join(out)


def _excerpt(c: Citation) -> str:
    """The supporting sentence(s) of a citation, marked, with an ellipsis where the paragraph goes on."""
    if not c.highlights:
        text = c.text if len(c.text) <= 280 else c.text[:277].rstrip() + "…"
        return esc(text)
    parts = []
    for a, b in c.highlights:
        parts.append(f'<mark class="{"sqa-hl-weak" if c.weak else "sqa-hl"}">{esc(c.text[a:b].strip())}</mark>')
    lead = "… " if c.text[: c.highlights[0][0]].strip() else ""
    tail = " …" if c.text[c.highlights[-1][1]:].strip() else ""
    return lead + " … ".join(parts) + tail


def source_cards(answer: Answer | None, turn: int) -> str:
    """The sources of the last answer as cards; a click on one opens the article at the cited paragraph."""
    if answer is None or not answer.citations:
        return empty_panel("Sources", SOURCES_HINT)
    weak = answer.status not in ANSWER_STATUSES
    head = (
        '<div class="sqa-panel-head sqa-weak-head">Not in the sources: the closest passages, which do not answer the question</div>'
        if weak else f'<div class="sqa-panel-head">Sources of the answer ({len(answer.citations)})</div>'
    )
    cards = []
    for c in answer.citations:
        cards.append(
            f'<div class="sqa-card{" sqa-weak" if c.weak else ""}" role="button" tabindex="0" '
            f'data-cite="{turn}-{c.marker}" data-pid="{esc(c.passage_id)}" title="Open the article at ¶{c.n}">'
            f'<div class="sqa-card-top"><span class="sqa-marker">[{c.marker}]</span> '
            f'<span class="sqa-card-title">{esc(c.title)}</span></div>'
            f'<div class="sqa-meta">{esc(source_line(c))} · {score(c)}{" · weak" if c.weak else ""}</div>'
            f'<div class="sqa-quote">{_excerpt(c)}</div></div>'
        )
    return f'<div class="sqa-sources">{head}{"".join(cards)}</div>'


def score(c: Citation) -> str:
    """A card's score, with what it means on hover."""
    return f'<span class="sqa-score" title="{esc(SCORE_TIP)}">{esc(SCORE_LABEL)} {c.score:.2f}</span>'


def empty_panel(title: str, hint: str) -> str:
    """A panel with nothing in it yet, and what will appear there."""
    return f'<div class="sqa-empty"><div class="sqa-panel-head">{esc(title)}</div><p>{esc(hint)}</p></div>'


def verification_note(citation: Citation, check: Verification) -> str:
    """Says whether the cited text was found again, unchanged, at its place in the source file."""
    name = Path(citation.path).name
    if check.ok:
        text, how = (("the text extracted from ", "extracted again from the file") if Path(name).suffix.lower()
                     in (".html", ".htm", ".pdf") else ("", "re-read from the file"))
        return (
            f'<div class="sqa-verified">✓ Verified: [{citation.marker}] {esc(paragraph_label(citation.n, citation.page))} '
            f"is characters {citation.start}–{citation.end} of {text}<code>{esc(name)}</code>, {how} just now and "
            f"identical to the cited text.</div>"
        )
    problems = "".join(f"<li>{esc(p)}</li>" for p in check.problems)
    return f'<div class="sqa-unverified">✗ This citation no longer matches <code>{esc(name)}</code>:<ul>{problems}</ul></div>'


def article_view(chunk: Chunked, citation: Citation | None = None, check: Verification | None = None) -> str:
    """The whole cleaned article with numbered paragraphs; the cited one highlighted, its sentences marked."""
    a = chunk.article
    meta = " · ".join(x for x in (a.publisher or "unknown publisher", a.date or "undated", a.author and f"by {a.author}") if x)
    facts = (
        f"{len(chunk.passages)} paragraphs · {len(chunk.boilerplate)} boilerplate paragraphs dropped · "
        f"file {Path(a.path).name}"
    )
    # On a narrow screen the article sits below the chat: this link scrolls back to the marker that opened it.
    back = '<a href="#chat" class="sqa-back">↑ Back to the answer</a>' if citation is not None else ""
    head = [f'<div class="sqa-article-head">{back}<div class="sqa-article-title">{esc(a.title)}</div>',
            f'<div class="sqa-meta">{esc(meta)}</div><div class="sqa-meta">{esc(facts)}</div>']
    if citation is not None and check is not None:
        head.append(verification_note(citation, check))
    head.append("</div>")
    body, section = [], None
    for p in chunk.passages:
        if p.section and p.section != section:
            body.append(f'<div class="sqa-section">{esc(p.section)}</div>')
        section = p.section
        cited = citation is not None and p.id == citation.passage_id
        text = marked(p.text, citation.highlights) if cited and citation else esc(p.text)
        body.append(
            f'<p class="sqa-par{" sqa-cited" if cited else ""}" data-pid="{esc(p.id)}">'
            f'<span class="sqa-pn">{esc(paragraph_label(p.n, p.page))}</span> {text}</p>'
        )
    return (f'<div class="sqa-article" data-doc="{esc(a.doc_id)}">{"".join(head)}'
            # Focusable, so that a keyboard can scroll it too.
            f'<div class="sqa-article-body" tabindex="0" role="region" aria-label="Article text">{"".join(body)}</div></div>')


def _origin(article, key: str) -> str:
    """Where a metadata field came from, as a small line under it ("from file metadata", "from text", "nowhere")."""
    origin = article.origins.get(key)
    if not origin:
        return ""
    return f'<div class="sqa-meta sqa-origin">{esc("nowhere" if origin == "nowhere" else "from " + origin)}</div>'


def library_table(chunks: Sequence[Chunked]) -> str:
    """The articles of the library: title, publisher, date, author (each with where it came from), paragraphs
    kept and boilerplate dropped."""
    if not chunks:
        return empty_panel("Library", f"No articles yet: add {SUFFIX_LIST} files below.")
    rows = []
    for c in chunks:
        a = c.article
        rows.append(
            f'<tr><td data-label="Title"><a href="#" class="sqa-open" data-doc="{esc(a.doc_id)}">{esc(a.title)}</a>'
            f'<div class="sqa-meta">{esc(Path(a.path).name)}</div>{_origin(a, "title")}</td>'
            f"<td data-label=\"Publisher\">{esc(a.publisher or '–')}{_origin(a, 'publisher')}</td>"
            f"<td class=\"sqa-date\" data-label=\"Date\">{esc(a.date or 'undated')}{_origin(a, 'date')}</td>"
            f"<td data-label=\"Author\">{esc(a.author or '–')}{_origin(a, 'author')}</td>"
            f'<td class="sqa-num" data-label="Paragraphs">{len(c.passages)}</td>'
            f'<td class="sqa-num" data-label="Boilerplate dropped">{len(c.boilerplate)}</td></tr>'
        )
    total = sum(len(c.passages) for c in chunks)
    return (
        f'<div class="sqa-panel-head">{len(chunks)} articles, {total} paragraphs</div>'
        '<table class="sqa-library"><thead><tr><th>Title (file)</th><th>Publisher</th><th>Date</th><th>Author</th>'
        '<th class="sqa-num">Paragraphs</th><th class="sqa-num">Boilerplate dropped</th></tr></thead>'
        f'<tbody>{"".join(rows)}</tbody></table>'
    )


def upload_report(results: Sequence[Upload], summary: str | None, notice: str | None = None) -> str:
    """What happened to each uploaded file, and to the index (or why nothing was done)."""
    if notice:
        return f'<div class="sqa-meta sqa-up-rejected">{esc(notice)}</div>'
    if not results:
        return f'<div class="sqa-meta">Choose {SUFFIX_LIST} files, then press “Add to library”.</div>'
    icons = {"added": "✓", "duplicate": "=", "rejected": "✗", "empty": "!"}
    # An added file of which nothing was indexed is saved but not searchable: shown as a warning, not a success.
    kinds = ["empty" if r.status == "added" and r.paragraphs == 0 else r.status for r in results]
    items = "".join(
        f'<li class="sqa-up-{esc(kind)}">{icons.get(kind, "?")} {esc(r.message)}</li>' for r, kind in zip(results, kinds)
    )
    note = f'<div class="sqa-meta">Index updated: {esc(summary)}</div>' if summary else ""
    return f'<ul class="sqa-uploads">{items}</ul>{note}'


def status_bar(phase: str, detail: str, done: int = 0, total: int = 0) -> str:
    """The line at the top of the page: preparing (with progress), ready (with the latest build's figures), or failed."""
    if phase == READY:  # `detail` is the latest build's summary: its counts are the library's current size
        return f'<div class="sqa-status sqa-ready" role="status">✓ Ready. Index: {esc(detail)}.</div>'
    if phase == FAILED:
        return f'<div class="sqa-status sqa-failed">✗ The index could not be opened: {esc(detail)}</div>'
    bar = (f' <progress max="{total}" value="{done}" aria-label="Index build progress"></progress> {done}/{total}'
           if total else "")
    return f'<div class="sqa-status sqa-busy" role="status">Preparing the index… {esc(sentence(detail))}{bar}</div>'


def setting_chips(active: Sequence[tuple[str, str]]) -> str:
    """The settings that differ from the defaults, as chips by the question box; each × puts one back, or all."""
    if not active:
        return ""
    chips = [
        f'<button type="button" class="sqa-chip" data-clear="{esc(name)}" aria-label="Clear {esc(text)}">'
        f'{esc(text)} <span aria-hidden="true">×</span></button>'
        for name, text in active
    ]
    if len(active) > 1:
        chips.append('<button type="button" class="sqa-chip sqa-chip-all" data-clear="all">Clear all</button>')
    return f'<div class="sqa-chips" role="group" aria-label="Active settings">{"".join(chips)}</div>'
