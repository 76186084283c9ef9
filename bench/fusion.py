"""The engine's hybrid retrieve on a Library of N synthetic passages: search and fusion time per question at scale."""

from __future__ import annotations

import cProfile
import io
import pstats
import sys
import time
from pathlib import Path

import numpy as np

# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.scale import percentiles


def _lexical(sentences: list[str], pairs: list[tuple[int, int]], work: str | None):
    """BM25 over passages made of two of `sentences` each: every sentence tokenised once, the passages' tokens joined
    (tokenising 1M passages one by one takes most of an hour on a busy machine); reused from `work` when there."""
    import bm25s

    from qa.index import BM25_B, BM25_K1, BM25_METHOD, LexicalIndex, tokenize

    folder = Path(work) / f"bm25-{len(pairs)}" if work else None
    if folder is not None and folder.is_dir():
        return LexicalIndex.load(folder), 0.0
    t = time.perf_counter()
    tokens = tokenize(sentences)
    retriever = bm25s.BM25(k1=BM25_K1, b=BM25_B, method=BM25_METHOD)
    retriever.index([tokens[a] + tokens[b] for a, b in pairs], show_progress=False)
    lexical = LexicalIndex(retriever, len(pairs))
    seconds = time.perf_counter() - t
    if folder is not None:
        folder.parent.mkdir(parents=True, exist_ok=True)
        lexical.save(folder)
    return lexical, seconds


def retrieve_at(vectors: np.ndarray, built: dict, queries: np.ndarray, questions: list[str], docs: list[dict],
                work: str | None = None) -> dict:
    """search + fusion of the engine's hybrid retrieve on a Library of len(vectors) passages of one sentence each (two
    real sentences of the dataset as text, for BM25). The passage index is the kind `auto` picks for the size, with
    the engine's search settings (an index of that kind from `built` when there is one); the sentence index is the
    same index again: a separate one of the same size costs the same per query and another long build."""
    import faiss

    from embeddings import VectorIndex, resolve_kind, tune
    from qa.index import Library, Manifest, SentenceTable
    from qa.ingest import Article, Chunked, Passage, sentence_spans
    from qa.search import retrieve

    faiss.omp_set_num_threads(1)
    n = len(vectors)
    sentences = [d["text"][a:b] for d in docs for a, b in sentence_spans(d["text"])]
    pairs = [(i % len(sentences), (i * 7 + 1) % len(sentences)) for i in range(n)]
    texts = [f"{sentences[a]} {sentences[b]}" for a, b in pairs]
    article = Article(doc_id="a", path="a.txt", title="a")
    passages = tuple(Passage(id=f"a:{i + 1}", doc_id="a", n=i + 1, start=0, end=len(t), text=t, article=article)
                     for i, t in enumerate(texts))
    lexical, bm25_s = _lexical(sentences, pairs, work)
    kind = resolve_kind("auto", n)
    dense = VectorIndex(tune(built[kind], n), kind) if kind in built else VectorIndex.build(vectors, "auto")
    table = SentenceTable(np.arange(n, dtype=np.int32), np.zeros(n, np.int32), np.array([len(x) for x in texts], np.int32))
    manifest = Manifest(format=0, model_id="", dim=vectors.shape[1], index_type="auto", recipe="", fingerprint="",
                        passages=n, sentences=n, built_at="", build_seconds=0.0)
    library = Library("", (Chunked(article, passages, ()),), passages, dense, table, dense, lexical, manifest)
    search, fusion = [], []
    retrieve(library, questions[0], queries[0], mode="hybrid", k=10)  # warm-up: cached row tables
    profile = cProfile.Profile()
    for text, q in zip(questions, queries):
        timings: dict[str, float] = {}
        profile.enable()
        retrieve(library, text, q, mode="hybrid", k=10, timings=timings)
        profile.disable()
        search.append(timings["search"])
        fusion.append(timings["fusion"])
    report = io.StringIO()
    pstats.Stats(profile, stream=report).sort_stats("tottime").print_stats(12)
    print(report.getvalue(), file=sys.stderr)
    both = [a + b for a, b in zip(search, fusion)]
    return {"index": dense.kind, "bm25_build_s": round(bm25_s, 1), "search_ms": percentiles(search),
            "fusion_ms": percentiles(fusion), "search_plus_fusion_ms": percentiles(both)}
