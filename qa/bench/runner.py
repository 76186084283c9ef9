"""The runner: a question set asked through an engine in every mode; rank metrics, answer rates, latency, build speed."""

from __future__ import annotations

import os
import platform
import sys
import tempfile
from collections.abc import Sequence
from datetime import UTC, datetime
from typing import Any

from qa import Answer, Engine, Settings, Status, UserError, open_engine
from qa.bench.metrics import metric_names, percentiles, run_metrics
from qa.bench.queries import Query, holds_gold, reasons_found, relevant_ids
from qa.bench.results import STAGES, BenchReport, BuildStats, ModeRun, QueryRun
from qa.index.library import versions
from qa.types import Progress

DEFAULT_K = 10


def parse_modes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Modes from "bm25,dense,hybrid" (or a list), checked, in the order given, without repeats; default all."""
    every = ",".join(Settings.MODES)
    if value is None:
        return Settings.MODES
    items = value.split(",") if isinstance(value, str) else list(value)
    modes: list[str] = []
    for item in items:
        mode = str(item).strip().lower()
        if not mode:
            continue
        if mode not in Settings.MODES:
            raise UserError(f"--modes: {str(item).strip()!r} is not one of {', '.join(Settings.MODES)}; "
                            f"pass a comma-separated list, e.g. --modes {every}")
        if mode not in modes:
            modes.append(mode)
    if not modes:
        raise UserError(f"--modes is empty: pass a comma-separated list, e.g. --modes {every}")
    return tuple(modes)


def parse_k(value: object) -> int:
    """Passages ranked per question, checked as the `k` setting is (a UserError names --k)."""
    return Settings().with_values(k=value).k


def now_iso() -> str:
    """The current UTC time, to the second, in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def environment(engine: Engine) -> dict[str, Any]:
    """What the timings depend on: Python, machine, CPU count, load, threads and the library versions of the engine."""
    torch = sys.modules.get("torch")  # only when the encoder runs on torch: importing it here would cost seconds
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {"platform": platform.platform(), "cpus": os.cpu_count(),
            "torch_threads": int(torch.get_num_threads()) if torch is not None else 0,
            "query_threads": engine.settings.query_threads, "load_average_1m": load, **versions()}


def bare_encode_ms(engine: Engine, question: str) -> float:
    """The model's time to encode one question, as the engine measures it inside a dense search."""
    timings: dict[str, float] = {}
    engine.search(question, mode="dense", k=1, timings=timings)
    return timings["encode"]


def measure_build(engine: Engine, progress: Progress | None = None) -> BuildStats:
    """Build the engine's corpus afresh into a temporary index folder with an empty embedding cache, and time it."""
    with tempfile.TemporaryDirectory(prefix="sourceqa-bench-") as tmp:
        fresh = open_engine(engine.settings.with_values(index_dir=tmp), encoder=engine.encoder, rebuild=True,
                            progress=progress)
        return BuildStats.of(fresh.report)


def conversation(engine: Engine, query: Query, mode: str, k: int) -> list[Answer]:
    """The earlier turns of a follow-up question, asked in order as a user would (none for other questions)."""
    turns: list[Answer] = []
    for earlier in query.history:
        turns.append(engine.ask(earlier, turns, mode=mode, k=k))
    return turns


def ask_one(engine: Engine, q: Query, mode: str, k: int, relevant: set[str]) -> tuple[QueryRun, dict[str, float]]:
    """One question in one mode (after its conversation, if a follow-up): what it got right, and its stage timings."""
    try:
        turns = conversation(engine, q, mode, k)
        answer, hits = engine.ask_ranked(q.question, turns, mode=mode, k=k)  # one encoding for ranking and answer
    except UserError as exc:
        raise UserError(f"question {q.id} cannot be asked: {exc}") from None
    ranked = tuple(h.passage.id for h in hits)
    said = [s.text for s in answer.sentences] if answer.status != Status.NOT_IN_SOURCES else []
    first = said[0] if said else ""
    return QueryRun(
        id=q.id, question=q.question, answerable=q.answerable, ranked=ranked, relevant=tuple(p in relevant for p in ranked),
        n_relevant=len(relevant), status=str(answer.status), evidence=answer.evidence,
        first_sentence=holds_gold(first, q.gold) if first and q.gold else False,
        first_passage=bool(said) and answer.sentences[0].passage_id in relevant,
        reasons=(reasons_found(said, q.gold), q.reasons) if q.reasons and q.reasons > 1 else None, kind=q.type,
        support=answer.sentences[0].score if said else 0.0,
    ), answer.timings_ms


