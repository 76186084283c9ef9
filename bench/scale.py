"""Scale benchmark: index builds of 1k-100k passages of real text, and approximate search at up to 1M vectors.

    python bench/scale.py build --beir DIR --sizes 1000,10000 [--backend onnx] [--out FILE.json]
    python bench/scale.py ann --beir DIR --vectors INDEX_DIR|CACHE.npz --sizes 100000,1000000 [--out FILE.json]

`build` writes a corpus of N passages (a BEIR corpus's abstracts cut into paragraphs of three sentences, one file
per abstract) and runs `python -m qa index` on it as a child process: wall time end to end (imports, model, reading,
chunking, encoding passages and sentences, BM25, FAISS, saving), peak resident memory of that process, index size on
disk; then, in another child, the load time of the saved index and query latency per stage on the dataset's
questions; and the rate of a bare sentence-transformers torch encode of a sample of the same passages.

`ann` takes real passage vectors from a saved index, grows them to N by adding small noise to copies (re-normalised),
and measures exact (flat) against HNSW search: recall@10, query p50/p95, build time, bytes per vector; then the
engine's own `retrieve` (BM25 + dense + best sentence, fused) on a Library of N passages for search + fusion time.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 of a list of milliseconds."""
    return {"p50": round(float(np.percentile(values, 50)), 3), "p95": round(float(np.percentile(values, 95)), 3)}


def beir_docs(folder: Path) -> list[dict]:
    """The documents of a BEIR corpus.jsonl."""
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


def paragraphs(text: str, per: int = 3) -> list[str]:
    """A text cut into paragraphs of `per` sentences."""
    from qa.sentences import sentence_spans

    spans = sentence_spans(text)
    return [text[spans[i][0]:spans[min(i + per, len(spans)) - 1][1]] for i in range(0, len(spans), per)]


