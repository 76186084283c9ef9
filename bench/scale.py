"""Scale benchmark: index builds of 1k-100k passages of real text (approximate search at 1M: bench/ann.py).

    python bench/scale.py build --beir DIR --sizes 1000,10000 [--backend onnx] [--out FILE.json]
    python bench/scale.py ratio --beir DIR --size 300 --rounds 3 [--sentences alone,pooled]

`build` writes a corpus of N passages (a BEIR corpus's abstracts cut into paragraphs of three sentences, one file
per abstract) and runs `python -m qa index` on it as a child process: wall time end to end (imports, model, reading,
chunking, encoding passages and sentences, BM25, FAISS, saving), peak resident memory of that process, index size on
disk; then, in another child, the load time of the saved index and query latency per stage on the dataset's
questions; and the rate of a bare sentence-transformers torch encode of a sample of the same passages, measured
just before and just after the build (their mean is the rate the build is compared with).
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
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))

from bench.beir_corpus import beir_docs, write_corpus  # noqa: E402
from qa.bench import percentiles as bench_percentiles  # noqa: E402


def percentiles(values: list[float]) -> dict[str, float]:
    """p50 and p95 of a list of milliseconds, to the microsecond (the benchmark's own percentiles, rounded)."""
    return {k: round(v, 3) for k, v in bench_percentiles(values).items()}


def run_measured(cmd: list[str], env: dict[str, str] | None = None) -> tuple[float, int, str]:
    """(wall seconds, peak RSS in bytes, stdout) of a child process; its CPU seconds are in LAST_CPU_S afterwards."""
    import resource

    used = resource.getrusage(resource.RUSAGE_CHILDREN)
    began = time.perf_counter()
    proc = subprocess.Popen(cmd, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)
    out, err = proc.communicate()
    wall = time.perf_counter() - began
    now = resource.getrusage(resource.RUSAGE_CHILDREN)
    LAST_CPU_S[0] = (now.ru_utime + now.ru_stime) - (used.ru_utime + used.ru_stime)
    if proc.returncode != 0:
        raise RuntimeError(f"{' '.join(cmd[:4])} failed: {err[-2000:]}")
    peak = _peak_from(err)
    return wall, peak, out


# CPU seconds (user + system) of the last run_measured child: on a shared machine, less disturbed than wall time.
LAST_CPU_S = [0.0]


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
    """Passages per second of a bare sentence-transformers torch encode (batch 16, its default order), in a child;
    its rate per CPU second (user + system, the encode alone) is in LAST_TORCH_CPU_RATE afterwards."""
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as handle:
        json.dump(texts, handle)
    code = (
        "import json, sys, time; from sentence_transformers import SentenceTransformer;"
        "from embeddings import resolve_model;"
        f"texts = json.load(open({handle.name!r})); m = SentenceTransformer(resolve_model({model!r})[1], device='cpu');"
        "m.encode(texts[:16], batch_size=16); t = time.perf_counter(); c = time.process_time();"
        "m.encode(texts, batch_size=16, normalize_embeddings=True);"
        "print(len(texts) / (time.perf_counter() - t), len(texts) / (time.process_time() - c))"
    )
    try:
        out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, check=True).stdout
    finally:
        os.unlink(handle.name)
    wall_rate, cpu_rate = (float(x) for x in out.strip().splitlines()[-1].split())
    LAST_TORCH_CPU_RATE[0] = cpu_rate
    return wall_rate


LAST_TORCH_CPU_RATE = [0.0]


