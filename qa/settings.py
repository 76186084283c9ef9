"""Settings: one frozen value built from defaults, `SOURCEQA_*` environment variables and command-line flags."""

from __future__ import annotations

import os
from dataclasses import dataclass, fields, replace
from pathlib import Path

from embeddings import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, INDEX_TYPES
from qa.chunking import MAX_PASSAGES_PER_FILE
from qa.errors import UserError

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpus"
MODES = ("bm25", "dense", "hybrid")
MAX_K = 100

# Environment variable for each setting.
ENV = {
    "corpus": "SOURCEQA_CORPUS",
    "index_dir": "SOURCEQA_INDEX_DIR",
    "model": "SOURCEQA_MODEL",
    "mode": "SOURCEQA_MODE",
    "k": "SOURCEQA_K",
    "index_type": "SOURCEQA_INDEX_TYPE",
    "max_paragraphs": "SOURCEQA_MAX_PARAGRAPHS",
    "reader": "SOURCEQA_READER",
    "backend": "SOURCEQA_BACKEND",
}


@dataclass(frozen=True)
class Settings:
    """Where the articles and the index live, which model embeds them, and how to search."""

    corpus: Path = DEFAULT_CORPUS
    index_dir: Path | None = None
    model: str = DEFAULT_MODEL
    mode: str = "hybrid"
    k: int = 5
    index_type: str = "auto"
    max_paragraphs: int = MAX_PASSAGES_PER_FILE
    reader: str | None = None  # a sentence-transformers CrossEncoder (name or folder) that rescores answer sentences
    backend: str = DEFAULT_BACKEND

    @property
    def index_path(self) -> Path:
        """The index folder: the setting, or `.sourceqa/` inside the corpus folder."""
        return self.index_dir if self.index_dir is not None else self.corpus / ".sourceqa"

    @property
    def model_cache(self) -> Path:
        """Where the encoder's ONNX export is kept: the index folder's cache (beside the embedding cache)."""
        return self.index_path / "cache"

    @classmethod
    def load(cls, **overrides: object) -> Settings:
        """Defaults, then environment variables, then the non-None `overrides` (e.g. CLI flags); validated."""
        values: dict[str, object] = {}
        for name, var in ENV.items():
            if os.environ.get(var, "").strip():
                values[name] = os.environ[var].strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        return cls().with_values(**values)

    def with_values(self, **values: object) -> Settings:
        """A copy with some settings changed, converted and checked."""
        known = {f.name for f in fields(self)}
        unknown = set(values) - known
        if unknown:
            raise UserError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        clean: dict[str, object] = {}
        for name, value in values.items():
            if name in ("corpus", "index_dir"):
                clean[name] = Path(str(value)).expanduser()
            elif name == "k":
                clean[name] = parse_k(value)
            elif name == "max_paragraphs":
                clean[name] = parse_max_paragraphs(value)
            elif name == "mode":
                clean[name] = parse_mode(value)
            elif name == "index_type":
                if str(value) not in INDEX_TYPES:
                    raise UserError(f"index type {value!r} is not one of {', '.join(INDEX_TYPES)} (--index-type / SOURCEQA_INDEX_TYPE)")
                clean[name] = str(value)
            elif name == "backend":
                if str(value).strip().lower() not in BACKENDS:
                    raise UserError(f"backend {value!r} is not one of {', '.join(BACKENDS)} (--backend / SOURCEQA_BACKEND)")
                clean[name] = str(value).strip().lower()
            else:
                clean[name] = str(value)
        return replace(self, **clean)


def parse_mode(value: object) -> str:
    """A retrieval mode, checked."""
    mode = str(value).strip().lower()
    if mode not in MODES:
        raise UserError(f"mode {value!r} is not one of {', '.join(MODES)} (--mode / SOURCEQA_MODE)")
    return mode


def _count(value: object, what: str, where: str, high: int | None = None) -> int:
    """A whole number from 1 to `high` (no limit: None); else a UserError naming the setting."""
    try:
        n = int(str(value))
    except ValueError:
        raise UserError(f"{what} must be a whole number, not {value!r} ({where})") from None
    if n < 1 or (high is not None and n > high):
        bounds = f"between 1 and {high}" if high is not None else "at least 1"
        raise UserError(f"{what} must be {bounds}, not {n} ({where})")
    return n


def parse_k(value: object) -> int:
    """A number of passages, checked."""
    return _count(value, "k", "--k / SOURCEQA_K", MAX_K)


def parse_max_paragraphs(value: object) -> int:
    """The number of paragraphs indexed per file, checked."""
    # Thousands separators are fine here ("10,000"): a paragraph cap is a big number.
    return _count(str(value).replace(",", ""), "max paragraphs", "--max-paragraphs / SOURCEQA_MAX_PARAGRAPHS")