def write_corpus(docs: list[dict], passages: int, folder: Path) -> int:
    """One article file per document (title in the front matter, paragraphs apart) until about `passages` paragraphs;
    past the dataset's end the documents come again with paragraphs of two, then four sentences (new texts)."""
    folder.mkdir(parents=True)
    written, rounds = 0, (3, 2, 4, 5)
    for round_no, per in enumerate(rounds):
        for doc in docs:
            if written >= passages:
                return written
            paras = [p for p in paragraphs(doc["text"], per) if len(p.split()) >= 8]
            if not paras:
                continue
            title = (doc.get("title") or doc["_id"]).replace("\n", " ").strip()
            body = "\n\n".join(paras[: passages - written])
            (folder / f"{doc['_id']}-{round_no}.txt").write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
            written += min(len(paras), passages - written)
    return written


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes, stdout) of a child process."""
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err[-2000:]}")
    peak = _peak_from(err)
    return wall, peak, out


def _peak_from(stderr: str) -> int:
    for line in stderr.splitlines():
        if line.startswith("PEAK_RSS_KB="):
            return int(line.split("=", 1)[1]) * 1024
    return 0


# A child that runs a module and reports its own peak RSS (ru_maxrss of the process, in kB) on stderr at exit.
_WRAP = ("import atexit, resource, runpy, sys;"
         "atexit.register(lambda: print(f'PEAK_RSS_KB={resource.getrusage(resource.RUSAGE_SELF).ru_maxrss}', file=sys.stderr));"
         "sys.argv = ['qa'] + sys.argv[1:]; runpy.run_module('qa', run_name='__main__')")


def folder_bytes(path: Path) -> int:
    """Total size of the files under a folder."""
    return sum(p.stat().st_size for p in path.rglob("*") if p.is_file())


def torch_rate(texts: list[str], model: str | None) -> float:
    """Passages per second of a bare sentence-transformers torch encode (batch 16, its default order), in a child."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(texts, handle)
    code = (
        "import json, sys, time; from sentence_transformers import SentenceTransformer;"
        "from embeddings.encoder import resolve_model;"
        f"texts = json.load(open({handle.name!r})); m = SentenceTransformer(resolve_model({model!r})[1], device='cpu');"
        "m.encode(texts[:16], batch_size=16); t = time.perf_counter();"
        "m.encode(texts, batch_size=16, normalize_embeddings=True); print(len(texts) / (time.perf_counter() - t))"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    return float(out.strip().splitlines()[-1])


def query_child(args: argparse.Namespace) -> None:
    """In a child process: open the saved index (timed), then ask the questions and print stage timings as JSON."""
    from qa import Settings, open_engine
    from qa.model import load_encoder

    began = time.perf_counter()
    settings = Settings.load(corpus=args.corpus, index_dir=args.index_dir, backend=args.backend)
    encoder = load_encoder(settings)
    model_s = time.perf_counter() - began
    t = time.perf_counter()
    engine = open_engine(settings, encoder=encoder)
    report = engine.report
    load_s = time.perf_counter() - t
    assert report.loaded, "the saved index was not reused"
    questions = json.loads(Path(args.questions).read_text())
    engine.ask(questions[0])
    stages: dict[str, list[float]] = {}
    for q in questions:
        answer = engine.ask(q)
        for name, ms in answer.timings_ms.items():
            stages.setdefault(name, []).append(ms)
    print(json.dumps({"model_s": model_s, "load_s": load_s, "stages": {k: percentiles(v) for k, v in stages.items()}}))


def cmd_build(args: argparse.Namespace) -> list[dict]:
    """Build indexes of each size and measure them."""
    from qa.corpus import load_corpus
    from qa.library import chunk_corpus, passage_text

    docs = beir_docs(Path(args.beir))
    with open(Path(args.beir) / "queries.jsonl", encoding="utf-8") as handle:
        questions = [json.loads(line)["text"] for line in handle][: args.questions]
    results = []
    for size in args.sizes:
        work = Path(tempfile.mkdtemp(prefix=f"scale-{size}-"))
        try:
            corpus, index = work / "corpus", work / "index"
            write_corpus(docs, size, corpus)
            chunks = chunk_corpus(load_corpus(corpus))
            texts = [passage_text(p) for c in chunks for p in c.passages]
            flags = ["--corpus", str(corpus), "--index-dir", str(index), "--backend", args.backend, "--json"]
            if args.model_cache:  # the ONNX export is made once, outside the timed build
                shutil.copytree(args.model_cache, index / "cache" / "onnx")
            wall, peak, out = run_measured([sys.executable, "-c", _WRAP, "index", *flags])
            built = json.loads(out)
            qfile = work / "questions.json"
            qfile.write_text(json.dumps(questions))
            _, _, qout = run_measured([sys.executable, str(Path(__file__).resolve()), "_query", "--corpus", str(corpus),
                                       "--index-dir", str(index), "--backend", args.backend, "--questions", str(qfile)])
            queried = json.loads(qout)
            rng = np.random.default_rng(0)
            sample = [texts[i] for i in rng.choice(len(texts), min(len(texts), args.torch_sample), replace=False)]
            raw = torch_rate(sample, None)
            gen = next(index.glob("gen-*"))
            row = {
                "passages": built["passages"], "sentences": built["sentences"], "backend": args.backend,
                "build_wall_s": round(wall, 1), "build_passages_per_s": round(built["passages"] / wall, 1),
                "build_inner_s": round(built["seconds"], 1), "peak_rss_mb": round(peak / 2**20),
                "index_mb": round(folder_bytes(gen) / 2**20, 1), "cache_mb": round(folder_bytes(index / "cache") / 2**20, 1),
                "bytes_per_passage": round(folder_bytes(gen) / built["passages"]),
                "load_s": round(queried["load_s"], 3), "model_load_s": round(queried["model_s"], 2),
                "query_ms": queried["stages"], "torch_raw_passages_per_s": round(raw, 1),
                "speedup_vs_torch_raw": round(built["passages"] / wall / raw, 2),
            }
            print(json.dumps(row), flush=True)
            results.append(row)
        finally:
            if not args.keep:
                shutil.rmtree(work, ignore_errors=True)
            else:
                print(f"kept {work}", file=sys.stderr)
    return results


def grow(real: np.ndarray, n: int, noise: float, seed: int = 0, mix: float = 0.0) -> np.ndarray:
    """n unit vectors: the real ones, then copies of them with Gaussian noise of relative size `noise` (and, with
    `mix`, that share of another random real vector added, so copies spread between originals instead of clustering
    around each), re-normalised."""
    rng = np.random.default_rng(seed)
    out = np.empty((n, real.shape[1]), dtype=np.float32)
    for start in range(0, n, 100_000):
        rows = np.arange(start, min(n, start + 100_000))
        block = real[rows % len(real)].copy()
        copies = rows >= len(real)
        if mix:
            block[copies] += mix * real[rng.integers(0, len(real), int(copies.sum()))]
        block[copies] += rng.normal(0, noise / np.sqrt(real.shape[1]), size=(int(copies.sum()), real.shape[1]))
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[rows] = block
    return out


def timed_search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """Top-k ids of each query, one query at a time, and the milliseconds each took."""
    ids, times = [], []
    for q in queries:
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - t) * 1000)
        ids.append(found[0])
    return np.array(ids), times


