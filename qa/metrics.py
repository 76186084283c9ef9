"""IR metrics (recall@k, MRR, nDCG) computed with ranx, and latency percentiles."""

from __future__ import annotations

import warnings
from collections.abc import Mapping, Sequence

import numpy as np

DEFAULT_METRICS = ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10")


def ir_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> dict[str, float]:
    """Mean of each metric over the queries that have relevant documents (ranx); queries with no results count 0."""
    from ranx import Qrels, Run, evaluate

    judged = {q: {d: int(r) for d, r in docs.items()} for q, docs in qrels.items() if any(r > 0 for r in docs.values())}
    if not judged:
        return {m: 0.0 for m in metrics}
    # ranx needs every query in both: a query that retrieved nothing gets an empty-ish run entry.
    ranked = {q: dict(run.get(q, {})) or {"__none__": 0.0} for q in judged}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        scores = evaluate(Qrels(judged), Run(ranked), list(metrics), make_comparable=True)
    if isinstance(scores, float):
        scores = {metrics[0]: scores}
    return {m: float(scores[m]) for m in metrics}


def ranked_run(ranking: Sequence[str]) -> dict[str, float]:
    """A ranked list of ids as a ranx run entry (descending scores that keep the order, ties impossible)."""
    n = len(ranking)
    return {doc: float(n - i) for i, doc in enumerate(ranking)}


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50 and p95 of latency samples in milliseconds."""
    if not samples_ms:
        return {"p50": 0.0, "p95": 0.0}
    values = np.asarray(samples_ms, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}
