"""Ranking passages for a question: BM25, dense (passage and best sentence), and their fusion (filters: qa.search.filters)."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np

from qa.index.library import Library
from qa.ingest.chunking import Passage
from qa.search.filters import Filters, allowed_rows

# Which signals each mode fuses, and with what weight (min-max normalised over the candidate pool).
# Chosen by measurement on bench/queries/russia-taliban.jsonl and the SciFact train split: see BENCHMARKS.md.
MODE_WEIGHTS: dict[str, dict[str, float]] = {
    "bm25": {"bm25": 1.0},
    "dense": {"dense": 0.5, "sentence": 0.5},
    "hybrid": {"bm25": 0.3, "dense": 0.3, "sentence": 0.4},
}
# Candidates per signal: min-max scaling over a pool this deep was best on SciFact train (50: 0.745, 200: 0.749).
POOL_MIN = 200
POOL_PER_K = 5
SENTENCE_POOL_FACTOR = 4


@dataclass(frozen=True)
class Hit:
    """A ranked passage: its fused score, rank (1-based) and the score of each signal that made it."""

    passage: Passage
    score: float
    rank: int
    signals: dict[str, float] = field(default_factory=dict, compare=False)

    def to_dict(self) -> dict:
        """Plain-JSON form for `--json` and the API."""
        article = self.passage.article
        return {
            "rank": self.rank, "score": round(self.score, 6), "id": self.passage.id,
            "signals": {k: round(v, 6) for k, v in self.signals.items()},
            "title": article.title if article else None, "publisher": article.publisher if article else None,
            "date": article.date if article else None, **self.passage.to_dict(),
        }


def minmax(values: np.ndarray) -> np.ndarray:
    """Scale to [0, 1]; a constant vector becomes all zeros (it tells nothing apart)."""
    if len(values) == 0:
        return values.astype(np.float64)
    low, high = float(values.min()), float(values.max())
    if high - low <= 1e-12:
        return np.zeros(len(values))
    return (values - low) / (high - low)


def fuse(signals: dict[str, np.ndarray], weights: dict[str, float]) -> np.ndarray:
    """Weighted sum of min-max normalised signal scores over the same candidates."""
    total = np.zeros(len(next(iter(signals.values()))))
    for name, weight in weights.items():
        total += weight * minmax(np.asarray(signals[name], dtype=np.float64))
    return total


def order(scores: np.ndarray, ids: list[str]) -> np.ndarray:
    """Indices by descending score, ties broken by passage id so results are deterministic."""
    if not len(ids):
        return np.zeros(0, dtype=np.int64)
    # numpy's sorts rather than a Python key function: a large archive's pool holds a thousand candidates or more
    by_id = np.argsort(np.array(ids), kind="stable")
    id_rank = np.empty(len(ids), dtype=np.int64)
    id_rank[by_id] = np.arange(len(ids))
    return np.lexsort((id_rank, -np.round(np.asarray(scores, dtype=np.float64), 9))).astype(np.int64)


def _sentence_max(library: Library, query: np.ndarray, rows: np.ndarray) -> np.ndarray:
    """Best sentence cosine of each candidate passage (0 for a passage without sentences)."""
    bounds = library.sentence_bounds
    starts, ends = bounds[rows], bounds[rows + 1]
    counts = ends - starts
    out = np.zeros(len(rows))
    if not counts.sum():
        return out
    flat = np.repeat(starts - np.cumsum(counts) + counts, counts) + np.arange(int(counts.sum()))
    cos = library.sentence_vectors.vectors(flat) @ query
    has = counts > 0
    out[has] = np.maximum.reduceat(cos, (np.cumsum(counts) - counts)[has])
    return out


def top_rows(scores: np.ndarray, n: int) -> np.ndarray:
    """Positions of the n highest scores, best first, ties in position order: a full stable sort's first n, found
    without sorting everything (a million BM25 scores take ~80 ms to sort, ~5 ms to partition)."""
    if len(scores) <= n:
        return np.argsort(-scores, kind="stable")
    kth = np.partition(scores, len(scores) - n)[len(scores) - n]
    above = np.flatnonzero(scores > kth)
    picked = np.concatenate([above, np.flatnonzero(scores == kth)[: n - len(above)]])
    return picked[np.argsort(-scores[picked], kind="stable")]


def candidates(library: Library, query: np.ndarray | None, bm25: np.ndarray | None, signals: set[str], pool: int,
               allowed: np.ndarray | None) -> np.ndarray:
    """Union of each signal's top `pool` passage rows."""
    found = [np.zeros(0, dtype=np.int64)]
    if bm25 is not None:
        scores = bm25 if allowed is None else bm25[allowed]
        # Only passages sharing a word with the question can be candidates; ranking just those is the same as
        # ranking all and dropping zeros, and far cheaper on a large archive where most passages score 0.
        positive = np.flatnonzero(scores > 0)
        top = positive[top_rows(scores[positive], pool)]
        found.append(top if allowed is None else allowed[top])
    if query is not None and "dense" in signals:
        found.append(library.vectors.search(query, pool, allowed)[1])
    if query is not None and "sentence" in signals and len(library.sentences):
        sent_allowed = None
        if allowed is not None:
            sent_allowed = np.flatnonzero(np.isin(library.sentences.passage, allowed))
        _, rows = library.sentence_vectors.search(query, pool * SENTENCE_POOL_FACTOR, sent_allowed)
        found.append(library.sentences.passage[rows])
    return np.unique(np.concatenate([np.asarray(f, dtype=np.int64) for f in found]))


