"""Fit the reader's sentence weights on one question set and test them on another (and both ways round).

    python bench/reader_fit.py            # features of every candidate sentence of both corpora, fitted each way

For each answerable question the reader's candidates (sentences of the top passages) are labelled by whether they
contain a gold snippet; a logistic regression on the reader's features is fitted on one corpus and scored by
top-1 accuracy (the first sentence holds the answer) on the other.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from qa import Settings, open_engine, runtime  # noqa: E402
from qa.answering import gather  # noqa: E402
from qa.conversation import Turn  # noqa: E402
from qa.question import analyze  # noqa: E402
from qa.reader import BIAS, FEATURES, WEIGHTS, read  # noqa: E402
from qa.retrieve import Filters  # noqa: E402
from qa.text import fold  # noqa: E402

SETS = {
    "russia-taliban": (ROOT / "corpus", ["russia-taliban.jsonl", "near-topic.jsonl", "russia-taliban-followups.jsonl"]),
    "other-news": (ROOT / "bench" / "corpora" / "other-news", ["other-news.jsonl", "other-news-near-topic.jsonl"]),
}


def holds(sentence: str, gold: list[str]) -> bool:
    """Whether a sentence contains a gold snippet (or, for a snippet longer than a sentence, lies inside it)."""
    s = fold(sentence)
    return any(fold(g) in s or (len(s) > 30 and s in fold(g)) for g in gold)


def collect(name: str) -> list[dict]:
    """Candidate features and labels for every answerable question of one corpus."""
    corpus, files = SETS[name]
    engine = open_engine(replace(Settings.load(), corpus=corpus, index_dir=None))
    out = []
    for f in files:
        for line in (ROOT / "bench" / "queries" / f).read_text().splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            if not q.get("gold"):
                continue
            turns: list[Turn] = []
            for h in q.get("history", []):
                a = engine.ask(h, turns)
                turns.append(Turn(h, tuple(c.passage_id for c in a.citations if not c.weak)))
            text = engine.question(q["question"]).text
            _, _, vectors, hits = gather(engine.library, engine.encoder, text, turns, "hybrid", 5, Filters(), {})
            cands = read(engine.library, analyze(text), hits, vectors)
            out.append({"id": q["id"], "question": text, "X": np.array([c.features for c in cands]),
                        "y": np.array([holds(c.text, q["gold"]) for c in cands]),
                        "texts": [c.text for c in cands]})
    return out


def top1(data: list[dict], w: np.ndarray, b: float) -> float:
    """Share of questions whose best-scored candidate holds the answer."""
    hits = [bool(d["y"][int(np.argmax(d["X"] @ w + b))]) if len(d["y"]) else False for d in data]
    return sum(hits) / max(1, len(hits))


def fit(data: list[dict], c: float = 0.01) -> tuple[np.ndarray, float]:
    """Pairwise logistic regression (each answering sentence against each other candidate of its question), for
    ranking; then a Platt scaling of that score over all candidates, so the score reads as a probability."""
    from sklearn.linear_model import LogisticRegression  # offline fitting only: the app never imports sklearn

    pairs, labels = [], []
    for d in data:
        if not d["y"].any() or d["y"].all():
            continue
        for good in d["X"][d["y"]]:
            for bad in d["X"][~d["y"]]:
                pairs += [good - bad, bad - good]
                labels += [1, 0]
    ranker = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(np.array(pairs), np.array(labels))
    w = ranker.coef_[0]
    rows = [d for d in data if len(d["y"])]
    s = np.concatenate([d["X"] @ w for d in rows]).reshape(-1, 1)
    y = np.concatenate([d["y"] for d in rows])
    platt = LogisticRegression(C=1.0, max_iter=2000).fit(s, y)
    scale = float(platt.coef_[0][0])
    return w * scale, float(platt.intercept_[0])


def main() -> None:
    """Collect both corpora, then report reachable answers, the shipped weights and each fit."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=0.01, help="inverse regularisation strength of the ranker")
    args = parser.parse_args()
    runtime.setup(verbose=False)
    data = {name: collect(name) for name in SETS}
    for name, rows in data.items():
        reach = sum(bool(d["y"].any()) for d in rows)
        print(f"{name}: {len(rows)} answerable questions, gold among candidates for {reach}")
        print(f"  shipped weights: first sentence right {top1(rows, WEIGHTS, BIAS):.3f}")
    both = data["russia-taliban"] + data["other-news"]
    for train, test in (("russia-taliban", "other-news"), ("other-news", "russia-taliban")):
        w, b = fit(data[train], args.c)
        print(f"fit on {train}: train {top1(data[train], w, b):.3f}, test on {test} {top1(data[test], w, b):.3f}")
    w, b = fit(both, args.c)
    print(f"fit on both: {top1(data['russia-taliban'], w, b):.3f} / {top1(data['other-news'], w, b):.3f}")
    print("weights:", ", ".join(f"{n}={v:.2f}" for n, v in zip(FEATURES, w)), f"bias={b:.2f}")
    print("as code: WEIGHTS = np.array([" + ", ".join(f"{v:.3f}" for v in w) + f"])\nBIAS = {b:.3f}")


if __name__ == "__main__":
    main()
