"""PDF files: the text layer read with pypdf, paragraphs rebuilt across lines and pages, page furniture dropped."""

from __future__ import annotations

import hashlib
import io
import re
from dataclasses import dataclass
from itertools import pairwise

from qa.ingest.formats import Extracted, Unreadable
from qa.ingest.formats.meta import complete
from qa.recent import Recent
from qa.text import fold

# A PDF longer than this is a book or a report, not an article; reading it whole would take minutes (15 to 80 ms a page).
MAX_PAGES = 300
NO_TEXT = "no text layer (scanned?): OCR is not supported"
# Running headers and footers are looked for in a page's first and last blocks of at most this many lines.
EDGE_LINES = 2
# Furniture is short ("The Riverton Daily - Harbour Report", "Page 3 of 10"); a longer repeated line is prose.
FURNITURE_MAX_WORDS = 12
# A paragraph that runs on to the next page does not end a sentence and is longer than a heading.
CONTINUES_MIN_WORDS = 12
INDENT = 2

_PAGE_NUMBER = re.compile(r"^\W*(?:page|p\.|seite|pag\.?)?\s*\d{1,5}(?:\s*(?:of|/|von)\s*\d{1,5})?\W*$", re.IGNORECASE)
_TERMINAL = re.compile(r"[.!?\u2026:;][\"'\u201d\u2019)\]]*$")
_HYPHENATED = re.compile(r"[^\W\d_][-\u00ad]$")
_SPACES = re.compile(r"[ \t\r\f\v]+")  # a no-break space in the text is kept, as in a text file
_DIGITS = re.compile(r"\d+")
_FILE_TITLE = re.compile(r"(^microsoft (word|powerpoint)\b|\.(docx?|odt|rtf|pdf|txt|indd|pages)$|^untitled\b)", re.IGNORECASE)


@dataclass(frozen=True)
class Line:
    """A line of a page as laid out: its text (spaces collapsed) and how far it is indented."""

    text: str
    indent: int


def _page_lines(page) -> list[Line | None]:
    """A page's lines in reading order; None stands for vertical space (a paragraph break)."""
    try:
        raw = page.extract_text(extraction_mode="layout")
    except Exception:
        raw = page.extract_text()
    out: list[Line | None] = []
    for line in (raw or "").splitlines():
        text = _SPACES.sub(" ", line).strip()
        out.append(Line(text, len(line) - len(line.lstrip())) if text else None)
    return out


def _edges(lines: list[Line | None]) -> list[int]:
    """Indexes of the lines of a page's first and last blocks when they are set apart by vertical space and short
    (at most EDGE_LINES lines): where running headers, footers and page numbers sit."""
    blocks: list[list[int]] = [[]]
    for i, line in enumerate(lines):
        if line is None:
            if blocks[-1]:
                blocks.append([])
        else:
            blocks[-1].append(i)
    blocks = [b for b in blocks if b]
    if len(blocks) < 2:
        return []
    return sorted({i for b in (blocks[0], blocks[-1]) if len(b) <= EDGE_LINES for i in b})


def _drop_furniture(pages: list[list[Line | None]]) -> None:
    """Blank out page numbers and the header and footer lines that repeat (digits aside) on most pages."""
    counts: dict[str, int] = {}
    for lines in pages:
        for key in {_DIGITS.sub("#", fold(lines[i].text)) for i in _edges(lines)}:  # type: ignore[union-attr]
            counts[key] = counts.get(key, 0) + 1
    with_text = sum(1 for lines in pages if any(lines))
    for lines in pages:
        for i in _edges(lines):
            text = lines[i].text  # type: ignore[union-attr]
            repeats = counts[_DIGITS.sub("#", fold(text))]
            short = len(text.split()) <= FURNITURE_MAX_WORDS
            if _PAGE_NUMBER.match(text) or (short and repeats >= 2 and repeats * 2 >= with_text):
                lines[i] = None


def _paragraphs(lines: list[Line | None]) -> list[list[str]]:
    """A page's lines grouped into paragraphs: at vertical space, or at an indented line after a sentence's end."""
    out: list[list[str]] = []
    block: list[Line] = []
    for line in lines + [None]:
        if line is not None:
            block.append(line)
            continue
        if block:
            margin = min(x.indent for x in block)
            current = [block[0].text]
            for prev, cur in pairwise(block):
                if cur.indent >= margin + INDENT and _TERMINAL.search(prev.text):
                    out.append(current)
                    current = []
                current.append(cur.text)
            out.append(current)
            block = []
    return out


