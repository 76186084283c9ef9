"""Text to normalised float32 vectors with a sentence-transformers model, offline, batched, with progress.

Two backends give the same vectors: ONNX Runtime (the default; the model is exported once into a cache folder, and a
process that finds the export never imports torch) and torch through sentence-transformers (the fallback).
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import numpy as np

from embeddings.loading import DEFAULT_MODEL, ModelLoadError, open_onnx, resolve_model

# "onnx": fp32, the same vectors as torch (cosine >= 0.9999) so the same index; "onnx-int8": quantised, a model of its
# own (its own model id, so its own index and cache); "torch": sentence-transformers as loaded.
BACKENDS = ("onnx", "onnx-int8", "torch")
DEFAULT_BACKEND = "onnx"
INT8_SUFFIX = "#onnx-int8"
log = logging.getLogger("qa")
# Below this many texts a progress bar would only flicker.
PROGRESS_MIN_TEXTS = 64
# A call of at most QUERY_TEXTS texts (a question, or one with its conversation) runs on `query_threads` threads
# (default 1). A second thread gains little on ten tokens and, when the cores are busy (other requests, other
# programs), waiting for it made a query 20x slower on 2 cores (see BENCHMARKS.md, "Load and reliability").
QUERY_TEXTS = 2
QUERY_THREADS = 1

Progress = Callable[[int, int], None]


@contextmanager
def _threads(n: int) -> Iterator[None]:
    """Run torch on `n` intra-op threads for a while (0: leave it alone). Callers hold the encoder's lock."""
    if n <= 0:
        yield
        return
    import torch

    before = torch.get_num_threads()
    if before != n:
        torch.set_num_threads(n)
    try:
        yield
    finally:
        if before != n:
            torch.set_num_threads(before)


