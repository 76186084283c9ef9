"""Text files (.txt, .md): UTF-8 read exactly as stored, with optional front matter."""

from __future__ import annotations

import re

from qa.ingest.formats import Extracted, Unreadable
from qa.ingest.formats.meta import complete

_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")


def decode(data: bytes, name: str) -> str:
    """The bytes of a text file as text (UTF-8, a leading BOM removed, line ends kept), or Unreadable saying why."""
    if b"\x00" in data[:8192]:
        raise Unreadable(f"{name}: looks binary (NUL bytes), not a text file")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise Unreadable(f"{name}: is not valid UTF-8 (byte {exc.start}); save it as UTF-8 to include it") from None


def front_matter(text: str, name: str) -> tuple[dict[str, str], int, str | None]:
    """Parse a leading `---` block of `key: value` lines; returns (fields, body start, warning)."""
    if not text.startswith("---"):
        return {}, 0, None
    first_end = text.find("\n")
    if first_end < 0 or text[:first_end].strip() != "---":
        return {}, 0, None
    fields: dict[str, str] = {}
    pos = first_end + 1
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        nxt = len(text) if end < 0 else end + 1
        if line.strip() in ("---", "..."):
            return fields, nxt, None
        match = _FRONT_KEY.match(line.strip())
        if line.strip() and not match:
            return {}, 0, f"{name}: front matter line {line.strip()[:40]!r} is not 'key: value'; reading the file as plain text"
        if match:
            fields[match.group(1).lower()] = match.group(2).strip().strip("'\"")
        if end < 0:
            break
        pos = nxt
    return {}, 0, f"{name}: front matter has no closing '---'; reading the file as plain text"


def parse_text(text: str, name: str) -> Extracted:
    """A text file's metadata: front matter fields first, then its byline, dateline and first line."""
    fields, body_start, warning = front_matter(text, name)
    return complete(text, name, fields, body_start=body_start, warnings=[warning] if warning else [])


def read_text(data: bytes, name: str) -> Extracted:
    """A .txt or .md file as an article."""
    text = decode(data, name)
    if not text.strip():
        raise Unreadable(f"{name}: is empty")
    return parse_text(text, name)
