"""Question analysis: the kind of answer a question wants and its focus (the terms an answer must be about)."""

from __future__ import annotations

import re
from collections.abc import Callable
from dataclasses import dataclass
from enum import StrEnum

from qa.errors import UserError
from qa.index.lexical import tokenize
from qa.text import tidy

# Caps on what a question brings along, read before anything else (every face, the API included): the model reads
# about 1,000 characters of a question, and a follow-up reads at most the two questions before it (CHAIN_MAX); the
# longer input a script may send is cut, so a 1 MB question costs what a 2,000-character one does.
MAX_QUESTION_CHARS = 2_000
MAX_HISTORY_ITEMS = 10


class Wants(StrEnum):
    """The kind of answer a question asks for."""

    REASON = "reason"
    TIME = "time"
    DURATION = "duration"
    NUMBER = "number"
    SPEAKER = "speaker"
    PERSON = "person"
    PLACE = "place"
    REACTION = "reaction"
    YESNO = "yes/no"
    MANNER = "manner"
    OTHER = "other"


_LEAD = r"^\W*(?:(?:and|but|so|then|also)\s+)?"
# Order matters: the first pattern that matches decides ("who said" is a speaker before it is a person).
_WANTS: tuple[tuple[Wants, re.Pattern[str]], ...] = (
    (Wants.SPEAKER, re.compile(
        _LEAD + r"(?:who|which (?:[\w-]+ ){0,3}[\w-]+)\s+(?:said|says|told|stated|warned|claimed|argued|called|predicted|"
        r"described|dismissed|criticized|criticised|denied|insisted|wrote|added)\b|\bwho (?:was|is) quoted\b", re.I)),
    (Wants.REASON, re.compile(
        _LEAD + r"why\b|\bwhat (?:caused|causes|led to|leads to|prompted|drove|drives|motivates|motivated|explains|"
        r"sparked|triggered|is behind|was behind|lies behind)\b|\bfor what (?:reasons?|purpose)\b|\breasons?\b|"
        r"\bhow come\b|\bwhat (?:is|was|are|were) the (?:cause|causes|motive|motives|aim|goal|purpose)\b", re.I)),
    (Wants.DURATION, re.compile(
        _LEAD + r"how long\b(?! ago)|\bfor how (?:many|long) (?:years|months|weeks|days|hours)\b", re.I)),
    (Wants.TIME, re.compile(
        _LEAD + r"when\b|\b(?:what|which|in what|by what|until what|from what) (?:year|month|decade|date|day|time|"
        r"century|season|week)\b|\b(?:since|until|till) when\b|\bhow long ago\b|\bwhat date\b", re.I)),
    (Wants.NUMBER, re.compile(
        r"\bhow (?:many|much|old|far|large|big|high|tall|deep|wide|often|fast)\b|\bwhat (?:percentage|percent|share|"
        r"number|proportion|amount|fraction|sum|figure|price|cost|total|rate|age)\b|\bby how much\b", re.I)),
    (Wants.PERSON, re.compile(
        _LEAD + r"(?:who|whom|whose)\b|\bwhich (?:[\w-]+ ){0,3}(?:expert|official|analyst|leader|diplomat|person|man|woman|general|"  # noqa: E501
        r"minister|commander|spokes\w+|president|researcher|scientist|professor|chief|director|head|executive|manager|mayor|"
        r"politician|envoy|journalist|author)\b|\bwhat is the name\b|\bname the\b", re.I)),
    (Wants.PLACE, re.compile(
        _LEAD + r"where\b|\b(?:in|to|from|at|through|near)? ?(?:what|which) (?:place|city|town|country|countries|"
        r"province|region|state|base|village|county|district|capital|site|location|venue|neighbo\w+)\b", re.I)),
    (Wants.REACTION, re.compile(
        r"\bhow (?:did|do|does|has|have|had|will|would) .{1,60}?\b(?:react|respond|reply|view|see|describe|judge|"
        r"regard|feel|take|greet|receive|assess|characteri[sz]e)\b|\bwhat (?:did|do|does|has|have) .{1,60}?\b"
        r"(?:say|think|make) (?:about|of)\b|\breaction\b|\bresponse\b", re.I)),
    (Wants.YESNO, re.compile(
        _LEAD + r"(?:is|are|was|were|do|does|did|can|could|will|would|has|have|had|should|shall|may|might)\b", re.I)),
    (Wants.MANNER, re.compile(_LEAD + r"how\b", re.I)),
)

