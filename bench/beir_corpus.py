"""An archive of real text at any size, cut from a BEIR dataset's abstracts (for the scale and encoder benchmarks)."""

from __future__ import annotations

import functools
import json
from pathlib import Path


def beir_docs(folder: Path) -> list[dict]:
    """The documents of a BEIR corpus.jsonl."""
    with open(folder / "corpus.jsonl", encoding="utf-8") as handle:
        return [json.loads(line) for line in handle if line.strip()]


@functools.cache  # each abstract is cut in several passes; splitting sentences is the slow part
def paragraphs(text: str, per: int = 3) -> tuple[str, ...]:
    """A text cut into paragraphs of `per` sentences (those of under 8 words left out)."""
    from qa.ingest import sentence_spans

    spans = sentence_spans(text)
    cut = [text[spans[i][0]:spans[min(i + per, len(spans)) - 1][1]] for i in range(0, len(spans), per)]
    return tuple(p for p in cut if len(p.split()) >= 8)


# Each pass over the dataset: (sentences per paragraph, partner). Partner 0: one article per abstract; partner r: each
# abstract joined by the one r places on, under both titles, so every article is new (the corpus loader skips an
# article whose text it has seen) and so is every embedded passage text (title and paragraph). SciFact gives ~17k
# passages in the first pass and ~112k in four. Passes after the first repeat sentences, whose vectors a build then
# takes from its embedding cache: a real archive of that size has more distinct sentences to encode.
PASSES = ((3, 0), (2, 1), (4, 2), (5, 3), (3, 4), (2, 5))


def write_corpus(docs: list[dict], passages: int, folder: Path) -> int:
    """One article file per document (title in the front matter, paragraphs apart) until about `passages` paragraphs;
    past the dataset's end the documents come again in pairs, cut another way (PASSES)."""
    folder.mkdir(parents=True)
    written = 0
    for round_no, (per, partner) in enumerate(PASSES):
        for n, doc in enumerate(docs):
            if written >= passages:
                return written
            parts = [doc] if partner == 0 else [doc, docs[(n + partner) % len(docs)]]
            paras = [p for d in parts for p in paragraphs(d["text"], per)]
            if not paras:
                continue
            title = " / ".join((d.get("title") or d["_id"]).replace("\n", " ").strip() for d in parts)
            body = "\n\n".join(paras[: passages - written])
            (folder / f"{doc['_id']}-{round_no}.txt").write_text(f"---\ntitle: {title}\n---\n{body}\n", encoding="utf-8")
            written += min(len(paras), passages - written)
    return written
