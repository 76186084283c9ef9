"""Extractive answers: the best sentences of the top passages, each cited [n], or "not in the sources"."""

from __future__ import annotations

import re
import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.chunking import Passage
from qa.lexical import tokenize
from qa.library import Library
from qa.retrieve import Hit

MAX_SENTENCES = 4
CANDIDATE_PASSAGES = 8
# How a sentence's score is made (chosen on the shipped question set: see BENCHMARKS.md).
W_COSINE = 0.6
W_OVERLAP = 0.25
W_PASSAGE = 0.15
KIND_BONUS = 0.08
SHORT_PENALTY = 0.1
# A further sentence joins the answer only if it scores this close to the best one.
KEEP_RATIO = {"why": 0.8, "how": 0.8}
KEEP_RATIO_DEFAULT = 0.9
LIMIT = {"why": 4, "how": 3}
LIMIT_DEFAULT = 2
# Two sentences this similar say the same thing; keep one.
DUPLICATE_COSINE = 0.9
DUPLICATE_JACCARD = 0.6
SAME_ARTICLE_PENALTY = 0.03
WEAK_PASSAGES = 3

NOT_IN_SOURCES = "The articles don't answer this question. The closest passages are listed below, marked as weak."

_KINDS = (
    ("number", re.compile(r"\bhow (many|much|long|far|old|large|big)\b|\bwhat (percentage|percent|share|number|proportion|amount|fraction)\b", re.I)),
    ("date", re.compile(r"^\W*(when)\b|\b(what|which|in what) (year|month|decade|date)\b|\bsince when\b", re.I)),
    ("name", re.compile(r"^\W*(and )?(who|whom|whose)\b|\bwhich (expert|official|analyst|leader|diplomat|person|man|woman|country|countries|organi[sz]ation|group|newspaper|agency|minister|commander|city|province|state)\b|\bwhat is the name\b|\bname the\b", re.I)),
    ("why", re.compile(r"^\W*(and )?why\b|\bfor what reasons?\b|\bwhat (are|were) the reasons?\b|\bwhat (motivates|drives|explains)\b|\breasons?\b", re.I)),
    ("place", re.compile(r"^\W*(and )?where\b|\b(in )?(what|which) (place|city|country|province|region|base)\b", re.I)),
    ("how", re.compile(r"^\W*(and )?how\b", re.I)),
)
_DIGIT = re.compile(r"\d|\b(one|two|three|four|five|six|seven|eight|nine|ten|dozen|hundred|thousand|million|billion|half)\b", re.I)
_MONTH_OR_YEAR = re.compile(r"\b(1[89]\d\d|20\d\d)\b|\b(january|february|march|april|may|june|july|august|september|october|november|december|last year|last week)\b", re.I)
_PLACE = re.compile(r"\b(in|at|near|from|to) (the )?([A-Z][a-z]+|[a-z]+ (base|province|city|capital|border))\b")
_NAME = re.compile(r"(?<!^)(?<![.!?]\s)\b[A-Z][a-z]+(?:\s+[A-Z]\.)*\s+[A-Z][a-z]+")


