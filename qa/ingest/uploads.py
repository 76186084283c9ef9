"""Uploaded files: checked (type, size, readable as an article, duplicates), safely named, and written into the corpus folder."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, replace
from enum import StrEnum
from pathlib import Path
from typing import Any

from embeddings.files import atomic_write, slug
from qa.errors import setting_name
from qa.ingest.formats import SUFFIX_LIST, SUFFIXES, Extracted, Unreadable, body_key, extract

MAX_UPLOAD_BYTES = 5 * 1024 * 1024


class UploadStatus(StrEnum):
    """What became of an uploaded file."""

    ADDED = "added"
    DUPLICATE = "duplicate"
    REJECTED = "rejected"


@dataclass(frozen=True)
class Upload:
    """What happened to one uploaded file."""

    name: str
    saved_as: str | None
    status: UploadStatus
    message: str
    paragraphs: int | None = None  # for an added file, the paragraphs of it that were indexed (0: nothing searchable)


def safe_filename(name: str) -> str:
    """A file name reduced to letters, digits, '.', '_' and '-', with no folders and no leading dot."""
    base = Path(str(name).replace("\\", "/")).name
    stem, dot, suffix = base.rpartition(".")
    if not dot:
        stem, suffix = base, ""
    stem = slug(stem) or "upload"
    return f"{stem}.{suffix.lower()}" if suffix else stem


def _problem(display: str, data: bytes) -> tuple[Extracted | None, str | None]:
    """(the file read as an article, None) or (None, why the file is refused, in one line)."""
    if Path(display).suffix.lower() not in SUFFIXES:
        return None, f"{display}: only {SUFFIX_LIST} files can be added"
    if len(data) > MAX_UPLOAD_BYTES:
        return None, f"{display}: {len(data):,} bytes is over the {MAX_UPLOAD_BYTES:,}-byte limit"
    try:
        return extract(display, data), None
    except Unreadable as exc:
        return None, str(exc)


def save_upload(folder: Path, name: str, data: bytes, known: set[str]) -> Upload:
    """Write one upload into `folder` under a safe, unused name, unless refused or its text is already `known`."""
    display = Path(str(name).replace("\\", "/")).name or "upload"
    got, problem = _problem(display, data)
    if got is None:
        return Upload(display, None, UploadStatus.REJECTED, problem or "refused")
    key = body_key(got.text, got.body_start)
    if key in known:
        return Upload(display, None, UploadStatus.DUPLICATE,
                      f"{display}: the same text is already in the library; not added again")
    target = _unused(folder, safe_filename(display))
    try:
        folder.mkdir(parents=True, exist_ok=True)
        # Written to disk before indexing: a crash in between loses nothing, the next start indexes it.
        atomic_write(target, data)
    except OSError as exc:
        return Upload(display, None, UploadStatus.REJECTED,
                      f"{display}: cannot be saved in the corpus folder {folder} ({exc.strerror or type(exc).__name__}): "
                      f"make the folder writable, or set {setting_name('corpus')} to one that is")
    known.add(key)
    # What reading it had to leave out ("4,700 pages left out") is said here, where the uploader reads.
    notes = "".join(f"; {w.removeprefix(display + ': ')}" for w in got.warnings)
    return Upload(display, target.name, UploadStatus.ADDED, f"{display}: saved as {target.name}{notes}")


def _unused(folder: Path, name: str) -> Path:
    """`folder / name`, or `stem-2.suffix`, `stem-3.suffix`… : the first whose stem no file in the folder has, whatever
    its suffix (`report.md` beside `report.txt` would otherwise share its article id)."""
    stem, suffix = Path(name).stem, Path(name).suffix
    taken = {p.stem for p in folder.iterdir()} if folder.is_dir() else set()
    target, i = folder / name, 2
    while target.stem in taken:
        target = folder / f"{stem}-{i}{suffix}"
        i += 1
    return target


def indexed(upload: Upload, articles: Iterable[Any], folder: Path) -> Upload:
    """An added upload with the count of its paragraphs now in the index (`articles`: the library's article views
    of the corpus `folder`), and a warning when nothing of it is."""
    if upload.status != UploadStatus.ADDED or upload.saved_as is None:
        return upload
    saved = (folder / upload.saved_as).resolve()
    chunk = next((c for c in articles if Path(c.article.path) == saved), None)
    count = len(chunk.passages) if chunk else 0
    message = upload.message
    if count == 0:
        why = sorted({d.reason for d in chunk.dropped}) if chunk else []
        message += ("; but no paragraph of it is article prose, so nothing of it can be searched"
                    + (f" (dropped as {', '.join(why)})" if why else "")
                    + ": give each paragraph whole sentences, or put the title in a front matter")
    return replace(upload, message=message, paragraphs=count)