def run_queries(
    engine: Engine,
    queries: Sequence[Query],
    modes: Sequence[str] | None = None,
    k: int = DEFAULT_K,
    *,
    build: bool = True,
    progress: Progress | None = None,
    name: str = "",
    command: str = "",
) -> BenchReport:
    """Ask every question in every mode: rank metrics, abstention, latency per stage; optionally build speed.

    `progress(stage, done, total)` counts work units over the whole run, so a single bar can follow it.
    """
    modes, k = parse_modes(modes), parse_k(k)
    relevant = {q.id: relevant_ids(q, engine.passages) for q in queries}
    notes = [f"{q.id}: no passage contains any of its gold snippets; left out of the rank metrics"
             for q in queries if q.answerable and not relevant[q.id]]
    build_units = 2 * len(queries) if build else 0
    total = build_units + len(queries) * (len(modes) + 1)
    done = 0

    def tick(stage: str, units: int = 1) -> None:
        nonlocal done
        done += units
        if progress is not None:
            progress(stage, min(done, total), total)

    stats = None
    if build:
        halves = {"embedding passages": 0, "embedding sentences": 1}

        def inner(desc: str, d: int, t: int) -> None:
            # Map the build's own progress onto its share of the bar: passages, then sentences, half each.
            if progress is not None and t:
                progress(f"building a fresh index: {desc}", int(build_units / 2 * (halves.get(desc, 1) + d / t)), total)

        stats = measure_build(engine, inner)
        tick("building a fresh index", build_units)

    # Warm-ups, untimed: the model's first call and each mode's first search are slower than the rest.
    asking = f"asking each question in {len(modes)} mode{'s' if len(modes) > 1 else ''}"
    if progress is not None:
        progress(f"warming up: {asking}", done, total)
    bare_encode_ms(engine, queries[0].question)
    for mode in modes:
        engine.ask(queries[0].question, mode=mode, k=k)
    # Question by question, the bare encode and then every mode (in a rotating order), so that a busy spell on a
    # shared machine inflates all of them alike and the ratios within the run stay fair.
    bare: list[float] = []
    results: dict[str, list[QueryRun]] = {m: [] for m in modes}
    timings: dict[str, dict[str, list[float]]] = {m: {s: [] for s in STAGES} for m in modes}
    for i, q in enumerate(queries):
        bare.append(bare_encode_ms(engine, q.question))
        tick("timing the model alone")
        for mode in modes[i % len(modes):] + modes[:i % len(modes)]:
            run, took = ask_one(engine, q, mode, k, relevant[q.id])
            results[mode].append(run)
            for stage in STAGES:
                if stage in took:
                    timings[mode][stage].append(took[stage])
            tick(asking)
    runs = [ModeRun(mode, run_metrics(results[mode], relevant, k),
                    {s: percentiles(v) for s, v in timings[mode].items() if v}, tuple(results[mode])) for mode in modes]
    answerable = sum(q.answerable for q in queries)
    off_topic = sum(q.off_topic for q in queries)
    return BenchReport(
        kind="queries", name=name or "questions", created=now_iso(), command=command,
        # Only what this set measures: no near-topic column without near-topic questions, and so on.
        metrics=tuple(m for m in metric_names(k) if any(m in run.metrics for run in runs)),
        modes=tuple(runs), encode_ms=percentiles(bare), build=stats,
        settings={"model": engine.model_id, "corpus": str(engine.settings.corpus), "k": k,
                  "index_type": engine.settings.index_type, "threshold": engine.threshold(),
                  "reader": engine.reader.name if engine.reader is not None else "builtin"},
        counts={"questions": len(queries), "answerable": answerable, "off_topic": off_topic,
                "near_topic": len(queries) - answerable - off_topic, "passages": len(engine.passages)},
        environment=environment(engine), notes=tuple(notes),
    )
