"""BEIR datasets: read BEIR's layout, index its documents as one-passage articles, score document retrieval."""

from __future__ import annotations

import json
import logging
import os
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from embeddings import EmbeddingCache, Encoder
from embeddings.cache import text_key
from qa.answer import elapsed_ms
from qa.chunking import Chunked, Passage
from qa.corpus import Article
from qa.engine import prepare_question
from qa.errors import UserError
from qa.library import BuildReport, Library, index_chunks
from qa.metrics import ir_metrics, percentiles, ranked_run
from qa.report import BenchReport, BuildStats, ModeRun, QueryRun, environment, now_iso
from qa.retrieve import MODE_WEIGHTS, retrieve
from qa.settings import MAX_K
from qa.store import index_folder_writable

log = logging.getLogger("qa")

Progress = Callable[[str, int, int], None]

BEIR_METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")
# Ranked documents per query: deep enough for Recall@100 (also the engine's largest k).
BEIR_DEPTH = MAX_K
# Vectors are written to the cache every this many texts, so an interrupted encode resumes where it stopped.
CHECKPOINT_TEXTS = 4096


@dataclass(frozen=True)
class BeirDoc:
    """One corpus document."""

    id: str
    title: str
    text: str


@dataclass(frozen=True)
class BeirData:
    """A BEIR dataset's corpus, and the queries and judgments of one split."""

    name: str
    folder: str
    split: str
    docs: tuple[BeirDoc, ...]
    queries: dict[str, str]
    qrels: dict[str, dict[str, int]]


def _jsonl(path: Path, hint: str) -> list[tuple[int, dict]]:
    """(line number, object) of each non-blank line; a malformed line raises a UserError naming it."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror}): {hint}") from None
    out = []
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except json.JSONDecodeError as exc:
            raise UserError(f"{path} line {number}: not valid JSON ({exc.msg} at column {exc.colno})") from None
        if not isinstance(data, dict) or not str(data.get("_id", "")).strip():
            raise UserError(f"{path} line {number}: each line must be a JSON object with an \"_id\"")
        out.append((number, data))
    return out


def _qrels(path: Path) -> dict[str, dict[str, int]]:
    """query id -> {doc id: grade} from a BEIR qrels TSV (header optional)."""
    try:
        lines = path.read_text(encoding="utf-8-sig").splitlines()
    except OSError as exc:
        raise UserError(f"cannot read {path} ({exc.strerror})") from None
    qrels: dict[str, dict[str, int]] = {}
    for number, line in enumerate(lines, start=1):
        cells = line.strip().split("\t") if "\t" in line else line.split()
        if not cells or not line.strip():
            continue
        if number == 1 and cells[0].lower() in ("query-id", "query_id", "qid"):
            continue
        if len(cells) != 3:
            raise UserError(f"{path} line {number}: expected 3 tab-separated columns (query-id, corpus-id, score), found {len(cells)}")
        try:
            grade = int(float(cells[2]))
        except ValueError:
            raise UserError(f"{path} line {number}: score {cells[2]!r} is not a number") from None
        qrels.setdefault(cells[0], {})[cells[1]] = grade
    return qrels


def load_beir(folder: str | Path, split: str = "test") -> BeirData:
    """Read `corpus.jsonl`, `queries.jsonl` and `qrels/<split>.tsv`; the queries kept are those judged in the split."""
    root = Path(folder).expanduser()
    if not root.is_dir():
        raise UserError(f"BEIR folder {root} does not exist: pass --beir DIR with corpus.jsonl, queries.jsonl and qrels/")
    qrels_path = root / "qrels" / f"{split}.tsv"
    if not qrels_path.is_file():
        splits = sorted(p.stem for p in (root / "qrels").glob("*.tsv")) if (root / "qrels").is_dir() else []
        raise UserError(f"{qrels_path} not found: pass --split with one of {', '.join(splits) or '(no qrels/*.tsv in the folder)'}")
    docs: list[BeirDoc] = []
    seen: set[str] = set()
    for number, row in _jsonl(root / "corpus.jsonl", "a BEIR folder needs corpus.jsonl"):
        doc_id = str(row["_id"]).strip()
        if doc_id in seen:
            raise UserError(f"{root / 'corpus.jsonl'} line {number}: document id {doc_id!r} is used twice")
        seen.add(doc_id)
        docs.append(BeirDoc(doc_id, str(row.get("title") or "").strip(), str(row.get("text") or "").strip()))
    if not docs:
        raise UserError(f"{root / 'corpus.jsonl'} has no documents")
    texts = {str(row["_id"]).strip(): str(row.get("text") or "").strip()
             for _, row in _jsonl(root / "queries.jsonl", "a BEIR folder needs queries.jsonl")}
    all_qrels = _qrels(qrels_path)
    judged = {q: {d: g for d, g in docs_.items() if d in seen} for q, docs_ in all_qrels.items()}
    missing_docs = sum(len(d) for d in all_qrels.values()) - sum(len(d) for d in judged.values())
    if missing_docs:
        log.warning("%s: %d judgments name documents not in corpus.jsonl; ignored", qrels_path, missing_docs)
    unknown = [q for q in judged if not texts.get(q)]
    if unknown:
        log.warning("%s: %d judged queries are not in queries.jsonl (e.g. %s); ignored", qrels_path, len(unknown), unknown[0])
    queries = {q: texts[q] for q in judged if texts.get(q) and any(g > 0 for g in judged[q].values())}
    if not queries:
        raise UserError(f"{qrels_path}: no judged query has text in queries.jsonl and a relevant document")
    name = re.sub(r"[^A-Za-z0-9._-]+", "-", root.resolve().name).strip("-") or "beir"
    return BeirData(name, str(root.resolve()), split, tuple(docs), queries, {q: judged[q] for q in queries})


def beir_chunks(data: BeirData) -> tuple[Chunked, ...]:
    """Each document as an article with one passage: title as the article title, text as the passage."""
    path = str(Path(data.folder) / "corpus.jsonl")
    chunks = []
    for doc in data.docs:
        article = Article(doc_id=doc.id, path=path, title=doc.title, text=doc.text)
        passage = Passage(id=f"{doc.id}:1", doc_id=doc.id, n=1, start=0, end=len(doc.text), text=doc.text, article=article)
        chunks.append(Chunked(article, (passage,), ()))
    return tuple(chunks)


def default_index_dir(name: str) -> Path:
    """Where a BEIR dataset's index cache lives by default: ~/.cache/sourceqa/beir-<name> (XDG_CACHE_HOME honoured)."""
    base = Path(os.environ.get("XDG_CACHE_HOME") or "~/.cache").expanduser()
    return base / "sourceqa" / f"beir-{name}"


