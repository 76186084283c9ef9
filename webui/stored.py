"""Answers kept in the browser's storage as plain JSON (Answer.to_dict), and read back into Answers."""

from __future__ import annotations

from dataclasses import fields
from typing import Any

from qa import Answer, Citation, Status
from qa.types import AnswerSentence


def _build(cls: type, data: dict[str, Any]) -> Any:
    """A dataclass from its JSON form; keys it does not know are ignored (an older or newer app wrote them)."""
    names = {f.name for f in fields(cls)}
    return cls(**{k: v for k, v in data.items() if k in names})


def restore(data: object) -> Answer | None:
    """The Answer a stored turn holds, or None when it cannot be read (the turn is then left out)."""
    if not isinstance(data, dict):
        return None
    try:
        citations = tuple(Citation.from_dict(c) for c in data.get("citations", ()))
        sentences = tuple(_build(AnswerSentence, s) for s in data.get("sentences", ()))
        return Answer(question=str(data["question"]), status=Status(str(data["status"])), sentences=sentences,
                      citations=citations, message=str(data.get("message", "")),
                      notes=tuple(str(n) for n in data.get("notes", ())), follow_up=bool(data.get("follow_up")),
                      mode=str(data.get("mode", "hybrid")))
    except (KeyError, TypeError, ValueError):
        return None


def restore_all(stored: object) -> list[Answer]:
    """Every readable stored turn, in order."""
    return [a for a in (restore(d) for d in (stored if isinstance(stored, list) else [])) if a is not None]
