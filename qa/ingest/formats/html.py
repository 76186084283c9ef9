"""Saved web pages (.html, .htm): the article's main text and metadata, found by trafilatura."""

from __future__ import annotations

import re

from qa.ingest.formats import Extracted, Unreadable
from qa.ingest.formats.meta import complete

# trafilatura's elements that hold text of their own; containers are walked into.
_CONTAINERS = {"body", "list", "quote", "div", "table", "row", "cell"}
_SPACES = re.compile(r"[ \t\r\f\v]+")
# trafilatura turns a no-break space into a space; a private-use stand-in carries it through, so the text keeps it.
_NBSP = re.compile(r"\u00a0|&nbsp;|&#160;|&#x0*a0;", re.IGNORECASE)
_KEPT_NBSP = "\ue000"


def _text(element) -> str:
    """An element's text on one line; one line break (<br>) is a space, two in a row break the paragraph."""
    parts = [element.text or ""]
    for child in element:
        parts.append("\x00" if child.tag == "lb" else "".join(child.itertext()))
        parts.append(child.tail or "")
    joined = re.sub(r"\x00\s*\x00+", "\n\n", "".join(parts)).replace("\x00", " ").replace(_KEPT_NBSP, "\u00a0")
    lines = (_SPACES.sub(" ", line).strip() for line in joined.split("\n\n"))
    return "\n\n".join(line.replace("\n", " ") for line in lines if line)


def _blocks(element) -> list[str]:
    """The paragraphs under an element of trafilatura's output, in document order; list items as "• " bullets."""
    out: list[str] = []
    for child in element:
        if child.tag in _CONTAINERS and len(child) and any(c.tag != "lb" for c in child):
            out.extend(_blocks(child))
        elif child.tag != "lb":
            text = _text(child)
            if text:
                out.append(f"\u2022 {text}" if child.tag == "item" else text)
    return out


def _as_precise_as_given(date: str | None, raw: str) -> str | None:
    """A page's date no more precise than the page gives it: htmldate completes a meta "2020-03" with a day."""
    if not date or date in raw:
        return date
    return date[:7] if re.search(rf"{re.escape(date[:7])}(?![-\d])", raw) else date


def read_html(data: bytes, name: str) -> Extracted:
    """The main text of a saved web page (navigation, ads, related links, comments and footer left out) with its
    title, author, date and site name from the page's own metadata; our boilerplate rules run on it afterwards."""
    import trafilatura

    try:
        page: str | bytes = _NBSP.sub(_KEPT_NBSP, data.decode("utf-8"))
    except UnicodeDecodeError:
        page = data  # not UTF-8: trafilatura finds the encoding, and no-break spaces become spaces
    try:
        doc = trafilatura.bare_extraction(
            page, with_metadata=True, include_comments=False, include_tables=False, include_images=False,
            include_links=False, include_formatting=False, deduplicate=False,
            # The date from the page's metadata only, never guessed from its text or links.
            date_extraction_params={"extensive_search": False, "original_date": True},
        )
    except Exception as exc:
        raise Unreadable(f"{name}: could not be read as a web page ({type(exc).__name__}); skipped") from None
    blocks = _blocks(doc.body) if doc is not None and doc.body is not None else []
    if not blocks:
        raise Unreadable(f"{name}: no article text found in this web page (only navigation or markup?)")
    text = "\n\n".join(blocks) + "\n"
    date = _as_precise_as_given(doc.date, data.decode("utf-8", "replace"))
    fields = {key: value.replace(_KEPT_NBSP, "\u00a0") if value else value
              for key, value in (("title", doc.title), ("author", doc.author), ("publisher", doc.sitename))}
    fields["date"] = date
    return complete(text, name, fields, fmt="html")
