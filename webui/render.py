"""The page's HTML panels (sources, article, library, uploads, status line, chips), from autoescaping templates."""

from __future__ import annotations

from collections import Counter
from collections.abc import Iterable, Sequence
from enum import StrEnum
from pathlib import Path

from qa import Answer, Citation, Engine, Status
from qa.ingest.formats import FIELDS, FROM_METADATA, FROM_NAME, FROM_NOWHERE, FROM_TEXT
from qa.types import ArticleView, Upload, Verification
from webui.templating import render, render_string

SOURCES_HINT = "Ask a question: the passages its answer cites appear here, with the supporting sentence highlighted."
# What the number on a source card means (one place, so a change of the score's meaning is one edit).
SCORE_LABEL = "support"
SCORE_TIP = ("How strongly this passage supports the answer, 0 to 1: a calibrated probability that its best sentence "
             "answers the question (of answers at 0.8 or more, about 8 in 10 did on the test articles), the same in "
             "every retrieval mode")
# Statuses drawn as an answer; every other one (not_in_sources, or one this page does not know) as a refusal.
ANSWER_STATUSES = (Status.ANSWERED, Status.PARTIAL)


class Phase(StrEnum):
    """Where the app's start-up is, as the status line shows it."""

    STARTING = "starting"
    READY = "ready"
    FAILED = "failed"


STARTING, READY, FAILED = Phase.STARTING, Phase.READY, Phase.FAILED
# An upload's outcome, as the report's icon.
ICONS = {"added": "✓", "duplicate": "=", "rejected": "✗", "empty": "!"}
EXCERPT_CHARS = 280
# Where most of the library's metadata came from, as the line above its table says it.
ORIGIN_WORDS = {FROM_METADATA: "each file's metadata (front matter, meta tags, PDF info)",
                FROM_TEXT: "each article's text (its first line, byline or dateline)", FROM_NAME: "the file names"}


def sentence(text: str) -> str:
    """A message with its first letter capitalised (engine messages start in lower case, to follow "error: ")."""
    return text[:1].upper() + text[1:]


def source_line(c: Citation) -> str:
    """Publisher · date · ¶n (p. 2, ¶n in a PDF): where a citation comes from, as plain text."""
    return " · ".join(x for x in (c.publisher or "unknown publisher", c.date or "undated", c.label) if x)


def pieces(text: str, spans: Iterable[tuple[int, int]]) -> list[tuple[str, str]]:
    """The text as (plain, marked) pairs, the marked parts being the given character spans (overlaps clipped)."""
    out, pos = [], 0
    for a, b in sorted(spans):
        a, b = max(a, pos), min(b, len(text))
        if a >= b:
            continue
        out.append((text[pos:a], text[a:b]))
        pos = b
    out.append((text[pos:], ""))
    return out


def marked(text: str, spans: Iterable[tuple[int, int]], css: str = "sqa-hl") -> str:
    """A text escaped piece by piece, with the given character spans wrapped in <mark>."""
    return str(render_string('{% from "panels/macros.html" import marked %}{{ marked(pieces, css) }}',
                             pieces=pieces(text, spans), css=css))


def _card(c: Citation) -> dict[str, object]:
    """What a source card shows of a citation: where it is from, and its supporting sentence(s) to mark."""
    if not c.highlights:
        text = c.text if len(c.text) <= EXCERPT_CHARS else c.text[:EXCERPT_CHARS - 3].rstrip() + "…"
        return {"citation": c, "source": source_line(c), "lead": text, "marks": [], "tail": ""}
    lead = "… " if c.text[: c.highlights[0][0]].strip() else ""
    tail = " …" if c.text[c.highlights[-1][1]:].strip() else ""
    return {"citation": c, "source": source_line(c), "lead": lead, "tail": tail,
            "marks": [c.text[a:b].strip() for a, b in c.highlights]}


def source_cards(answer: Answer | None, turn: int, offset: int = 0) -> str:
    """The sources of the last answer as cards, labelled [offset + n] as its markers are; a click on one opens the
    article at the cited paragraph."""
    if answer is None or not answer.citations:
        return empty_panel("Sources", SOURCES_HINT)
    return str(render("panels/sources.html", weak=answer.status not in ANSWER_STATUSES, turn=turn, offset=offset,
                      cards=[_card(c) for c in answer.citations], score_tip=SCORE_TIP, score_label=SCORE_LABEL))


def empty_panel(title: str, hint: str) -> str:
    """A panel with nothing in it yet, and what will appear there."""
    return str(render("panels/empty.html", title=title, hint=hint))


