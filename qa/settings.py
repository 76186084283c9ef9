"""Settings: every knob in one table (field, flag, environment variable, default), read once at the edge, passed down."""

from __future__ import annotations

import argparse
import os
from collections.abc import Callable, Iterable, Mapping
from dataclasses import dataclass, fields, replace
from pathlib import Path
from typing import Any, ClassVar

from embeddings import BACKENDS, DEFAULT_BACKEND, DEFAULT_MODEL, INDEX_TYPES
from qa.answer.reasons import DEFAULT_REASONS, MAX_REASONS
from qa.errors import UserError
from qa.index.encoder import EncoderSpec
from qa.index.opening import IndexSpec
from qa.index.vectors import DEFAULT_SENTENCES, SENTENCE_MODES
from qa.ingest.chunking import MAX_PASSAGES_PER_FILE
from qa.text import clip

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_CORPUS = ROOT / "corpus"
MODES = ("bm25", "dense", "hybrid")
MAX_K = 100


def _count(value: object, what: str, where: str, low: int = 1, high: int | None = None) -> int:
    """A whole number from `low` to `high` (no limit: None); else a UserError naming the setting."""
    try:
        n = int(str(value).replace(",", "").strip())  # "10,000" is fine for a big number
    except ValueError:
        raise UserError(f"{what} must be a whole number, not {clip(value)} ({where})") from None
    if n < low or (high is not None and n > high):
        bounds = f"between {low} and {high}" if high is not None else f"at least {low}"
        raise UserError(f"{what} must be {bounds}, not {n} ({where})")
    return n


def _choice(options: Iterable[str]) -> Callable[[object, str, str], str]:
    options = tuple(options)

    def parse(value: object, what: str, where: str) -> str:
        text = str(value).strip().lower()
        if text not in options:
            raise UserError(f"{what} {clip(value)} is not one of {', '.join(options)} ({where})")
        return text

    return parse


def _path(value: object, _what: str, _where: str) -> Path:
    return Path(str(value)).expanduser()


def _text(value: object, _what: str, _where: str) -> str:
    return str(value).strip()


@dataclass(frozen=True)
class Option:
    """One setting: its field, command-line flag, environment variable, what it is, and how its text is read."""

    field: str
    flag: str
    env: str
    help: str
    parse: Callable[[object, str, str], Any] = _text
    metavar: str | None = None
    choices: tuple[str, ...] | None = None

    @property
    def where(self) -> str:
        """How a user sets it, for error messages: "--k / SOURCEQA_K"."""
        return f"{self.flag} / {self.env}"

    def read(self, value: object) -> Any:
        """The value converted and checked; a UserError naming the flag and the variable."""
        return self.parse(value, self.field.replace("_", " "), self.where)


def _k(value: object, what: str, where: str) -> int:
    return _count(value, what, where, 1, MAX_K)


def _port(value: object, what: str, where: str) -> int:
    return _count(value, what, where, 1, 65535)


