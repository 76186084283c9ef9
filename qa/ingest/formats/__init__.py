"""Reading a source file of any supported format into the text that spans refer to, and its metadata."""

from __future__ import annotations

import hashlib
import os
from collections import Counter
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import MappingProxyType

from qa.recent import Recent
from qa.text import fold

TEXT_SUFFIXES = (".txt", ".md")
HTML_SUFFIXES = (".html", ".htm")
PDF_SUFFIXES = (".pdf",)
SUFFIXES = TEXT_SUFFIXES + HTML_SUFFIXES + PDF_SUFFIXES
# For messages: ".txt, .md, .html, .htm or .pdf".
SUFFIX_LIST = ", ".join(SUFFIXES[:-1]) + " or " + SUFFIXES[-1]
FIELDS = ("title", "publisher", "date", "author")
# Where a metadata field came from, as the Library tab says it.
FROM_METADATA = "file metadata"
FROM_TEXT = "text"
FROM_NAME = "file name"
FROM_NOWHERE = "nowhere"
# Pages and PDFs extracted lately, by name and content hash: the same bytes give the same text (the extractors are
# pinned), so re-reading an unchanged file (each start, each check of a citation) costs a hash, not an extraction.
CACHE_SIZE = 64
# A text file is read up to this many bytes (at a line break): more than 1,000 paragraphs of any article (the default
# cap per file), and about 2 s to cut into paragraphs. A larger file is a log or a dump; the rest of it is left out.
MAX_TEXT_BYTES = 16 * 2**20
_cache: Recent[Extracted] = Recent(CACHE_SIZE)


class Unreadable(Exception):
    """A file that cannot be read as an article; the message names the file and what to do, in one line."""


@dataclass(frozen=True)
class Extracted:
    """A file read as an article: its text (what every span refers to), where the body starts, and metadata.

    `origins` says for each of title, publisher, date and author whether it came from the file's metadata (front
    matter, HTML meta tags, PDF info), its text (first line, byline, dateline), its name, or nowhere. `pages` holds,
    for a PDF, the offset in `text` at which each page starts (empty for other formats).
    """

    text: str
    body_start: int = 0
    title: str = ""
    publisher: str | None = None
    date: str | None = None
    author: str | None = None
    origins: Mapping[str, str] = field(default_factory=lambda: MappingProxyType({}))
    pages: tuple[int, ...] = ()
    format: str = "text"
    warnings: tuple[str, ...] = ()

    @property
    def extracted(self) -> bool:
        """Whether the text is extracted from the file (HTML, PDF) rather than the file itself."""
        return self.format != "text"


def kind(name: str | Path) -> str | None:
    """The format of a file name by its suffix ("text", "html", "pdf"), or None when it is not read."""
    suffix = Path(str(name)).suffix.lower()
    if suffix in TEXT_SUFFIXES:
        return "text"
    if suffix in HTML_SUFFIXES:
        return "html"
    if suffix in PDF_SUFFIXES:
        return "pdf"
    return None


def extract(path: str | Path, data: bytes | None = None, name: str | None = None) -> Extracted:
    """Read a file (or `data`, bytes named `name`) as an article; Unreadable says why it cannot be."""
    path = Path(path)
    name = name or path.name
    fmt = kind(name)
    size = None
    if data is None:
        try:
            data, size = read_bounded(path) if fmt == "text" else (path.read_bytes(), None)
        except OSError as exc:
            raise Unreadable(f"{path}: cannot be read ({exc.strerror or exc})") from None
    if fmt is None:
        raise Unreadable(f"{name}: only {SUFFIX_LIST} files are read")
    if not data.strip():
        raise Unreadable(f"{name}: is empty")
    if fmt == "text":
        from qa.ingest.formats.text import read_text

        got = read_text(data, name)
        if size is None:
            return got
        return replace(got, warnings=(*got.warnings, f"{name}: {size:,} bytes; only the first {len(data):,} are read (a "
                                      "text file this big is a log or a dump, not an article: split it to index the rest)"))
    return _cache.get((name, hashlib.sha256(data).hexdigest()), lambda: _extract(data, name, fmt))


def _extract(data: bytes, name: str, fmt: str) -> Extracted:
    # Imported here: a corpus of text files never loads lxml, trafilatura or pypdf.
    if fmt == "html":
        from qa.ingest.formats.html import read_html

        return read_html(data, name)
    from qa.ingest.formats.pdf import read_pdf

    return read_pdf(data, name)


def read_bounded(path: Path, limit: int | None = None) -> tuple[bytes, int | None]:
    """A text file's bytes, up to `limit` (MAX_TEXT_BYTES) cut at its last line break within it, and the file's size
    when it was cut (else None): a 200 MB log is never read whole, and the same prefix is read at every start."""
    limit = MAX_TEXT_BYTES if limit is None else limit
    with open(path, "rb") as handle:
        data = handle.read(limit + 1)
        if len(data) <= limit:
            return data, None
        size = os.fstat(handle.fileno()).st_size
    cut = data.rfind(b"\n", 0, limit) + 1
    if cut <= 0:  # no line break at all: cut before a UTF-8 character's continuation bytes
        cut = limit
        while cut > 0 and data[cut] & 0xC0 == 0x80:
            cut -= 1
    return data[:cut], max(size, limit + 1)


def source_text(path: str | Path) -> str:
    """The text of a source file as every span refers to it: for a text file the file itself (UTF-8, a leading
    BOM removed, line ends kept); for HTML and PDF the text extracted from it, deterministically."""
    path = Path(path)
    if kind(path) in ("html", "pdf"):
        return extract(path).text
    return read_bounded(path)[0].decode("utf-8-sig")


def clear_cache() -> None:
    """Forget the extracted pages and PDFs (a benchmark times real extractions)."""
    _cache.clear()
    from qa.ingest.formats import pdf

    pdf.LAYOUTS.clear()


def body_key(text: str, body_start: int) -> str:
    """What makes two files the same article: the hash of their normalised bodies (front matter aside)."""
    return hashlib.sha256(fold(text[body_start:]).encode()).hexdigest()


def doc_id_for(folder: Path, path: Path) -> str:
    """A file's article id when no other file shares it: its path inside the folder, without the suffix, with '/'
    separators (see `doc_ids` for a folder's files together)."""
    return path.relative_to(folder).with_suffix("").as_posix()


def doc_ids(folder: Path, paths: Iterable[Path]) -> dict[Path, str]:
    """The article id of each file under `folder`, unique among them: its path without the suffix, or, for files
    that would share one (`report.txt` and `report.md`), the path with its suffix (`report.txt`, `report.md`)."""
    paths = list(paths)
    ids = {p: doc_id_for(folder, p) for p in paths}
    while True:  # a path with its suffix may equal another file's id without one ("a.md" and "a.md.txt"): repeat
        counts = Counter(ids.values())
        shared = [p for p in paths if counts[ids[p]] > 1 and ids[p] != p.relative_to(folder).as_posix()]
        if not shared:
            return ids
        for p in shared:
            ids[p] = p.relative_to(folder).as_posix()
