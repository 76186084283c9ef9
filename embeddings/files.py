"""Crash-safe file writes and checksums: a write lands whole or not at all."""

from __future__ import annotations

import hashlib
import os
import re
import uuid
from collections.abc import Callable
from pathlib import Path
from typing import BinaryIO

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def slug(text: str, sep: str = "-", limit: int | None = 100) -> str:
    """Text reduced to a safe file name part: letters, digits, '.', '_' and '-' (other runs become `sep`), no
    leading or trailing separators or dots, at most `limit` characters; may be empty."""
    return _UNSAFE.sub(sep, text).strip("._-")[:limit]


class IndexFileError(Exception):
    """A saved index file is missing, truncated or corrupt, and must be rebuilt."""


def atomic_write(path: str | Path, data: bytes | Callable[[BinaryIO], None]) -> None:
    """Write `data` (bytes, or a function that writes to the open file: large contents are streamed rather than
    built in memory first) to `path` through a temporary file in the same folder, fsync, then rename over it."""
    target = Path(path)
    tmp = target.parent / f".{target.name}.{uuid.uuid4().hex}.tmp"
    # Created like a plain open() would (0666 less the umask), unlike mkstemp's 0600, without reading the process
    # umask (os.umask can only be read by setting it: a race with other threads).
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o666)
    try:
        with os.fdopen(fd, "wb") as handle:
            if callable(data):
                data(handle)
            else:
                handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, target)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def fsync_dir(path: str | Path) -> None:
    """Make a rename inside a folder durable (a no-op where folders cannot be opened)."""
    try:
        fd = os.open(path, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(fd)
    except OSError:
        pass
    finally:
        os.close(fd)


def file_sha256(path: str | Path) -> str:
    """Hex SHA-256 of a file's bytes."""
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