OPTIONS: tuple[Option, ...] = (
    Option("corpus", "--corpus", "SOURCEQA_CORPUS", "folder of articles: .txt, .md, .html, .htm, .pdf (default: the "
           "bundled corpus)", _path, "DIR"),
    Option("index_dir", "--index-dir", "SOURCEQA_INDEX_DIR", "index folder (default: .sourceqa inside the corpus folder)",
           _path, "DIR"),
    Option("model", "--model", "SOURCEQA_MODEL", "sentence-transformers model name or folder (default: the bundled "
           "all-MiniLM-L6-v2)", _text, "NAME_OR_PATH"),
    Option("backend", "--backend", "SOURCEQA_BACKEND", "encoder: ONNX Runtime 'onnx' (default; exported once into the index "
           "folder), 'onnx-int8' (quantised: faster, its own index) or 'torch'", _choice(BACKENDS), choices=BACKENDS),
    Option("index_type", "--index-type", "SOURCEQA_INDEX_TYPE", "vector index: 'auto' (default: exact up to 100,000 vectors, "
           "IVF above), exact 'flat', or approximate 'hnsw'/'ivf'", _choice(INDEX_TYPES), choices=INDEX_TYPES),
    Option("max_paragraphs", "--max-paragraphs", "SOURCEQA_MAX_PARAGRAPHS", "paragraphs indexed per file, the rest left out "
           f"with a warning (default {MAX_PASSAGES_PER_FILE:,})", lambda v, w, e: _count(v, w, e), "N"),
    Option("reader", "--reader", "SOURCEQA_READER", "the answer reader: the trained one in models/reader/ (default), "
           "'builtin' (hand-made signals alone), or a reader folder or sentence-transformers CrossEncoder", _text,
           "NAME_OR_PATH"),
    Option("reasons", "--reasons", "SOURCEQA_REASONS", f"why-questions: the most distinct reasons an answer gives, 1 to "
           f"{MAX_REASONS} (default {DEFAULT_REASONS}); further ones are listed below it",
           lambda v, w, e: _count(v, w, e, 1, MAX_REASONS), "N"),
    Option("sentences", "--sentences", "SOURCEQA_SENTENCES", "sentence vectors: 'alone' (default: each sentence encoded "
           "by itself) or 'pooled' (from its passage's one encoder pass: a faster build, answers slightly worse; its own "
           "index)", _choice(SENTENCE_MODES), choices=SENTENCE_MODES),
    Option("mode", "--mode", "SOURCEQA_MODE", "retrieval mode (default: hybrid)", _choice(MODES), choices=MODES),
    Option("k", "--k", "SOURCEQA_K", f"number of passages, 1 to {MAX_K} (default: 5)", _k, "K"),
    Option("query_threads", "--query-threads", "SOURCEQA_QUERY_THREADS", "threads that encode a question (default 1: "
           "a second thread only waits on a busy machine; 0: the runtime's default)",
           lambda v, w, e: _count(v, w, e, 0), "N"),
    Option("host", "--host", "SOURCEQA_HOST", "web app: address to listen on (default 127.0.0.1, this machine only)",
           _text, "HOST"),
    Option("port", "--port", "SOURCEQA_PORT", "web app: port (default 7860)", _port, "PORT"),
    Option("bench_out", "--bench-out", "SOURCEQA_BENCH_OUT", "where benchmark runs are saved (default: bench/out)", _path, "DIR"),
    Option("cache_dir", "--cache-dir", "SOURCEQA_CACHE_DIR", "cache for BEIR indexes and model exports made without an "
           "index folder (default: $XDG_CACHE_HOME/sourceqa or ~/.cache/sourceqa)", _path, "DIR"),
)
BY_FIELD: Mapping[str, Option] = {o.field: o for o in OPTIONS}
# The library's own settings, shared by every command and the app (the others belong to one face).
LIBRARY = ("corpus", "index_dir", "model", "backend", "index_type", "sentences", "max_paragraphs", "reader", "reasons",
           "query_threads")
SEARCH = ("mode", "k")


