"""Which paragraphs of a page are furniture, not article prose: ads, credits, widgets, appeals, headings, captions."""

from __future__ import annotations

import re

from qa.text import fold, word_count

# A paragraph is "short" when a pattern rule may call it boilerplate; long paragraphs are always prose.
SHORT_WORDS = 30
HEADING_MAX_WORDS = 12
HEADING_MAX_CHARS = 90
RUN_MAX_PARAGRAPHS = 8
RUN_MAX_WORDS = 16
# No article paragraph is this long: such a block is a dump (a log, a table, a whole book in one line), not prose.
MAX_PARAGRAPH_CHARS = 20_000

_TERMINAL = re.compile(r"[.!?\u2026:;][\"'\u201d\u2019)\]]*$")
_BULLET = re.compile(r"^(?:[\u2022\u00b7\u25aa\u2023\u25e6*+\-\u2013\u2014]|\d{1,2}[.)])\s+")
MD_HEADING = re.compile(r"^#{1,6}\s+")
_MD_RULE = re.compile(r"^([-*_])(\s*\1){2,}$")
_MD_IMAGE = re.compile(r"^!\[[^\]]*\]\([^)]*\)$")

_COPYRIGHT = re.compile(r"(\u00a9|\(c\)\s*\d{4}|\bcopyright\b|all rights reserved)")
# Each rule reads the folded text (see qa.text.fold) of a short paragraph.
_RULES: tuple[tuple[str, re.Pattern[str]], ...] = (
    ("advertisement", re.compile(r"^(advertisement|advertising|sponsored( content)?|ad|promoted|paid (content|post)|partner content)$")),  # noqa: E501
    ("credit or copyright", _COPYRIGHT),
    ("photo credit", re.compile(r"^(photo(graph)?(er|s)?|image|picture|credit|illustration|video|graphic)s?\s*(by|credit)?\s*:")),
    ("photo credit", re.compile(r"\b(getty images|shutterstock|ap photo|associated press|afp|reuters|epa|anadolu agency|alamy)\b(?!.*[.!?]$)")),  # noqa: E501
    ("contact line", re.compile(r"^(--\s*)?(to contact the (reporter|editor|author|writer)s?|with (additional )?assistance (from|by)|(additional )?reporting by|edited by|editing by|write to \S.* at \S+@)")),  # noqa: E501
    # "Related: <a headline> | Most read this week": links to other stories, not a paragraph of this one.
    ("promotion", re.compile(r"^(related|recommended|see also|also read|read also|more on this)( (articles?|stories|story|reading|coverage|content|news))?\s*:\s*\S|\|\s*most (read|popular|viewed|shared)\b|^most (read|popular|viewed|shared)( (this week|today|now|this month))?\s*:?$")),  # noqa: E501
    ("promotion", re.compile(r"(terminal\.?$|\bsign up (for|to)\b|\bsubscribe (to|now|for|today)\b|\b(our|free|daily|weekly|morning|evening) newsletters?\b|\bdownload (our|the) app\b|\bfollow us (on|at)\b|^read more\b|^(recommended|related|most (read|popular)|more from|you may also like)( (articles|stories|reading|for you))?\s*:?$)")),  # noqa: E501
    ("donation appeal", re.compile(r"(\bdonat(e|ion|ions)\b|\bgive to\b|\bsupport (our|us|independent|quality)\b|\bbecome a (member|subscriber|supporter|patron)\b|\bmake a (gift|contribution)\b|\bcontribute (today|now)\b)")),  # noqa: E501
    ("share widget", re.compile(r"^(like (it|this)\?|share (this|with|on)\b|click to share|tweet this|email this|print this|(share|tweet|email|print|facebook|twitter|linkedin|whatsapp|reddit|pinterest|copy link)$)")),  # noqa: E501
    ("reaction widget", re.compile(r"(what'?s your reaction|^(\S+)(\s+\2)+$)")),
    ("comment form", re.compile(r"(leave a (comment|reply)|your email address will not be published|required fields are marked|post (a )?comment|add a comment|comments? (are )?closed|log in to (comment|reply)|cancel reply|^(name|email|website)\s*\*?$|^\d+ comments?$)")),  # noqa: E501
)
# After these, the short paragraphs that follow belong to the same widget or appeal.
_RUN_STARTERS = {"donation appeal": RUN_MAX_WORDS, "reaction widget": 3}
_CREDIT_REASONS = {"credit or copyright", "photo credit"}



def ends_sentence(line: str) -> bool:
    """Whether a line ends as a sentence does (a full stop, a question mark, a closing quote after one)."""
    return bool(_TERMINAL.search(line))


def is_bullet(line: str) -> bool:
    """Whether a line starts as a list item."""
    return bool(_BULLET.match(line))


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
    if MD_HEADING.match(text):
        return True
    if is_bullet(text) or ends_sentence(text) or text[:1].islower():
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
        key = fold(MD_HEADING.sub("", t))
        if reasons[i] is None and (key in seen or (key == fold(title) and not ends_sentence(t))):
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
