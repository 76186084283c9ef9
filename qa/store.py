"""Saving and loading a Library in an index folder: whole generations, switched atomically, checked on load."""

from __future__ import annotations

import fcntl
import io
import logging
import os
import shutil
import time
import uuid
from contextlib import contextmanager
from dataclasses import replace
from pathlib import Path

import numpy as np

from embeddings import IndexFileError, VectorIndex, atomic_write, file_sha256
from embeddings.files import fsync_dir
from qa.chunking import Chunked, chunk_article
from qa.corpus import Corpus
from qa.lexical import LexicalIndex
from qa.library import Library, SentenceTable, chunk_warnings, expected_for
from qa.manifest import Manifest, checksum_problems, stale_reasons

log = logging.getLogger("qa")

CURRENT = "CURRENT"
MANIFEST = "manifest.json"
PASSAGES = "passages.faiss"
SENTENCES = "sentences.faiss"
SENTENCE_TABLE = "sentences.npz"
BM25 = "bm25"


@contextmanager
def _locked(folder: Path):
    # One writer at a time per index folder; readers never need the lock (they read a finished generation).
    with open(folder / ".lock", "a+b") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_generation(folder: Path) -> Path | None:
    """The generation folder CURRENT points at, if any."""
    try:
        name = (folder / CURRENT).read_text().strip()
    except OSError:
        return None
    if not name or "/" in name or name.startswith("."):
        return None
    return folder / name


def _files(gen: Path) -> dict[str, str]:
    return {
        p.relative_to(gen).as_posix(): file_sha256(p)
        for p in sorted(gen.rglob("*")) if p.is_file() and p.name != MANIFEST
    }


def save_library(library: Library, folder: str | Path) -> Manifest:
    """Write a library as a new generation, then point CURRENT at it; older generations are removed."""
    folder = Path(folder)
    folder.mkdir(parents=True, exist_ok=True)
    with _locked(folder):
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


def read_manifest(folder: str | Path) -> Manifest | None:
    """The manifest of the current generation, or None when there is no readable one."""
    gen = current_generation(Path(folder))
    if gen is None:
        return None
    try:
        return Manifest.from_json((gen / MANIFEST).read_text())
    except (OSError, ValueError):
        return None


def load_library(
    folder: str | Path,
    corpus: Corpus,
    model_id: str,
    index_type: str,
    chunks: tuple[Chunked, ...] | None = None,
) -> tuple[Library | None, list[str]]:
    """The saved library when it matches this corpus, model and index type, else (None, reasons to rebuild).

    `chunks` are the corpus's articles already cut (by default cut here without a paragraph cap).
    """
    folder = Path(folder)
    gen = current_generation(folder)
    if gen is None or not gen.is_dir():
        return None, ["no saved index"]
    try:
        manifest = Manifest.from_json((gen / MANIFEST).read_text())
    except (OSError, ValueError) as exc:
        return None, [f"manifest unreadable ({exc})"]
    if chunks is None:
        chunks = tuple(chunk_article(a) for a in corpus.articles)
    reasons = stale_reasons(manifest, expected_for(chunks, model_id, index_type))
    if reasons:
        return None, reasons
    actual = {name: file_sha256(gen / name) if (gen / name).is_file() else None for name in manifest.files}
    problems = checksum_problems(manifest.files, actual)
    if problems:
        return None, [f"saved index in {gen} is damaged: {'; '.join(problems)}"]
    passages = tuple(p for c in chunks for p in c.passages)
    try:
        vectors = VectorIndex.load(gen / PASSAGES, index_type)
        sentence_vectors = VectorIndex.load(gen / SENTENCES, index_type)
        with np.load(gen / SENTENCE_TABLE, allow_pickle=False) as data:
            table = SentenceTable(data["passage"], data["start"], data["end"])
        lexical = LexicalIndex.load(gen / BM25)
    except (IndexFileError, OSError, ValueError, KeyError) as exc:
        return None, [f"saved index in {gen} is damaged: {exc}"]
    sizes = (vectors.size, lexical.size, sentence_vectors.size, len(table))
    if sizes != (len(passages), len(passages), manifest.sentences, manifest.sentences):
        return None, [f"saved index in {gen} does not line up with its manifest (sizes {sizes})"]
    notes = chunk_warnings(chunks)
    for note in notes:
        log.warning("%s", note)
    library = Library(corpus.folder, chunks, passages, vectors, table, sentence_vectors, lexical, manifest,
                      corpus.warnings + notes)
    return library, []


def index_folder_writable(folder: Path) -> str | None:
    """None when an index can be saved in `folder`, else why not."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        return f"cannot create {folder} ({exc.strerror})"
    if not os.access(folder, os.W_OK):
        return f"{folder} is not writable"
    return None
