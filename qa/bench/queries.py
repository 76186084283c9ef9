"""Question sets: JSON Lines of questions with gold snippets or passage ids, and which passages they mark relevant."""

from __future__ import annotations

import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from qa import UserError
from qa.text import fold  # gold snippets match whatever quotes, dashes and spaces the article used

if TYPE_CHECKING:
    from qa.types import Passage

ROOT = Path(__file__).resolve().parents[2]
DEFAULT_QUERIES = ROOT / "bench" / "queries" / "russia-taliban.jsonl"
QueryFiles = str | Path | Sequence[str | Path] | None

def _paths(path: QueryFiles) -> list[Path]:
    """The files of a question set (default: the shipped set for the bundled corpus)."""
    if isinstance(path, list | tuple):
        return [Path(p) for p in path]
    return [Path(path) if isinstance(path, str | Path) and path else DEFAULT_QUERIES]


def queries_name(path: QueryFiles) -> str:
    """How a question set is named in reports: each file's path inside the project when it is there, else as given."""
    names = []
    for p in _paths(path):
        full = p.resolve()
        names.append(full.relative_to(ROOT).as_posix() if full.is_relative_to(ROOT) else str(p))
    return " + ".join(names)


@dataclass(frozen=True)
class Query:
    """One benchmark question; no gold at all means the articles don't answer it (abstention is right)."""

    id: str
    question: str
    gold: tuple[str, ...] = ()
    gold_ids: tuple[str, ...] = ()
    type: str | None = None
    history: tuple[str, ...] = ()
    reasons: int | None = None

    @property
    def answerable(self) -> bool:
        """Whether the articles answer this question."""
        return bool(self.gold or self.gold_ids)

    @property
    def off_topic(self) -> bool:
        """An unanswerable question on another subject (type "offtopic"); other unanswerable ones are near-topic."""
        return not self.answerable and self.type == "offtopic"


def _strings(value: object, field: str, where: str) -> tuple[str, ...]:
    """A list of non-empty strings from a query line, or a UserError naming the field and line."""
    if value is None:
        return ()
    if not isinstance(value, list) or not all(isinstance(v, str) and v.strip() for v in value):
        raise UserError(f"{where}: {field!r} must be a list of non-empty strings")
    return tuple(value)


def parse_queries(lines: Iterable[str], source: str = "<queries>") -> list[Query]:
    """Parse JSON Lines queries; a malformed line is reported with its number. Unknown fields are ignored."""
    queries: list[Query] = []
    seen: set[str] = set()
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        where = f"{source} line {number}"
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{where}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(data, dict):
            raise UserError(f"{where}: each line must be a JSON object")
        qid, question = data.get("id"), data.get("question")
        if not isinstance(qid, str | int) or str(qid).strip() == "":
            raise UserError(f"{where}: missing \"id\"")
        if not isinstance(question, str) or not question.strip():
            raise UserError(f"{where}: missing \"question\" text")
        if str(qid) in seen:
            raise UserError(f"{where}: id {qid!r} is used twice")
        seen.add(str(qid))
        kind = data.get("type")
        reasons = data.get("reasons")
        if reasons is not None and (not isinstance(reasons, int) or isinstance(reasons, bool) or reasons < 1):
            raise UserError(f"{where}: \"reasons\" must be a whole number of at least 1 "
                            "(how many distinct reasons the gold lists)")
        queries.append(Query(
            str(qid), question.strip(), _strings(data.get("gold"), "gold", where),
            _strings(data.get("gold_ids"), "gold_ids", where), kind if isinstance(kind, str) else None,
            _strings(data.get("history"), "history", where), reasons,
        ))
    if not queries:
        raise UserError(f"{source}: no queries in it")
    return queries


def load_queries(path: QueryFiles = None) -> list[Query]:
    """Read a query file, or several as one set (default: the shipped set for the bundled corpus)."""
    queries: list[Query] = []
    seen: dict[str, Path] = {}
    for one in _paths(path):
        try:
            text = one.read_text(encoding="utf-8-sig")
        except OSError as exc:
            raise UserError(f"cannot read query file {one} ({exc.strerror}): pass --queries FILE") from None
        for q in parse_queries(text.splitlines(), str(one)):
            if q.id in seen:
                raise UserError(f"{one}: id {q.id!r} is also used in {seen[q.id]}; ids must be unique across files")
            seen[q.id] = one
            queries.append(q)
    return queries


def holds_gold(sentence: str, gold: Iterable[str]) -> bool:
    """Whether an answer sentence contains a gold snippet (or, for a snippet longer than one sentence, lies in it)."""
    s = fold(sentence)
    return any(fold(g) in s or (len(s) > 30 and s in fold(g)) for g in gold)


def reasons_found(sentences: Iterable[str], gold: Sequence[str]) -> int:
    """How many distinct gold snippets (one reason each) the answer's sentences hold."""
    texts = list(sentences)
    return sum(any(holds_gold(t, [g]) for t in texts) for g in gold)


def relevant_ids(query: Query, passages: Iterable[Passage]) -> set[str]:
    """Passages whose text contains a gold snippet (after normalisation), plus the named gold ids."""
    snippets = [fold(g) for g in query.gold]
    found = set(query.gold_ids)
    if snippets:
        for p in passages:
            text = fold(p.text)
            if any(s in text for s in snippets):
                found.add(p.id)
    return found
