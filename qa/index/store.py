"""Saving and loading a Library in an index folder: whole generations, switched atomically, checked on load."""

from __future__ import annotations

import io
import logging
import shutil
import time
import uuid
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import replace
from enum import StrEnum
from pathlib import Path

import numpy as np
from filelock import FileLock, Timeout

from embeddings import EmbeddingCache, VectorIndex, atomic_write, file_sha256
from embeddings.files import fsync_dir
from qa.index.lexical import LexicalIndex
from qa.index.library import Library, SentenceTable, expected_for
from qa.index.manifest import Manifest, checksum_problems, stale_reasons
from qa.index.vectors import DEFAULT_SENTENCES
from qa.ingest.chunking import Chunked, chunk_corpus, chunk_warnings
from qa.ingest.corpus import Corpus

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
