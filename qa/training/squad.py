"""SQuAD's questions as (question, paragraph sentences, answering sentences): what the reader is trained and tested on."""

from __future__ import annotations

import gzip
import hashlib
import json
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

from qa.errors import UserError
from qa.ingest.sentences import sentence_spans
from qa.text import fold


@dataclass(frozen=True)
class Item:
    """One SQuAD question with its paragraph cut into sentences and the indices of the sentences holding an answer."""

    id: str
    title: str
    paragraph: int
    question: str
    sentences: tuple[str, ...]
    positives: tuple[int, ...]  # empty for an unanswerable question
    answerable: bool
    unique: bool  # the answer text occurs once in its paragraph (its sentence is known for sure)
    answers: tuple[str, ...] = ()  # the answer texts, to keep a sentence elsewhere that holds one from being a negative


def _load(path: Path) -> list[dict]:
    try:
        with gzip.open(path, "rt", encoding="utf-8") if path.suffix == ".gz" else open(path, encoding="utf-8") as f:
            data = json.load(f)
    except (OSError, ValueError, EOFError) as exc:
        raise UserError(f"{path}: not a SQuAD JSON file ({type(exc).__name__}: {exc}); pass SQuAD's own "
                        "train-v1.1.json(.gz), dev-v1.1.json(.gz) or dev-v2.0.json(.gz)") from None
    if not isinstance(data, dict) or not isinstance(data.get("data"), list):
        raise UserError(f"{path}: no 'data' list of articles: not SQuAD's layout")
    return data["data"]


def held_out(title: str) -> bool:
    """Whether a SQuAD 2.0 dev article is kept for evaluation (the other half may be trained on): a stable hash split."""
    return hashlib.sha256(title.encode("utf-8")).digest()[0] % 2 == 0


def items(path: Path) -> Iterator[Item]:
    """Every question of a SQuAD file, its paragraph split as the library splits articles into sentences."""
    for article in _load(path):
        title = str(article.get("title", ""))
        for n, para in enumerate(article.get("paragraphs", [])):
            context = para["context"]
            spans = sentence_spans(context)
            if not spans:
                continue
            sentences = tuple(context[a:b] for a, b in spans)
            folded = [fold(s) for s in sentences]
            for qa in para.get("qas", []):
                answers = [a for a in qa.get("answers", []) if a.get("text", "").strip()]
                impossible = bool(qa.get("is_impossible")) or not answers
                positives: set[int] = set()
                unique = True
                for a in answers:
                    text = a["text"].strip()
                    start = int(a.get("answer_start", context.find(text)))
                    if context.count(text) > 1:
                        unique = False
                        # Not sure which occurrence is meant: every sentence holding the text counts.
                        positives.update(i for i, s in enumerate(folded) if fold(text) in s)
                    else:
                        end = start + len(text)
                        positives.update(i for i, (a0, b0) in enumerate(spans) if a0 < end and b0 > start)
                yield Item(id=str(qa["id"]), title=title, paragraph=n, question=qa["question"].strip(),
                           sentences=sentences, positives=tuple(sorted(positives)) if not impossible else (),
                           answerable=not impossible, unique=unique,
                           answers=tuple(a["text"].strip() for a in answers) if not impossible else ())
