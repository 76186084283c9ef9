"""Loading a folder of articles (text files, web pages, PDFs) read by qa.ingest.formats into Articles."""

from __future__ import annotations

import hashlib
import logging
import os
import stat
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType

from qa.errors import UserError, setting_name
from qa.ingest.formats import SUFFIX_LIST, SUFFIXES, Extracted, Unreadable, body_key, doc_ids, extract, source_text
from qa.ingest.formats.text import parse_text

log = logging.getLogger("qa")


@dataclass(frozen=True)
class Article:
    """One source file: its id, where it lives, its metadata, and where its body starts in the file text.

    For an HTML page or a PDF, `text` is the text extracted from it and every span refers to that; `pages` holds a
    PDF's page start offsets in it; `origins` says where each metadata field came from (see qa.ingest.formats).
    """

    doc_id: str
    path: str
    title: str
    publisher: str | None = None
    date: str | None = None
    author: str | None = None
    body_start: int = 0
    sha256: str = ""
    text: str = field(default="", repr=False, compare=False)
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}), repr=False, compare=False)
    pages: tuple[int, ...] = field(default=(), repr=False, compare=False)
    format: str = "text"

    def to_dict(self) -> dict:
        """Plain-JSON form for `--json` and the API."""
        return {
            "doc_id": self.doc_id, "path": self.path, "title": self.title, "publisher": self.publisher,
            "date": self.date, "author": self.author, "format": self.format, "origins": dict(self.origins),
        }


@dataclass(frozen=True)
class Document:
    """An article given in memory instead of as a file: its id, text and what is known of it."""

    doc_id: str
    text: str
    title: str = ""
    date: str | None = None
    publisher: str | None = None
    source: str = "<memory>"  # shown as the article's path: where the text came from, if anywhere

    def as_article(self) -> Article:
        """The document as an Article (no boilerplate to skip: the caller gives only the text to index)."""
        return Article(doc_id=self.doc_id, path=self.source, title=self.title or self.doc_id, publisher=self.publisher,
                       date=self.date, text=self.text, format="memory")


@dataclass(frozen=True)
class Corpus:
    """The articles of a folder, in a stable order, with the warnings met while reading it."""

    folder: str
    articles: tuple[Article, ...]
    warnings: tuple[str, ...] = field(default=())


def read_source(path: str | Path) -> str:
    """The text of a source file as every span refers to it: a text file decoded as UTF-8 (a leading BOM removed,
    line ends kept); an HTML page or a PDF extracted again, deterministically (see qa.ingest.formats)."""
    return source_text(path)


def _article(path: Path, doc_id: str, got: Extracted) -> Article:
    return Article(
        doc_id=doc_id, path=str(path), title=got.title, publisher=got.publisher, date=got.date, author=got.author,
        body_start=got.body_start, sha256=hashlib.sha256(got.text.encode("utf-8")).hexdigest(), text=got.text,
        origins=got.origins, pages=got.pages, format=got.format,
    )


def parse_article(path: Path, text: str, doc_id: str) -> tuple[Article, list[str]]:
    """Build an Article from a text file's text: front matter fields, else its byline, dateline and first line."""
    got = parse_text(text, path.name)
    return _article(path, doc_id, got), list(got.warnings)


def read_article(path: Path, doc_id: str, data: bytes | None = None) -> tuple[Article, list[str]]:
    """Read a file of any supported format (or `data`, its bytes) as an Article; Unreadable says why it cannot be."""
    got = extract(path, data, str(path) if data is None else None)
    return _article(path, doc_id, got), list(got.warnings)


def scan(folder: Path) -> tuple[list[Path], list[str]]:
    """The article files under a folder, sorted, and a warning for each entry named like one that is not read: a
    folder, a FIFO or device (never opened: reading one blocks or never ends), a broken link, or a link that leads
    out of the folder (not followed: the corpus is what the folder holds). Hidden files and folders are skipped."""
    root = folder.resolve()
    files: list[Path] = []
    warnings: list[str] = []
    for path in folder.rglob("*"):  # rglob does not descend into linked folders
        rel = path.relative_to(folder).parts
        if any(part.startswith(".") for part in rel) or path.suffix.lower() not in SUFFIXES:
            continue
        if path.is_symlink():
            target = path.resolve()
            if not target.exists():
                warnings.append(f"{path}: is a broken symbolic link (to {os.readlink(path)[:200]}); skipped")
                continue
            if not target.is_relative_to(root):
                warnings.append(f"{path}: is a symbolic link to {str(target)[:200]}, outside the corpus folder; not "
                                "followed: copy the file into the folder to include it")
                continue
        try:
            mode = path.stat().st_mode
        except OSError as exc:
            warnings.append(f"{path}: cannot be read ({exc.strerror or exc}); skipped")
            continue
        if stat.S_ISDIR(mode):
            warnings.append(f"{path}: is a folder named like an article file; its files are read, the name is not")
        elif not stat.S_ISREG(mode):
            warnings.append(f"{path}: is not a regular file (a FIFO, socket or device); skipped, never opened")
        else:
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix()), warnings


def corpus_files(folder: Path) -> list[Path]:
    """The article files (.txt, .md, .html, .htm, .pdf) under a folder, sorted (see `scan`)."""
    return scan(folder)[0]


def check_folder(folder: Path) -> Path:
    """The corpus folder (`~` expanded); a UserError saying what is there instead when it is not a folder."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise UserError(f"corpus folder {root} does not exist: set {setting_name('corpus')} to a folder of articles "
                        f"({SUFFIX_LIST} files)")
    if not root.is_dir():
        raise UserError(f"corpus path {root} is a file, not a folder: set {setting_name('corpus')} to the folder holding "
                        f"your {SUFFIX_LIST} files")
    return root


def load_corpus(folder: str | Path) -> Corpus:
    """Read every article in a folder; unreadable, empty and duplicate files are skipped with a warning."""
    root = check_folder(Path(folder)).resolve()
    files, warnings = scan(root)
    ids = doc_ids(root, files)
    if not files:
        raise UserError(f"corpus folder {root} has no {SUFFIX_LIST} files: add articles there or set "
                        f"{setting_name('corpus')} to another folder")
    articles: list[Article] = []
    seen: dict[str, str] = {}
    for path in files:
        try:
            article, notes = read_article(path, ids[path])
        except Unreadable as exc:
            warnings.append(f"{exc}{'' if str(exc).endswith('skipped') else '; skipped'}")
            continue
        warnings.extend(notes)
        key = body_key(article.text, article.body_start)
        if key in seen:
            warnings.append(f"{path}: same text as {seen[key]}; skipped as a duplicate")
            continue
        seen[key] = path.name
        articles.append(article)
    for warning in warnings:
        log.warning(warning)
    if not articles:
        raise UserError(f"corpus folder {root} has no readable articles: {'; '.join(warnings)}")
    return Corpus(folder=str(root), articles=tuple(articles), warnings=tuple(warnings))
