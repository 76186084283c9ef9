"""Approximate search at up to 1M vectors derived from real ones: recall@10 against exact search, latency, build, bytes.

    python bench/ann.py --beir DIR --vectors CACHE.npz --sizes 1000000 --indexes hnsw:32:80,hnsw:48:200,ivf:4096 \
        [--parts 3] [--retrieve] [--work DIR] [--out FILE.json]

Vectors: the real ones (an embedding cache file or a saved index folder), then mixtures: each derived vector is a
random convex combination (Dirichlet weights) of `--parts` real vectors plus a little noise, re-normalised, so it sits
among the real ones the way a new article on known topics would, instead of as one of hundreds of near-identical
copies of a single original (`--parts 1`: noisy copies, the older derivation). Queries are the dataset's questions,
one at a time, one FAISS thread unless `--threads`. With `--retrieve`, the engine's own hybrid `retrieve` (BM25 over
real sentences, dense passage and sentence search, fusion) runs on a Library of that many passages with the index
that `auto` picks for the size, and the search + fusion time per question is reported.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from pathlib import Path

import numpy as np

# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
from bench.beir_corpus import beir_docs
from bench.scale import percentiles

SWEEP = {"hnsw": (64, 128, 256, 512, 1024), "ivf": (8, 16, 32, 64, 128, 256)}


def real_vectors(source: str) -> np.ndarray:
    """Unit vectors of real text: an embedding cache `.npz` or a saved index folder's passage vectors."""
    if source.endswith(".npz"):
        with np.load(source, allow_pickle=False) as data:
            return np.asarray(data["vectors"], dtype=np.float32)
    from embeddings import VectorIndex
    from qa.index import PASSAGES, current_generation

    saved = VectorIndex.load(current_generation(Path(source)) / PASSAGES, "flat")
    return saved.vectors(np.arange(saved.size))


def derive(real: np.ndarray, n: int, parts: int = 3, noise: float = 0.05, seed: int = 0) -> np.ndarray:
    """n unit vectors: the real ones, then mixtures of `parts` random real vectors (Dirichlet(1) weights) with
    Gaussian noise of relative size `noise`, re-normalised."""
    rng = np.random.default_rng(seed)
    dim = real.shape[1]
    out = np.empty((n, dim), dtype=np.float32)
    head = min(n, len(real))
    out[:head] = real[:head]
    for start in range(head, n, 100_000):
        m = min(n, start + 100_000) - start
        weights = rng.dirichlet(np.ones(parts), size=m).astype(np.float32)
        picks = rng.integers(0, len(real), size=(m, parts))
        block = np.einsum("mp,mpd->md", weights, real[picks])
        block += rng.normal(0, noise / np.sqrt(dim), size=(m, dim)).astype(np.float32)
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[start:start + m] = block
    return out


def build(spec: str, vectors: np.ndarray):
    """A FAISS index for a spec: flat, hnsw:M:efConstruction, ivf:NLIST, ivf:NLIST:sq8 (all inner product), or
    hnsw:auto / ivf:auto for the engine's own (embeddings.index.VectorIndex)."""
    import faiss

    kind, *params = spec.split(":")
    dim = vectors.shape[1]
    faiss.omp_set_num_threads(os.cpu_count() or 1)  # building may use every core; searching is timed on one
    if params == ["auto"]:  # the engine's own build of that kind
        from embeddings import VectorIndex

        return VectorIndex.build(vectors, kind)._index
    if kind == "hnsw":
        index = faiss.IndexHNSWFlat(dim, int(params[0]), faiss.METRIC_INNER_PRODUCT)
        index.hnsw.efConstruction = int(params[1])
    elif kind == "ivf":
        coder = ",SQ8" if params[1:] == ["sq8"] else ",Flat"
        index = faiss.index_factory(dim, f"IVF{int(params[0])}{coder}", faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(1).permutation(len(vectors))[: 64 * int(params[0])]]
        index.train(sample)
    else:
        index = faiss.IndexFlatIP(dim)
    index.add(vectors)
    return index


def timed_search(index, queries: np.ndarray, k: int) -> tuple[np.ndarray, list[float]]:
    """Top-k ids of each query, one query at a time, and the milliseconds each took."""
    ids, times = [], []
    for q in queries:
        t = time.perf_counter()
        _, found = index.search(q.reshape(1, -1), k)
        times.append((time.perf_counter() - t) * 1000)
        ids.append(found[0])
    return np.array(ids), times


def sweep(index, kind: str, queries: np.ndarray, exact: np.ndarray, threads: int) -> list[dict]:
    """recall@10 against exact and latency at each efSearch (HNSW) or nprobe (IVF)."""
    import faiss

    faiss.omp_set_num_threads(threads)
    rows = []
    for value in SWEEP.get(kind, (0,)):
        if kind == "hnsw":
            index.hnsw.efSearch = value
        elif kind == "ivf":
            index.nprobe = value
        found, ms = timed_search(index, queries, 10)
        recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, exact)]))
        rows.append({"param": value, "recall_at_10": round(recall, 4), "ms": percentiles(ms)})
    return rows


