"""Small helpers shared by tests."""

from __future__ import annotations

from pathlib import Path


def write(folder: Path, name: str, text: str | bytes) -> Path:
    """Write a file (creating folders) exactly as given and return its path."""
    path = folder / name
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(text, bytes):
        path.write_bytes(text)
    else:
        path.write_text(text, encoding="utf-8", newline="")
    return path