class Encoder:
    """A sentence-transformers model that turns texts into unit-length float32 vectors (ONNX Runtime or torch)."""

    def __init__(
        self,
        model: str | None = None,
        *,
        batch_size: int = 16,
        device: str = "cpu",
        backend: str = DEFAULT_BACKEND,
        cache_dir: str | Path | None = None,
        query_threads: int = QUERY_THREADS,
    ) -> None:
        """Load `model` (a sentence-transformers name or a local folder; default: the bundled MiniLM).

        `backend` is one of BACKENDS; the ONNX export is made in (or read from) `cache_dir`, which the caller gives
        (sourceqa's settings choose it) and every backend but torch needs. An ONNX backend that cannot be used falls
        back to torch with a warning. A question is encoded on `query_threads` threads (0: the runtime's default).
        """
        if backend not in BACKENDS:
            raise ModelLoadError(f"backend {backend!r} is not one of {', '.join(BACKENDS)} "
                                 "(the backend setting, SOURCEQA_BACKEND)")
        self.model_id, load_path = resolve_model(model)
        self.batch_size = batch_size
        self.query_threads = max(0, int(query_threads))
        # Hugging Face tokenizers are not safe to call from two threads at once ("Already borrowed").
        self._lock = threading.Lock()
        self.texts_encoded = 0
        self._onnx = None
        self._model: Any = None  # a SentenceTransformer, for the torch backend
        self.backend = backend
        if backend != "torch":
            from embeddings.onnx import ExportError

            if cache_dir is None:  # where exports go is the caller's setting, not read from the environment here
                raise ValueError(f"the {backend} backend needs cache_dir, the folder its ONNX export is kept in")

            try:
                self._onnx = open_onnx(load_path, self.model_id, backend, Path(cache_dir))
            except ExportError as exc:
                log.warning("ONNX backend unavailable for %s: %s; using torch (slower)", model or DEFAULT_MODEL, exc)
                self.backend = "torch"
        if self._onnx is not None:
            self.dim = self._onnx.layout.dim
            self.max_tokens = self._onnx.layout.max_tokens
            if backend == "onnx-int8":
                self.model_id += INT8_SUFFIX
            return
        self._load_torch(model, load_path, device)

    def _load_torch(self, model: str | None, load_path: str, device: str) -> None:
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            # Offline by construction: a model comes from a folder or the local cache, never from a hub.
            self._model = SentenceTransformer(load_path, device=device, local_files_only=True)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(
                f"model {model or DEFAULT_MODEL!r} could not be loaded offline ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}): set the model setting (SOURCEQA_MODEL) to a local sentence-transformers "
                "folder or to a model already in the Hugging Face cache"
            ) from exc
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length or 256)

    def _encode_chunk(self, chunk: list[str], query: bool, spans: list | None = None) -> tuple[np.ndarray, list]:
        """Vectors of a few texts (and with `spans`, each text's span vectors); callers hold the lock."""
        if self._onnx is not None:
            threads = self.query_threads if query else 0
            out = np.zeros((len(chunk), self.dim), dtype=np.float32)
            parts: list = []
            for start in range(0, len(chunk), self.batch_size):
                batch = slice(start, start + self.batch_size)
                out[batch], pooled = self._onnx.encode_batch(chunk[batch], threads, spans[batch] if spans else None)
                parts.extend(pooled)
            return out, parts
        with _threads(self.query_threads if query else 0):
            vectors = self._model.encode(chunk, batch_size=self.batch_size, normalize_embeddings=True,
                                         convert_to_numpy=True, show_progress_bar=False)
            if not spans:
                return vectors, []
            from embeddings.spans import pool_spans, torch_token_vectors

            tokens = torch_token_vectors(self._model, chunk, self.batch_size, self.max_tokens)
            return vectors, [pool_spans(h, o, s, sp) for (h, o, s), sp in zip(tokens, spans)]

    def encode(
        self,
        texts: Sequence[str],
        *,
        progress: Progress | None = None,
        show_progress: bool | None = None,
        desc: str = "embedding",
    ) -> np.ndarray:
        """Vectors of shape (len(texts), dim), L2-normalised, in the order of `texts`."""
        return self._encode(texts, None, progress, show_progress, desc)[0]

    def encode_spans(
        self,
        texts: Sequence[str],
        spans: Sequence[Sequence[tuple[int, int]]],
        *,
        progress: Progress | None = None,
        show_progress: bool | None = None,
        desc: str = "embedding",
    ) -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, and for each text the unit vectors of its character `spans` pooled from the same pass
        (embeddings.spans.pool_spans: a span cut off by the token limit is a row of NaN)."""
        return self._encode(texts, [list(s) for s in spans], progress, show_progress, desc)

    def _encode(self, texts: Sequence[str], spans: list | None, progress: Progress | None, show_progress: bool | None,
                desc: str) -> tuple[np.ndarray, list[np.ndarray]]:
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        parts: list[np.ndarray] = [np.zeros((0, self.dim), np.float32)] * len(texts) if spans is not None else []
        if not texts:
            return out, parts
        bar = None
        if show_progress or (show_progress is None and len(texts) >= PROGRESS_MIN_TEXTS):
            from tqdm.auto import tqdm

            bar = tqdm(total=len(texts), desc=desc, unit="text")
        # Texts of like length batched together pad less (sentence-transformers sorts each call the same way).
        ranked = sorted(range(len(texts)), key=lambda i: len(texts[i])) if self._onnx is not None else range(len(texts))
        order = np.asarray(ranked, dtype=np.int64)
        step = self.batch_size * 8
        query = len(texts) <= QUERY_TEXTS
        try:
            for start in range(0, len(texts), step):
                rows = order[start:start + step]
                chunk = [texts[i] for i in rows]
                with self._lock:
                    vectors, pooled = self._encode_chunk(chunk, query, [spans[i] for i in rows] if spans else None)
                out[rows] = vectors
                for i, p in zip(rows, pooled):
                    parts[i] = p
                self.texts_encoded += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if progress is not None:
                    progress(start + len(chunk), len(texts))
        finally:
            if bar is not None:
                bar.close()
        return out, parts

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, shape (dim,)."""
        return self.encode([text], show_progress=False)[0]

    def truncate(self, text: str) -> tuple[str, bool]:
        """`text` cut to what the model reads (its token limit), and whether anything was cut."""
        limit = self.max_tokens - 2  # room for the [CLS] and [SEP] tokens
        # No token is longer than ~16 characters, so the tokenizer never needs to see more than this.
        head = text[: self.max_tokens * 16]
        with self._lock:
            if self._onnx is not None:
                offsets = self._onnx.token_offsets(head)
            else:
                enc = self._model.tokenizer(head, add_special_tokens=False, return_offsets_mapping=True,
                                            truncation=False, verbose=False)
                offsets = enc["offset_mapping"]
        if len(offsets) <= limit:
            return head, len(head) < len(text)
        return text[: offsets[limit - 1][1]], True