# Words every question of a kind uses; they say nothing about what an answer must be about.
_GENERIC = set(tokenize(["""
    say says said tell told accord according describe described call called think thought happen happened mean
    means kind type sort way ways thing things many much long old year years time date day month number percent
    percentage share amount name reason reasons cause caused expect expected plan planned consider considered
    view regard react reaction respond response explain explains explained give given make made get got go
    going want wanted take took see seen use used current currently main real really actually report reported
"""])[0])
# A capitalised run inside a question (names, places, organisations), with initials and inner "of"/"al-".
_ENTITY = re.compile(r"\b(?:[A-Z][\w'’.-]*[A-Za-z0-9]|[A-Z]\.(?:[A-Z]\.)+)(?:\s+(?:of\s+|al-|de\s+|the\s+)?(?:[A-Z][\w'’.-]*[A-Za-z0-9]|[A-Z]\.(?:[A-Z]\.)+))*")  # noqa: E501
_QUESTION_WORDS = {"what", "which", "who", "whom", "whose", "when", "where", "why", "how", "is", "are", "was", "were",
                   "do", "does", "did", "can", "could", "will", "would", "has", "have", "had", "should", "and", "but",
                   "so", "then", "also", "in", "according", "by", "for", "until", "since", "from", "to", "at", "on",
                   "the", "a", "an", "of", "with", "during", "after", "before", "under"}


@dataclass(frozen=True)
class Analysis:
    """What a question asks: the kind of answer, its focus terms (stemmed) and the names it mentions."""

    text: str
    wants: Wants
    focus: tuple[str, ...]
    entities: tuple[str, ...]
    unit: str = ""  # what a "how many" question counts (stemmed), or "age" for "how old"
    tokens: frozenset[str] = frozenset()  # every stemmed content word of the question, generic ones included


def wants(question: str) -> Wants:
    """The kind of answer a question asks for."""
    for kind, pattern in _WANTS:
        if pattern.search(question):
            return kind
    return Wants.OTHER


def entities(question: str) -> tuple[str, ...]:
    """Capitalised names in a question (its first word only when it is not a question word)."""
    found = []
    for match in _ENTITY.finditer(question):
        words = match.group(0).split()
        if match.start() == len(question) - len(question.lstrip(" \"'“‘(")):
            words = words[1:]  # a question's first word is capitalised whatever it is
        while words and words[0].lower().strip(".") in _QUESTION_WORDS:
            words = words[1:]
        name = re.sub(r"['’]s$", "", " ".join(words)).strip(".’'")
        if name and name.lower() not in _QUESTION_WORDS:
            found.append(name)
    return tuple(dict.fromkeys(found))


_UNIT = re.compile(r"\bhow (?:many|much) ([a-z][\w-]*)", re.I)
_AGE = re.compile(r"\bhow old\b|\bwhat age\b|\bage of\b", re.I)


def unit(question: str) -> str:
    """What a "how many/much" question counts, stemmed ("homes" -> "home"); "age" for "how old"."""
    if _AGE.search(question):
        return "age"
    match = _UNIT.search(question)
    if not match:
        return ""
    stems = tokenize([match.group(1)])[0]
    return stems[0] if stems and stems[0] not in _GENERIC else ""


def analyze(question: str) -> Analysis:
    """Wanted answer kind, focus terms and names of a question."""
    tokens = tokenize([question])[0]
    focus = tuple(t for t in dict.fromkeys(tokens) if t not in _GENERIC)
    return Analysis(question, wants(question), focus, entities(question), unit(question), frozenset(tokens))


@dataclass(frozen=True)
class Question:
    """A question as searched: cleaned, cut to what the model reads, with notes on what was changed."""

    text: str
    notes: tuple[str, ...] = ()


def clean_question(text: object) -> str:
    """A question with control characters and runs of whitespace removed; UserError when nothing is left."""
    if not isinstance(text, str):
        raise UserError("the question must be text")
    clean = tidy(text[:MAX_QUESTION_CHARS])
    if not any(ch.isalnum() for ch in clean):
        what = "has no words (only symbols or punctuation)" if clean else "is empty"
        raise UserError(f"the question {what}: type a question, e.g. \"Why does Russia engage the Taliban?\"")
    return clean


def prepare_question(text: object, truncate: Callable[[str], tuple[str, bool]]) -> Question:
    """Clean a question, refuse an empty one, cut a long one to what the model reads (`truncate`: the encoder's)."""
    clean = clean_question(text)
    cut, was_cut = truncate(clean)
    notes: tuple[str, ...] = ()
    if was_cut or len(str(text)) > MAX_QUESTION_CHARS:
        notes = (f"The question was cut to its first {len(cut):,} of {len(str(text)):,} characters, which is what the "
                 "model reads.",)
    return Question(cut, notes)
