"""The encoder an engine uses: the settings' model loaded offline, or one already loaded and shared."""

from __future__ import annotations

from embeddings import Encoder, ModelLoadError, resolve_model
from embeddings.encoder import INT8_SUFFIX
from qa.errors import UserError
from qa.settings import Settings


def load_encoder(settings: Settings, documents: bool = False) -> Encoder:
    """The settings' model, loaded offline; a UserError naming the setting when it cannot be.

    Its ONNX export is kept in the index folder's cache; for documents in memory, in the user's cache folder (shared
    by every set of documents, e.g. each BEIR dataset, instead of a copy per index folder).
    """
    cache = settings.model_cache
    if documents:
        cache = settings.cache_dir or Settings.load().cache_dir
    try:
        return Encoder(settings.model, backend=settings.backend, cache_dir=cache, query_threads=settings.query_threads)
    except ModelLoadError as exc:
        raise UserError(str(exc)) from exc


def is_model_of(encoder: Encoder, settings: Settings) -> bool:
    """Whether a loaded encoder is the model the settings name (so an engine may share it instead of loading one)."""
    try:
        model_id, _ = resolve_model(settings.model)
    except ModelLoadError:
        return False
    return encoder.model_id == model_id + (INT8_SUFFIX if settings.backend == "onnx-int8" else "")
