"""Splitting an article into prose paragraphs with exact spans, dropping page boilerplate (qa.ingest.boilerplate)."""

from __future__ import annotations

from bisect import bisect_right
from dataclasses import dataclass, field

from qa.errors import setting_name
from qa.ingest.boilerplate import (
    MAX_PARAGRAPH_CHARS,
    MD_HEADING,
    RUN_MAX_PARAGRAPHS,
    classify,
    ends_sentence,
    is_bullet,
    pattern_reason,
)
from qa.ingest.corpus import Article, Corpus, Document
from qa.recent import Recent

# Paragraphs indexed per file by default (the `max_paragraphs` setting): news articles have tens; a file with more
# is a log or a list, and embedding all of it would take the machine for an hour.
MAX_PASSAGES_PER_FILE = 1_000
# Paragraphs classified past a capped file's last kept one: more than any rule reads ahead (a run of widget lines).
CLASSIFY_MARGIN = 4 * RUN_MAX_PARAGRAPHS


@dataclass(frozen=True)
class Passage:
    """A kept paragraph: id `<doc_id>:<n>`, its exact span in the source file (the text extracted from it, for
    HTML and PDF), its section, and for a PDF the page it starts on (None for other formats)."""

    id: str
    doc_id: str
    n: int
    start: int
    end: int
    text: str
    section: str | None = None
    article: Article | None = field(default=None, repr=False, compare=False)
    page: int | None = None

    @property
    def label(self) -> str:
        """How the paragraph is cited to people: "¶3", or "p. 2, ¶3" in a PDF."""
        return paragraph_label(self.n, self.page)

    def to_dict(self) -> dict:
        """Plain-JSON form for `--json` and the API."""
        return {
            "id": self.id, "doc_id": self.doc_id, "n": self.n, "page": self.page, "start": self.start,
            "end": self.end, "section": self.section, "text": self.text,
        }


def paragraph_label(n: int, page: int | None = None) -> str:
    """How a paragraph is cited to people: "¶3", or "p. 2, ¶3" in a PDF."""
    return f"p. {page}, ¶{n}" if page is not None else f"¶{n}"


@dataclass(frozen=True)
class Dropped:
    """A paragraph left out of the passages, and the rule that left it out."""

    start: int
    end: int
    text: str
    reason: str


@dataclass(frozen=True)
class Chunked:
    """An article cut into passages, with what was dropped and how many prose paragraphs lay past the cap."""

    article: Article
    passages: tuple[Passage, ...]
    dropped: tuple[Dropped, ...]
    left_out: int = 0

    @property
    def boilerplate(self) -> tuple[Dropped, ...]:
        """Dropped paragraphs that were page furniture (headings that became sections are not counted)."""
        return tuple(d for d in self.dropped if d.reason != "section heading")


@dataclass(frozen=True)
class Span:
    """A candidate paragraph: a run of lines of the file, start and end as offsets into the file text."""

    start: int
    end: int
    lines: int = 1


def _lines(text: str, start: int) -> list[tuple[int, int]]:
    """(start, end) of every line from `start`, without line ends, trimmed of surrounding spaces."""
    out = []
    pos = start
    n = len(text)
    while pos < n:
        nl = text.find("\n", pos)
        end = n if nl < 0 else nl
        a, b = pos, end
        while a < b and text[a].isspace():
            a += 1
        while b > a and text[b - 1].isspace():
            b -= 1
        out.append((a, b))
        pos = end + 1
    return out


def _wrapped(lengths: list[int], lines: list[str]) -> bool:
    """A block whose lines are hard-wrapped at a fixed width, so single line breaks are not paragraph breaks."""
    if len(lines) < 2:
        return False
    width = max(lengths)
    if not 40 <= width <= 120:
        return False
    body = list(zip(lengths[:-1], lines[:-1]))
    long_lines = sum(1 for length, _ in body if length >= 0.6 * width)
    open_lines = sum(1 for _, line in body if not ends_sentence(line))
    return long_lines >= 0.75 * len(body) and open_lines >= 0.5 * len(body)


def split_paragraphs(text: str, start: int = 0) -> list[Span]:
    """Paragraph spans of `text[start:]`, whether paragraphs are separated by blank lines or single breaks."""
    spans: list[Span] = []
    block: list[tuple[int, int]] = []
    for line in _lines(text, start) + [(len(text), len(text))]:
        if line[0] < line[1]:
            block.append(line)
            continue
        if block:
            spans.extend(_split_block(text, block))
            block = []
    return spans


