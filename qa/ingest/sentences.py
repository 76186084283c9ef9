"""Sentence boundaries with exact offsets, from pysbd (quotes, abbreviations such as "U.S." and "Gen.", initials)."""

from __future__ import annotations

import re
import threading

import pysbd

# pysbd's rules are slow on very long texts; past this size a plain punctuation rule is used.
PYSBD_MAX_CHARS = 20_000
_SIMPLE = re.compile(r"(?<=[.!?])[\"'\u201d\u2019)\]]*\s+(?=[\"'\u201c\u2018(\[]?[A-Z0-9])")
_WORD = re.compile(r"\w")
_local = threading.local()


def _segmenter() -> pysbd.Segmenter:
    # A Segmenter keeps state while it works, so each thread gets its own.
    seg = getattr(_local, "segmenter", None)
    if seg is None:
        seg = _local.segmenter = pysbd.Segmenter(language="en", clean=False, char_span=False)
    return seg


def _trim(text: str, start: int, end: int) -> tuple[int, int]:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return start, end


def _simple_spans(text: str) -> list[tuple[int, int]]:
    spans, pos = [], 0
    for match in _SIMPLE.finditer(text):
        spans.append((pos, match.start() + len(match.group(0).rstrip())))
        pos = match.end()
    spans.append((pos, len(text)))
    return spans


def sentence_spans(text: str) -> list[tuple[int, int]]:
    """(start, end) of each sentence of `text`, trimmed of spaces, covering every word of it in order."""
    if not text.strip():
        return []
    raw: list[tuple[int, int]] = []
    if len(text) <= PYSBD_MAX_CHARS:
        cursor = 0
        for piece in _segmenter().segment(text):
            body = piece.strip()
            if not body:
                continue
            found = text.find(body, cursor)
            if found < 0:  # pysbd changed the text after all: fall back rather than guess offsets
                raw = []
                break
            raw.append((cursor, found + len(body)))
            cursor = found + len(body)
        if raw:
            raw[-1] = (raw[-1][0], len(text))
    if not raw:
        raw = _simple_spans(text)
    spans = [_trim(text, a, b) for a, b in raw]
    # A fragment without a single word ("..." or a lone quote mark) belongs to the sentence before it.
    merged: list[tuple[int, int]] = []
    for a, b in spans:
        if a >= b:
            continue
        if merged and not _WORD.search(text[a:b]):
            merged[-1] = (merged[-1][0], b)
        else:
            merged.append((a, b))
    return merged
