"""BEIR datasets: read BEIR's layout, index each document as one Document through the engine, score retrieval."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings import Encoder
from qa import Engine, Settings, UserError, open_engine
from qa.bench.metrics import ir_metrics, percentiles, ranked_run
from qa.bench.results import BenchReport, BuildStats, ModeRun, QueryRun
from qa.bench.runner import bare_encode_ms, environment, now_iso
from qa.bench.runs import slug
from qa.types import Document, Progress

log = logging.getLogger("qa")

BEIR_METRICS = ("ndcg@10", "mrr@10", "recall@10", "recall@100")
# Ranked documents per query: deep enough for Recall@100 (also the engine's largest k).
BEIR_DEPTH = 100


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
            raise UserError(f"{path} line {number}: expected 3 tab-separated columns (query-id, corpus-id, score), "
                            f"found {len(cells)}")
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
        raise UserError(f"{qrels_path} not found: pass --split with one of "
                        f"{', '.join(splits) or '(no qrels/*.tsv in the folder)'}")
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
    name = slug(root.resolve().name, "beir")
    return BeirData(name, str(root.resolve()), split, tuple(docs), queries, {q: judged[q] for q in queries})


def documents(data: BeirData) -> list[Document]:
    """Each BEIR document as one Document: its title as the title, its text as the (one-paragraph) text."""
    source = str(Path(data.folder) / "corpus.jsonl")
    return [Document(doc_id=doc.id, text=doc.text, title=doc.title, source=source) for doc in data.docs]


def index_folder(data: BeirData, settings: Settings, index_dir: str | Path | None = None) -> Path:
    """Where the dataset's vectors are cached: `index_dir`, else <cache_dir>/beir-<name>; checked to be writable."""
    folder = Path(index_dir).expanduser() if index_dir else Path(settings.cache_dir or ".") / f"beir-{data.name}"
    probe = folder / ".sourceqa-write-test"
    try:  # a real write: permission bits do not tell what root or a read-only mount allows
        folder.mkdir(parents=True, exist_ok=True)
        probe.write_bytes(b"")
        probe.unlink()
    except OSError as exc:
        raise UserError(f"BEIR index folder {folder} is not writable ({exc.strerror}): pass --index-dir DIR") from None
    return folder


def open_beir(data: BeirData, settings: Settings, *, index_dir: str | Path | None = None, encoder: Encoder | None = None,
              progress: Progress | None = None) -> Engine:
    """An engine over the dataset's documents; vectors cached in the index folder, so a rerun does not re-encode."""
    folder = index_folder(data, settings, index_dir)
    log.info("indexing %d documents of %s (vectors cached in %s)", len(data.docs), data.name, folder / "cache")
    return open_engine(settings.with_values(index_dir=folder), documents=documents(data), encoder=encoder,
                       progress=progress)


def run_beir(
    data: BeirData,
    settings: Settings,
    modes: Sequence[str],
    *,
    index_dir: str | Path | None = None,
    encoder: Encoder | None = None,
    progress: Progress | None = None,
    command: str = "",
) -> BenchReport:
    """Index the corpus (or reuse cached vectors) and score document retrieval per mode with the engine's search()."""
    engine = open_beir(data, settings, index_dir=index_dir, encoder=encoder, progress=progress)
    built = engine.report
    ids = list(data.queries)
    bare_encode_ms(engine, data.queries[ids[0]])  # warm-up, untimed
    bare = []
    for i, qid in enumerate(ids, start=1):
        bare.append(bare_encode_ms(engine, data.queries[qid]))
        if progress is not None:
            progress("encoding queries", i, len(ids))
    runs = []
    for mode in modes:
        results: list[QueryRun] = []
        stages: dict[str, list[float]] = {"encode": [], "search": [], "fusion": [], "total": []}
        for i, qid in enumerate(ids, start=1):
            timings: dict[str, float] = {}
            hits = engine.search(data.queries[qid], mode=mode, k=BEIR_DEPTH, timings=timings)
            used = [s for s in ("encode", "search", "fusion") if s != "encode" or mode != "bm25"]  # BM25 needs no vector
            for stage in used:
                stages[stage].append(timings.get(stage, 0.0))
            # The query's total as a user meets it: its own encode (not needed by BM25) plus search and fusion.
            stages["total"].append(sum(timings.get(s, 0.0) for s in used))
            ranked = list(dict.fromkeys(h.passage.doc_id for h in hits))
            judged = data.qrels[qid]
            results.append(QueryRun(id=qid, question=data.queries[qid], answerable=True, ranked=tuple(ranked),
                                    relevant=tuple(judged.get(d, 0) > 0 for d in ranked),
                                    n_relevant=sum(g > 0 for g in judged.values())))
            if progress is not None:
                progress(f"{mode}: ranking", i, len(ids))
        metrics = ir_metrics(data.qrels, {r.id: ranked_run(r.ranked) for r in results}, BEIR_METRICS)
        runs.append(ModeRun(mode, metrics, {s: percentiles(v) for s, v in stages.items() if v}, tuple(results)))
    return BenchReport(
        kind="beir", name=f"beir-{data.name}-{data.split}", created=now_iso(), command=command, metrics=BEIR_METRICS,
        modes=tuple(runs), encode_ms=percentiles(bare), build=BuildStats.of(built),
        settings={"model": engine.model_id, "dataset": data.folder, "split": data.split, "depth": BEIR_DEPTH,
                  "index_type": engine.settings.index_type},
        counts={"documents": len(data.docs), "queries": len(ids), "judgments": sum(len(v) for v in data.qrels.values()),
                "sentences": built.sentences},
        environment=environment(engine),
        notes=("Document-level retrieval: each document is one passage (title. text); ranked with the engine's own "
               "search() in each mode.",),
    )
