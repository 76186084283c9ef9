"""A FAISS inner-product index over unit vectors (exact by default, HNSW or IVF for large corpora)."""

from __future__ import annotations

import math
from pathlib import Path
from typing import Any

import faiss as _faiss
import numpy as np

from embeddings.files import IndexFileError, atomic_write

# faiss's type stubs lag its bindings (SearchParametersHNSW, PyCallbackIOWriter, the IVF fields): used untyped.
faiss: Any = _faiss

INDEX_TYPES = ("auto", "flat", "hnsw", "ivf")
# "auto": exact search up to this many vectors, IVF above (measured by bench/ann.py: flat search grows linearly,
# about 5 ms per 100k vectors on 2 cores; at 1M derived vectors HNSW M 32 never reached recall@10 0.95, while IVF
# with nprobe from ivf_nprobe did, in a few ms; see BENCHMARKS.md, "Scale").
AUTO_FLAT_MAX = 100_000
HNSW_M = 32
HNSW_EF_CONSTRUCTION = 80
IVF_NPROBE = 16
# k-means of an IVF index trains on at most this many vectors per list (FAISS's own advice is 39 to 256).
IVF_TRAIN_PER_LIST = 64


def hnsw_ef_search(n: int) -> int:
    """efSearch for an HNSW index of n vectors, growing with the index (bench/scale.py: 256 gave recall@10 0.97 at
    100k derived MiniLM vectors; at 1M none tried reached 0.95, and 512 keeps a search near 2-9 ms)."""
    if n <= 100_000:
        return 256  # 128 gave 0.92 at 100k
    return 512


def ivf_nlist(n: int) -> int:
    """Lists of an IVF index of n vectors: about sqrt(n) (1,000 at 1M: k-means 4x cheaper than 4 sqrt(n), and a
    search scanning the same share of vectors costs the same), with at least 39 vectors per list."""
    return max(1, min(int(math.sqrt(n)), n // 39))


def ivf_nprobe(n: int) -> int:
    """nprobe for an IVF index of n vectors: a sixteenth of its lists, at least IVF_NPROBE (bench/ann.py)."""
    return max(IVF_NPROBE, ivf_nlist(n) // 16)


def resolve_kind(kind: str, n: int) -> str:
    """The concrete index type for a setting and a number of vectors ("auto" becomes flat or ivf)."""
    if kind == "auto":
        return "flat" if n <= AUTO_FLAT_MAX else "ivf"
    return kind

def tune(index: faiss.Index, n: int) -> faiss.Index:
    """Set an index's search depth (efSearch, nprobe) for its size; returns it."""
    if isinstance(index, faiss.IndexHNSW):
        index.hnsw.efSearch = hnsw_ef_search(n)
    elif isinstance(index, faiss.IndexIVF):
        index.nprobe = ivf_nprobe(n)
    return index



class VectorIndex:
    """Row-numbered vectors searchable by inner product (cosine, since vectors are unit length)."""

    def __init__(self, index: faiss.Index, kind: str) -> None:
        """Wrap a FAISS index of one of INDEX_TYPES."""
        self._index = index
        self.kind = kind

    @classmethod
    def build(cls, vectors: np.ndarray, kind: str = "flat") -> VectorIndex:
        """An index holding `vectors` (n, dim) as rows 0..n-1."""
        if kind not in INDEX_TYPES:
            raise ValueError(f"index type {kind!r} is not one of {', '.join(INDEX_TYPES)}")
        vectors = np.ascontiguousarray(vectors, dtype=np.float32)
        n, dim = vectors.shape
        kind = resolve_kind(kind, n)
        if kind == "hnsw":
            index = faiss.IndexHNSWFlat(dim, HNSW_M, faiss.METRIC_INNER_PRODUCT)
            index.hnsw.efConstruction = HNSW_EF_CONSTRUCTION
            index.hnsw.efSearch = hnsw_ef_search(n)
        elif kind == "ivf" and n >= 64:
            nlist = ivf_nlist(n)
            index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
            sample = np.random.default_rng(0).permutation(n)[: IVF_TRAIN_PER_LIST * nlist]
            index.train(vectors[np.sort(sample)])
            index.nprobe = ivf_nprobe(n)
            index.make_direct_map()
        else:
            # IVF needs enough vectors to train its clusters; below that an exact index is both right and fast.
            index = faiss.IndexFlatIP(dim)
        if n:
            index.add(vectors)
        return cls(index, kind)

    @property
    def size(self) -> int:
        """Number of vectors held."""
        return int(self._index.ntotal)

    @property
    def dim(self) -> int:
        """Vector dimension."""
        return int(self._index.d)

    def search(self, query: np.ndarray, k: int, allowed: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
        """Top-k (scores, row ids) for one query vector; `allowed` restricts the rows searched. Missing ids are -1."""
        k = max(0, min(k, self.size if allowed is None else len(allowed)))
        if k == 0:
            return np.zeros(0, np.float32), np.zeros(0, np.int64)
        q = np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32)
        params = None
        if allowed is not None:
            selector = faiss.IDSelectorBatch(np.ascontiguousarray(allowed, dtype=np.int64))
            if isinstance(self._index, faiss.IndexHNSW):
                params = faiss.SearchParametersHNSW(sel=selector, efSearch=max(self._index.hnsw.efSearch, k))
            elif isinstance(self._index, faiss.IndexIVF):
                params = faiss.SearchParametersIVF(sel=selector, nprobe=self._index.nprobe)
            else:
                params = faiss.SearchParameters(sel=selector)
        elif isinstance(self._index, faiss.IndexHNSW) and k > self._index.hnsw.efSearch:
            params = faiss.SearchParametersHNSW(efSearch=k)
        scores, ids = self._index.search(q, k, params=params)
        keep = ids[0] >= 0
        return scores[0][keep], ids[0][keep]

    def vectors(self, rows: np.ndarray) -> np.ndarray:
        """The stored vectors of the given rows, shape (len(rows), dim)."""
        rows = np.ascontiguousarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros((0, self.dim), np.float32)
        return self._index.reconstruct_batch(rows)

    def save(self, path: str | Path) -> None:
        """Write the index to `path` atomically."""
        # Streamed: serialize_index would hold two more copies of a large index in memory while saving.
        atomic_write(path, lambda handle: faiss.write_index(self._index, faiss.PyCallbackIOWriter(handle.write)))

    @classmethod
    def load(cls, path: str | Path, kind: str) -> VectorIndex:
        """Read an index written by `save`; a damaged file raises IndexFileError."""
        try:
            # Streamed from the open file, not read whole first (that copy doubled a large index's memory at load).
            with open(path, "rb") as handle:
                index = faiss.read_index(faiss.PyCallbackIOReader(handle.read))
        except (OSError, RuntimeError, ValueError) as exc:
            raise IndexFileError(f"{path}: cannot be read as a FAISS index ({str(exc).splitlines()[0][:120]})") from exc
        if isinstance(index, faiss.IndexIVF):
            index.make_direct_map()
        return cls(index, kind)
