"""Checking a citation against its source file: same text at the same span, same paragraph number."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.answer.result import Citation
from qa.ingest.chunking import chunk_article, paragraph_label
from qa.ingest.corpus import read_article
from qa.ingest.formats import Unreadable, kind


@dataclass(frozen=True)
class Verification:
    """The outcome of checking one citation; `problems` name the file and what no longer matches."""

    passage_id: str
    path: str
    problems: tuple[str, ...] = ()

    @property
    def ok(self) -> bool:
        """Whether the citation matches the file."""
        return not self.problems

    def message(self) -> str:
        """One line for people."""
        if self.ok:
            return f"ok: [{self.passage_id}] matches {self.path}"
        return f"MISMATCH: [{self.passage_id}] " + "; ".join(self.problems)

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"passage_id": self.passage_id, "path": self.path, "ok": self.ok, "problems": list(self.problems)}


def _first_difference(a: str, b: str) -> int:
    for i, (x, y) in enumerate(zip(a, b)):
        if x != y:
            return i
    return min(len(a), len(b))


def _same(paragraphs, citation: Citation) -> list:
    return [p for p in paragraphs if (p.start, p.end) == (citation.start, citation.end) and p.text == citation.text]


def verify(citation: Citation) -> Verification:
    """Re-read the cited file (an HTML page or a PDF is extracted again): its text at [start, end) must equal the
    citation's, and be paragraph ¶n (on the same page, for a PDF)."""
    path = Path(citation.path)
    problems: list[str] = []
    if not path.exists():
        return Verification(citation.passage_id, str(path), (f"{path} no longer exists",))
    try:
        article, _ = read_article(path, citation.doc_id)
    except (OSError, Unreadable) as exc:
        return Verification(citation.passage_id, str(path), (f"{path} cannot be read ({exc})",))
    text = article.text
    source = "" if kind(path) == "text" else " of the text extracted from it"
    found = text[citation.start:citation.end]
    if found != citation.text:
        at = citation.start + _first_difference(found, citation.text)
        problems.append(
            f"{path}: characters {citation.start}-{citation.end}{source} differ from the cited text from character {at} "
            f"(file has {found[at - citation.start:at - citation.start + 40]!r}); the file changed after indexing"
        )
    for a, b in citation.highlights:
        if not 0 <= a < b <= len(citation.text):
            problems.append(f"highlight {a}-{b} lies outside the cited paragraph")
    # The paragraphs up to the cited one are enough when it kept its place (a large file is not classified whole
    # for each citation); the whole file is cut only to say where it went.
    same = _same(chunk_article(article, max_passages=max(1, citation.n)).passages, citation)
    if not same:
        same = _same(chunk_article(article).passages, citation)
    if not problems:
        cited = paragraph_label(citation.n, citation.page)
        if not same:
            problems.append(f"{path}: the cited text is no longer a paragraph of its own")
        elif (same[0].n, same[0].page) != (citation.n, citation.page):
            problems.append(f"{path}: the cited text is now {paragraph_label(same[0].n, same[0].page)}, not {cited}")
    return Verification(citation.passage_id, str(path), tuple(problems))

