"""Encoder backends side by side: torch, ONNX fp32 and ONNX int8 on the bundled passages and shipped questions.

    python bench/encoders.py [--beir DIR --size N] [--rounds R]

Rounds alternate the backends (passages/s of a whole-corpus encode, then the passages' sentences each on its own, as
a build's second pass encodes them, then each question through every backend in turn), so a busy spell slows all of
them alike; medians are printed as JSON. With --beir, the passages are N of bench/beir_corpus.py's (a BEIR
corpus's abstracts cut into paragraphs, as bench/scale.py builds) instead of the bundled ones.
"""
import argparse
import json
import statistics
import sys
import time
from pathlib import Path

# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from embeddings import Encoder
from qa import Settings
from qa.bench import load_queries
from qa.index import passage_text, sentence_text
from qa.ingest import chunk_corpus, load_corpus, sentence_spans

ROUNDS = 3
QUESTIONS = 40


def main() -> None:
    """Load the three backends, then time them in alternation and print medians."""
    from qa import runtime

    parser = argparse.ArgumentParser(prog="python bench/encoders.py", description=__doc__.splitlines()[0])
    parser.add_argument("--beir", metavar="DIR", help="take the passages from this BEIR dataset (bench/beir_corpus.py)")
    parser.add_argument("--size", type=int, default=800, help="passages with --beir (default 800)")
    parser.add_argument("--rounds", type=int, default=ROUNDS)
    args = parser.parse_args()
    runtime.setup(verbose=False)
    root = Path(__file__).resolve().parent.parent
    corpus = root / "corpus"
    if args.beir:
        import tempfile

        from bench.beir_corpus import beir_docs, write_corpus

        corpus = Path(tempfile.mkdtemp(prefix="encoders-")) / "corpus"
        write_corpus(beir_docs(Path(args.beir)), args.size, corpus)
    chunks = chunk_corpus(load_corpus(corpus))
    passages = [passage_text(p) for c in chunks for p in c.passages]
    sentences = [sentence_text(p, a, b) for c in chunks for p in c.passages for a, b in sentence_spans(p.text)]
    questions = [q.question for q in load_queries(None)][:QUESTIONS]
    cache = Settings.load().cache_dir
    encoders = {"torch": Encoder(backend="torch"), "onnx": Encoder(backend="onnx", cache_dir=cache),
                "onnx-int8": Encoder(backend="onnx-int8", cache_dir=cache)}
    for encoder in encoders.values():  # warm-up, untimed
        encoder.encode(passages[:16], show_progress=False)
        encoder.encode_query("warm up")
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    sentence_s: dict[str, list[float]] = {name: [] for name in encoders}
    query_ms: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(args.rounds):
        for name, encoder in encoders.items():
            began = time.perf_counter()
            encoder.encode(passages, show_progress=False)
            passage_s = time.perf_counter() - began
            rates[name].append(len(passages) / passage_s)
            began = time.perf_counter()
            encoder.encode(sentences, show_progress=False)
            sentence_s[name].append((time.perf_counter() - began) / passage_s)
        for text in questions:
            for name, encoder in encoders.items():
                began = time.perf_counter()
                encoder.encode_query(text)
                query_ms[name].append((time.perf_counter() - began) * 1000)
    torch = statistics.median(rates["torch"])
    print(json.dumps({"passages": len(passages), "sentences": len(sentences), **{name: {
        "passages_per_s": round(statistics.median(rates[name]), 1),
        "x_torch": round(statistics.median(rates[name]) / torch, 2),
        "sentence_pass_per_passage_pass": round(statistics.median(sentence_s[name]), 2),
        "query_ms_p50": round(statistics.median(query_ms[name]), 2)} for name in encoders}}))


if __name__ == "__main__":
    main()