def neighbour_profile(vectors: np.ndarray, queries: np.ndarray) -> dict[str, float]:
    """Median cosine of a question's 1st and 10th nearest vector, and their gap: how crowded the top 10 is."""
    top = np.sort(-(queries @ vectors.T), axis=1)[:, :10] * -1
    return {"top1": round(float(np.median(top[:, 0])), 4), "top10": round(float(np.median(top[:, 9])), 4),
            "gap_1_10": round(float(np.median(top[:, 0] - top[:, 9])), 4)}


def cmd_ann(args: argparse.Namespace) -> list[dict]:
    """Exact against each index spec at each size, then (with --retrieve) the engine's retrieve at that size."""
    import faiss

    from embeddings import Encoder

    real = real_vectors(args.vectors)
    with open(Path(args.beir) / "queries.jsonl", encoding="utf-8") as handle:
        questions = [json.loads(line)["text"] for line in handle][: args.questions]
    queries = Encoder(backend="onnx", cache_dir=args.model_cache_root).encode(questions, show_progress=False)
    results = []
    for size in args.sizes:
        vectors = derive(real, size, args.parts, args.noise)
        flat = faiss.IndexFlatIP(vectors.shape[1])
        flat.add(vectors)
        faiss.omp_set_num_threads(1)
        exact, flat_ms = timed_search(flat, queries, 10)
        del flat
        row = {"vectors": size, "real": len(real), "parts": args.parts, "noise": args.noise,
               "profile": {"real": neighbour_profile(real, queries),
                           "derived": neighbour_profile(vectors[len(real):][:len(real)], queries)},
               "flat_ms": percentiles(flat_ms), "indexes": []}
        print(json.dumps(row), flush=True)
        built = {}
        for spec in args.indexes:
            t = time.perf_counter()
            index = build(spec, vectors)
            seconds = time.perf_counter() - t
            kind = spec.split(":")[0]
            entry = {"spec": spec, "build_s": round(seconds, 1),
                     "bytes_per_vector": round(faiss.serialize_index(index).nbytes / size),
                     "sweep": sweep(index, kind, queries, exact, 1)}
            if args.threads > 1:
                entry["sweep_threads"] = sweep(index, kind, queries, exact, args.threads)
            print(json.dumps(entry), flush=True)
            row["indexes"].append(entry)
            built[kind] = index
        if args.retrieve:
            from bench.fusion import retrieve_at

            row["retrieve"] = retrieve_at(vectors, built, queries, questions, beir_docs(Path(args.beir)), args.work)
            print(json.dumps({"vectors": size, "retrieve": row["retrieve"]}), flush=True)
        results.append(row)
    return results


def main() -> None:
    """Parse the command line and run."""
    parser = argparse.ArgumentParser(prog="python bench/ann.py", description=__doc__.splitlines()[0])
    parser.add_argument("--beir", required=True, metavar="DIR", help="a BEIR dataset folder (queries.jsonl, corpus.jsonl)")
    parser.add_argument("--vectors", required=True, metavar="INDEX_DIR|CACHE.npz", help="real vectors to derive from")
    parser.add_argument("--sizes", required=True, type=lambda s: [int(x.replace("_", "")) for x in s.split(",")])
    parser.add_argument("--indexes", default="hnsw:32:80,ivf:4096", type=lambda s: s.split(","),
                        help="index specs: hnsw:M:efConstruction, ivf:NLIST[:sq8] (default hnsw:32:80,ivf:4096)")
    parser.add_argument("--parts", type=int, default=3, help="real vectors mixed into each derived one (default 3)")
    parser.add_argument("--noise", type=float, default=0.05, help="relative noise added to each derived vector")
    parser.add_argument("--questions", type=int, default=100, help="questions timed (default 100)")
    parser.add_argument("--threads", type=int, default=1, help="also sweep with this many FAISS threads")
    parser.add_argument("--retrieve", action="store_true", help="also time the engine's hybrid retrieve at each size")
    parser.add_argument("--work", metavar="DIR", help="keep the BM25 index of --retrieve here, to reuse next time")
    parser.add_argument("--model-cache-root", metavar="DIR", help="cache folder for the ONNX export (default: the user cache)")
    parser.add_argument("--out", metavar="FILE.json")
    args = parser.parse_args()
    from qa import runtime

    runtime.setup(verbose=False)  # offline hubs, one FAISS thread: as the CLI runs
    results = cmd_ann(args)
    if args.out:
        Path(args.out).write_text(json.dumps({"command": " ".join(sys.argv), "results": results}, indent=2))


if __name__ == "__main__":
    main()
