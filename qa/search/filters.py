"""Search filters: some articles and/or a date range (partial ISO dates), checked as a user gives them."""

from __future__ import annotations

import datetime
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np

from qa.errors import UserError
from qa.index.library import Library
from qa.text import clip

_PARTIAL_DATE = re.compile(r"^\d{4}(-(0[1-9]|1[0-2])(-(0[1-9]|[12]\d|3[01]))?)?$")


@dataclass(frozen=True)
class Filters:
    """Restrict a search to some articles and/or a date range (partial ISO dates: YYYY, YYYY-MM, YYYY-MM-DD)."""

    doc_ids: tuple[str, ...] = ()
    date_from: str | None = None
    date_to: str | None = None

    @property
    def active(self) -> bool:
        """Whether any filter is set."""
        return bool(self.doc_ids or self.date_from or self.date_to)

    @classmethod
    def checked(cls, doc_ids: Iterable[str] = (), date_from: object = None, date_to: object = None) -> Filters:
        """Filters from user input: blank dates mean no limit; a malformed or reversed range is a UserError."""
        low, high = parse_date(date_from, "from"), parse_date(date_to, "to")
        # Compared as the widest periods they name, so "2017" to "2017-01" is a valid range.
        if low and high and date_bounds(low, False) > date_bounds(high, True):
            raise UserError(f"the date range is reversed: {low} is after {high}")
        if isinstance(doc_ids, str):  # one id given bare, not a list of its characters
            doc_ids = (doc_ids,)
        return cls(tuple(str(d) for d in doc_ids if d), low, high)


def parse_date(value: object, what: str = "date") -> str | None:
    """A partial ISO date (YYYY, YYYY-MM or YYYY-MM-DD) stripped, None when blank; a UserError when malformed."""
    text = "" if value is None else str(value).strip()
    if not text:
        return None
    if not _PARTIAL_DATE.match(text):
        raise UserError(f"{what} date {clip(text, 40)} is not YYYY, YYYY-MM or YYYY-MM-DD (e.g. 2017 or 2020-03)")
    parts = [int(p) for p in text.split("-")]
    try:  # the pattern allows 0000 and 2021-02-30, which are no dates
        datetime.date(*parts, *[1] * (3 - len(parts)))
    except ValueError as exc:
        raise UserError(f"{what} date {text!r} is not a date ({exc}): give YYYY, YYYY-MM or YYYY-MM-DD, "
                        "e.g. 2017 or 2020-03") from None
    return text


def date_bounds(value: str, upper: bool) -> str:
    """The first (or last) day a partial ISO date covers, as YYYY-MM-DD."""
    parts = value.split("-")
    if len(parts) == 1:
        return f"{parts[0]}-12-31" if upper else f"{parts[0]}-01-01"
    if len(parts) == 2:
        return f"{value}-31" if upper else f"{value}-01"
    return value


def article_matches(doc_id: str, date: str | None, filters: Filters) -> bool:
    """Whether an article passes the filters (an undated article fails any date filter)."""
    if filters.doc_ids and doc_id not in filters.doc_ids:
        return False
    if filters.date_from or filters.date_to:
        if not date:
            return False
        if filters.date_from and date_bounds(date, True) < date_bounds(filters.date_from, False):
            return False
        if filters.date_to and date_bounds(date, False) > date_bounds(filters.date_to, True):
            return False
    return True


def allowed_rows(library: Library, filters: Filters) -> np.ndarray | None:
    """Passage rows that pass the filters, or None when no filter is set."""
    if not filters.active:
        return None
    ok = {d for d, a in library.articles.items() if article_matches(d, a.date, filters)}
    return np.array([i for i, p in enumerate(library.passages) if p.doc_id in ok], dtype=np.int64)


def known_articles(filters: Filters, library: Library) -> Filters:
    """The filters, if every article they name is in the library; otherwise a UserError naming the unknown ones."""
    known = library.articles  # built once per library, not per question
    unknown = [d for d in filters.doc_ids if d not in known]
    if unknown:
        listed = ", ".join(sorted(known)[:8]) + (", …" if len(known) > 8 else "")
        shown = ", ".join(map(clip, unknown[:5])) + (f" and {len(unknown) - 5:,} more" if len(unknown) > 5 else "")
        raise UserError(f"no article {shown} in the library; article ids are: {listed} "
                        "(`python -m qa articles` lists them)")
    return filters
