"""Text helpers: normalisation for matching (the original text is always what is displayed and cited), safe names."""

from __future__ import annotations

import json
import re
import unicodedata
from typing import Any

from embeddings.files import slug as slug  # one slug for every file name the project makes

_QUOTES = str.maketrans(
    {
        "\u2018": "'", "\u2019": "'", "\u201a": "'", "\u201b": "'", "\u2032": "'",
        "\u201c": '"', "\u201d": '"', "\u201e": '"', "\u201f": '"', "\u2033": '"',
        "\u00ab": '"', "\u00bb": '"',
        "\u2013": "-", "\u2014": "-", "\u2012": "-", "\u2015": "-", "\u2212": "-",
        "\u00a0": " ", "\u202f": " ", "\u2007": " ",
        "\u200b": "", "\u200c": "", "\u200d": "", "\ufeff": "", "\u00ad": "",
    }
)
_SPACE = re.compile(r"\s+")


def normalize(text: str) -> str:
    """NFKC, straight quotes, ASCII dashes, no-break spaces as spaces, whitespace runs collapsed."""
    text = unicodedata.normalize("NFKC", text).translate(_QUOTES)
    return _SPACE.sub(" ", text).strip()


def fold(text: str) -> str:
    """The matching key of a text: `normalize` and casefold (used for snippets, repeats, duplicates)."""
    return normalize(text).casefold()


def word_count(text: str) -> int:
    """Number of whitespace-separated words."""
    return len(text.split())


def strip_control(text: str) -> str:
    """Drop control and format characters except ordinary whitespace, so they cannot upset tokenisers."""
    return "".join(
        ch if ch in "\t\n\r " or unicodedata.category(ch)[0] != "C" else " " for ch in text
    )


def tidy(text: str) -> str:
    """`strip_control`, then runs of whitespace as one space: text any tokeniser accepts (lone surrogates too)."""
    return _SPACE.sub(" ", strip_control(text)).strip()


# User input quoted back in a message is cut to this many characters: a 1 MB id must not make a 1 MB error.
CLIP_CHARS = 80


def clip(value: object, limit: int = CLIP_CHARS) -> str:
    """User input for a message: quoted (as repr), cut to `limit` characters with its full length said."""
    text = str(value)
    if len(text) <= limit:
        return repr(text)
    return f"{text[:limit]!r}… ({len(text):,} characters)"


def parse_json(text: str) -> Any:
    """json.loads, with JSON nested deeper than Python parses raised as ValueError, as other malformed JSON is (a
    damaged or planted file is then handled where the caller handles any bad file)."""
    try:
        return json.loads(text)
    except RecursionError:
        raise ValueError("JSON nested too deeply to parse") from None