class CheckpointingEncoder:
    """An encoder that saves fresh vectors to the cache every few thousand texts, with one progress bar per list."""

    def __init__(self, encoder: Encoder, cache: EmbeddingCache, every: int | None = None) -> None:
        """Wrap `encoder`; vectors go into `cache`, saved every `every` texts (default CHECKPOINT_TEXTS)."""
        self.encoder = encoder
        self.cache = cache
        self.every = every or CHECKPOINT_TEXTS
        self.model_id = encoder.model_id
        self.dim = encoder.dim

    def encode(self, texts: Sequence[str], *, progress: Callable[[int, int], None] | None = None,
               show_progress: bool | None = None, desc: str = "embedding") -> np.ndarray:
        """Vectors of `texts`, as Encoder.encode, checkpointed into the cache."""
        from tqdm.auto import tqdm

        out = np.zeros((len(texts), self.dim), dtype=np.float32)
        # A caller that follows progress draws its own bar; otherwise draw one here.
        show = show_progress if show_progress is not None else progress is None
        bar = tqdm(total=len(texts), desc=desc, unit="text", mininterval=2.0) if show else None
        try:
            for start in range(0, len(texts), self.every):
                part = list(texts[start:start + self.every])
                done_before = start

                def report(done: int, _total: int, done_before: int = done_before) -> None:
                    if bar is not None:
                        bar.update(done_before + done - bar.n)
                    if progress is not None:
                        progress(done_before + done, len(texts))

                vectors = self.encoder.encode(part, progress=report, show_progress=False, desc=desc)
                out[start:start + len(part)] = vectors
                self.cache.put([text_key(t) for t in part], vectors)
                self.cache.save()
        finally:
            if bar is not None:
                bar.close()
        return out


