"""Extractive answers: the best sentences of the top passages, each cited [n], or "not in the sources"."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from enum import StrEnum

from qa.ingest.chunking import paragraph_label
from qa.search.retrieve import Hit

NOT_IN_SOURCES = "The articles don't answer this question. The closest passages are listed below, marked as weak."


class Status(StrEnum):
    """How a question was answered."""

    ANSWERED = "answered"
    PARTIAL = "partial"
    NOT_IN_SOURCES = "not_in_sources"
    INVALID = "invalid"


@dataclass(frozen=True)
class Citation:
    """A cited passage: where it is, what it says, and the offsets of its supporting sentence(s) within it."""

    marker: int
    passage_id: str
    doc_id: str
    n: int
    title: str
    publisher: str | None
    date: str | None
    path: str
    text: str
    start: int
    end: int
    highlights: tuple[tuple[int, int], ...]
    score: float  # support: how strongly the passage supports the answer, 0 to 1, the same in every mode
    rank: int
    section: str | None = None
    weak: bool = False
    retrieval: float = 0.0  # the fused retrieval score (its scale depends on the mode)
    page: int | None = None  # a PDF's page the paragraph starts on

    @property
    def label(self) -> str:
        """How the paragraph is cited to people: "¶3", or "p. 2, ¶3" in a PDF."""
        return paragraph_label(self.n, self.page)

    @property
    def sentence(self) -> str:
        """The first supporting sentence (empty for a weak citation with none)."""
        if not self.highlights:
            return ""
        a, b = self.highlights[0]
        return self.text[a:b]

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "marker": self.marker, "passage_id": self.passage_id, "doc_id": self.doc_id, "paragraph": self.n,
            "page": self.page, "title": self.title, "publisher": self.publisher, "date": self.date, "path": self.path,
            "section": self.section, "score": self.score, "retrieval": self.retrieval,
            "rank": self.rank, "weak": self.weak,
            "start": self.start, "end": self.end, "text": self.text,
            "highlights": [{"start": a, "end": b} for a, b in self.highlights],
        }

    @classmethod
    def from_dict(cls, data: object) -> Citation:
        """A Citation from its `to_dict` form (e.g. read back from `python -m qa ask --json`); ValueError if it is not."""
        if not isinstance(data, dict):
            raise ValueError(f"not a citation: {type(data).__name__} instead of an object with passage_id, path, text, "
                             "start and end")
        try:
            return cls(
                marker=int(data.get("marker", 0)), passage_id=str(data["passage_id"]), doc_id=str(data["doc_id"]),
                n=int(data["paragraph"]), title=str(data.get("title", "")), publisher=data.get("publisher"),
                date=data.get("date"), path=str(data["path"]), text=str(data["text"]), start=int(data["start"]),
                end=int(data["end"]),
                highlights=tuple((int(h["start"]), int(h["end"])) for h in data.get("highlights", [])),
                score=float(data.get("score", 0.0)), rank=int(data.get("rank", 0)), section=data.get("section"),
                weak=bool(data.get("weak", False)), retrieval=float(data.get("retrieval", 0.0)),
                page=None if data.get("page") is None else int(data["page"]),
            )
        except (KeyError, TypeError, ValueError) as exc:
            raise ValueError(f"not a citation: missing or bad field {exc}") from None


@dataclass(frozen=True)
class AnswerSentence:
    """One sentence of an answer, verbatim from a passage, and the marker of its citation."""

    text: str
    marker: int
    passage_id: str
    start: int
    end: int
    score: float

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"text": self.text, "marker": self.marker, "passage_id": self.passage_id, "start": self.start,
                "end": self.end, "score": round(self.score, 6)}


@dataclass(frozen=True)
class Answer:
    """An answer: sentences with markers and the citations they lead to; or a message saying why there is none."""

    question: str
    status: Status
    sentences: tuple[AnswerSentence, ...] = ()
    citations: tuple[Citation, ...] = ()
    message: str = ""
    notes: tuple[str, ...] = ()
    more: tuple[AnswerSentence, ...] = ()  # a why-question's further reasons, beyond those the answer gives
    search_text: str = ""
    follow_up: bool = False
    evidence: float = 0.0
    threshold: float = 0.0
    mode: str = "hybrid"
    wants: str = ""
    missing: tuple[str, ...] = ()
    timings_ms: dict[str, float] = field(default_factory=dict, compare=False)

    @classmethod
    def invalid(cls, question: object, message: str) -> Answer:
        """What a face shows for input that is not a searchable question (the library raised UserError for it)."""
        return cls(question=str(question)[:500], status=Status.INVALID, message=message[:2_000])

    @property
    def answered(self) -> bool:
        """Whether the articles answered the question."""
        return self.status == Status.ANSWERED

    @property
    def text(self) -> str:
        """The answer as plain text with [n] markers, or the message."""
        said = " ".join(f"{s.text} [{s.marker}]" for s in self.sentences)
        if said and self.more:
            said += f"\n\n{self.more_heading}:\n" + "\n".join(f"- {s.text} [{s.marker}]" for s in self.more)
        if self.status == Status.PARTIAL:
            return f"{self.message} {said}".strip()
        return said if said and self.status == Status.ANSWERED else self.message

    @property
    def more_heading(self) -> str:
        """"3 more reasons in the sources", for the further reasons listed below the answer."""
        n = len(self.more)
        return f"{n} more reason{'s' if n != 1 else ''} in the sources"

    def to_dict(self) -> dict:
        """Plain-JSON form (the `--json` output and the API's)."""
        return {
            "question": self.question, "status": self.status, "answer": self.text, "message": self.message,
            "sentences": [s.to_dict() for s in self.sentences], "more": [s.to_dict() for s in self.more],
            "citations": [c.to_dict() for c in self.citations],
            "notes": list(self.notes), "search_text": self.search_text, "follow_up": self.follow_up,
            "evidence": round(self.evidence, 6), "threshold": round(self.threshold, 6), "mode": self.mode,
            "wants": self.wants, "missing": list(self.missing),
            "timings_ms": {k: round(v, 3) for k, v in self.timings_ms.items()},
        }


def citation_for(hit: Hit, marker: int, highlights: Sequence[tuple[int, int]] = (), weak: bool = False,
                 support: float = 0.0) -> Citation:
    """The citation of a retrieved passage, with the spans of its supporting sentences and its support (0 to 1)."""
    p = hit.passage
    a = p.article
    return Citation(
        marker=marker, passage_id=p.id, doc_id=p.doc_id, n=p.n, title=a.title if a else p.doc_id,
        publisher=a.publisher if a else None, date=a.date if a else None, path=a.path if a else "",
        text=p.text, start=p.start, end=p.end, highlights=tuple(sorted(highlights)), score=support,
        rank=hit.rank, section=p.section, weak=weak, retrieval=hit.score, page=p.page,
    )


def elapsed_ms(began: float) -> float:
    """Milliseconds since a perf_counter reading."""
    return (time.perf_counter() - began) * 1000.0
