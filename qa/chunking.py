"""Splitting an article into prose paragraphs with exact spans, dropping page boilerplate by general rules."""

from __future__ import annotations

import re
from bisect import bisect_right
from dataclasses import dataclass, field

from qa.corpus import Article
from qa.text import fold, word_count

# A paragraph is "short" when a pattern rule may call it boilerplate; long paragraphs are always prose.
SHORT_WORDS = 30
HEADING_MAX_WORDS = 12
HEADING_MAX_CHARS = 90
RUN_MAX_PARAGRAPHS = 8
RUN_MAX_WORDS = 16
# No article paragraph is this long: such a block is a dump (a log, a table, a whole book in one line), not prose.
MAX_PARAGRAPH_CHARS = 20_000
# Paragraphs indexed per file by default (the `max_paragraphs` setting): news articles have tens; a file with more
# is a log or a list, and embedding all of it would take the machine for an hour.
MAX_PASSAGES_PER_FILE = 1_000

_TERMINAL = re.compile(r"[.!?\u2026:;][\"'\u201d\u2019)\]]*$")
_BULLET = re.compile(r"^(?:[\u2022\u00b7\u25aa\u2023\u25e6*+\-\u2013\u2014]|\d{1,2}[.)])\s+")
_MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_RULE = re.compile(r"^([-*_])(\s*\1){2,}$")
_MD_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")

_COPYRIGHT = re.compile(r"(\u00a9|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved)")
# Each rule reads the folded text (see qa.text.fold) of a short paragraph.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("advertisement", re.compile(r"^(advertisement|advertising|sponsored( content)?|ad|promoted|paid (content|post)|partner content)$")),
    ("credit or copyright", _COPYRIGHT),
    ("photo credit", re.compile(r"^(photo(graph)?(er|s)?|image|picture|credit|illustration|video|graphic)s?\s*(by|credit)?\s*:")),
    ("photo credit", re.compile(r"\b(getty images|shutterstock|ap photo|associated press|afp|reuters|epa|anadolu agency|alamy)\b(?!.*[.!?]$)")),
    ("contact line", re.compile(r"^(--\s*)?(to contact the (reporter|editor|author|writer)s?|with (additional )?assistance (from|by)|(additional )?reporting by|edited by|editing by|write to \S.* at \S+@)")),
    ("promotion", re.compile(r"(terminal\.?$|\bsign up (for|to)\b|\bsubscribe (to|now|for|today)\b|\b(our|free|daily|weekly|morning|evening) newsletters?\b|\bdownload (our|the) app\b|\bfollow us (on|at)\b|^read more\b|^(recommended|related|most (read|popular)|more from|you may also like)( (articles|stories|reading|for you))?\s*:?$)")),
    ("donation appeal", re.compile(r"(\bdonat(e|ion|ions)\b|\bgive to\b|\bsupport (our|us|independent|quality)\b|\bbecome a (member|subscriber|supporter|patron)\b|\bmake a (gift|contribution)\b|\bcontribute (today|now)\b)")),
    ("share widget", re.compile(r"^(like (it|this)\?|share (this|with|on)\b|click to share|tweet this|email this|print this|(share|tweet|email|print|facebook|twitter|linkedin|whatsapp|reddit|pinterest|copy link)$)")),
    ("reaction widget", re.compile(r"(what'?s your reaction|^(\S+)(\s+\2)+$)")),
    ("comment form", re.compile(r"(leave a (comment|reply)|your email address will not be published|required fields are marked|post (a )?comment|add a comment|comments? (are )?closed|log in to (comment|reply)|cancel reply|^(name|email|website)\s*\*?$|^\d+ comments?$)")),
)
# After these, the short paragraphs that follow belong to the same widget or appeal.
_RUN_STARTERS = {"donation appeal": RUN_MAX_WORDS, "reaction widget": 3}
_CREDIT_REASONS = {"credit or copyright", "photo credit"}


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


def _ends_sentence(line: str) -> bool:
    return bool(_TERMINAL.search(line))


def _is_bullet(line: str) -> bool:
    return bool(_BULLET.match(line))


def _wrapped(lengths: list[int], lines: list[str]) -> bool:
    """A block whose lines are hard-wrapped at a fixed width, so single line breaks are not paragraph breaks."""
    if len(lines) < 2:
        return False
    width = max(lengths)
    if not 40 <= width <= 120:
        return False
    body = list(zip(lengths[:-1], lines[:-1]))
    long_lines = sum(1 for length, _ in body if length >= 0.6 * width)
    open_lines = sum(1 for _, line in body if not _ends_sentence(line))
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
            joined = not _ends_sentence(prev) and line[:1].islower() and len(prev) >= 30
        # A bullet, a heading or a boilerplate line is never joined (checked last: the rules are the costly part).
        if joined and (_is_bullet(line) or _MD_HEADING.match(line) or _MD_HEADING.match(prev) or pattern_reason(line)):
            joined = False
        if joined:
            cur_end, count = block[i][1], count + 1
        else:
            spans.append(Span(cur_start, cur_end, count))
            cur_start, cur_end, count = block[i][0], block[i][1], 1
    spans.append(Span(cur_start, cur_end, count))
    return spans


