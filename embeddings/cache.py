"""Vectors already computed, keyed by text hash, one file per model: unchanged texts are never embedded twice."""

from __future__ import annotations

import hashlib
import io
import logging
from collections.abc import Iterable, Sequence
from pathlib import Path

import numpy as np

from embeddings.files import atomic_write, slug

log = logging.getLogger("qa")


def text_key(text: str) -> str:
    """The cache key of a text: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


class EmbeddingCache:
    """A persistent map from text hash to vector for one model, stored as one `.npz` (no pickle)."""

    def __init__(self, folder: str | Path, model_id: str, dim: int) -> None:
        """Open (or start) the cache of `model_id` under `folder`; a damaged file is ignored with a warning."""
        name = slug(model_id, sep="_", limit=None)[-80:]
        self.path = Path(folder) / f"{name}-{text_key(model_id)[:8]}-{dim}.npz"
        self.dim = dim
        self._rows: dict[str, np.ndarray] = {}
        self._dirty = False
        self._fresh: list[str] = []  # keys put since the last save or checkpoint
        if self.path.exists():
            try:
                with np.load(self.path, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.shape != (len(keys), dim):
                    raise ValueError(f"shape {vectors.shape} does not match {len(keys)} keys of dim {dim}")
                self._rows = {str(k): v for k, v in zip(keys, vectors)}
            except Exception as exc:
                log.warning("embedding cache %s is damaged or unreadable (%s: %s); starting an empty one, "
                            "so its texts are embedded again", self.path, type(exc).__name__, exc)
                self._rows = {}
                self._dirty = True  # the next save replaces the damaged file

        self._load_shards()

    def _shards(self) -> list[Path]:
        return sorted(self.path.parent.glob(f"{self.path.stem}.part-*.npz"))

    def _load_shards(self) -> None:
        """Add the vectors of checkpoints an interrupted build left (each shard landed whole or not at all)."""
        for shard in self._shards():
            try:
                with np.load(shard, allow_pickle=False) as data:
                    keys, vectors = data["keys"], data["vectors"]
                if vectors.shape != (len(keys), self.dim):
                    raise ValueError(f"shape {vectors.shape} does not match {len(keys)} keys of dim {self.dim}")
            except Exception as exc:
                log.warning("embedding checkpoint %s is unreadable (%s); its texts are embedded again", shard, exc)
                continue
            self._rows.update((str(k), v) for k, v in zip(keys, vectors))
            self._dirty = True  # the next save folds the shards into the main file

    def checkpoint(self) -> None:
        """Write the vectors put since the last save or checkpoint to a shard of their own, so a build killed later
        keeps them; cheap because only the new rows are written. `save` folds the shards into the main file."""
        if not self._fresh:
            return
        keys = np.array(self._fresh, dtype="U64")
        buffer = io.BytesIO()
        np.savez(buffer, keys=keys, vectors=np.stack([self._rows[k] for k in self._fresh]))
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path.with_name(f"{self.path.stem}.part-{len(self._shards()):06d}-{text_key(self._fresh[0])[:8]}.npz"),
                     buffer.getvalue())
        self._fresh = []

    def __len__(self) -> int:
        return len(self._rows)

    def keys(self) -> frozenset[str]:
        """The keys of every vector held."""
        return frozenset(self._rows)

    def lookup(self, keys: Sequence[str]) -> tuple[np.ndarray, list[int]]:
        """(vectors for `keys`, zeros where unknown; positions of the unknown keys)."""
        out = np.zeros((len(keys), self.dim), dtype=np.float32)
        missing = []
        for i, key in enumerate(keys):
            row = self._rows.get(key)
            if row is None:
                missing.append(i)
            else:
                out[i] = row
        return out, missing

    def put(self, keys: Sequence[str], vectors: np.ndarray) -> None:
        """Remember vectors for keys."""
        for key, vector in zip(keys, vectors):
            self._rows[key] = np.asarray(vector, dtype=np.float32)
            self._fresh.append(key)
        self._dirty = self._dirty or len(keys) > 0

    def save(self, keep: Iterable[str] | None = None) -> None:
        """Write the cache atomically; with `keep`, forget entries outside it once the cache has grown large."""
        if keep is not None:
            keep = set(keep)
            if len(self._rows) > 2 * len(keep) + 1000:
                self._rows = {k: v for k, v in self._rows.items() if k in keep}
                self._dirty = True
        if not self._dirty:
            return
        keys = np.array(sorted(self._rows), dtype="U64")
        vectors = np.stack([self._rows[k] for k in keys]) if len(keys) else np.zeros((0, self.dim), np.float32)
        buffer = io.BytesIO()
        np.savez(buffer, keys=keys, vectors=vectors)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, buffer.getvalue())
        self._dirty = False
        self._fresh = []
        for shard in self._shards():
            shard.unlink(missing_ok=True)