def _split_block(text: str, block: list[tuple[int, int]]) -> list[Span]:
    lines = [text[a:b] for a, b in block]
    lengths = [len(line) for line in lines]
    wrapped = _wrapped(lengths, lines)
    width = max(lengths)
    spans: list[Span] = []
    cur_start, cur_end, count = block[0][0], block[0][1], 1
    for i in range(1, len(block)):
        prev, line = lines[i - 1], lines[i]
        if wrapped:
            joined = lengths[i - 1] >= 0.6 * width
        else:
            joined = not ends_sentence(prev) and line[:1].islower() and len(prev) >= 30
        # A bullet, a heading or a boilerplate line is never joined (checked last: the rules are the costly part).
        if joined and (is_bullet(line) or MD_HEADING.match(line) or MD_HEADING.match(prev) or pattern_reason(line)):
            joined = False
        if joined:
            cur_end, count = block[i][1], count + 1
        else:
            spans.append(Span(cur_start, cur_end, count))
            cur_start, cur_end, count = block[i][0], block[i][1], 1
    spans.append(Span(cur_start, cur_end, count))
    return spans


def chunk_article(article: Article, text: str | None = None, max_passages: int | None = None) -> Chunked:
    """Cut an article's body into passages (numbered 1.. among kept paragraphs) and dropped paragraphs.

    With `max_passages`, prose paragraphs past the first `max_passages` are only counted (`left_out`); the numbers
    of the ones kept are the same as without a cap.
    """
    source = article.text if text is None else text
    spans = _spans(article) if text is None else split_paragraphs(source, article.body_start)
    # With a cap, only a window of paragraphs is classified: enough for the first `max_passages` prose ones and the
    # context their rules read after them (a 200 MB log would otherwise be classified whole, for minutes). The
    # paragraphs past the window are counted as left out, unread.
    window = len(spans)
    if max_passages is not None:
        window = min(len(spans), 2 * max_passages + CLASSIFY_MARGIN)
    while True:
        texts = [source[s.start:s.end] for s in spans[:window]]
        touches_next = [
            i + 1 < len(spans) and source[s.end:spans[i + 1].start].count("\n") <= 1
            for i, s in enumerate(spans[:window])
        ]
        reasons = classify(texts, article.title, touches_next)
        if window == len(spans) or max_passages is None:
            break
        prose = [i for i, r in enumerate(reasons) if r is None]
        if len(prose) > max_passages and prose[max_passages - 1] + CLASSIFY_MARGIN < window:
            break
        window = min(len(spans), window * 2)
    passages: list[Passage] = []
    dropped: list[Dropped] = []
    section: str | None = None
    left_out = 0
    for span, body, reason in zip(spans[:window], texts, reasons):
        if reason is None and max_passages is not None and len(passages) >= max_passages:
            left_out += 1
            continue
        if reason == "section heading":
            section = MD_HEADING.sub("", body).strip().strip("\u2018\u2019'\"\u201c\u201d")
        if reason is not None:
            dropped.append(Dropped(span.start, span.end, body, reason))
            continue
        n = len(passages) + 1
        page = bisect_right(article.pages, span.start) if article.pages else None
        passages.append(
            Passage(f"{article.doc_id}:{n}", article.doc_id, n, span.start, span.end, body, section, article, page)
        )
    left_out += len(spans) - window
    return Chunked(article, tuple(passages), tuple(dropped), left_out)


# Paragraph spans of articles read lately, by text hash: checking each citation of a large file splits it once.
_spans_cache: Recent[list[Span]] = Recent(8)


def _spans(article: Article) -> list[Span]:
    """split_paragraphs of an article's body, cached by its text's hash (when it has one)."""
    if not article.sha256:
        return split_paragraphs(article.text, article.body_start)
    return _spans_cache.get((article.sha256, article.body_start), lambda: split_paragraphs(article.text, article.body_start))


def chunk_document(document: Document) -> Chunked:
    """An in-memory document as passages: every paragraph (blank-line separated) kept as given, numbered 1.."""
    article = document.as_article()
    passages = tuple(
        Passage(f"{article.doc_id}:{n}", article.doc_id, n, span.start, span.end, article.text[span.start:span.end],
                None, article)
        for n, span in enumerate(split_paragraphs(article.text, 0), start=1)
    )
    return Chunked(article, passages, ())


def chunk_corpus(corpus: Corpus, max_paragraphs: int | None = None) -> tuple[Chunked, ...]:
    """Every article cut into passages, at most `max_paragraphs` per file."""
    return tuple(chunk_article(a, max_passages=max_paragraphs) for a in corpus.articles)


def chunk_warnings(chunks: tuple[Chunked, ...]) -> tuple[str, ...]:
    """One line per file whose paragraphs were left out for being oversized or past the per-file cap."""
    out = []
    for c in chunks:
        oversized = sum(1 for d in c.dropped if d.reason == "oversized")
        if oversized:
            out.append(f"{c.article.path}: {oversized} paragraph(s) over {MAX_PARAGRAPH_CHARS:,} characters left out "
                       "(not article prose); the rest is indexed")
        if c.left_out:
            kept = len(c.passages)
            out.append(f"{c.article.path}: {kept + c.left_out:,} paragraphs; only the first {kept:,} are indexed and "
                       f"{c.left_out:,} left out (raise {setting_name('max_paragraphs')} to index more)")
    return tuple(out)
