"""A fake encoder for the fast tier: deterministic vectors from hashed words, no model, no ONNX, no torch."""

from __future__ import annotations

import hashlib
import re
from collections.abc import Sequence

import numpy as np

from qa import Engine, Settings
from qa.index.opening import open_or_build

WORD = re.compile(r"\w+")


class FakeEncoder:
    """Stands in for embeddings.Encoder: each word hashed to a few signed dimensions, summed, unit length.

    Texts sharing words get similar vectors, so retrieval and answers still behave like retrieval and answers; the
    same text always gets the same vector, in any process.
    """

    def __init__(self, dim: int = 64, max_tokens: int = 256) -> None:
        """A fake of `dim` dimensions that reads up to `max_tokens` words of a text."""
        self.dim = dim
        self.max_tokens = max_tokens
        self.model_id = f"fake-hashed-words-{dim}"

    def _vector(self, text: str) -> np.ndarray:
        v = np.zeros(self.dim, dtype=np.float32)
        for word in WORD.findall(text.lower())[: self.max_tokens]:
            h = hashlib.blake2b(word.encode(), digest_size=8).digest()
            for i in range(0, 6, 2):  # three signed dimensions per word
                v[h[i] % self.dim] += 1.0 if h[i + 1] & 1 else -1.0
        norm = float(np.linalg.norm(v))
        if norm == 0.0:
            v[0], norm = 1.0, 1.0  # a text without words still gets a unit vector
        return v / norm

    def encode(self, texts: Sequence[str], *, progress=None, show_progress=None, desc: str = "embedding") -> np.ndarray:
        """Vectors of shape (len(texts), dim), unit length, in the order of `texts`."""
        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            out[i] = self._vector(text)
            if progress is not None:
                progress(i + 1, len(texts))
        return out

    def encode_spans(self, texts: Sequence[str], spans: Sequence[Sequence[tuple[int, int]]], *, progress=None,
                     show_progress=None, desc: str = "embedding") -> tuple[np.ndarray, list[np.ndarray]]:
        """`encode`, and each text's span vectors (the span's own words: close enough to pooling for tests)."""
        parts = [np.array([self._vector(t[a:b]) for a, b in s], dtype=np.float32).reshape(len(s), self.dim)
                 for t, s in zip(texts, spans)]
        return self.encode(texts, progress=progress), parts

    def encode_query(self, text: str) -> np.ndarray:
        """One query's vector, shape (dim,)."""
        return self.encode([text])[0]

    def truncate(self, text: str) -> tuple[str, bool]:
        """`text` cut after `max_tokens` words, and whether anything was cut."""
        words = list(WORD.finditer(text))
        if len(words) <= self.max_tokens:
            return text, False
        return text[: words[self.max_tokens - 1].end()], True


def open_fake(settings: Settings, encoder: FakeEncoder) -> Engine:
    """An engine over the settings' corpus on the fake encoder: its saved index when it fits, else built and saved."""
    return Engine(settings, encoder, open_or_build(settings.index_spec, encoder))  # type: ignore[arg-type]
