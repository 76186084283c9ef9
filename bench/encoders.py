"""Encoder backends side by side: torch, ONNX fp32 and ONNX int8 on the bundled passages and shipped questions.

    python bench/encoders.py

Rounds alternate the backends (passages/s of a whole-corpus encode, then each question through every backend in
turn), so a busy spell slows all of them alike; medians are printed as JSON.
"""
import json
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from embeddings import Encoder
from embeddings.encoder import default_cache_dir
from qa.bench.queries import load_queries
from qa.chunking import chunk_corpus
from qa.corpus import load_corpus
from qa.embedding import passage_text

ROUNDS = 3
QUESTIONS = 40


def main() -> None:
    """Load the three backends, then time them in alternation and print medians."""
    from qa import runtime

    runtime.setup(verbose=False)
    root = Path(__file__).resolve().parent.parent
    passages = [passage_text(p) for c in chunk_corpus(load_corpus(root / "corpus")) for p in c.passages]
    questions = [q.question for q in load_queries(None)][:QUESTIONS]
    cache = default_cache_dir()
    encoders = {"torch": Encoder(backend="torch"), "onnx": Encoder(backend="onnx", cache_dir=cache),
                "onnx-int8": Encoder(backend="onnx-int8", cache_dir=cache)}
    for encoder in encoders.values():  # warm-up, untimed
        encoder.encode(passages[:16], show_progress=False)
        encoder.encode_query("warm up")
    rates: dict[str, list[float]] = {name: [] for name in encoders}
    query_ms: dict[str, list[float]] = {name: [] for name in encoders}
    for _ in range(ROUNDS):
        for name, encoder in encoders.items():
            began = time.perf_counter()
            encoder.encode(passages, show_progress=False)
            rates[name].append(len(passages) / (time.perf_counter() - began))
        for text in questions:
            for name, encoder in encoders.items():
                began = time.perf_counter()
                encoder.encode_query(text)
                query_ms[name].append((time.perf_counter() - began) * 1000)
    print(json.dumps({name: {"passages_per_s": round(statistics.median(rates[name]), 1),
                             "query_ms_p50": round(statistics.median(query_ms[name]), 2)} for name in encoders}))


if __name__ == "__main__":
    main()
