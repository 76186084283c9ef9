"""`python -m qa index --ray [ADDRESS]`: reading, chunking and encoding as a Ray Data pipeline, on a local Ray or a cluster.

Ray tasks read and chunk the files (a batch of files per task) and encoder actors (`map_batches` with a class) turn
every passage into its vector and its sentences' vectors (encoded alone or pooled from the same pass, as the
`sentences` setting says, as a local build does). The
vectors land in the index folder's embedding cache; the driver then builds the index exactly as a local build does,
finding every vector in the cache, so both write the same passage ids, vectors, BM25 and FAISS files.
"""

from __future__ import annotations

import json
import logging
import socket
import time
from dataclasses import asdict
from pathlib import Path
from urllib.parse import urlparse

import numpy as np

from embeddings import EmbeddingCache, Encoder
from qa.errors import UserError
from qa.index.encoder import EncoderSpec
from qa.index.opening import IndexSpec
from qa.ingest.corpus import corpus_files
from qa.ingest.formats import doc_ids

log = logging.getLogger("qa")

FILES_PER_TASK = 16
PASSAGES_PER_BATCH = 64
CONNECT_TIMEOUT_S = 3.0


def _plans_of(paths: list[str], ids: list[str], max_paragraphs: int, mode: str) -> list:
    """The encoding plan of every passage the files give (qa.index.vectors.plan), as a local build makes them."""
    from qa.index.vectors import plan
    from qa.ingest import corpus as reader
    from qa.ingest.chunking import chunk_article
    from qa.ingest.formats import Unreadable
    from qa.ingest.sentences import sentence_spans

    out: list = []
    for name, doc_id in zip(paths, ids):
        path = Path(name)
        try:  # every format, as load_corpus reads it; a file it skips is skipped here too
            article, _ = reader.read_article(path, doc_id)
        except Unreadable:
            continue
        out.extend(plan(p, sentence_spans(p.text), mode) for p in chunk_article(article, max_passages=max_paragraphs).passages)
    return out


def _chunk_files(batch: dict[str, np.ndarray], max_paragraphs: int, known: frozenset[str],
                 mode: str) -> dict[str, np.ndarray]:
    """A Ray Data task: file paths and their article ids in, one row per passage out (its plan as JSON), passages
    fully cached left out."""
    plans = [p for p in _plans_of(list(batch["path"]), list(batch["doc_id"]), max_paragraphs, mode)
             if not known.issuperset(p.all_keys())]
    return {"plan": np.array([json.dumps(asdict(p)) for p in plans], dtype=object)}


class _EncodeTexts:
    """A Ray Data actor: loads the encoder once, then turns batches of passage plans into passage and sentence vectors."""

    def __init__(self, spec: EncoderSpec) -> None:
        self.encoder = spec.load()

    def __call__(self, batch: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
        from qa.index.vectors import PassagePlan, encode_plans

        plans = []
        for row in batch["plan"]:
            fields = json.loads(row)
            plans.append(PassagePlan(fields["text"], fields["key"], tuple(fields["sentence_keys"]),
                                     tuple(tuple(s) if s else None for s in fields["spans"]), tuple(fields["sentences"])))
        vectors, sentences = encode_plans(self.encoder, plans)
        keys = [k for p in plans for k in p.all_keys()]
        rows = [r for v, s in zip(vectors, sentences) for r in (v, *s)]
        return {"key": np.array(keys, dtype=object), "vector": np.asarray(rows, dtype=np.float32).reshape(len(keys), -1)}


def _reachable(address: str) -> str | None:
    """None when something listens at a Ray address's host:port, else why not (checked in seconds, before ray.init)."""
    if address in ("auto", "local"):
        return None
    parsed = urlparse(address if "://" in address else f"ray://{address}")
    if not parsed.hostname or not parsed.port:
        return f"{address!r} is not HOST:PORT or ray://HOST:PORT"
    try:
        with socket.create_connection((parsed.hostname, parsed.port), timeout=CONNECT_TIMEOUT_S):
            return None
    except OSError as exc:
        return f"nothing answers at {parsed.hostname}:{parsed.port} ({exc.strerror or type(exc).__name__})"


def check_ray(address: str | None) -> None:
    """UserError unless Ray is installed and something answers at `address`: seconds, before any model is loaded."""
    try:
        import ray  # noqa: F401
    except ImportError:
        raise UserError("Ray is not installed: `pip install 'ray[data]==2.60.0'` (it is in requirements-dev.txt), "
                        "or index without Ray") from None
    if address:
        problem = _reachable(address)
        if problem:
            raise UserError(f"cannot reach Ray at {address}: {problem}; start a cluster with `ray start --head` and give "
                            "its address, or no address for a local Ray")


def start_ray(address: str | None):
    """Connect to the Ray at `address` (HOST:PORT, ray://HOST:PORT or auto), or start a local one when None."""
    check_ray(address)
    import ray

    try:
        ray.init(address=address or None, include_dashboard=False, log_to_driver=False, logging_level=logging.WARNING,
                 configure_logging=False, ignore_reinit_error=True)
    except (ConnectionError, RuntimeError, ValueError) as exc:
        raise UserError(f"cannot connect to Ray at {address or 'a new local instance'}: "
                        f"{str(exc).splitlines()[0][:200]}") from None
    logging.getLogger("ray").setLevel(logging.WARNING)  # Ray Data's per-stage INFO lines would bury the progress bar
    logging.getLogger("ray.data").setLevel(logging.WARNING)
    return ray


def embed_with_ray(spec: IndexSpec, model: EncoderSpec, encoder: Encoder, address: str | None,
                   actors: int | None = None) -> dict[str, float]:
    """Encode every text the corpus needs that the cache lacks on Ray, into the index folder's cache; what it did."""
    ray = start_ray(address)
    began = time.perf_counter()
    folder = spec.corpus.expanduser().resolve()
    cache = EmbeddingCache(spec.folder / "cache", encoder.model_id, encoder.dim)
    paths = corpus_files(folder)
    ids = doc_ids(folder, paths)  # unique across the folder, as load_corpus gives them
    files = [str(p) for p in paths]
    try:
        from ray import data as ray_data

        context = ray_data.DataContext.get_current()
        context.enable_progress_bars = True
        pool = actors or max(1, int(ray.cluster_resources().get("CPU", 1)) // 2)
        ds = ray_data.from_items([{"path": str(p), "doc_id": ids[p]} for p in paths])
        ds = ds.map_batches(_chunk_files, fn_kwargs={
            "max_paragraphs": spec.max_paragraphs, "known": cache.keys(), "mode": spec.sentences,
        }, batch_size=FILES_PER_TASK)
        ds = ds.map_batches(_EncodeTexts, fn_constructor_kwargs={"spec": model},
                            batch_size=PASSAGES_PER_BATCH, concurrency=pool)
        encoded = 0
        for batch in ds.iter_batches(batch_size=4096, batch_format="numpy"):
            cache.put([str(k) for k in batch["key"]], np.asarray(batch["vector"], dtype=np.float32))
            cache.checkpoint()  # like a local build, what arrived survives a kill
            encoded += len(batch["key"])
        cache.save()
    finally:
        ray.shutdown()
    return {"files": len(files), "encoded": encoded, "actors": pool, "seconds": round(time.perf_counter() - began, 2)}
