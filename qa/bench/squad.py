"""The reader's benchmark on SQuAD: does the best sentence hold the answer (1.1 dev), does it know when none does (2.0 dev).

Each question's candidates are its own paragraph's sentences, scored by the built-in reader (its features as over a
retrieved passage ranked first) and by the trained reader (the same features and the model's logit, fitted). Only the
articles `qa.training.squad.held_out` keeps for evaluation are scored, so nothing the trained reader saw is counted.
"""

from __future__ import annotations

import math
import random
import sys
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from qa.answer.cross_encoder import ReaderModel
from qa.answer.question import analyze
from qa.answer.reader import features, score
from qa.index.lexical import tokenize
from qa.text import fold
from qa.training.squad import Item, held_out, items

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SquadResult:
    """One SQuAD file's figures per reader: sentence choice on answerable questions, answerability on all."""

    file: str
    questions: int
    answerable: int
    unanswerable: int
    first_sentence: dict[str, float]  # reader -> share of answerable questions whose best sentence holds the answer
    auc: dict[str, float]  # reader -> answerable-vs-unanswerable AUC of its answerability (the trained reader's verdict,
    # else the best sentence's score) (2.0 only)
    accuracy: dict[str, float]  # reader -> accuracy of "answered" at the shipped threshold (2.0 only)

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return dict(self.__dict__)


def auc(positive: Sequence[float], negative: Sequence[float]) -> float:
    """The probability that a random positive scores above a random negative (ties count half)."""
    if not positive or not negative:
        return float("nan")
    values = np.concatenate([np.asarray(positive, float), np.asarray(negative, float)])
    order = values.argsort(kind="mergesort")
    ranks = np.empty(len(values))
    sorted_values = values[order]
    i = 0
    while i < len(values):  # average ranks over ties
        j = i
        while j + 1 < len(values) and sorted_values[j + 1] == sorted_values[i]:
            j += 1
        ranks[order[i:j + 1]] = (i + j) / 2 + 1
        i = j + 1
    n_pos, n_neg = len(positive), len(negative)
    return float((ranks[:n_pos].sum() - n_pos * (n_pos + 1) / 2) / (n_pos * n_neg))


def sample(path: Path, limit: int, seed: int = 13) -> list[Item]:
    """Up to `limit` questions of a SQuAD file's held-out articles, a seeded sample, in file order."""
    kept = [it for it in items(path) if held_out(it.title)]
    if limit and len(kept) > limit:
        chosen = set(random.Random(seed).sample(range(len(kept)), limit))
        kept = [it for i, it in enumerate(kept) if i in chosen]
    return kept


def run_squad(path: Path, encoder, reader: ReaderModel | None, limit: int = 2000,
              progress: Progress | None = None) -> SquadResult:
    """Score the built-in reader (and a trained one, when given) on one SQuAD file."""
    chosen = sample(path, limit)
    paragraphs: dict[tuple[str, int], tuple[str, ...]] = {(it.title, it.paragraph): it.sentences for it in chosen}
    keys = list(paragraphs)
    contexts = [k[0] + " " + " ".join(paragraphs[k]) for k in keys]
    para_tokens = [frozenset(t) for t in tokenize(contexts)]
    n = len(keys)
    df: dict[str, int] = {}
    for toks in para_tokens:
        for t in toks:
            df[t] = df.get(t, 0) + 1
    idf = {t: math.log(1.0 + (n - d + 0.5) / (d + 0.5)) for t, d in df.items()}
    unknown = math.log(1.0 + (n + 0.5) / 0.5)
    flat = [s for k in keys for s in paragraphs[k]]
    vectors = encoder.encode(flat, show_progress=False)
    sentence_tokens = [frozenset(t) for t in tokenize(flat)]
    index_of = {k: i for i, k in enumerate(keys)}
    offsets, pos = {}, 0
    for k in keys:
        offsets[k] = pos
        pos += len(paragraphs[k])
    questions = encoder.encode([it.question for it in chosen], show_progress=False)
    names = ["builtin"] + (["trained", "model alone"] if reader is not None else [])
    best: dict[str, list[tuple[bool, float, bool]]] = {name: [] for name in names}  # (answerable, score, right)
    for qi, it in enumerate(chosen):
        key = (it.title, it.paragraph)
        a = offsets[key]
        rows = range(a, a + len(it.sentences))
        cos = vectors[a:a + len(it.sentences)] @ questions[qi]
        analysis = analyze(it.question)
        top = float(cos.max())
        p = index_of[key]
        folded = fold(contexts[p])
        # As over a retrieved passage ranked first: SQuAD gives the paragraph, so the retrieval signals are at their best.
        feats = [features(analysis, flat[r], sentence_tokens[r], para_tokens[p], folded, float(cos[i]), top, 1,
                          i == 0, idf, unknown, 1.0, top) for i, r in enumerate(rows)]
        scored = {"builtin": [score(f) for f in feats]}
        if reader is not None:
            logits = reader.logits(it.question, it.sentences, ("", *it.sentences[:-1]))
            if reader.fit is not None:
                scored["trained"] = [reader.fit.probability(f, float(z)) for f, z in zip(feats, logits)]
            else:
                scored["trained"] = [float(z) for z in logits]
            scored["model alone"] = [float(z) for z in logits]
        for name, values in scored.items():
            i = int(np.argmax(values))
            judged = float(values[i])
            if name == "trained" and reader is not None and reader.fit is not None:
                judged = reader.fit.answerability(judged, float(np.max(scored["model alone"])))
            best[name].append((it.answerable, judged, i in it.positives))
        if progress is not None and (qi + 1) % 50 == 0:
            progress(f"SQuAD {path.name}", qi + 1, len(chosen))
    answerable = sum(it.answerable for it in chosen)
    first = {name: sum(r for ok, _, r in runs if ok) / max(1, answerable) for name, runs in best.items()}
    aucs, accuracy = {}, {}
    if answerable < len(chosen):
        for name, runs in best.items():
            aucs[name] = auc([s for ok, s, _ in runs if ok], [s for ok, s, _ in runs if not ok])
        from qa.answer.compose import ABSENT_SUPPORT  # the built-in reader calls a question partial below this score

        cut = {"builtin": ABSENT_SUPPORT}
        if reader is not None and reader.fit is not None:
            cut["trained"] = reader.fit.answered
        for name, threshold in cut.items():
            accuracy[name] = sum((s >= threshold) == ok for ok, s, _ in best[name]) / len(chosen)
    return SquadResult(path.name, len(chosen), answerable, len(chosen) - answerable, first, aucs, accuracy)


def render(results: Sequence[SquadResult]) -> str:
    """The results as a Markdown table."""
    lines = ["| file | questions (answerable / not) | reader | best sentence holds the answer | answerability AUC | "
             "accuracy at the shipped threshold |", "| --- | --- | --- | --- | --- | --- |"]
    for r in results:
        for name, first in r.first_sentence.items():
            a = r.auc.get(name)
            acc = r.accuracy.get(name)
            lines.append(f"| {r.file} | {r.questions} ({r.answerable} / {r.unanswerable}) | {name} | {first:.3f} | "
                         f"{'–' if a is None else f'{a:.3f}'} | {'–' if acc is None else f'{acc:.3f}'} |")
    return "\n".join(lines)


def main(paths: Sequence[str], encoder, reader: ReaderModel | None, limit: int, out=sys.stdout,
         progress: Progress | None = None) -> list[SquadResult]:
    """Run every file and print the table."""
    results = [run_squad(Path(p), encoder, reader, limit, progress) for p in paths]
    print(render(results), file=out)
    return results