@dataclass(frozen=True)
class Citation:
    """A cited passage: where it is, what it says, and the offsets of its supporting sentence(s) within it."""

    marker: int
    passage_id: str
    doc_id: str
    n: int
    title: str
    publisher: str | None
    date: str | None
    path: str
    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]
    score: float
    rank: int
    section: str | None = None
    weak: bool = False
    page: int | None = None  # a PDF's page the paragraph starts on

    @property
    def sentence(self) -> str:
        """The first supporting sentence (empty for a weak citation with none)."""
        if not self.highlights:
            return ""
        a, b = self.highlights[0]
        return self.text[a:b]

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "marker": self.marker, "passage_id": self.passage_id, "doc_id": self.doc_id, "paragraph": self.n,
            "page": self.page, "title": self.title, "publisher": self.publisher, "date": self.date, "path": self.path,
            "section": self.section, "score": self.score, "rank": self.rank, "weak": self.weak,
            "start": self.start, "end": self.end, "text": self.text,
            "highlights": [{"start": a, "end": b} for a, b in self.highlights],
        }


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, verbatim from a passage, and the marker of its citation."""

    text: str
    marker: int
    passage_id: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"text": self.text, "marker": self.marker, "passage_id": self.passage_id, "start": self.start,
                "end": self.end, "score": round(self.score, 6)}


@dataclass(frozen=True)
class Answer:
    """An answer: sentences with markers and the citations they lead to; or a message saying why there is none."""

    question: str
    status: str  # "answered", "not_in_sources" or "invalid"
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    message: str = ""
    notes: tuple[str, ...] = ()
    search_text: str = ""
    follow_up: bool = False
    evidence: float = 0.0
    threshold: float = 0.0
    mode: str = "hybrid"
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    @property
    def answered(self) -> bool:
        """Whether the articles answered the question."""
        return self.status == "answered"

    @property
    def text(self) -> str:
        """The answer as plain text with [n] markers, or the message."""
        if not self.sentences:
            return self.message
        return " ".join(f"{s.text} [{s.marker}]" for s in self.sentences)

    def to_dict(self) -> dict:
        """Plain-JSON form (the `--json` output and the API's)."""
        return {
            "question": self.question, "status": self.status, "answer": self.text, "message": self.message,
            "sentences": [s.to_dict() for s in self.sentences], "citations": [c.to_dict() for c in self.citations],
            "notes": list(self.notes), "search_text": self.search_text, "follow_up": self.follow_up,
            "evidence": round(self.evidence, 6), "threshold": self.threshold, "mode": self.mode,
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }


@dataclass(frozen=True)
class Candidate:
    """A sentence considered for the answer."""

    passage: Passage
    hit: Hit
    row: int
    start: int
    end: int
    cosine: float
    evidence: float
    score: float
    tokens: frozenset[str]


def question_kind(question: str) -> str:
    """number, date, name, why, place, how or other: what kind of answer the question wants."""
    for kind, pattern in _KINDS:
        if pattern.search(question):
            return kind
    return "other"


def kind_bonus(kind: str, sentence: str) -> float:
    """A sentence holding what the question asks for (a number, a date, a name) goes first."""
    if kind == "number" and _DIGIT.search(sentence):
        return KIND_BONUS
    if kind == "date" and _MONTH_OR_YEAR.search(sentence):
        return KIND_BONUS
    if kind == "name" and _NAME.search(sentence):
        return KIND_BONUS
    if kind == "place" and _PLACE.search(sentence):
        return KIND_BONUS
    return 0.0


def sentence_score(cosine: float, overlap: float, passage_score: float, bonus: float, words: int) -> float:
    """How well a sentence answers: its similarity, shared words, its passage's rank score and kind bonus."""
    score = W_COSINE * cosine + W_OVERLAP * overlap + W_PASSAGE * passage_score + bonus
    return score - (SHORT_PENALTY if words < 5 else 0.0)


def candidates(library: Library, hits: Sequence[Hit], queries: np.ndarray, question: str, kind: str) -> list[Candidate]:
    """Every sentence of the top passages, scored against the question.

    `queries` holds one vector, or for a follow-up two (the question with the conversation, and alone): a sentence's
    cosine is their mean, and its evidence their maximum.
    """
    queries = queries.reshape(-1, queries.shape[-1])
    q_tokens = set(tokenize([question])[0])
    out: list[Candidate] = []
    for hit in hits[:CANDIDATE_PASSAGES]:
        row = library.rows[hit.passage.id]
        rows = np.array(list(library.sentence_rows[row]), dtype=np.int64)
        if len(rows) == 0:
            continue
        cosines = library.sentence_vectors.vectors(rows) @ queries.T
        texts = [hit.passage.text[library.sentences.start[r]:library.sentences.end[r]] for r in rows]
        token_sets = tokenize(texts)
        for r, cos, text, toks in zip(rows, cosines, texts, token_sets):
            tokens = frozenset(toks)
            overlap = len(q_tokens & tokens) / len(q_tokens) if q_tokens else 0.0
            mean = float(cos.mean())
            score = sentence_score(mean, overlap, hit.score, kind_bonus(kind, text), len(text.split()))
            out.append(Candidate(hit.passage, hit, int(r), int(library.sentences.start[r]), int(library.sentences.end[r]),
                                 mean, float(cos.max()), score, tokens))
    out.sort(key=lambda c: (-c.score, c.passage.id, c.start))
    return out


def _similar(a: Candidate, b: Candidate, vectors: dict[int, np.ndarray]) -> bool:
    if a.tokens and b.tokens and len(a.tokens & b.tokens) / len(a.tokens | b.tokens) >= DUPLICATE_JACCARD:
        return True
    return float(vectors[a.row] @ vectors[b.row]) >= DUPLICATE_COSINE


def select(library: Library, pool: list[Candidate], kind: str) -> list[Candidate]:
    """Greedy choice of 1..LIMIT sentences: the best first, then close runners-up that add something new."""
    if not pool:
        return []
    limit = LIMIT.get(kind, LIMIT_DEFAULT)
    floor = pool[0].score * KEEP_RATIO.get(kind, KEEP_RATIO_DEFAULT)
    vectors = dict(zip((c.row for c in pool), library.sentence_vectors.vectors(np.array([c.row for c in pool]))))
    chosen = [pool[0]]
    rest = [c for c in pool[1:] if c.score >= floor]
    while rest and len(chosen) < limit:
        used_docs = {c.passage.doc_id for c in chosen}
        best = max(rest, key=lambda c: (c.score - (SAME_ARTICLE_PENALTY if c.passage.doc_id in used_docs else 0.0), -rest.index(c)))
        rest.remove(best)
        if any(_similar(best, c, vectors) for c in chosen):
            continue
        chosen.append(best)
    return chosen


def citation_for(hit: Hit, marker: int, highlights: Sequence[tuple[int, int]] = (), weak: bool = False) -> Citation:
    """The citation of a retrieved passage, with the spans of its supporting sentences."""
    p = hit.passage
    a = p.article
    return Citation(
        marker=marker, passage_id=p.id, doc_id=p.doc_id, n=p.n, title=a.title if a else p.doc_id,
        publisher=a.publisher if a else None, date=a.date if a else None, path=a.path if a else "",
        text=p.text, start=p.start, end=p.end, highlights=tuple(sorted(highlights)), score=hit.score,
        rank=hit.rank, section=p.section, weak=weak, page=p.page,
    )


def compose(
    library: Library,
    question: str,
    hits: Sequence[Hit],
    queries: np.ndarray,
    threshold: float,
) -> tuple[str, list[AnswerSentence], list[Citation], float]:
    """(status, sentences, citations, evidence) for retrieved hits; abstains when the best sentence is too weak."""
    kind = question_kind(question)
    pool = candidates(library, hits, queries, question, kind)
    evidence = max((c.evidence for c in pool), default=0.0)
    if not pool or evidence < threshold:
        weak = []
        for i, hit in enumerate(hits[:WEAK_PASSAGES], start=1):
            best = next((c for c in pool if c.passage.id == hit.passage.id), None)
            weak.append(citation_for(hit, i, [(best.start, best.end)] if best else [], weak=True))
        return "not_in_sources", [], weak, evidence
    chosen = select(library, pool, kind)
    markers: dict[str, int] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    sentences = []
    for c in chosen:
        marker = markers.setdefault(c.passage.id, len(markers) + 1)
        spans.setdefault(c.passage.id, []).append((c.start, c.end))
        sentences.append(AnswerSentence(c.passage.text[c.start:c.end], marker, c.passage.id, c.start, c.end, c.score))
    by_id = {c.passage.id: c.hit for c in chosen}
    citations = [citation_for(by_id[pid], m, spans[pid]) for pid, m in markers.items()]
    return "answered", sentences, citations, evidence


def elapsed_ms(began: float) -> float:
    """Milliseconds since a perf_counter reading."""
    return (time.perf_counter() - began) * 1000.0