def pattern_reason(text: str) -> str | None:
    """The boilerplate rule a paragraph matches on its own, or None (long paragraphs never match)."""
    if len(text) > MAX_PARAGRAPH_CHARS:
        return "oversized"
    key = fold(text)
    if _MD_RULE.match(key):
        return "separator"
    if _MD_IMAGE.match(key):
        return "image"
    words = word_count(key)
    if words > SHORT_WORDS:
        # A credit line can ride on a long caption; prose itself never carries a copyright sign.
        return "credit or copyright" if words <= 2 * SHORT_WORDS and _COPYRIGHT.search(key) else None
    for reason, pattern in _RULES:
        if pattern.search(key):
            return reason
    return None


def heading_like(text: str) -> bool:
    """A short line with no sentence ending: a subheading, a kicker or a label rather than prose."""
    if _MD_HEADING.match(text):
        return True
    if _is_bullet(text) or _ends_sentence(text) or text[:1].islower():
        return False
    return word_count(text) <= HEADING_MAX_WORDS and len(text) <= HEADING_MAX_CHARS


def classify(texts: list[str], title: str, touches_next: list[bool] | None = None) -> list[str | None]:
    """Why each paragraph is dropped ("section heading" keeps it as a section name), or None for prose.

    `touches_next[i]` says paragraph i and i+1 have no blank line between them (a caption above its credit).
    """
    n = len(texts)
    reasons: list[str | None] = [pattern_reason(t) for t in texts]
    # Runs: a widget or an appeal continues through the short paragraphs right after it.
    i = 0
    while i < n:
        limit = _RUN_STARTERS.get(reasons[i] or "")
        if limit is None:
            i += 1
            continue
        j = i + 1
        while j < n and j - i <= RUN_MAX_PARAGRAPHS and word_count(texts[j]) <= limit:
            reasons[j] = reasons[j] or reasons[i]
            j += 1
        i = j
    # Repeats of the title or of an earlier paragraph: headlines printed twice, page furniture. A sentence equal
    # to the title is prose, not a headline: a file with no front matter takes its title from its first line.
    seen = set()
    for i, t in enumerate(texts):
        key = fold(_MD_HEADING.sub("", t))
        if reasons[i] is None and (key in seen or (key == fold(title) and not _ends_sentence(t))):
            reasons[i] = "repeated headline"
        seen.add(key)
    # Captions: the short label or sentence right before a photo credit.
    for i in range(n - 1):
        if reasons[i] is None and reasons[i + 1] in _CREDIT_REASONS:
            touching = touches_next is not None and touches_next[i]
            if heading_like(texts[i]) or (touching and word_count(texts[i]) <= SHORT_WORDS):
                reasons[i] = "caption"
    # Headings: before the first prose paragraph they are page chrome; after it, section names.
    headings = [reasons[i] is None and heading_like(t) for i, t in enumerate(texts)]
    prose_after = [False] * (n + 1)
    for i in range(n - 1, -1, -1):
        prose_after[i] = prose_after[i + 1] or (reasons[i] is None and not headings[i])
    seen_prose = False
    for i in range(n):
        if reasons[i] is not None:
            continue
        if headings[i]:
            reasons[i] = "section heading" if seen_prose and prose_after[i + 1] else "page header"
        else:
            seen_prose = True
    return reasons


def chunk_article(article: Article, text: str | None = None, max_passages: int | None = None) -> Chunked:
    """Cut an article's body into passages (numbered 1.. among kept paragraphs) and dropped paragraphs.

    With `max_passages`, prose paragraphs past the first `max_passages` are only counted (`left_out`); the numbers
    of the ones kept are the same as without a cap.
    """
    source = article.text if text is None else text
    spans = split_paragraphs(source, article.body_start)
    texts = [source[s.start:s.end] for s in spans]
    touches_next = [
        i + 1 < len(spans) and source[s.end:spans[i + 1].start].count("\n") <= 1
        for i, s in enumerate(spans)
    ]
    reasons = classify(texts, article.title, touches_next)
    passages: list[Passage] = []
    dropped: list[Dropped] = []
    section: str | None = None
    left_out = 0
    for span, body, reason in zip(spans, texts, reasons):
        if reason is None and max_passages is not None and len(passages) >= max_passages:
            left_out += 1
            continue
        if reason == "section heading":
            section = _MD_HEADING.sub("", body).strip().strip("\u2018\u2019'\"\u201c\u201d")
        if reason is not None:
            dropped.append(Dropped(span.start, span.end, body, reason))
            continue
        n = len(passages) + 1
        page = bisect_right(article.pages, span.start) if article.pages else None
        passages.append(
            Passage(f"{article.doc_id}:{n}", article.doc_id, n, span.start, span.end, body, section, article, page)
        )
    return Chunked(article, tuple(passages), tuple(dropped), left_out)
