"""Lists an article announces ("for four reasons", "First, … Second, …"): found among its sentences near the passages
retrieved, and read together though retrieval ranked some of their items low."""

from __future__ import annotations

import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from qa.answer.reader import Candidate
from qa.index.library import Library
from qa.search.retrieve import Hit

ORDINALS = {"first": 1, "second": 2, "third": 3, "fourth": 4, "fifth": 5, "sixth": 6, "seventh": 7, "eighth": 8,
            "ninth": 9, "tenth": 10, "one": 1}
_NOUN = r"(?:reasons?|factors?|motives?|causes?|concerns?|explanations?|considerations?|goals?|aims?|drivers?|motivations?|ways?)"
# "First, …", "Secondly, …", "The third reason is …", "One factor …" (the reason's number) and "Another reason …",
# "Finally, …" (the next one). Only at a sentence's start: "the first time" inside a sentence lists nothing.
_NUMBERED = re.compile(
    rf"^\W*(?:(?:the|a|and)\s+)?(?P<word>first|second|third|fourth|fifth|sixth|seventh|eighth|ninth|tenth)(?:ly)?"
    rf"(?:\s*(?:,|:|\u2014|-\s)|\s+of all\b|\s+(?:[\w-]+\s+)?{_NOUN}\b)", re.IGNORECASE)
_ONE = re.compile(rf"^\W*(?:one|the (?:main|chief|biggest|first))\s+(?:[\w-]+\s+)?{_NOUN}\b", re.IGNORECASE)
_NEXT = re.compile(rf"^\W*(?:(?:finally|lastly|last but not least|in addition|additionally)\s*,|(?:another|a further|a final|"
                   rf"the (?:other|final|last))\s+(?:[\w-]+\s+)?{_NOUN}\b)", re.IGNORECASE)
_DIGIT = re.compile(r"^\s*\(?(?P<n>[1-9])[.)]\s+\S")
NEXT = 0  # an item that continues whatever list is open ("Another reason…", "Finally, …")
# "for the following four strategic reasons", "three factors", "these reasons": the sentence that announces a list.
ANNOUNCES = re.compile(rf"\b(?:following|these|several|two|three|four|five|six|seven|eight|nine|ten|[2-9])\s+(?:[\w-]+\s+){{0,2}}"
                       rf"{_NOUN}\b|\bas follows\b", re.IGNORECASE)
# "But it also …", "They also …": a sentence that adds to the one before it, about the same subject.
_CONTINUES = re.compile(r"^\W*(?:(?:but|and)\s+)?(?:it|he|she|they|this|that)\s+(?:\w+\s+)?also\b", re.IGNORECASE)
# How far from a retrieved passage an article is scanned for the rest of its list, in paragraphs each way.
SCAN_PARAGRAPHS = 12
MAX_ITEMS = 10


@dataclass(frozen=True)
class Enumeration:
    """A list in one article: the sentence that announces it (if any) and its items' sentences, in order."""

    doc_id: str
    announcer: int | None  # a sentence row
    items: tuple[int, ...]  # sentence rows


def item_number(sentence: str) -> int | None:
    """Which item of a list a sentence opens: its number, NEXT for "Another reason…"/"Finally, …", None if none."""
    m = _NUMBERED.match(sentence)
    if m:
        return ORDINALS[m.group("word").lower()]
    if _ONE.match(sentence):
        return 1
    if _NEXT.match(sentence):
        return NEXT
    m = _DIGIT.match(sentence)
    return int(m.group("n")) if m else None


def continues(sentence: str) -> bool:
    """Whether a sentence adds to the one before it ("But it also views American bases … as a threat")."""
    return bool(_CONTINUES.match(sentence))


def sentence_text(library: Library, row: int) -> str:
    """A sentence's text by its row."""
    s = library.sentences
    return library.passages[int(s.passage[row])].text[int(s.start[row]):int(s.end[row])]


