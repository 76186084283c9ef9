"""Saving and loading a Library in an index folder: whole generations, switched atomically, checked on load."""

from __future__ import annotations

import io
import logging
import shutil
import tempfile
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from embeddings import EmbeddingCache, Encoder, VectorIndex, atomic_write, file_sha256
from embeddings.files import fsync_dir
from qa.index.lexical import LexicalIndex
from qa.index.library import BuildReport, Library, Progress, SentenceTable, expected_for, index_chunks
from qa.index.manifest import Manifest, checksum_problems, stale_reasons
from qa.index.vectors import DEFAULT_SENTENCES
from qa.ingest.chunking import MAX_PASSAGES_PER_FILE, Chunked, chunk_corpus, chunk_warnings
from qa.ingest.corpus import Corpus, load_corpus

log = logging.getLogger("qa")

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.faiss"
SENTENCES = "sentences.faiss"
SENTENCE_TABLE = "sentences.npz"
BM25 = "bm25"


class LoadReason(StrEnum):
    """Why an index was loaded as saved or built again."""

    LOADED = "loaded"  # the saved index matches the corpus, model and index type
    NO_INDEX = "no saved index"
    REBUILD_REQUESTED = "rebuild requested"
    STALE = "stale"  # the corpus, model, index type or recipe changed (the details say which)
    DAMAGED = "damaged"  # a saved file is unreadable or failed its checksum
    IN_MEMORY = "documents in memory"  # built from documents a program passed, not from a folder; not saved


@dataclass(frozen=True)
class LoadResult:
    """An opened library, what opening it did, and why it was loaded or built."""

    library: Library
    report: BuildReport
    reason: LoadReason
    details: tuple[str, ...] = ()


@contextmanager
def _locked(folder: Path, wait: bool = True) -> Iterator[bool]:
    """Hold the folder's writer lock (one writer at a time; readers read a finished generation and never lock).

    Without `wait`, yields False at once when another writer holds it. The lock dies with its process, so a
    writer killed mid-save never blocks the next one.
    """
    lock = FileLock(folder / ".lock", timeout=-1 if wait else 0)
    try:
        lock.acquire()
    except Timeout:
        yield False
        return
    try:
        yield True
    finally:
        lock.release()


def _pointer(folder: Path) -> str | None:
    try:
        return (folder / CURRENT).read_text(errors="replace").strip()
    except FileNotFoundError:
        return None


def _valid_name(name: str) -> bool:
    return name.startswith("gen-") and "/" not in name and "\\" not in name and len(name) < 100


def current_generation(folder: Path) -> Path | None:
    """The generation folder CURRENT points at, if any."""
    try:
        name = _pointer(folder)
    except OSError:
        return None
    if not name or not _valid_name(name):
        return None
    return folder / name


def remove_leftovers(folder: str | Path) -> list[str]:
    """Delete what an interrupted build left behind: generations CURRENT does not name, and temporary files.

    Skipped (nothing removed) while another process is saving into the folder, or when the folder is read-only.
    """
    folder = Path(folder)
    if not any(folder.glob("gen-*")) and not any(folder.glob(".*.tmp")):
        return []
    removed: list[str] = []
    try:
        with _locked(folder, wait=False) as mine:
            current = current_generation(folder)
            if not mine or ((folder / CURRENT).exists() and (current is None or not current.is_dir())):
                return []  # a writer is at work, or the pointer is damaged: the next save sorts the folder out
            for path in sorted(folder.glob("gen-*")):
                if path != current:
                    shutil.rmtree(path) if path.is_dir() else path.unlink()
                    removed.append(path.name)
            for path in sorted([*folder.glob(".*.tmp"), *folder.glob("cache/.*.tmp")]):
                path.unlink()
                removed.append(path.relative_to(folder).as_posix())
    except OSError as exc:
        log.debug("leftovers in %s not removed: %s", folder, exc)
    if removed:
        log.warning("removed what an interrupted index build left in %s: %s", folder, ", ".join(removed))
    return removed