def retrieve(
    library: Library,
    question: str,
    query: np.ndarray | None,
    *,
    mode: str = "hybrid",
    k: int = 5,
    filters: Filters = Filters(),
    weights: dict[str, float] | None = None,
    timings: dict[str, float] | None = None,
) -> list[Hit]:
    """The top-k passages for a question (its text for BM25, its vector for dense search).

    With `timings`, adds the milliseconds spent finding candidates ("search") and scoring and fusing them ("fusion").
    """
    began = time.perf_counter()
    weights = weights or MODE_WEIGHTS[mode]
    used = {s for s, w in weights.items() if w}
    allowed = allowed_rows(library, filters)
    if not library.passages or (allowed is not None and len(allowed) == 0):
        return []
    bm25 = library.lexical.scores(question) if "bm25" in used else None
    dense_query = query if used & {"dense", "sentence"} else None
    pool = max(POOL_MIN, POOL_PER_K * k)
    rows = candidates(library, dense_query, bm25, used, pool, allowed)
    searched = time.perf_counter()
    if timings is not None:
        timings["search"] = timings.get("search", 0.0) + (searched - began) * 1000
    if len(rows) == 0:
        return []
    values: dict[str, np.ndarray] = {}
    if bm25 is not None:
        values["bm25"] = bm25[rows]
    if dense_query is not None:
        values["dense"] = library.vectors.vectors(rows) @ dense_query
        if "sentence" in used:
            values["sentence"] = _sentence_max(library, dense_query, rows)
    fused = fuse(values, {s: weights[s] for s in used})
    # Only candidates scoring at least the k-th best can be in the top k: their ids alone break the ties.
    rounded = np.round(fused, 9)
    reach = np.arange(len(rows)) if len(rows) <= k else np.flatnonzero(rounded >= -np.partition(-rounded, k - 1)[k - 1])
    ranked = reach[order(fused[reach], [library.passages[int(rows[i])].id for i in reach])][:k]
    if timings is not None:
        timings["fusion"] = timings.get("fusion", 0.0) + (time.perf_counter() - searched) * 1000
    return [
        Hit(
            passage=library.passages[int(rows[i])],
            score=float(fused[i]),
            rank=rank,
            signals={name: float(v[i]) for name, v in values.items()},
        )
        for rank, i in enumerate(ranked, start=1)
    ]


def with_earlier_citations(library: Library, hits: list[Hit], cited: Sequence[str]) -> list[Hit]:
    """Hits with the passages an earlier answer cited moved to the top (a follow-up like "Who said that?")."""
    if not cited:
        return hits
    top = max((h.score for h in hits), default=1.0)
    known = {h.passage.id: h for h in hits}
    front = []
    for pid in cited:
        row = library.rows.get(pid)
        if row is None:
            continue
        old = known.pop(pid, None)
        front.append(Hit(library.passages[row], top, 0, dict(old.signals) if old else {}))
    rest = [h for h in hits if h.passage.id in known]
    return [Hit(h.passage, h.score, i, h.signals) for i, h in enumerate(front + rest, start=1)]
