"""Opening a corpus's index: the saved one when it still fits the corpus and settings, else built and saved."""

from __future__ import annotations

import logging
import tempfile
import time
from dataclasses import dataclass, replace
from pathlib import Path

from embeddings import EmbeddingCache, Encoder
from qa.index.library import BuildReport, Library, Progress, index_chunks
from qa.index.store import LoadReason, load_library, remove_leftovers, save_library
from qa.ingest.chunking import chunk_corpus
from qa.ingest.corpus import load_corpus

log = logging.getLogger("qa")


@dataclass(frozen=True)
class LoadResult:
    """An opened library, what opening it did, and why it was loaded or built."""

    library: Library
    report: BuildReport
    reason: LoadReason
    details: tuple[str, ...] = ()


@dataclass(frozen=True)
class IndexSpec:
    """What an index is built from and kept in: the corpus folder, the index folder, and how passages are indexed."""

    corpus: Path
    folder: Path
    index_type: str
    sentences: str
    max_paragraphs: int


def open_or_build(spec: IndexSpec, encoder: Encoder, *, rebuild: bool = False,
                  progress: Progress | None = None) -> LoadResult:
    """The spec's corpus as a Library: the saved index when it still matches, else built (reusing cached
    vectors) and saved; an index folder that cannot be written is served from memory, with the report saying so."""
    began = time.perf_counter()
    corpus = load_corpus(spec.corpus)
    folder = spec.folder
    remove_leftovers(folder)
    chunks = chunk_corpus(corpus, spec.max_paragraphs)
    details: tuple[str, ...] = ()
    if rebuild:
        library, reason = None, LoadReason.REBUILD_REQUESTED
    else:
        library, reason, details = load_library(folder, corpus, encoder.model_id, spec.index_type, chunks,
                                                spec.sentences)
    if library is not None:
        report = BuildReport(
            articles=len(library.chunks), passages=len(library.passages),
            dropped=sum(len(c.boilerplate) for c in library.chunks), sentences=len(library.sentences),
            embedded=0, reused=0, seconds=time.perf_counter() - began, loaded=True, reason=str(reason),
        )
        return LoadResult(library, report, reason)
    if reason in (LoadReason.STALE, LoadReason.DAMAGED):
        level = logging.WARNING if reason is LoadReason.DAMAGED else logging.INFO
        log.log(level, "rebuilding the index in %s: %s (%s)", folder, reason, "; ".join(details))
    problem = index_folder_writable(folder)
    if problem is None:
        _clear_cache_path(folder / "cache")
    cache = EmbeddingCache(folder / "cache", encoder.model_id, encoder.dim)
    library, report = index_chunks(chunks, corpus.folder, encoder, cache, index_type=spec.index_type,
                                   progress=progress, warnings=corpus.warnings, sentences=spec.sentences)
    report = replace(report, reason=str(reason), reasons=details)
    if problem is None:
        try:
            save_library(library, folder, cache)
        except OSError as exc:
            problem = f"{exc.strerror or exc} ({getattr(exc, 'filename', '') or folder})"
    if problem is not None:
        log.warning("could not save the index: %s; serving it from memory", problem)
        report = replace(report, saved=False, save_error=problem)
    return LoadResult(library, report, reason, details)


def _clear_cache_path(path: Path) -> None:
    """Remove what stands where the embedding cache folder belongs when it is not a folder (a file, a link): the
    cache is only vectors that can be made again, and saving into it would fail at every start."""
    if (path.is_dir() and not path.is_symlink()) or not (path.exists() or path.is_symlink()):
        return
    try:
        path.unlink()
    except OSError as exc:
        log.warning("%s is not a folder and cannot be removed (%s): remove it so the index can be saved", path,
                    exc.strerror or exc)
        return
    log.warning("%s was not a folder (the embedding cache belongs there); removed, so the vectors are made again", path)


def index_folder_writable(folder: Path) -> str | None:
    """None when an index can be saved in `folder`, else why not (found by trying: permission bits lie to root)."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {folder} ({exc.strerror or exc})"
    try:
        with tempfile.TemporaryFile(dir=folder, prefix=".probe-"):
            pass
    except OSError as exc:
        return f"{folder} is not writable ({exc.strerror or exc})"
    return None
