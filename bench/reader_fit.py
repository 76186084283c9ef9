"""Fit the reader on the news corpora's questions, test it on the corpus it was not fitted on, and write the fit.

    python bench/reader_fit.py                              # the built-in reader's weights, fitted each way round
    python bench/reader_fit.py --model models/reader        # the trained reader: its logit beside the built-in signals
    python bench/reader_fit.py --model models/reader --write   # ...and the fit and thresholds into models/reader/reader.json

For each question the reader's candidates (sentences of the top passages) are labelled by whether they contain a
gold snippet. The built-in fit is a pairwise logistic regression on the reader's features, scaled (Platt) into a
probability; with --model the model's logit for the built-in reader's best `rescored` sentences is one more feature.
With the model, a question-level answerability is fitted on top (the best sentence's log-odds and the model's strongest
logit, answerable against near-topic and off-topic questions). Then two thresholds on it (on the best sentence's
probability without the model): below `abstain` a question is not in the sources (a fifth
below the weakest answerable question of either corpus), below `answered` it is partial (chosen for the near-topic
questions).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))

from qa import Filters, Settings, open_engine, runtime  # noqa: E402
from qa.answer import (  # noqa: E402 - the reader's features and fit: the internal API qa.answer names for this script
    BIAS,
    FEATURES,
    FIT_FILE,
    WEIGHTS,
    Fit,
    ReaderModel,
    Turn,
    analyses,
    analyze,
    gather,
    read,
    reading_depth,
)
from qa.index import Library  # noqa: E402
from qa.text import fold  # noqa: E402

SETS = {
    "russia-taliban": (ROOT / "corpus", ["russia-taliban.jsonl", "near-topic.jsonl", "russia-taliban-followups.jsonl"]),
    "other-news": (ROOT / "bench" / "corpora" / "other-news", ["other-news.jsonl", "other-news-near-topic.jsonl"]),
}
RESCORED = 16
# How far below the weakest answerable question "not in the sources" starts (a share of its score).
ABSTAIN_MARGIN = 0.2


def holds(sentence: str, gold: list[str]) -> bool:
    """Whether a sentence contains a gold snippet (or, for a snippet longer than a sentence, lies inside it)."""
    s = fold(sentence)
    return any(fold(g) in s or (len(s) > 30 and s in fold(g)) for g in gold)


def kind(q: dict) -> str:
    """answerable, near (written to look answerable, not answered) or off (another subject)."""
    if q.get("gold"):
        return "answerable"
    return "off" if q.get("type") == "offtopic" else "near"


def collect(name: str, model: ReaderModel | None, corpus: Path | None = None, files: list[Path] | None = None,
            extra: Callable[[Library, str, list], dict] | None = None) -> list[dict]:
    """Candidate features, model logits and labels for every question of one corpus; `extra(library, question,
    candidates)` adds fields of its own to each question's record."""
    if corpus is None:
        corpus, names = SETS[name]
        files = [ROOT / "bench" / "queries" / f for f in names]
    engine = open_engine(replace(Settings.load(), corpus=corpus, index_dir=None, reader="builtin"))
    out = []
    for f in files or []:
        for line in Path(f).read_text().splitlines():
            if not line.strip():
                continue
            q = json.loads(line)
            turns: list[Turn] = []
            for h in q.get("history", []):
                a = engine.ask(h, turns)
                turns.append(Turn(h, tuple(c.passage_id for c in a.citations if not c.weak)))
            text = engine.question(q["question"]).text
            own = analyze(text)
            depth = reading_depth(own.wants)
            follow, searched, vectors, hits = gather(engine.library, engine.encoder, text, turns, "hybrid", 5,
                                                     Filters(), {}, depth)
            analysis, _ = analyses(own, searched if follow else text)
            cands = read(engine.library, analysis, hits, vectors, depth)[:RESCORED]
            # As the engine asks it: a follow-up read with the conversation's question.
            asked = searched if follow else analysis.text
            logits = model.candidate_logits(asked, cands) if model else np.zeros(len(cands))
            out.append({"id": q["id"], "question": text, "kind": kind(q), "wants": str(own.wants),
                        "X": np.array([c.features for c in cands]).reshape(len(cands), len(FEATURES)),
                        "z": np.asarray(logits, dtype=float),
                        "y": np.array([holds(c.text, q.get("gold", [])) for c in cands], dtype=bool),
                        "texts": [c.text for c in cands],
                        **(extra(engine.library, asked, cands) if extra else {})})
    return out


def design(d: dict, with_model: bool) -> np.ndarray:
    """The fit's inputs for one question's candidates: the built-in features, and the model's logit."""
    return np.column_stack([d["X"], d["z"]]) if with_model else d["X"]


def top1(data: list[dict], w: np.ndarray, b: float, with_model: bool) -> float:
    """Share of answerable questions whose best-scored candidate holds the answer."""
    rows = [d for d in data if d["kind"] == "answerable"]
    hits = [bool(d["y"][int(np.argmax(design(d, with_model) @ w + b))]) if len(d["y"]) else False for d in rows]
    return sum(hits) / max(1, len(hits))