def index_beir(data: BeirData, encoder: Encoder, index_dir: str | Path | None = None, *, index_type: str = "flat",
               progress: Progress | None = None) -> tuple[Library, BuildReport]:
    """A Library of the dataset's documents; vectors are cached in `index_dir` so a rerun does not re-encode."""
    folder = Path(index_dir).expanduser() if index_dir else default_index_dir(data.name)
    problem = index_folder_writable(folder)  # creates it, and tries a write (permission bits lie to root)
    if problem is not None:
        raise UserError(f"BEIR index folder: {problem}; pass --index-dir DIR")
    cache = EmbeddingCache(folder / "cache", encoder.model_id, encoder.dim)
    log.info("indexing %d documents of %s (vectors cached in %s, %d already)", len(data.docs), data.name, cache.path, len(cache))
    # index_chunks checkpoints the cache itself, and pools sentence vectors from the passages' one encoder pass.
    library, report = index_chunks(beir_chunks(data), data.folder, encoder, cache, index_type=index_type, progress=progress)
    cache.save()
    return library, report


def run_beir(
    data: BeirData,
    encoder: Encoder,
    modes: Sequence[str],
    *,
    index_dir: str | Path | None = None,
    index_type: str = "flat",
    progress: Progress | None = None,
    command: str = "",
) -> BenchReport:
    """Index the corpus (or reuse cached vectors) and score document retrieval per mode with the engine's retrieve()."""
    library, built = index_beir(data, encoder, index_dir, index_type=index_type, progress=progress)
    ids = list(data.queries)
    texts = [prepare_question(data.queries[q], encoder).text for q in ids]
    encoder.encode_query(texts[0])  # warm-up, untimed
    vectors, bare = [], []
    for i, text in enumerate(texts, start=1):
        began = time.perf_counter()
        vectors.append(encoder.encode_query(text))
        bare.append(elapsed_ms(began))
        if progress is not None:
            progress("encoding queries", i, len(texts))
    runs = []
    for mode in modes:
        results: list[QueryRun] = []
        stages: dict[str, list[float]] = {"encode": [], "search": [], "fusion": [], "total": []}
        for i, (qid, text, vector) in enumerate(zip(ids, texts, vectors), start=1):
            timings: dict[str, float] = {}
            hits = retrieve(library, text, vector, mode=mode, k=BEIR_DEPTH, timings=timings)
            if mode != "bm25":  # BM25 needs no query vector
                stages["encode"].append(bare[i - 1])
            for stage in ("search", "fusion"):
                stages[stage].append(timings.get(stage, 0.0))
            # The query's total as a user meets it: its own encode (not needed by BM25) plus search and fusion.
            stages["total"].append((bare[i - 1] if mode != "bm25" else 0.0) + timings.get("search", 0.0) + timings.get("fusion", 0.0))
            ranked = list(dict.fromkeys(h.passage.doc_id for h in hits))
            judged = data.qrels[qid]
            results.append(QueryRun(qid, data.queries[qid], True, tuple(ranked),
                                    tuple(judged.get(d, 0) > 0 for d in ranked), sum(g > 0 for g in judged.values())))
            if progress is not None:
                progress(f"{mode}: ranking", i, len(ids))
        run = {r.id: ranked_run(r.ranked) for r in results}
        metrics = ir_metrics(data.qrels, run, BEIR_METRICS)
        runs.append(ModeRun(mode, metrics, {s: percentiles(v) for s, v in stages.items() if v}, tuple(results)))
    build = BuildStats.of(built)
    return BenchReport(
        kind="beir", name=f"beir-{data.name}-{data.split}", created=now_iso(), command=command, metrics=BEIR_METRICS,
        modes=tuple(runs), encode_ms=percentiles(bare), build=build,
        settings={"model": encoder.model_id, "dataset": data.folder, "split": data.split, "depth": BEIR_DEPTH,
                  "index_type": index_type, "weights": {m: MODE_WEIGHTS[m] for m in modes}},
        counts={"documents": len(data.docs), "queries": len(ids), "judgments": sum(len(v) for v in data.qrels.values()),
                "sentences": built.sentences},
        environment=environment(),
        notes=("Document-level retrieval: each document is one passage (title. text); ranked with the engine's own "
               "retrieve() and MODE_WEIGHTS.",),
    )