def _files(gen: Path) -> dict[str, str]:
    return {
        p.relative_to(gen).as_posix(): file_sha256(p)
        for p in sorted(gen.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


def save_library(library: Library, folder: str | Path, cache: EmbeddingCache | None = None) -> Manifest:
    """Write a library as a new generation, then point CURRENT at it; older generations are removed.

    The embedding cache, if given, is saved first: a crash before the switch still keeps the vectors computed.
    """
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
        if cache is not None:
            cache.save(keep=None)
        gen = folder / f"gen-{time.strftime('%Y%m%d-%H%M%S')}-{uuid.uuid4().hex[:8]}"
        gen.mkdir()
        try:
            library.vectors.save(gen / PASSAGES)
            library.sentence_vectors.save(gen / SENTENCES)
            buffer = io.BytesIO()
            table = library.sentences
            np.savez(buffer, passage=table.passage, start=table.start, end=table.end)
            atomic_write(gen / SENTENCE_TABLE, buffer.getvalue())
            library.lexical.save(gen / BM25)
            manifest = replace(library.manifest, files=_files(gen))
            atomic_write(gen / MANIFEST, manifest.to_json().encode())
            fsync_dir(gen)
            atomic_write(folder / CURRENT, gen.name.encode())
            fsync_dir(folder)
        except BaseException:
            shutil.rmtree(gen, ignore_errors=True)
            raise
        for old in folder.glob("gen-*"):
            if old != gen:
                shutil.rmtree(old, ignore_errors=True)
    return manifest


def load_library(
    folder: str | Path,
    corpus: Corpus,
    model_id: str,
    index_type: str,
    chunks: tuple[Chunked, ...] | None = None,
    sentences: str = DEFAULT_SENTENCES,
) -> tuple[Library | None, LoadReason, tuple[str, ...]]:
    """The saved library when it matches this corpus, model and index type, else (None, why, details).

    `chunks` are the corpus's articles already cut (by default cut here without a paragraph cap).
    """
    folder = Path(folder)
    damaged = LoadReason.DAMAGED
    try:
        name = _pointer(folder)
    except OSError as exc:
        return None, damaged, (f"the index pointer {folder / CURRENT} is unreadable ({exc.strerror})",)
    if name is None:
        return None, LoadReason.NO_INDEX, ()
    gen = folder / name if _valid_name(name) else None
    if gen is None or not gen.is_dir():
        return None, damaged, (f"the index pointer {folder / CURRENT} names {name[:60]!r}, which is not a saved generation",)
    try:
        manifest = Manifest.from_json((gen / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        return None, damaged, (f"{gen / MANIFEST} is unreadable ({str(exc)[:200]})",)
    if chunks is None:
        chunks = chunk_corpus(corpus)
    reasons = stale_reasons(manifest, expected_for(chunks, model_id, index_type, sentences))
    if reasons:
        return None, LoadReason.STALE, tuple(reasons)
    actual = {name: file_sha256(gen / name) if (gen / name).is_file() else None for name in manifest.files}
    problems = checksum_problems(manifest.files, actual)
    if problems:
        return None, damaged, (f"saved index in {gen}: {'; '.join(problems)}",)
    passages = tuple(p for c in chunks for p in c.passages)
    try:
        vectors = VectorIndex.load(gen / PASSAGES, index_type)
        sentence_vectors = VectorIndex.load(gen / SENTENCES, index_type)
        with np.load(gen / SENTENCE_TABLE, allow_pickle=False) as data:
            table = SentenceTable(data["passage"], data["start"], data["end"])
        lexical = LexicalIndex.load(gen / BM25)
    except Exception as exc:
        return None, damaged, (f"saved index in {gen}: {type(exc).__name__}: {str(exc)[:200]}",)
    sizes = (vectors.size, lexical.size, sentence_vectors.size, len(table))
    if sizes != (len(passages), len(passages), manifest.sentences, manifest.sentences) or vectors.dim != manifest.dim:
        return None, damaged, (f"saved index in {gen} does not line up with its manifest (sizes {sizes})",)
    notes = chunk_warnings(chunks)
    for note in notes:
        log.warning("%s", note)
    library = Library(corpus.folder, chunks, passages, vectors, table, sentence_vectors, lexical, manifest,
                      corpus.warnings + notes)
    return library, LoadReason.LOADED, ()


@dataclass(frozen=True)
class IndexSpec:
    """What an index is built from and kept in: the corpus folder, the index folder, and how passages are indexed."""

    corpus: Path
    folder: Path
    index_type: str = "auto"
    sentences: str = DEFAULT_SENTENCES
    max_paragraphs: int = MAX_PASSAGES_PER_FILE


def open_or_build(spec: IndexSpec, encoder: Encoder, *, rebuild: bool = False,
                  progress: Progress | None = None) -> LoadResult:
    """The spec's corpus as a Library: the saved index when it still matches, else built (reusing cached
    vectors) and saved; an index folder that cannot be written is served from memory, with the report saying so."""
    began = time.perf_counter()
    corpus = load_corpus(spec.corpus)
    folder = spec.folder
    remove_leftovers(folder)
    chunks = chunk_corpus(corpus, spec.max_paragraphs)
    if rebuild:
        library, reason, details = None, LoadReason.REBUILD_REQUESTED, ()
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