def cmd_ann(args: argparse.Namespace) -> list[dict]:
    """Exact against HNSW search at each size, then the engine's retrieve on a Library of that size."""
    import faiss

    from embeddings import Encoder, VectorIndex
    from embeddings.index import HNSW_EF_CONSTRUCTION, HNSW_M, hnsw_ef_search
    from qa.store import PASSAGES, current_generation

    faiss.omp_set_num_threads(1)
    if str(args.vectors).endswith(".npz"):  # an embedding cache file: passage and sentence vectors
        with np.load(args.vectors, allow_pickle=False) as data:
            real = np.asarray(data["vectors"], dtype=np.float32)
    else:
        saved = VectorIndex.load(current_generation(Path(args.vectors)) / PASSAGES, "flat")
        real = saved.vectors(np.arange(saved.size))
    with open(Path(args.beir) / "queries.jsonl", encoding="utf-8") as handle:
        questions = [json.loads(line)["text"] for line in handle][: args.questions]
    encoder = Encoder(backend="onnx", cache_dir=args.model_cache_root)
    queries = encoder.encode(questions, show_progress=False)
    results = []
    for size in args.sizes:
        vectors = grow(real, size, args.noise, mix=args.mix)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        exact, flat_ms = timed_search(flat, queries, 10)
        del flat
        t = time.perf_counter()
        hnsw = faiss.IndexHNSWFlat(vectors.shape[1], HNSW_M, faiss.METRIC_INNER_PRODUCT)
        hnsw.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
        faiss.omp_set_num_threads(os.cpu_count() or 1)  # building may use every core; searching uses one
        hnsw.add(vectors)
        faiss.omp_set_num_threads(1)
        build_s = time.perf_counter() - t
        sweep = []
        for ef in (64, 128, 256, 512, 1024, 2048):
            hnsw.hnsw.efSearch = ef
            found, ms = timed_search(hnsw, queries, 10)
            recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)]))
            sweep.append({"ef_search": ef, "recall_at_10": round(recall, 4), "ms": percentiles(ms)})
        row = {
            "vectors": size, "noise": args.noise, "mix": args.mix, "flat_ms": percentiles(flat_ms), "flat_bytes_per_vector": 4 * vectors.shape[1],
            "hnsw_build_s": round(build_s, 1), "hnsw_bytes_per_vector": round(faiss.serialize_index(hnsw).nbytes / size),
            "hnsw": sweep,
        }
        print(json.dumps(row), flush=True)
        if args.retrieve:
            hnsw.hnsw.efSearch = hnsw_ef_search(size)
            row["retrieve"] = retrieve_at(vectors, hnsw, queries, questions, args)
            print(json.dumps({"vectors": size, "retrieve": row["retrieve"]}), flush=True)
        del hnsw
        results.append(row)
    return results


