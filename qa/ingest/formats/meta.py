"""Article metadata: the file's own (front matter, meta tags, PDF info) first, then a byline or dateline in the text."""

from __future__ import annotations

import re
from collections.abc import Mapping
from dataclasses import dataclass
from functools import lru_cache
from types import MappingProxyType

from qa.ingest.boilerplate import heading_like
from qa.ingest.formats import FIELDS, FROM_METADATA, FROM_NAME, FROM_NOWHERE, FROM_TEXT, Extracted

# A title is a line, not a paragraph: a file whose first line is a whole article (or a 10 MB dump) gets it cut.
MAX_TITLE_CHARS = 200
# Bylines and datelines sit above the article's first paragraph: only this many lines are looked at.
HEAD_LINES = 6
DATELINE_MAX_WORDS = 20
DATELINE_MAX_CHARS = 160
PUBLISHER_MAX_WORDS = 6

DATE_FORMAT = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
_MONTH = (r"(?:jan(?:uary)?|feb(?:ruary)?|mar(?:ch)?|apr(?:il)?|may|june?|july?|aug(?:ust)?|sep(?:t(?:ember)?)?"
          r"|oct(?:ober)?|nov(?:ember)?|dec(?:ember)?)\.?")
_DAY = r"\d{1,2}(?:st|nd|rd|th)?"
# Dates as newspapers print them; a bare year is not one (a title may well say "1989").
_DATES = re.compile(
    rf"\b(?:\d{{4}}-\d{{2}}-\d{{2}}|\d{{1,2}}/\d{{1,2}}/\d{{4}}|{_MONTH}\s+{_DAY},?\s+\d{{4}}|{_DAY}\s+{_MONTH},?\s+\d{{4}}"
    rf"|{_MONTH}\s+\d{{4}})\b",
    re.IGNORECASE,
)
_SEPARATORS = re.compile(r"\s*(?:[|\u00b7\u2022]|\s[-\u2013\u2014]\s)\s*")
_BY = re.compile(r"^by\s+(.+)$", re.IGNORECASE)
_STAMP = re.compile(r"^(?:first\s+)?(?:published|updated|posted)(?:\s+on)?\s*:?\s*", re.IGNORECASE)
_NOISE = re.compile(
    r"^(?:monday|tuesday|wednesday|thursday|friday|saturday|sunday|mon|tue|wed|thu|fri|sat|sun"
    r"|\d{1,2}[:.]\d{2}(?:\s*[ap]\.?m\.?)?(?:\s*[a-z]{2,4})?)?$",
    re.IGNORECASE,
)
# A byline's role or desk after the author's name ("Staff Writer", "Health Desk"): neither publisher nor author.
_ROLE = re.compile(r"\b(writer|reporter|correspondent|editor|staff|contributor|columnist|desk|bureau)\b", re.IGNORECASE)


@dataclass(frozen=True)
class Dateline:
    """What the first lines of a text say about it: publisher, date and author, and which lines said it."""

    publisher: str | None = None
    date: str | None = None
    author: str | None = None
    lines: tuple[int, ...] = ()  # start offsets of the lines read as a byline or dateline


@lru_cache(maxsize=1)
def _date_parser():
    """dateparser's parser for English dates (loaded once, on first use: it takes a while)."""
    from dateparser.date import DateDataParser

    return DateDataParser(languages=["en"], settings={"PREFER_DAY_OF_MONTH": "first"})


def parse_date(text: str) -> str | None:
    """A printed date as YYYY-MM-DD, or YYYY-MM when it names no day ("March 2025"); None when it is not one."""
    data = _date_parser().get_date_data(text)
    if data.date_obj is None:
        return None
    return data.date_obj.strftime("%Y-%m" if data.period == "month" else "%Y-%m-%d")


def _parts(line: str) -> list[str]:
    """A byline's fields: split at bars, bullets and dashes; a single field is split at commas."""
    parts = [p.strip(" ,;:") for p in _SEPARATORS.split(line)]
    parts = [p for p in parts if p]
    if len(parts) == 1:
        parts = [p.strip() for p in parts[0].split(",") if p.strip()]
    return parts


def read_line(line: str) -> Dateline | None:
    """A byline or dateline ("By Daniel Okafor | Riverton Daily | March 3, 2025", "Coastal Ledger, 2024-03-14")."""
    line = line.strip()
    if len(line) > DATELINE_MAX_CHARS or len(line.split()) > DATELINE_MAX_WORDS or line.endswith(("?", "!")):
        return None
    date = None
    match = _DATES.search(line)
    if match:
        date = parse_date(match.group(0))
        if date:
            line = line[:match.start()] + " | " + line[match.end():]
    author = publisher = None
    others = []
    for part in _parts(line):
        part = _STAMP.sub("", part).strip(" ,;:")
        by = _BY.match(part)
        if by and author is None:
            author = by.group(1).split(",")[0].strip()
        elif not _NOISE.match(part):
            others.append(part)
    if date is None and author is None:
        return None
    for part in others:
        if _ROLE.search(part) and author:
            continue  # "Staff Writer" after the author's name
        shouted = part.isupper() and len(part) > 4  # "WASHINGTON": a place, as datelines print it
        if (publisher is None and not shouted and part[:1].isupper() and len(part.split()) <= PUBLISHER_MAX_WORDS
                and not part.endswith(".")):
            publisher = part
        elif not shouted:
            return None  # more words than a byline has: a sentence that happens to hold a date
    return Dateline(publisher, date, author)


