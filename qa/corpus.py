"""Loading a folder of articles: `.txt`/`.md` files with optional front matter, read exactly as stored."""

from __future__ import annotations

import hashlib
import logging
import re
from dataclasses import dataclass, field
from pathlib import Path

from qa.errors import UserError
from qa.text import fold

log = logging.getLogger("qa")

SUFFIXES = (".txt", ".md")
_FRONT_KEY = re.compile(r"^([A-Za-z_][\w-]*)\s*:\s*(.*?)\s*$")
_DATE = re.compile(r"^\d{4}(-\d{2}(-\d{2})?)?$")
_MD_HEADING = re.compile(r"^\s{0,3}#{1,6}\s+")
# A title is a line, not a paragraph: a file whose first line is a whole article (or a 10 MB dump) gets it cut.
MAX_TITLE_CHARS = 200


@dataclass(frozen=True)
class Article:
    """One source file: its id, where it lives, its metadata, and where its body starts in the file text."""

    doc_id: str
    path: str
    title: str
    publisher: str | None = None
    date: str | None = None
    author: str | None = None
    body_start: int = 0
    sha256: str = ""
    text: str = field(default="", repr=False, compare=False)

    def to_dict(self) -> dict:
        """Plain-JSON form for `--json` and the API."""
        return {
            "doc_id": self.doc_id, "path": self.path, "title": self.title, "publisher": self.publisher,
            "date": self.date, "author": self.author,
        }


@dataclass(frozen=True)
class Corpus:
    """The articles of a folder, in a stable order, with the warnings met while reading it."""

    folder: str
    articles: tuple[Article, ...]
    warnings: tuple[str, ...] = field(default=())


def read_source(path: str | Path) -> str:
    """The text of a source file as every span refers to it: UTF-8, a leading BOM removed, line ends kept."""
    data = Path(path).read_bytes()
    return data.decode("utf-8-sig")


def _front_matter(text: str, name: str) -> tuple[dict[str, str], int, str | None]:
    """Parse a leading `---` block of `key: value` lines; returns (fields, body start, warning)."""
    if not text.startswith("---"):
        return {}, 0, None
    first_end = text.find("\n")
    if first_end < 0 or text[:first_end].strip() != "---":
        return {}, 0, None
    fields: dict[str, str] = {}
    pos = first_end + 1
    while pos <= len(text):
        end = text.find("\n", pos)
        line = text[pos:] if end < 0 else text[pos:end]
        nxt = len(text) if end < 0 else end + 1
        if line.strip() in ("---", "..."):
            return fields, nxt, None
        match = _FRONT_KEY.match(line.strip())
        if line.strip() and not match:
            return {}, 0, f"{name}: front matter line {line.strip()[:40]!r} is not 'key: value'; reading the file as plain text"
        if match:
            fields[match.group(1).lower()] = match.group(2).strip().strip("'\"")
        if end < 0:
            break
        pos = nxt
    return {}, 0, f"{name}: front matter has no closing '---'; reading the file as plain text"


def _first_line(text: str, start: int) -> str:
    for line in text[start:].splitlines():
        if line.strip():
            return _MD_HEADING.sub("", line).strip()
    return ""


def parse_article(path: Path, text: str, doc_id: str) -> tuple[Article, list[str]]:
    """Build an Article from a file's text: front matter fields, or the first line as the title."""
    warnings: list[str] = []
    fields, body_start, warning = _front_matter(text, path.name)
    if warning:
        warnings.append(warning)
    date = fields.get("date") or None
    if date and not _DATE.match(date):
        warnings.append(f"{path.name}: date {date!r} is not YYYY, YYYY-MM or YYYY-MM-DD; ignored")
        date = None
    title = fields.get("title") or _first_line(text, body_start) or path.stem
    if len(title) > MAX_TITLE_CHARS:
        cut = title[:MAX_TITLE_CHARS].rsplit(" ", 1)[0] or title[:MAX_TITLE_CHARS]
        title = cut.rstrip() + "…"
    article = Article(
        doc_id=doc_id,
        path=str(path),
        title=title,
        publisher=fields.get("publisher") or None,
        date=date,
        author=fields.get("author") or None,
        body_start=body_start,
        sha256=hashlib.sha256(text.encode("utf-8")).hexdigest(),
        text=text,
    )
    return article, warnings


def _decode(path: Path) -> tuple[str | None, str | None]:
    """Read a file as text, or say in one line why it can't be."""
    try:
        data = path.read_bytes()
    except OSError as exc:
        return None, f"{path}: cannot be read ({exc.strerror}); skipped"
    if not data.strip():
        return None, f"{path}: is empty; skipped"
    if b"\x00" in data[:8192]:
        return None, f"{path}: looks binary (NUL bytes); skipped"
    try:
        return data.decode("utf-8-sig"), None
    except UnicodeDecodeError as exc:
        return None, f"{path}: is not valid UTF-8 (byte {exc.start}); skipped: save it as UTF-8 to include it"


def body_key(text: str, body_start: int) -> str:
    """What makes two files the same article: the hash of their normalised bodies (front matter aside)."""
    return hashlib.sha256(fold(text[body_start:]).encode()).hexdigest()


def doc_id_for(folder: Path, path: Path) -> str:
    """A file's article id: its path inside the folder, without the suffix, with '/' separators."""
    return path.relative_to(folder).with_suffix("").as_posix()


def corpus_files(folder: Path) -> list[Path]:
    """The `.txt` and `.md` files under a folder, sorted, skipping hidden files and folders."""
    files = []
    for path in folder.rglob("*"):
        rel = path.relative_to(folder).parts
        if any(part.startswith(".") for part in rel):
            continue
        if path.is_file() and path.suffix.lower() in SUFFIXES:
            files.append(path)
    return sorted(files, key=lambda p: p.relative_to(folder).as_posix())


def load_corpus(folder: str | Path) -> Corpus:
    """Read every article in a folder; unreadable, empty and duplicate files are skipped with a warning."""
    root = Path(folder).expanduser()
    if not root.exists():
        raise UserError(f"corpus folder {root} does not exist: pass --corpus DIR (or set SOURCEQA_CORPUS) to a folder of .txt/.md files")
    if not root.is_dir():
        raise UserError(f"corpus path {root} is not a folder: pass --corpus DIR with a folder of .txt/.md files")
    root = root.resolve()
    files = corpus_files(root)
    if not files:
        raise UserError(f"corpus folder {root} has no .txt or .md files: add articles there or pass --corpus DIR")
    articles: list[Article] = []
    warnings: list[str] = []
    seen: dict[str, str] = {}
    for path in files:
        text, problem = _decode(path)
        if problem:
            warnings.append(problem)
            continue
        assert text is not None
        article, notes = parse_article(path, text, doc_id_for(root, path))
        warnings.extend(notes)
        key = body_key(text, article.body_start)
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