def lists_in(numbers: Sequence[tuple[int, int | None, bool]]) -> list[tuple[int | None, list[int]]]:
    """The lists in an article's sentences, given as (row, item number, announces?) in reading order: runs that count
    1, 2, 3… (or 1 then NEXT), at least two items, each with the last announcing sentence before its first item."""
    found: list[tuple[int | None, list[int]]] = []
    run: list[int] = []
    announcer: int | None = None
    pending: int | None = None  # the latest announcing sentence not yet used

    def close() -> None:
        if len(run) >= 2:
            found.append((announcer, list(run)))

    for row, number, announces in numbers:
        if number == 1:
            close()
            run, announcer = [row], pending
        elif run and number is not None and (number == NEXT or number == len(run) + 1) and len(run) < MAX_ITEMS:
            run.append(row)
        if announces and number is None:
            pending = row
    close()
    return found


def article_rows(library: Library, passage_row: int, around: int = SCAN_PARAGRAPHS) -> range:
    """Passage rows of the same article within `around` paragraphs of a passage row."""
    doc = library.passages[passage_row].doc_id
    lo = passage_row
    while lo > 0 and passage_row - lo < around and library.passages[lo - 1].doc_id == doc:
        lo -= 1
    hi = passage_row
    while hi + 1 < len(library.passages) and hi - passage_row < around and library.passages[hi + 1].doc_id == doc:
        hi += 1
    return range(lo, hi + 1)


def enumerations(library: Library, passage_rows: Iterable[int]) -> list[Enumeration]:
    """The lists near passages one of whose sentences announces a list or opens one of its items."""
    out: dict[tuple[int, ...], Enumeration] = {}
    marks: dict[int, tuple[int | None, bool]] = {}  # each sentence read once, though the passages' windows overlap

    def marked(r: int) -> tuple[int | None, bool]:
        if r not in marks:
            text = sentence_text(library, r)
            marks[r] = (item_number(text), bool(ANNOUNCES.search(text)))
        return marks[r]

    for prow in passage_rows:
        if not any(number is not None or announces for number, announces in map(marked, library.sentence_rows[prow])):
            continue
        numbers = [(r, *marked(r)) for p in article_rows(library, prow) for r in library.sentence_rows[p]]
        for announcer, items in lists_in(numbers):
            out.setdefault(tuple(items), Enumeration(library.passages[prow].doc_id, announcer, tuple(items)))
    return list(out.values())


def with_lists(library: Library, hits: Sequence[Hit], depth: int) -> tuple[list[Hit], list[Enumeration]]:
    """The top `depth` hits, then the passages holding the rest of any list they touch (ranked after them), and
    the lists: an article's "four reasons" are read together though retrieval ranked some of them low."""
    head = list(hits[:depth])
    rows = [library.rows[h.passage.id] for h in head]
    found = enumerations(library, rows)
    have = set(rows)
    extra: list[Hit] = []
    floor = min((h.score for h in head), default=0.0)
    for e in found:
        for r in e.items:
            prow = int(library.sentences.passage[r])
            if prow not in have:
                have.add(prow)
                extra.append(Hit(library.passages[prow], floor, len(head) + len(extra) + 1, {}))
    return head + extra, found


def list_items(found: Sequence[Enumeration]) -> dict[int, tuple[int, int]]:
    """Sentence row to (list, item index) for every item of the lists."""
    return {r: (i, j) for i, e in enumerate(found) for j, r in enumerate(e.items)}


def list_sections(library: Library, found: Sequence[Enumeration]) -> dict[int, tuple[int, int]]:
    """Sentence row to (list, item index) for every sentence an item's text runs over: from the item to the next
    item, and to the end of its paragraph for the last ("Fourth, Afghan opium is another headache for Moscow. …
    Policymakers in Moscow thus believe that in the fight against narcotics…" give one reason)."""
    out: dict[int, tuple[int, int]] = {}
    for i, e in enumerate(found):
        for j, first in enumerate(e.items):
            last = e.items[j + 1] if j + 1 < len(e.items) else library.sentence_rows[int(library.sentences.passage[first])].stop
            for r in range(first, last):
                out[r] = (i, j)
    return out


def item_index(sentences: Sequence[Candidate], items: dict[int, tuple[int, int]], which: int) -> int | None:
    """The first item of list `which` among some sentences (its index in the list), or None if none is one."""
    return min((items[c.row][1] for c in sentences if c.row in items and items[c.row][0] == which), default=None)