def query_child(args: argparse.Namespace) -> None:
    """In a child process: open the saved index (timed), then ask the questions and print stage timings as JSON."""
    from qa import Settings, open_engine, runtime

    runtime.setup(verbose=False)  # one FAISS thread, as `python -m qa ask` runs

    began = time.perf_counter()
    settings = Settings.load(corpus=args.corpus, index_dir=args.index_dir, backend=args.backend)
    encoder = settings.encoder_spec().load()
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
    from qa.index import passage_text
    from qa.ingest import chunk_corpus, load_corpus

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
            rng = np.random.default_rng(0)
            sample = [texts[i] for i in rng.choice(len(texts), min(len(texts), args.torch_sample), replace=False)]
            before = torch_rate(sample, None)  # the torch encode just before and just after: a busy spell counts alike
            wall, peak, out = run_measured([sys.executable, "-c", _WRAP, "index", *flags])
            built = json.loads(out)
            qfile = work / "questions.json"
            qfile.write_text(json.dumps(questions))
            _, _, qout = run_measured([sys.executable, str(Path(__file__).resolve()), "_query", "--corpus", str(corpus),
                                       "--index-dir", str(index), "--backend", args.backend, "--questions", str(qfile)])
            queried = json.loads(qout)
            after = torch_rate(sample, None)
            raw = (before + after) / 2
            gen = next(index.glob("gen-*"))
            row = {
                "passages": built["passages"], "sentences": built["sentences"], "backend": args.backend,
                "build_wall_s": round(wall, 1), "build_passages_per_s": round(built["passages"] / wall, 1),
                "build_inner_s": round(built["seconds"], 1), "peak_rss_mb": round(peak / 2**20),
                "index_mb": round(folder_bytes(gen) / 2**20, 1), "cache_mb": round(folder_bytes(index / "cache") / 2**20, 1),
                "bytes_per_passage": round(folder_bytes(gen) / built["passages"]),
                "load_s": round(queried["load_s"], 3), "model_load_s": round(queried["model_s"], 2),
                "query_ms": queried["stages"], "torch_raw_passages_per_s": round(raw, 2),
                "torch_before_after": [round(before, 2), round(after, 2)],
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


def cmd_ratio(args: argparse.Namespace) -> list[dict]:
    """Rounds alternating a bare torch encode of a corpus's passages with whole `qa index` builds of that corpus in
    each sentence mode (a fresh index folder each time): per-round ratios of build passages/s to torch passages/s."""
    import statistics

    from qa.index import passage_text
    from qa.ingest import chunk_corpus, load_corpus

    work = Path(tempfile.mkdtemp(prefix=f"ratio-{args.size}-"))
    rounds: list[dict] = []
    try:
        corpus = work / "corpus"
        write_corpus(beir_docs(Path(args.beir)), args.size, corpus)
        texts = [passage_text(p) for c in chunk_corpus(load_corpus(corpus)) for p in c.passages]
        for n in range(args.rounds):
            row: dict = {"round": n + 1, "torch_passages_per_s": round(torch_rate(texts, None), 3),
                         "torch_passages_per_cpu_s": round(LAST_TORCH_CPU_RATE[0], 3)}
            for mode in args.sentences:
                index = work / f"index-{n}-{mode}"
                if args.model_cache:
                    shutil.copytree(args.model_cache, index / "cache" / "onnx")
                env = {**os.environ, "SOURCEQA_SENTENCES": mode}
                wall, _, out = run_measured([sys.executable, "-c", _WRAP, "index", "--corpus", str(corpus), "--index-dir",
                                             str(index), "--backend", args.backend, "--json"], env)
                passages = json.loads(out)["passages"]
                rate, cpu_rate = passages / wall, passages / LAST_CPU_S[0]
                row[mode] = {"build_wall_s": round(wall, 1), "passages_per_s": round(rate, 3),
                             "x_torch": round(rate / row["torch_passages_per_s"], 3), "build_cpu_s": round(LAST_CPU_S[0], 1),
                             "x_torch_cpu": round(cpu_rate / row["torch_passages_per_cpu_s"], 3)}
                shutil.rmtree(index, ignore_errors=True)
            print(json.dumps(row), flush=True)
            rounds.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    summary = {"passages": len(texts), **{f"median_{key}": {m: statistics.median(r[m][key] for r in rounds)
                                                             for m in args.sentences} for key in ("x_torch", "x_torch_cpu")}}
    print(json.dumps(summary), flush=True)
    return [*rounds, summary]


def main() -> None:
    """Parse the command line and run a benchmark."""
    parser = argparse.ArgumentParser(prog="python bench/scale.py", description=__doc__.splitlines()[0])
    sub = parser.add_subparsers(dest="command", required=True)
    build = sub.add_parser("build")
    build.add_argument("--beir", required=True, metavar="DIR", help="a BEIR dataset folder (corpus.jsonl, queries.jsonl)")
    build.add_argument("--sizes", required=True, type=lambda s: [int(x.replace("_", "")) for x in s.split(",")])
    build.add_argument("--questions", type=int, default=100, help="questions timed (default 100)")
    build.add_argument("--out", metavar="FILE.json")
    build.add_argument("--backend", default="onnx")
    build.add_argument("--torch-sample", type=int, default=500, help="passages in the bare torch encode (default 500)")
    build.add_argument("--model-cache", metavar="DIR", help="an existing cache/onnx folder to copy in (export not timed)")
    build.add_argument("--keep", action="store_true", help="keep the corpus and index folders")
    ratio = sub.add_parser("ratio", help="build against bare torch encode, alternating, per sentence mode")
    ratio.add_argument("--beir", required=True, metavar="DIR")
    ratio.add_argument("--size", type=int, default=300, help="passages (default 300)")
    ratio.add_argument("--rounds", type=int, default=3)
    ratio.add_argument("--sentences", default="alone,pooled", type=lambda s: s.split(","), help="modes (default both)")
    ratio.add_argument("--backend", default="onnx")
    ratio.add_argument("--model-cache", metavar="DIR", help="an existing cache/onnx folder to copy in (export not timed)")
    ratio.add_argument("--out", metavar="FILE.json")
    q = sub.add_parser("_query")
    for flag in ("--corpus", "--index-dir", "--backend", "--questions"):
        q.add_argument(flag, required=True)
    args = parser.parse_args()
    from qa import runtime

    runtime.setup(verbose=False)  # offline hubs, one FAISS thread: as the CLI runs
    if args.command == "_query":
        query_child(args)
        return
    results = cmd_build(args) if args.command == "build" else cmd_ratio(args)
    if args.out:
        Path(args.out).write_text(json.dumps({"command": " ".join(sys.argv), "results": results}, indent=2))


if __name__ == "__main__":
    main()
