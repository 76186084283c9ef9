"""What the web page shows, as strings: chat messages (markdown) and panels (HTML), every piece of text escaped."""

from __future__ import annotations

import html
import re
from collections.abc import Iterable, Sequence
from pathlib import Path

from qa import Answer, Chunked, Citation, Upload, Verification
from qa.chunking import paragraph_label
from qa.ingest import SUFFIX_LIST

_SPACES = re.compile(r"\s+")
# Characters the chat's markdown renderer gives a meaning to; backslash-escaped so they show as themselves.
_MD_PUNCTUATION = set("\\`*_{}[]()#+-.!|~:$=^")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}

SOURCES_HINT = "Ask a question: the passages its answer cites appear here, with the supporting sentence highlighted."

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


def answer_message(answer: Answer, turn: int) -> str:
    """An answer as a chat message: its sentences with clickable [n] markers, or a visibly different refusal."""
    notes = "".join(f"\n\n*{md_text(n)}*" for n in answer.notes)
    if answer.status == "answered":
        body = " ".join(f"{md_text(s.text)} [[{s.marker}]]({cite_href(turn, s.marker)})" for s in answer.sentences)
        return body + notes
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
    weak = answer.status != "answered"
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
            f'<div class="sqa-meta">{esc(source_line(c))} · score {c.score:.2f}{" · weak" if c.weak else ""}</div>'
            f'<div class="sqa-quote">{_excerpt(c)}</div></div>'
        )
    return f'<div class="sqa-sources">{head}{"".join(cards)}</div>'


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
    head = [f'<div class="sqa-article-head"><div class="sqa-article-title">{esc(a.title)}</div>',
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
            f'<div class="sqa-article-body">{"".join(body)}</div></div>')


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
            f'<tr><td><a href="#" class="sqa-open" data-doc="{esc(a.doc_id)}">{esc(a.title)}</a>'
            f'<div class="sqa-meta">{esc(Path(a.path).name)}</div>{_origin(a, "title")}</td>'
            f"<td>{esc(a.publisher or '–')}{_origin(a, 'publisher')}</td>"
            f"<td class=\"sqa-date\">{esc(a.date or 'undated')}{_origin(a, 'date')}</td>"
            f"<td>{esc(a.author or '–')}{_origin(a, 'author')}</td>"
            f'<td class="sqa-num">{len(c.passages)}</td><td class="sqa-num">{len(c.boilerplate)}</td></tr>'
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


def status_bar(phase: str, detail: str, done: int = 0, total: int = 0, chunks: Sequence[Chunked] = ()) -> str:
    """The line at the top of the page: preparing (with progress), ready (with the library's size), or failed."""
    if phase == READY:
        size = f"{len(chunks)} articles, {sum(len(c.passages) for c in chunks)} paragraphs"
        return f'<div class="sqa-status sqa-ready">✓ Ready: {size}. {esc(sentence(detail))}.</div>'
    if phase == FAILED:
        return f'<div class="sqa-status sqa-failed">✗ The index could not be opened: {esc(detail)}</div>'
    bar = f' <progress max="{total}" value="{done}"></progress> {done}/{total}' if total else ""
    return f'<div class="sqa-status sqa-busy">Preparing the index… {esc(sentence(detail))}{bar}</div>'
