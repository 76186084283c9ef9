"""The encoder an engine uses: a model named by the settings, loaded offline, or one already loaded and shared."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from embeddings import Encoder, ModelLoadError, resolve_model
from embeddings.encoder import INT8_SUFFIX
from qa.errors import UserError


@dataclass(frozen=True)
class EncoderSpec:
    """Which model embeds (a name or folder), on which backend, where its ONNX export is kept, its query threads."""

    model: str
    backend: str
    cache: Path
    query_threads: int

    def load(self) -> Encoder:
        """The model, loaded offline; a UserError naming the setting when it cannot be."""
        try:
            return Encoder(self.model, backend=self.backend, cache_dir=self.cache, query_threads=self.query_threads)
        except ModelLoadError as exc:
            raise UserError(str(exc)) from exc

    def matches(self, encoder: Encoder) -> bool:
        """Whether a loaded encoder is this model (so an engine may share it instead of loading one)."""
        try:
            model_id, _ = resolve_model(self.model)
        except ModelLoadError:
            return False
        return encoder.model_id == model_id + (INT8_SUFFIX if self.backend == "onnx-int8" else "")
