"""Vectors and the files that hold them: a sentence-transformers encoder, a FAISS index, an embedding cache."""

from embeddings.cache import EmbeddingCache
from embeddings.encoder import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, Encoder, ModelLoadError, resolve_model
from embeddings.files import IndexFileError, atomic_write, file_sha256
from embeddings.index import INDEX_TYPES, VectorIndex, resolve_kind, tune

__all__ = [
    "BACKENDS", "DEFAULT_BACKEND", "DEFAULT_MODEL", "INDEX_TYPES", "EmbeddingCache", "Encoder", "IndexFileError",
    "ModelLoadError", "VectorIndex", "atomic_write", "file_sha256", "resolve_kind", "resolve_model", "tune",
]
