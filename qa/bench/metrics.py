"""The metrics: rank metrics (recall@k, MRR, nDCG as trec_eval defines them), answer and abstention rates, latency."""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence

import numpy as np

from qa import Status
from qa.bench.results import QueryRun

DEFAULT_METRICS = ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10")
RANK_METRICS = DEFAULT_METRICS
# Measured on the answers, not the rankings: first_sentence is the share of answerable questions whose answer's
# first sentence holds a gold snippet, first_passage the share whose first sentence comes from a relevant paragraph
# (an abstention counts as wrong in both); near_topic the share of unanswerable questions about the articles' own
# subjects answered "partial" or "not in the sources"; reason_coverage the share of listed reasons (up to 4) an
# answer gives, over questions whose gold lists several; confident_right the share of answers whose first sentence
# has a support of at least CONFIDENT (answerable and near-topic questions) that hold the answer: what a high support
# score promises.
ANSWER_METRICS = ("first_sentence", "first_passage", "abstention", "near_topic", "false_abstention", "partial",
                  "reason_coverage", "confident_right")
CONFIDENT = 0.8


def _score(metric: str, judged: Mapping[str, int], ranking: Sequence[str]) -> float:
    """One query's recall@k, mrr@k or ndcg@k (linear gain, as trec_eval and ranx's "ndcg") for a ranking of ids."""
    name, _, cutoff = metric.partition("@")
    k = int(cutoff) if cutoff else None
    top = ranking[:k]
    gains = [judged.get(doc, 0) for doc in top]
    if name == "recall":
        return sum(g > 0 for g in gains) / sum(g > 0 for g in judged.values())
    if name == "mrr":
        return next((1.0 / rank for rank, g in enumerate(gains, start=1) if g > 0), 0.0)
    if name == "ndcg":
        ideal = sorted((g for g in judged.values() if g > 0), reverse=True)[:k]
        dcg = sum(g / math.log2(rank + 1) for rank, g in enumerate(gains, start=1) if g > 0)
        return dcg / sum(g / math.log2(rank + 1) for rank, g in enumerate(ideal, start=1))
    raise ValueError(f"unknown rank metric {metric!r}: use recall@k, mrr@k or ndcg@k")


def ir_metrics(
    qrels: Mapping[str, Mapping[str, int]],
    run: Mapping[str, Mapping[str, float]],
    metrics: Sequence[str] = DEFAULT_METRICS,
) -> dict[str, float]:
    """Mean of each metric over the queries that have relevant documents; a query that retrieved nothing counts 0."""
    judged = {q: {d: int(r) for d, r in docs.items()} for q, docs in qrels.items() if any(r > 0 for r in docs.values())}
    if not judged:
        return {m: 0.0 for m in metrics}
    # Highest score first; ties (never made by ranked_run) broken by id so that the result does not depend on order.
    rankings = {q: sorted(run.get(q, {}).items(), key=lambda item: (-item[1], item[0])) for q in judged}
    return {m: sum(_score(m, judged[q], [d for d, _ in rankings[q]]) for q in judged) / len(judged) for m in metrics}


def ranked_run(ranking: Sequence[str]) -> dict[str, float]:
    """A ranked list of ids as a run entry (descending scores that keep the order, ties impossible)."""
    n = len(ranking)
    return {doc: float(n - i) for i, doc in enumerate(ranking)}


def percentiles(samples_ms: Sequence[float]) -> dict[str, float]:
    """p50 and p95 of latency samples in milliseconds."""
    if not samples_ms:
        return {"p50": 0.0, "p95": 0.0}
    values = np.asarray(samples_ms, dtype=np.float64)
    return {"p50": float(np.percentile(values, 50)), "p95": float(np.percentile(values, 95))}


def metric_names(k: int) -> tuple[str, ...]:
    """The rank metrics a ranking of depth k supports (a cutoff past k would repeat the last), then the answer ones."""
    return tuple(m for m in RANK_METRICS if int(m.split("@")[1]) <= k) + ANSWER_METRICS


def run_metrics(results: Sequence[QueryRun], relevant: Mapping[str, set[str]], k: int) -> dict[str, float]:
    """Rank metrics over the answerable questions with a relevant passage; abstention rates by kind of question."""
    qrels = {r.id: {pid: 1 for pid in relevant[r.id]} for r in results if r.answerable and relevant[r.id]}
    run = {r.id: ranked_run(r.ranked) for r in results if r.id in qrels}
    out = ir_metrics(qrels, run, [m for m in metric_names(k) if m not in ANSWER_METRICS])
    off = [r for r in results if not r.answerable and r.kind == "offtopic"]
    near = [r for r in results if not r.answerable and r.kind != "offtopic"]
    on = [r for r in results if r.answerable]
    with_gold = [r for r in on if relevant[r.id]]
    if off:
        out["abstention"] = sum(r.status == Status.NOT_IN_SOURCES for r in off) / len(off)
    if near:
        out["near_topic"] = sum(r.status in (Status.NOT_IN_SOURCES, Status.PARTIAL) for r in near) / len(near)
    if with_gold:
        out["first_sentence"] = sum(bool(r.first_sentence) for r in with_gold) / len(with_gold)
        out["first_passage"] = sum(bool(r.first_passage) for r in with_gold) / len(with_gold)
    if on:
        out["false_abstention"] = sum(r.status == Status.NOT_IN_SOURCES for r in on) / len(on)
        out["partial"] = sum(r.status == Status.PARTIAL for r in on) / len(on)
    confident = [r for r in on + near if r.support is not None and r.support >= CONFIDENT
                 and r.status != Status.NOT_IN_SOURCES and (not r.answerable or relevant[r.id])]
    if confident:
        out["confident_right"] = sum(bool(r.answerable and r.first_sentence) for r in confident) / len(confident)
    listed = [r.reasons for r in on if r.reasons]
    if listed:
        out["reason_coverage"] = sum(min(found, 4) / min(total, 4) for found, total in listed) / len(listed)
    return out
