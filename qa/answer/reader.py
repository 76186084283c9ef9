"""The reader: scores the sentences of the top passages for answering the question, not only for resembling it."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.evidence import has_evidence, leans_back
from qa.answer.question import Analysis, Wants
from qa.index.library import Library
from qa.ingest.chunking import Passage
from qa.search.retrieve import Hit
from qa.text import fold

CANDIDATE_PASSAGES = 8
# Why and how questions read deeper: their reasons are spread over more passages and articles.
REASON_PASSAGES = 30
FEATURES = ("cosine", "cosine_gap", "passage_rank", "sentence_cover", "paragraph_cover", "names", "evidence",
            "novelty", "leans_back", "short", "first", "retrieval", "best_in_passage")
# Fitted on both corpora's questions by `python bench/reader_fit.py` (a pairwise ranker, then Platt scaling so a
# score reads as the probability that the sentence answers); fitted-on-one, tested-on-the-other in BENCHMARKS.md.
WEIGHTS = np.array([0.797, 0.797, 2.241, 1.189, 1.184, 0.273, 1.794, -0.184, 0.044, -0.167, -0.351, 1.311, 0.774])
BIAS = -7.012
NO_EVIDENCE_KINDS = (Wants.OTHER, Wants.YESNO, Wants.MANNER)


@dataclass(frozen=True)
class Candidate:
    """A sentence of a retrieved passage, its features and the reader's score (a probability that it answers)."""

    passage: Passage
    hit: Hit
    row: int
    start: int
    end: int
    cosine: float
    evidence: float  # the best of the sentence's cosines to the question's vectors (alone, and with the conversation)
    features: tuple[float, ...]
    score: float
    tokens: frozenset[str]
    before: str = ""  # the sentence before it in its passage, verbatim ("" for the first): a trained reader's context

    @property
    def text(self) -> str:
        """The sentence, verbatim."""
        return self.passage.text[self.start:self.end]


def coverage(terms: Sequence[str], tokens: frozenset[str] | set[str], idf: dict[str, float], unknown: float) -> float:
    """The idf-weighted share of `terms` found in `tokens` (1.0 when there are no terms)."""
    if not terms:
        return 1.0
    total = sum(idf.get(t, unknown) for t in terms)
    return sum(idf.get(t, unknown) for t in terms if t in tokens) / total if total else 1.0


def names_found(names: Sequence[str], folded: str) -> float:
    """The share of the question's names found verbatim in a text already `fold`ed; 1.0 when it names nothing."""
    if not names:
        return 1.0
    return sum(fold(n) in folded for n in names) / len(names)


def logistic(x: float) -> float:
    """The logistic function, safe for large |x|."""
    return 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, x))))


def features(analysis: Analysis, sentence: str, tokens: frozenset[str], paragraph_tokens: frozenset[str],
             paragraph: str, cosine: float, best_cosine: float, rank: int, first: bool,
             idf: dict[str, float], unknown: float, retrieval: float = 1.0, passage_best: float = 0.0) -> tuple[float, ...]:
    """The reader's signals for one sentence, in the order of FEATURES."""
    q_tokens = analysis.tokens
    new = len(tokens - q_tokens) / len(tokens) if tokens else 0.0
    wanted = 0.0 if analysis.wants in NO_EVIDENCE_KINDS else float(has_evidence(analysis.wants, sentence, analysis))
    return (
        cosine,
        cosine - best_cosine,
        1.0 / rank,
        coverage(analysis.focus, tokens, idf, unknown),
        coverage(analysis.focus, paragraph_tokens, idf, unknown),
        names_found(analysis.entities, paragraph),  # the paragraph, folded once by the caller
        wanted,
        new,
        float(leans_back(sentence)),
        float(len(sentence.split()) < 6),
        float(first),
        retrieval,
        float(cosine >= passage_best),
    )


def score(values: Sequence[float], weights: np.ndarray = WEIGHTS, bias: float = BIAS) -> float:
    """The reader's probability that a sentence answers, from its features."""
    return logistic(float(np.dot(weights, values)) + bias)


def reading_depth(wants: Wants) -> int:
    """How many of the top passages the reader reads for a question wanting this kind of answer."""
    return REASON_PASSAGES if wants in (Wants.REASON, Wants.MANNER) else CANDIDATE_PASSAGES


def read(library: Library, analysis: Analysis, hits: Sequence[Hit], queries: np.ndarray,
         depth: int = CANDIDATE_PASSAGES, weights: np.ndarray = WEIGHTS, bias: float = BIAS) -> list[Candidate]:
    """Every sentence of the top passages with its features and score, best first.

    `queries` holds one vector, or for a follow-up two (the question with the conversation, and alone): a
    sentence's cosine is their mean.
    """
    queries = queries.reshape(-1, queries.shape[-1])
    idf = library.idf
    unknown = math.log(1.0 + (len(library.passages) + 0.5) / 0.5)
    rows_by_hit = []
    for hit in hits[:depth]:
        row = library.rows[hit.passage.id]
        rows_by_hit.append((hit, np.array(list(library.sentence_rows[row]), dtype=np.int64)))
    flat = np.concatenate([r for _, r in rows_by_hit]) if rows_by_hit else np.zeros(0, dtype=np.int64)
    if len(flat) == 0:
        return []
    both = library.sentence_vectors.vectors(flat) @ queries.T
    cosines, strongest = both.mean(axis=1), both.max(axis=1)
    best = float(cosines.max())
    texts = [library.passages[int(library.sentences.passage[r])].text[library.sentences.start[r]:library.sentences.end[r]]
             for r in flat]
    token_sets = library.tokens([("s", int(r)) for r in flat], texts)
    out: list[Candidate] = []
    pos = 0
    top = max((h.score for h, _ in rows_by_hit), default=0.0) or 1.0
    for rank, (hit, rows) in enumerate(rows_by_hit, start=1):
        p = hit.passage
        context = (p.article.title if p.article else "") + " " + (p.section or "") + " " + p.text
        para_tokens = library.tokens([("p", library.rows[p.id])], [context])[0]
        folded = fold(context)
        passage_best = float(cosines[pos:pos + len(rows)].max()) if len(rows) else 0.0
        for i, r in enumerate(rows):
            text, toks, cos = texts[pos], token_sets[pos], float(cosines[pos])
            values = features(analysis, text, toks, para_tokens, folded, cos, best, rank, i == 0, idf, unknown,
                              max(0.0, hit.score) / top, passage_best)
            out.append(Candidate(p, hit, int(r), int(library.sentences.start[r]), int(library.sentences.end[r]),
                                 cos, float(strongest[pos]), values, score(values, weights, bias), toks,
                                 texts[pos - 1] if i > 0 else ""))
            pos += 1
    out.sort(key=lambda c: (-c.score, c.passage.id, c.start))
    return out