@dataclass(frozen=True)
class Settings:
    """Where the articles and the index live, which model embeds them, how to search, and where the faces serve."""

    corpus: Path = DEFAULT_CORPUS
    index_dir: Path | None = None
    model: str = DEFAULT_MODEL
    backend: str = DEFAULT_BACKEND
    index_type: str = "auto"
    sentences: str = DEFAULT_SENTENCES
    max_paragraphs: int = MAX_PASSAGES_PER_FILE
    reader: str | None = None
    reasons: int = DEFAULT_REASONS
    mode: str = "hybrid"
    k: int = 5
    query_threads: int = 1
    host: str = "127.0.0.1"
    port: int = 7860
    bench_out: Path = ROOT / "bench" / "out"
    cache_dir: Path | None = None  # None: $XDG_CACHE_HOME/sourceqa, resolved by `load`

    MODES: ClassVar[tuple[str, ...]] = MODES
    OPTIONS: ClassVar[tuple[Option, ...]] = OPTIONS
    LIBRARY: ClassVar[tuple[str, ...]] = LIBRARY  # the settings every face takes (the others belong to one face)

    @property
    def index_path(self) -> Path:
        """The index folder: the setting, or `.sourceqa/` inside the corpus folder."""
        return self.index_dir if self.index_dir is not None else self.corpus / ".sourceqa"

    @property
    def model_cache(self) -> Path:
        """Where the encoder's ONNX export is kept: the index folder's cache (beside the embedding cache)."""
        return self.index_path / "cache"

    @property
    def index_spec(self) -> IndexSpec:
        """What the index is built from and kept in, as the index layer takes it."""
        return IndexSpec(self.corpus, self.index_path, self.index_type, self.sentences, self.max_paragraphs)

    def encoder_spec(self, documents: bool = False) -> EncoderSpec:
        """The model to load, as the index layer takes it: its ONNX export kept in the index folder's cache, or, for
        documents in memory, in the cache_dir setting's folder (shared by every set of documents, e.g. each BEIR
        dataset), as the environment gives it when these settings were made without one."""
        cache = self.model_cache
        if documents:  # Settings.load() always sets cache_dir; user_cache only settles its type
            cache = self.cache_dir or Settings.load().cache_dir or user_cache(os.environ)
        return EncoderSpec(self.model, self.backend, cache, self.query_threads)

    @classmethod
    def load(cls, environ: Mapping[str, str] | None = None, **overrides: object) -> Settings:
        """Defaults, then `SOURCEQA_*` environment variables, then the non-None `overrides` (e.g. flags); checked."""
        environ = os.environ if environ is None else environ
        values: dict[str, object] = {}
        for option in OPTIONS:
            if environ.get(option.env, "").strip():
                values[option.field] = environ[option.env].strip()
        values.update({k: v for k, v in overrides.items() if v is not None})
        settings = cls().with_values(**values)
        if settings.cache_dir is None:
            settings = replace(settings, cache_dir=user_cache(environ))
        return settings

    def with_values(self, **values: object) -> Settings:
        """A copy with some settings changed, converted and checked."""
        unknown = set(values) - {f.name for f in fields(self)}
        if unknown:
            raise UserError(f"unknown setting(s): {', '.join(sorted(unknown))}")
        return replace(self, **{name: BY_FIELD[name].read(value) for name, value in values.items()})

    @staticmethod
    def add_flags(parser: argparse.ArgumentParser, names: Iterable[str] = LIBRARY) -> None:
        """Add the command-line flags of the named settings, each help naming its environment variable."""
        for name in names:
            option = BY_FIELD[name]
            parser.add_argument(option.flag, dest=option.field, metavar=None if option.choices else option.metavar,
                                choices=option.choices, help=f"{option.help}; env {option.env}")

    @classmethod
    def from_args(cls, args: argparse.Namespace, **overrides: object) -> Settings:
        """Settings from parsed flags (those given win over the environment), then `overrides`."""
        given = {o.field: getattr(args, o.field) for o in OPTIONS if getattr(args, o.field, None) is not None}
        return cls.load(**{**given, **{k: v for k, v in overrides.items() if v is not None}})


def user_cache(environ: Mapping[str, str]) -> Path:
    """The user's cache folder for sourceqa: $XDG_CACHE_HOME/sourceqa or ~/.cache/sourceqa."""
    return Path(environ.get("XDG_CACHE_HOME") or str(Path.home() / ".cache")) / "sourceqa"


def parse_mode(value: object) -> str:
    """A retrieval mode, checked."""
    return BY_FIELD["mode"].read(value)


def parse_k(value: object) -> int:
    """A number of passages, checked."""
    return BY_FIELD["k"].read(value)