def fit(data: list[dict], with_model: bool, c: float = 0.01) -> tuple[np.ndarray, float]:
    """Pairwise logistic regression (each answering sentence against each other candidate of its question), for
    ranking; then a Platt scaling of that score over all candidates of every question, so it reads as a probability."""
    from sklearn.linear_model import LogisticRegression  # offline fitting only: the app never imports sklearn

    pairs, labels = [], []
    for d in data:
        if d["kind"] != "answerable" or not d["y"].any() or d["y"].all():
            continue
        X = design(d, with_model)
        for good in X[d["y"]]:
            for bad in X[~d["y"]]:
                pairs += [good - bad, bad - good]
                labels += [1, 0]
    ranker = LogisticRegression(C=c, fit_intercept=False, max_iter=5000).fit(np.array(pairs), np.array(labels))
    w = ranker.coef_[0]
    # Near-topic and off-topic questions' sentences are negatives too: the probability must fall where none answers.
    rows = [d for d in data if len(d["y"])]
    s = np.concatenate([design(d, with_model) @ w for d in rows]).reshape(-1, 1)
    y = np.concatenate([d["y"] for d in rows])
    platt = LogisticRegression(C=1.0, max_iter=2000).fit(s, y)
    scale = float(platt.coef_[0][0])
    return w * scale, float(platt.intercept_[0])


def best_scores(data: list[dict], w: np.ndarray, b: float, with_model: bool) -> list[tuple[str, float, bool]]:
    """(kind, best probability, whether that sentence holds the answer) per question."""
    out = []
    for d in data:
        if not len(d["y"]):
            out.append((d["kind"], 0.0, False))
            continue
        p = 1 / (1 + np.exp(-(design(d, with_model) @ w + b)))
        i = int(np.argmax(p))
        out.append((d["kind"], float(p[i]), bool(d["y"][i])))
    return out


def strongest(d: dict) -> float:
    """The model's strongest logit over a question's candidates."""
    return float(d["z"].max()) if len(d["z"]) else -40.0


def fit_verdict(data: list[dict], w: np.ndarray, b: float) -> tuple[float, float, float]:
    """The question-level answerability (answerable against near-topic and off-topic questions), a logistic model
    on the best sentence's log-odds and the model's strongest logit: the model's own reading is an absolute signal,
    where most built-in features only compare a question's candidates with each other."""
    from sklearn.linear_model import LogisticRegression

    rows = [d for d in data if len(d["y"])]
    X = np.array([[float((design(d, True) @ w + b).max()), strongest(d)] for d in rows])
    y = np.array([d["kind"] == "answerable" for d in rows])
    lr = LogisticRegression(C=1.0, max_iter=2000).fit(X, y)
    return float(lr.coef_[0][0]), float(lr.coef_[0][1]), float(lr.intercept_[0])


def verdict_scores(data: list[dict], w: np.ndarray, b: float, v: tuple[float, float, float]) -> list[tuple[str, float, bool]]:
    """(kind, answerability, whether the best sentence holds the answer) per question, as the engine's Fit computes it."""
    fit = Fit((), 0.0, 1.0, 0.0, verdict=v)
    return [(k, fit.answerability(p, strongest(d)) if len(d["y"]) else 0.0, r)
            for d, (k, p, r) in zip(data, best_scores(data, w, b, True))]


def thresholds(scores_by_corpus: dict[str, list[tuple[str, float, bool]]], near_goal: float = 0.7,
               margin: float = ABSTAIN_MARGIN) -> tuple[float, float]:
    """(abstain, answered): abstain `margin` below the lowest answerable question's score in every corpus, so that
    none is refused where it was fitted and a new corpus has room; answered, the lowest catching `near_goal` of
    near-topic questions in every corpus (or the highest that keeps answerable questions' partial share under a half)."""
    abstain = 1.0
    for scores in scores_by_corpus.values():
        answerable = [s for k, s, _ in scores if k == "answerable"]
        abstain = min(abstain, min(answerable, default=0.0))
    abstain = max(0.0, abstain * (1 - margin))
    answered = 0.0
    for scores in scores_by_corpus.values():
        near = sorted(s for k, s, _ in scores if k == "near")
        if near:
            answered = max(answered, near[min(len(near) - 1, int(np.ceil(near_goal * len(near))) - 1)] + 1e-6)
    cap = min(float(np.quantile([s for k, s, _ in scores if k == "answerable"], 0.5))
              for scores in scores_by_corpus.values())
    return abstain, max(abstain, min(answered, cap))


