"""Would the trained reader choose better if it read each sentence with its context? Measured without retraining.

    python bench/reader_context.py --model models/reader

The reader's model reads (question, sentence) pairs. On news it most often goes wrong where the sentence needs its
surroundings: the cause told in the sentence after the one that restates the event, the speaker named a sentence
away from the quote. This script gives the same model each candidate sentence four more ways (after the sentence
before it, before the sentence after it, after its article's title, and its whole passage), fits each mix with
`reader_fit.py`'s pairwise fit, and prints the first-sentence share fitted on one corpus and tested on the other, fitted
on both (the third corpus never fitted), and the model's own top-1 by question kind. Nothing here changes the reader.
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import reader_fit as rf  # noqa: E402

from qa import runtime  # noqa: E402
from qa.answer import Candidate, OnnxCrossEncoder  # noqa: E402
from qa.index import Library  # noqa: E402

THIRD = (ROOT / "bench" / "corpora" / "third-news",
         [ROOT / "bench" / "queries" / "third-news.jsonl", ROOT / "bench" / "queries" / "third-news-near-topic.jsonl"])
# The inputs beside the sentence alone ("z"), each read by the same model with room for the longer text.
CONTEXTS = {"zp": "the sentence before, then the sentence", "zn": "the sentence, then the sentence after",
            "zt": "the article's title, then the sentence", "zP": "the whole passage"}
MIXES = (("z",), ("zp",), ("zn",), ("zt",), ("zP",), ("z", "zp"), ("z", "zn"), ("z", "zt"), ("z", "zP"),
         ("z", "zp", "zn"), ("z", "zt", "zP"), ("z", "zp", "zn", "zt", "zP"))


def after(library: Library, candidate: Candidate) -> str:
    """The sentence after a candidate in its passage ("" for the last): a passage's sentences are one run of rows."""
    r = candidate.row + 1
    if r not in library.sentence_rows[library.rows[candidate.passage.id]]:
        return ""
    return candidate.passage.text[library.sentences.start[r]:library.sentences.end[r]]


def context_logits(model: OnnxCrossEncoder) -> Callable[[Library, str, list], dict]:
    """rf.collect's `extra`: the model's logit for each candidate read in each context of CONTEXTS."""
    def extra(library: Library, question: str, cands: list) -> dict:
        if not cands:
            return {k: np.zeros(0) for k in CONTEXTS}
        inputs = {"zp": [f"{c.before} {c.text}".strip() for c in cands],
                  "zn": [f"{c.text} {after(library, c)}".strip() for c in cands],
                  "zt": [f"{c.passage.article.title if c.passage.article else ''}. {c.text}" for c in cands],
                  "zP": [c.passage.text for c in cands]}
        return {k: np.asarray(model.logits(question, v), dtype=float) for k, v in inputs.items()}
    return extra


def mixed(data: dict[str, list[dict]], keys: tuple[str, ...]) -> dict[str, list[dict]]:
    """Each question's record with its model columns replaced by `keys` (rf.design stacks them after the features)."""
    return {n: [dict(d, z=np.column_stack([d[k] for k in keys]).reshape(len(d["y"]), len(keys))) for d in rows]
            for n, rows in data.items()}


def own_top1(rows: list[dict], key: str, reason: bool | None = None) -> tuple[float, int]:
    """The model's own top-1 with one input (optionally only why-questions, or only the others), and how many."""
    picked = [bool(d["y"][int(np.argmax(d[key]))]) for d in rows if d["kind"] == "answerable" and len(d["y"])
              and (reason is None or (d["wants"] == "reason") == reason)]
    return sum(picked) / max(1, len(picked)), len(picked)


def main() -> None:
    """Collect the three news corpora with every context's logits, then print each mix's fits and the model's own top-1."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", metavar="DIR", default=str(ROOT / "models" / "reader"),
                        help="a trained reader folder (model.onnx, tokenizer.json); the shipped one by default")
    parser.add_argument("--c", type=float, default=1.0, help="inverse regularisation strength of the pairwise fit")
    parser.add_argument("--max-length", type=int, default=192, help="token limit for the inputs with context")
    args = parser.parse_args()
    runtime.setup(verbose=False)
    folder = Path(args.model)
    model = rf.ReaderModel(folder)
    if model.context:
        parser.error(f"{folder} was trained to read each sentence with the one before it (its reading.json): this "
                     "script measures a model trained on sentences alone")
    extra = context_logits(OnnxCrossEncoder(folder, args.max_length, threads=2))
    data = {name: rf.collect(name, model, extra=extra) for name in rf.SETS}
    data["third"] = rf.collect("third", model, THIRD[0], THIRD[1], extra=extra)
    print(f"model {folder}; each row: a mix of the model's inputs beside the built-in features ('z' the sentence alone)")
    first, second = rf.SETS
    for keys in MIXES:
        view = mixed(data, keys)
        cross = []
        for train, test in ((first, second), (second, first)):
            w, b = rf.fit(view[train], True, args.c)
            cross.append(rf.top1(view[test], w, b, True))
        w, b = rf.fit(view[first] + view[second], True, args.c)
        both = " / ".join(f"{rf.top1(view[n], w, b, True):.3f}" for n in data)
        print(f"  {'+'.join(keys):14s} fitted on one, tested on the other {cross[0]:.3f} / {cross[1]:.3f}; "
              f"fitted on both: {both} ({' / '.join(data)})")
    print("the model's own top-1 over the sentences read: all / why-questions / the others")
    for key in ("z", *CONTEXTS):
        cells = []
        for n in data:
            (a, na), (r, nr), (o, no) = (own_top1(data[n], key, x) for x in (None, True, False))
            cells.append(f"{n} {a:.3f} ({na}) / {r:.3f} ({nr}) / {o:.3f} ({no})")
        print(f"  {key:3s} {CONTEXTS.get(key, 'the sentence alone'):40s} " + "; ".join(cells))


if __name__ == "__main__":
    main()