def _note(citation: Citation, check: Verification, offset: int = 0) -> dict[str, object]:
    """What the verification note says of a citation checked against its file (its marker as the chat shows it)."""
    name = Path(citation.path).name
    extracted = Path(name).suffix.lower() in (".html", ".htm", ".pdf")
    return {"ok": check.ok, "marker": offset + citation.marker, "label": citation.label,
            "start": citation.start, "end": citation.end, "name": name, "problems": check.problems,
            "source": "the text extracted from " if extracted else "",
            "how": "extracted again from the file" if extracted else "re-read from the file"}


def verification_note(citation: Citation, check: Verification, offset: int = 0) -> str:
    """Says whether the cited text was found again, unchanged, at its place in the source file."""
    return str(render("panels/verification.html", note=_note(citation, check, offset)))


def article_view(chunk: ArticleView, citation: Citation | None = None, check: Verification | None = None,
                 offset: int = 0) -> str:
    """The whole cleaned article with numbered paragraphs; the cited one highlighted, its sentences marked (the
    citation's marker shown as [offset + n], as in the chat)."""
    a = chunk.article
    meta = " · ".join(x for x in (a.publisher or "unknown publisher", a.date or "undated", a.author and f"by {a.author}") if x)
    facts = (f"{len(chunk.passages)} paragraphs · {len(chunk.boilerplate)} boilerplate paragraphs dropped · "
             f"file {Path(a.path).name}")
    paragraphs, section = [], None
    for p in chunk.passages:
        cited = citation is not None and p.id == citation.passage_id
        paragraphs.append({"id": p.id, "cited": cited, "label": p.label,
                           "section": p.section if p.section and p.section != section else "",
                           "pieces": pieces(p.text, citation.highlights if cited and citation else ())})
        section = p.section
    note = _note(citation, check, offset) if citation is not None and check is not None else None
    return str(render("panels/article.html", article=a, meta=meta, facts=facts, cited=citation is not None,
                      note=note, paragraphs=paragraphs))


def usual_origin(chunks: Sequence[ArticleView]) -> str:
    """Where most of the library's titles, publishers, dates and authors came from (FROM_METADATA when none is known)."""
    counts = Counter(how for c in chunks for key in FIELDS if (how := c.article.origins.get(key)) not in (None, FROM_NOWHERE))
    return counts.most_common(1)[0][0] if counts else FROM_METADATA


def library_table(chunks: Sequence[ArticleView]) -> str:
    """The library's articles: title, publisher, date, author, paragraphs, boilerplate dropped.

    Where the metadata came from is said once, above the table, for most of it; a cell says so only where it differs
    ("from text", "from file name"); a missing field reads "not given" (or "undated"), with no origin.
    """
    if not chunks:
        return empty_panel("Library", f"No articles yet: add {Engine.FORMATS} files below.")
    usual = usual_origin(chunks)
    rows = [{"article": c.article, "file": Path(c.article.path).name, "paragraphs": len(c.passages),
             "dropped": len(c.boilerplate),
             "origins": {k: how for k, how in c.article.origins.items() if how not in (usual, FROM_NOWHERE)}}
            for c in chunks]
    return str(render("panels/library.html", rows=rows, total=sum(len(c.passages) for c in chunks),
                      usual=ORIGIN_WORDS.get(usual, usual)))


def upload_report(results: Sequence[Upload], summary: str | None, notice: str | None = None) -> str:
    """What happened to each uploaded file, and to the index (or why nothing was done)."""
    # An added file of which nothing was indexed is saved but not searchable: shown as a warning, not a success.
    kinds = ["empty" if r.status == "added" and r.paragraphs == 0 else r.status for r in results]
    items = [(kind, ICONS.get(kind, "?"), r.message) for r, kind in zip(results, kinds)]
    return str(render("panels/uploads.html", notice=notice, items=items, summary=summary, formats=Engine.FORMATS))


def status_bar(phase: str, detail: str, done: int = 0, total: int = 0) -> str:
    """The line at the top of the page: preparing (with progress), ready (with the latest build's figures), or failed."""
    # When ready, `detail` is the latest build's summary: its counts are the library's current size.
    return str(render("panels/status.html", phase=phase, ready=READY, failed=FAILED, done=done, total=total,
                      detail=detail if phase in (READY, FAILED) else sentence(detail)))


def setting_chips(active: Sequence[tuple[str, str]]) -> str:
    """The settings that differ from the defaults, as chips by the question box; each × puts one back, or all."""
    return str(render("panels/chips.html", active=active)) if active else ""