def report(name: str, scores: list[tuple[str, float, bool]], abstain: float, answered: float,
           support: list[tuple[str, float, bool]] | None = None) -> str:
    """How the thresholds split one corpus's questions (by `scores`), and a reliability table of the best sentence's
    probability (`support`, else `scores`): of the answerable and near-topic questions answered at that support, the
    share whose best sentence holds the answer."""
    ans = [(s, r) for k, s, r in scores if k == "answerable"]
    near = [s for k, s, _ in scores if k == "near"]
    lines = [f"{name}: false abstentions {sum(s < abstain for s, _ in ans)} of {len(ans)}, answerable partial "
             f"{sum(abstain <= s < answered for s, _ in ans)}, near-topic partial or abstain "
             f"{sum(s < answered for s in near)} of {len(near)}"]
    shown = [(s, r and k == "answerable") for (k, s, r), (_, v, _) in zip(support or scores, scores)
             if k in ("answerable", "near") and v >= abstain]
    for lo, hi in ((0.0, 0.2), (0.2, 0.5), (0.5, 0.8), (0.8, 1.01)):
        inside = [r for s, r in shown if lo <= s < hi]
        if inside:
            lines.append(f"  support {lo:.1f}-{min(hi, 1.0):.1f}: {len(inside)} answers, right {sum(inside) / len(inside):.3f}")
    return "\n".join(lines)


def main() -> None:
    """Collect both corpora, then report each fit fitted on one corpus and tested on the other, and on both."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--c", type=float, default=0.01, help="inverse regularisation strength of the ranker (the built-in weights: 0.01)")
    parser.add_argument("--model", metavar="DIR", help="a trained reader folder (model.onnx, tokenizer.json) to fit with")
    parser.add_argument("--write", action="store_true", help="with --model: write the fit fitted on both corpora to DIR/reader.json")
    parser.add_argument("--test", nargs="+", metavar="CORPUS QUERIES...", help="also score a corpus never fitted on: "
                        "its folder, then its question files")
    args = parser.parse_args()
    runtime.setup(verbose=False)
    model = ReaderModel(args.model) if args.model else None
    with_model = model is not None
    data = {name: collect(name, model) for name in SETS}
    if args.test:
        data["held-out"] = collect("held-out", model, Path(args.test[0]), [Path(f) for f in args.test[1:]])
    fitted = [n for n in data if n != "held-out"]
    for name, rows in data.items():
        answerable = [d for d in rows if d["kind"] == "answerable"]
        reach = sum(bool(d["y"].any()) for d in answerable)
        print(f"{name}: {len(answerable)} answerable questions, gold among the {RESCORED} read for {reach}; "
              f"built-in weights as shipped: first sentence right {top1(rows, WEIGHTS, BIAS, False):.3f}")
    for train, test in (("russia-taliban", "other-news"), ("other-news", "russia-taliban")):
        for m in ((False, True) if with_model else (False,)):
            w, b = fit(data[train], m, args.c)
            print(f"{'trained' if m else 'built-in'} fit on {train}: train {top1(data[train], w, b, m):.3f}, "
                  f"test on {test} {top1(data[test], w, b, m):.3f}")
            support = {n: best_scores(data[n], w, b, m) for n in (train, test)}
            verdict = fit_verdict(data[train], w, b) if m else None
            scores = {n: verdict_scores(data[n], w, b, verdict) for n in (train, test)} if verdict else support
            abstain, answered = thresholds({train: scores[train]})
            print(f"  thresholds from {train}: abstain {abstain:.3f}, answered {answered:.3f}")
            print(report(f"  tested on {test}", scores[test], abstain, answered, support[test]))
    both = [d for n in fitted for d in data[n]]
    for m in ((False, True) if with_model else (False,)):
        w, b = fit(both, m, args.c)
        support = {n: best_scores(data[n], w, b, m) for n in data}
        verdict = fit_verdict(both, w, b) if m else None
        scores = {n: verdict_scores(data[n], w, b, verdict) for n in data} if verdict else support
        abstain, answered = thresholds({n: scores[n] for n in fitted})
        print(f"{'trained' if m else 'built-in'} fit on both: " +
              " / ".join(f"{n} {top1(data[n], w, b, m):.3f}" for n in data) +
              f"; abstain {abstain:.3f}, answered {answered:.3f}")
        for n in data:
            print(report("  " + n, scores[n], abstain, answered, support[n]))
        names = [*FEATURES, "model"] if m else list(FEATURES)
        print("  weights:", ", ".join(f"{n}={v:.3f}" for n, v in zip(names, w)), f"bias={b:.3f}",
              f"verdict={[round(x, 3) for x in verdict]}" if verdict else "")
        if m and args.write:
            target = Path(args.model) / FIT_FILE
            target.write_text(json.dumps({"features": names, "weights": [round(float(v), 5) for v in w],
                                          "bias": round(b, 5), "abstain": round(abstain, 5),
                                          "answered": round(answered, 5), "verdict": [round(x, 5) for x in verdict],
                                          "rescored": RESCORED, "max_length": model.max_length,
                                          "fitted_on": fitted, "command": "python " + " ".join(sys.argv)}, indent=2))
            print(f"written {target}")


if __name__ == "__main__":
    main()