def read_dateline(text: str, start: int = 0) -> Dateline:
    """The byline and dateline among the first lines of a text's body (each field from the first line giving it)."""
    found: dict[str, str] = {}
    used: list[int] = []
    pos, seen = start, 0
    while pos < len(text) and seen < HEAD_LINES:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = _MD_HEADING.sub("", text[pos:end]).strip().strip("*_")
        if line:
            seen += 1
            if len(line.split()) > DATELINE_MAX_WORDS:
                break  # the article's prose has begun
            got = read_line(line)
            if got is not None:
                used.append(pos)
                for key in ("publisher", "date", "author"):
                    value = getattr(got, key)
                    if value and key not in found:
                        found[key] = value
        pos = end + 1
    return Dateline(found.get("publisher"), found.get("date"), found.get("author"), tuple(used))


def first_line(text: str, start: int, skip: tuple[int, ...] = ()) -> str:
    """The first non-empty line of the body (a Markdown heading's marks removed), bylines and datelines skipped."""
    pos = start
    while pos < len(text):
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = _MD_HEADING.sub("", text[pos:end]).strip()
        if line and pos not in skip:
            return line
        pos = end + 1
    return ""


def heading_line(text: str, start: int, skip: tuple[int, ...] = ()) -> str:
    """The first heading-like line (short, no sentence ending) among the body's first lines, before its prose begins;
    "" when the body opens with prose (a PDF with no title line: its first paragraph is not a title)."""
    pos, seen = start, 0
    while pos < len(text) and seen < HEAD_LINES:
        end = text.find("\n", pos)
        end = len(text) if end < 0 else end
        line = _MD_HEADING.sub("", text[pos:end]).strip()
        if line and pos not in skip:
            seen += 1
            if heading_like(line):
                return line
            if len(line.split()) > DATELINE_MAX_WORDS:
                break  # the article's prose has begun
        pos = end + 1
    return ""


def cut_title(title: str) -> str:
    """A title cut to MAX_TITLE_CHARS at a word boundary, with an ellipsis."""
    if len(title) <= MAX_TITLE_CHARS:
        return title
    cut = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or title[:MAX_TITLE_CHARS]
    return cut.rstrip() + "…"


def complete(
    text: str,
    name: str,
    fields: Mapping[str, str | None],
    *,
    body_start: int = 0,
    fmt: str = "text",
    pages: tuple[int, ...] = (),
    warnings: list[str] | None = None,
) -> Extracted:
    """An Extracted text with each metadata field from the file's own `fields` first, else from the text's
    byline, dateline or first line, else nowhere (the title then is the file name)."""
    warnings = list(warnings or [])
    own = {k: (v or "").strip() or None for k, v in fields.items() if k in FIELDS}
    if own.get("date") and not DATE_FORMAT.match(own["date"] or ""):
        warnings.append(f"{name}: date {own['date']!r} is not YYYY, YYYY-MM or YYYY-MM-DD; ignored")
        own["date"] = None
    origins = {k: FROM_METADATA for k, v in own.items() if v}
    values = {k: v for k, v in own.items() if v}
    if any(k not in values for k in FIELDS):
        seen = read_dateline(text, body_start)
        for key in ("publisher", "date", "author"):
            value = getattr(seen, key)
            if key not in values and value:
                values[key], origins[key] = value, FROM_TEXT
        if "title" not in values:
            # A text file's first line is its title; a PDF's first line is a whole paragraph, a title only when short.
            line = (heading_line if fmt == "pdf" else first_line)(text, body_start, seen.lines)
            values["title"], origins["title"] = (line, FROM_TEXT) if line else (_stem(name), FROM_NAME)
    for key in FIELDS:
        origins.setdefault(key, FROM_NOWHERE)
    return Extracted(
        text=text, body_start=body_start, title=cut_title(values["title"]), publisher=values.get("publisher"),
        date=values.get("date"), author=values.get("author"), origins=MappingProxyType(origins), pages=pages,
        format=fmt, warnings=tuple(warnings),
    )


def _stem(name: str) -> str:
    base = name.replace("\\", "/").rsplit("/", 1)[-1]
    return base.rsplit(".", 1)[0] if "." in base else base
