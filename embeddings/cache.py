"""Vectors already computed, keyed by text hash, one file per model: unchanged texts are never embedded twice."""

from __future__ import annotations

import hashlib
import logging
import zipfile
from collections.abc import Iterable, Sequence
from pathlib import Path
from typing import BinaryIO

import numpy as np

from embeddings.files import atomic_write, slug

log = logging.getLogger("qa")
# Rows written at a time when the cache is saved.
_BLOCK = 4096


def text_key(text: str) -> str:
    """The cache key of a text: hex SHA-256 of its UTF-8 bytes."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def _write_npy(archive: zipfile.ZipFile, name: str, dtype: str, shape: tuple[int, ...], blocks: Iterable[np.ndarray]
               ) -> None:
    """One array of an `.npz`, as np.save writes it, from blocks of its rows."""
    with archive.open(f"{name}.npy", "w", force_zip64=True) as member:
        header = {"descr": np.lib.format.dtype_to_descr(np.dtype(dtype)), "fortran_order": False, "shape": shape}
        np.lib.format.write_array_header_1_0(member, header)
        for block in blocks:
            member.write(block.tobytes())


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
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path.with_name(f"{self.path.stem}.part-{len(self._shards()):06d}-{text_key(self._fresh[0])[:8]}.npz"),
                     lambda handle: self._write(handle, self._fresh))
        self._fresh = []

    def _write(self, handle: BinaryIO, keys: Sequence[str]) -> None:
        """The vectors of `keys` as an `.npz` (what np.savez writes, read back by np.load), written a block at a time.

        Not np.savez: it needs the whole (n, dim) array in memory, a second copy of every vector the cache holds
        (600 MB for a 100k-passage archive) on top of the rows themselves.
        """
        n = len(keys)
        starts = range(0, n, _BLOCK)
        with zipfile.ZipFile(handle, "w", zipfile.ZIP_STORED, allowZip64=True) as archive:
            _write_npy(archive, "keys", "<U64", (n,), (np.array(keys[i:i + _BLOCK], "<U64") for i in starts))
            _write_npy(archive, "vectors", "<f4", (n, self.dim),
                       (np.stack([self._rows[k] for k in keys[i:i + _BLOCK]]).astype("<f4", copy=False) for i in starts))

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

    def put(self, keys: Sequence[str], vectors: np.ndarray | Sequence[np.ndarray]) -> None:
        """Remember vectors for keys (float32 rows are kept as given, views included: no copy is made)."""
        for key, vector in zip(keys, vectors):
            self._rows[key] = np.asarray(vector, dtype=np.float32)
            self._fresh.append(key)
        self._dirty = self._dirty or len(keys) > 0

    def save(self, keep: Iterable[str] | None = None, release: bool = False) -> None:
        """Write the cache atomically; with `keep`, forget entries outside it once the cache has grown large; with
        `release`, then let go of the rows held in memory (the file keeps them; open the cache again to look up)."""
        if keep is not None:
            keep = set(keep)
            if len(self._rows) > 2 * len(keep) + 1000:
                self._rows = {k: v for k, v in self._rows.items() if k in keep}
                self._dirty = True
        if self._dirty:
            self._save()
        if release:
            self._rows = {}

    def _save(self) -> None:
        keys = sorted(self._rows)
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write(self.path, lambda handle: self._write(handle, keys))
        self._dirty = False
        self._fresh = []
        for shard in self._shards():
            shard.unlink(missing_ok=True)