def retrieve_at(vectors: np.ndarray, built, queries: np.ndarray, questions: list[str],
                args: argparse.Namespace) -> dict:
    """search + fusion of the engine's hybrid retrieve on a Library of len(vectors) passages, with one sentence per
    passage, BM25 over pairs of real sentences of the dataset. The vector index the `auto` type picks for this size is
    the one just measured (`built`, with its size's efSearch); the sentence index is the same index again: a separate
    one of the same size costs the same per query and another long build."""
    from embeddings import VectorIndex
    from qa.chunking import Chunked, Passage
    from qa.corpus import Article
    from qa.lexical import LexicalIndex
    from qa.library import Library, SentenceTable
    from qa.manifest import Manifest
    from qa.retrieve import retrieve
    from qa.sentences import sentence_spans

    n = len(vectors)
    sentences = [d["text"][a:b] for d in beir_docs(Path(args.beir)) for a, b in sentence_spans(d["text"])]
    texts = [f"{sentences[i % len(sentences)]} {sentences[(i * 7 + 1) % len(sentences)]}" for i in range(n)]
    article = Article(doc_id="a", path="a.txt", title="a")
    passages = tuple(Passage(id=f"a:{i + 1}", doc_id="a", n=i + 1, start=0, end=len(t), text=t, article=article)
                     for i, t in enumerate(texts))
    t = time.perf_counter()
    lexical = LexicalIndex.build(texts)
    bm25_s = time.perf_counter() - t
    from embeddings.index import resolve_kind

    t = time.perf_counter()
    dense = VectorIndex(built, "hnsw") if resolve_kind("auto", n) == "hnsw" else VectorIndex.build(vectors, "flat")
    sent = dense
    faiss_s = time.perf_counter() - t
    table = SentenceTable(np.arange(n, dtype=np.int32), np.zeros(n, np.int32), np.array([len(x) for x in texts], np.int32))
    manifest = Manifest(format=0, model_id="", dim=vectors.shape[1], index_type="auto", recipe="", fingerprint="",
                        passages=n, sentences=n, built_at="", build_seconds=0.0)
    library = Library("", (Chunked(article, passages, ()),), passages, dense, table, sent, lexical, manifest)
    search, fusion = [], []
    retrieve(library, questions[0], queries[0], mode="hybrid", k=10)
    for text, q in zip(questions, queries):
        timings: dict[str, float] = {}
        retrieve(library, text, q, mode="hybrid", k=10, timings=timings)
        search.append(timings["search"])
        fusion.append(timings["fusion"])
    both = [a + b for a, b in zip(search, fusion)]
    return {"index": dense.kind, "bm25_build_s": round(bm25_s, 1), "faiss_build_s": round(faiss_s, 1),
            "search_ms": percentiles(search), "fusion_ms": percentiles(fusion), "search_plus_fusion_ms": percentiles(both)}


def main() -> None:
    """Parse the command line and run a benchmark."""
    parser = argparse.ArgumentParser(prog="python bench/scale.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    for name in ("build", "ann"):
        p = sub.add_parser(name)
        p.add_argument("--beir", required=True, metavar="DIR", help="a BEIR dataset folder (corpus.jsonl, queries.jsonl)")
        p.add_argument("--sizes", required=True, type=lambda s: [int(x.replace("_", "")) for x in s.split(",")])
        p.add_argument("--questions", type=int, default=100, help="questions timed (default 100)")
        p.add_argument("--out", metavar="FILE.json")
    build = sub.choices["build"]
    build.add_argument("--backend", default="onnx")
    build.add_argument("--torch-sample", type=int, default=500, help="passages in the bare torch encode (default 500)")
    build.add_argument("--model-cache", metavar="DIR", help="an existing cache/onnx folder to copy in (export not timed)")
    build.add_argument("--keep", action="store_true", help="keep the corpus and index folders")
    ann = sub.choices["ann"]
    ann.add_argument("--vectors", required=True, metavar="INDEX_DIR|CACHE.npz",
                     help="real vectors: a saved index's passage vectors, or an embedding cache file")
    ann.add_argument("--noise", type=float, default=0.5, help="relative noise added to copies (default 0.5)")
    ann.add_argument("--mix", type=float, default=0.0,
                     help="share of a second random real vector added to each copy (default 0: noise only)")
    ann.add_argument("--retrieve", action="store_true", help="also time the engine's hybrid retrieve at each size")
    ann.add_argument("--model-cache-root", metavar="DIR", help="cache folder for the ONNX export (default: the user cache)")
    q = sub.add_parser("_query")
    for flag in ("--corpus", "--index-dir", "--backend", "--questions"):
        q.add_argument(flag, required=True)
    args = parser.parse_args()
    if args.command == "_query":
        query_child(args)
        return
    results = cmd_build(args) if args.command == "build" else cmd_ann(args)
    if args.out:
        Path(args.out).write_text(json.dumps({"command": " ".join(sys.argv), "results": results}, indent=2))


if __name__ == "__main__":
    main()