def join_lines(lines: list[str]) -> str:
    """Lines of a paragraph as one: a word hyphenated at a line's end is joined again.

    Linear in the paragraph's length: only the last two characters joined so far decide a join (searching the whole
    growing text each time made a one-page PDF of 10,000 short lines take minutes).
    """
    pieces = [lines[0]]
    tail = lines[0][-2:]
    for line in lines[1:]:
        if _HYPHENATED.search(tail) and line[:1].islower():
            pieces[-1] = pieces[-1][:-1]  # the last piece is the previous line, which ends with the hyphen
        else:
            pieces.append(" ")
        pieces.append(line)
        tail = "".join(pieces[-3:])[-2:]
    return "".join(pieces)


def _continues(paragraph: list[str]) -> bool:
    """Whether a page's last paragraph runs on to the next page."""
    last = paragraph[-1]
    return not _TERMINAL.search(last) and sum(len(x.split()) for x in paragraph) >= CONTINUES_MIN_WORDS


def _info_title(reader) -> str | None:
    try:
        title = (reader.metadata or {}).get("/Title")
    except Exception:
        return None
    title = _SPACES.sub(" ", str(title or "")).strip()
    return None if not title or _FILE_TITLE.search(title) else title


def _info_author(reader) -> str | None:
    try:
        author = (reader.metadata or {}).get("/Author")
    except Exception:
        return None
    return _SPACES.sub(" ", str(author or "")).strip() or None


def _open(data: bytes):
    from pypdf import PdfReader

    reader = PdfReader(io.BytesIO(data))
    if reader.is_encrypted:
        try:
            opened = bool(reader.decrypt(""))  # many PDFs are encrypted with an empty password only to restrict printing
        except Exception:
            opened = False
        if not opened:
            raise Unreadable("is encrypted (password-protected): save a copy without the password to include it")
    return reader


@dataclass(frozen=True)
class Layout:
    """What a PDF's bytes give whatever the file is called: its text, page offsets, info title and author, page
    count and the pages without text; or `problem`, why it cannot be read."""

    text: str = ""
    pages: tuple[int, ...] = ()
    title: str | None = None
    author: str | None = None
    total: int = 0
    blank: tuple[int, ...] = ()
    problem: str | None = None


# Layouts read lately, by content hash: an upload is checked, then indexed under its saved name, from one extraction.
LAYOUTS: Recent[Layout] = Recent(8)


def layout(data: bytes) -> Layout:
    """The text layer of a PDF as paragraphs separated by blank lines, with the offset where each page starts."""
    return LAYOUTS.get(hashlib.sha256(data).hexdigest(), lambda: _read_layout(data))


def _read_layout(data: bytes) -> Layout:
    # pypdf logs a warning for every quirk of a file it reads anyway ("EOF marker not found", duplicate keys); the
    # faces quiet it (qa/runtime.py): what a reader can act on is our own one-line warning, or the refusal.
    try:
        reader = _open(data)
        total = len(reader.pages)
        pages = [_page_lines(reader.pages[i]) for i in range(min(total, MAX_PAGES))]
        title, author = _info_title(reader), _info_author(reader)
    except Unreadable as exc:
        return Layout(problem=str(exc))
    except Exception as exc:
        return Layout(problem=f"is not a readable PDF ({type(exc).__name__}: {str(exc)[:80]})")
    if not any(any(lines) for lines in pages):
        return Layout(problem=NO_TEXT)
    blank = tuple(i + 1 for i, lines in enumerate(pages) if not any(lines))
    _drop_furniture(pages)
    paragraphs: list[list[str]] = []
    starts: list[int] = []  # for each page, the paragraph index at which it starts
    carry = False
    for lines in pages:
        found = _paragraphs(lines)
        if carry and found:
            paragraphs[-1].extend(found.pop(0))
        starts.append(len(paragraphs))
        paragraphs.extend(found)
        carry = bool(paragraphs) and _continues(paragraphs[-1])
    texts = [join_lines(p) for p in paragraphs]
    offsets, pos = [], 0
    for t in texts:
        offsets.append(pos)
        pos += len(t) + 2
    page_starts = tuple(offsets[i] if i < len(offsets) else pos for i in starts)
    return Layout("\n\n".join(texts) + "\n", page_starts, title, author, total, blank)


def read_pdf(data: bytes, name: str) -> Extracted:
    """A PDF's text as paragraphs separated by blank lines, with the offset where each page starts."""
    got = layout(data)
    if got.problem:
        raise Unreadable(f"{name}: {got.problem}")
    warnings: list[str] = []
    if got.total > MAX_PAGES:
        warnings.append(f"{name}: {got.total:,} pages; only the first {MAX_PAGES:,} are read and {got.total - MAX_PAGES:,} "
                        "left out (a PDF this long is a book or a report: split it into articles to index the rest)")
    if got.blank:
        warnings.append(f"{name}: page(s) {', '.join(map(str, got.blank[:10]))}{' …' if len(got.blank) > 10 else ''} "
                        f"have {NO_TEXT}; left out")
    fields = {"title": got.title, "author": got.author}
    return complete(got.text, name, fields, fmt="pdf", pages=got.pages, warnings=warnings)
