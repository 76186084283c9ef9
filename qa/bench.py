"""The benchmark on a question set: ranking, abstention and per-stage latency per mode, build speed; saved runs."""

from __future__ import annotations

import logging
import os
import re
import shutil
import sys
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

from embeddings import EmbeddingCache, Encoder
from qa.answer import Answer, elapsed_ms
from qa.corpus import load_corpus
from qa.engine import Engine
from qa.errors import UserError
from qa.library import build_library
from qa.metrics import ir_metrics, percentiles, ranked_run
from qa.queries import DEFAULT_QUERIES, Query, holds_gold, load_queries, reasons_found, relevant_ids
from qa.report import (
    LATENCY_PNG,
    METRICS_PNG,
    REPORT_JSON,
    STAGES,
    BenchReport,
    BuildStats,
    Delta,
    ModeRun,
    QueryRun,
    compare,
    comparison_markdown,
    environment,
    load_report,
    markdown,
    now_iso,
    write_reports,
)
from qa.retrieve import MODE_WEIGHTS
from qa.settings import MODES, ROOT, Settings, parse_k, parse_mode

log = logging.getLogger("qa")

Progress = Callable[[str, int, int], None]

# Where saved runs go: SOURCEQA_BENCH_OUT (for the CLI and the web app alike, e.g. when the project folder is
# read-only), else bench/out/ in the project.
OUT_ROOT = Path(os.environ.get("SOURCEQA_BENCH_OUT", "").strip() or ROOT / "bench" / "out").expanduser()
LATEST = "latest"
DEFAULT_K = 10
RANK_METRICS = ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10")
# Measured on the answers, not the rankings: first_sentence is the share of answerable questions whose answer's
# first sentence holds a gold snippet, first_passage the share whose first sentence comes from a relevant paragraph
# (an abstention counts as wrong in both); near_topic the share of unanswerable questions about the articles' own
# subjects answered "partial" or "not in the sources"; reason_coverage the share of listed reasons (up to 4) an
# answer gives, over questions whose gold lists several.
ANSWER_METRICS = ("first_sentence", "first_passage", "abstention", "near_topic", "false_abstention", "partial",
                  "reason_coverage")


def parse_modes(value: str | Sequence[str] | None) -> tuple[str, ...]:
    """Modes from "bm25,dense,hybrid" (or a list), checked, in the order given, without repeats; default all."""
    if value is None:
        return MODES
    items = value.split(",") if isinstance(value, str) else list(value)
    modes = []
    for item in items:
        if not str(item).strip():
            continue
        try:
            mode = parse_mode(item)
        except UserError:
            raise UserError(f"--modes: {str(item).strip()!r} is not one of {', '.join(MODES)}; "
                            f"pass a comma-separated list, e.g. --modes {','.join(MODES)}") from None
        if mode not in modes:
            modes.append(mode)
    if not modes:
        raise UserError(f"--modes is empty: pass a comma-separated list, e.g. --modes {','.join(MODES)}")
    return tuple(modes)


def queries_name(path: str | Path | Sequence[str | Path] | None) -> str:
    """How a query set is named in reports: each file's path inside the project when it is there, else as given."""
    paths = [Path(p) for p in path] if isinstance(path, (list, tuple)) else [Path(path) if path else DEFAULT_QUERIES]
    names = []
    for p in paths:
        full = p.resolve()
        names.append(full.relative_to(ROOT).as_posix() if full.is_relative_to(ROOT) else str(p))
    return " + ".join(names)


def metric_names(k: int) -> tuple[str, ...]:
    """The rank metrics a ranking of depth k supports (a cutoff past k would repeat the last), then abstention."""
    return tuple(m for m in RANK_METRICS if int(m.split("@")[1]) <= k) + ANSWER_METRICS


def measure_build(settings: Settings, encoder: Encoder, progress: Callable[[str, int, int], None] | None = None) -> BuildStats:
    """Build the corpus's index afresh in a temporary folder with an empty embedding cache, and time it."""
    corpus = load_corpus(settings.corpus)
    with tempfile.TemporaryDirectory(prefix="sourceqa-bench-") as tmp:
        cache = EmbeddingCache(Path(tmp) / "cache", encoder.model_id, encoder.dim)
        _, report = build_library(corpus, encoder, cache, index_type=settings.index_type, progress=progress,
                                  max_paragraphs=settings.max_paragraphs)
    return BuildStats.of(report)


def run_benchmark(
    engine: Engine,
    queries: Sequence[Query],
    modes: Sequence[str] = MODES,
    k: int = DEFAULT_K,
    *,
    build: bool = True,
    progress: Progress | None = None,
    name: str = "",
    command: str = "",
) -> BenchReport:
    """Ask every question in every mode: rank metrics (ranx), abstention, latency per stage; optionally build speed.

    `progress(stage, done, total)` counts work units over the whole run, so a single bar can follow it.
    """
    modes = parse_modes(list(modes))
    k = parse_k(k)
    library = engine.library
    questions = [engine.question(q.question).text for q in queries]
    relevant = {q.id: relevant_ids(q, library.passages) for q in queries}
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
                share = build_units / 2 * (halves.get(desc, 1) + d / t)
                progress(f"index build: {desc}", int(share), total)

        stats = measure_build(engine.settings, engine.encoder, inner)
        tick("index build", build_units)

    # Warm-ups, untimed: the model's first call and each mode's first search are slower than the rest.
    engine.encoder.encode_query(questions[0])
    for mode in modes:
        engine.ask(queries[0].question, mode=mode, k=k)
    # Question by question, the bare encode and then every mode (in a rotating order), so that a busy spell on a
    # shared machine inflates all of them alike and the ratios within the run stay fair.
    bare: list[float] = []
    results: dict[str, list[QueryRun]] = {m: [] for m in modes}
    timings: dict[str, dict[str, list[float]]] = {m: {s: [] for s in STAGES} for m in modes}
    for i, (q, text) in enumerate(zip(queries, questions)):
        began = time.perf_counter()
        engine.encoder.encode_query(text)
        bare.append(elapsed_ms(began))
        tick("bare query encode")
        for mode in modes[i % len(modes):] + modes[:i % len(modes)]:
            turns = conversation(engine, q, mode, k)
            answer, hits = engine.ask_ranked(q.question, turns, mode=mode, k=k)  # one encoding for ranking and answer
            ranked = [h.passage.id for h in hits]
            if answer.status == "invalid":
                raise UserError(f"question {q.id} cannot be asked: {answer.message}")
            for stage in STAGES:
                if stage in answer.timings_ms:
                    timings[mode][stage].append(answer.timings_ms[stage])
            rel = relevant[q.id]
            said = [s.text for s in answer.sentences] if answer.status != "not_in_sources" else []
            first = said[0] if said else ""
            results[mode].append(QueryRun(
                q.id, q.question, q.answerable, tuple(ranked), tuple(p in rel for p in ranked), len(rel),
                answer.status, answer.evidence, holds_gold(first, q.gold) if first and q.gold else False,
                bool(said) and answer.sentences[0].passage_id in rel,
                (reasons_found(said, q.gold), q.reasons) if q.reasons and q.reasons > 1 else None, q.type))
            tick(f"asking in {len(modes)} modes")
    runs = [
        ModeRun(mode, _metrics(results[mode], relevant, k),
                {s: percentiles(v) for s, v in timings[mode].items() if v}, tuple(results[mode]))
        for mode in modes
    ]

    answerable = sum(q.answerable for q in queries)
    return BenchReport(
        kind="queries", name=name or "questions", created=now_iso(), command=command,
        # Only what this set measures: no near-topic column without near-topic questions, and so on.
        metrics=tuple(m for m in metric_names(k) if any(m in run.metrics for run in runs)),
        modes=tuple(runs), encode_ms=percentiles(bare), build=stats,
        settings={"model": engine.encoder.model_id, "corpus": str(engine.settings.corpus), "k": k,
                  "index_type": engine.settings.index_type, "threshold": engine.threshold(),
                  "weights": {m: MODE_WEIGHTS[m] for m in modes}},
        counts={"questions": len(queries), "answerable": answerable, "off_topic": sum(q.off_topic for q in queries),
                "near_topic": len(queries) - answerable - sum(q.off_topic for q in queries),
                "passages": len(library.passages)},
        environment=environment(), notes=tuple(notes),
    )


def _metrics(results: Sequence[QueryRun], relevant: dict[str, set[str]], k: int) -> dict[str, float]:
    """Rank metrics over the answerable questions with a relevant passage; abstention rates by kind of question."""
    qrels = {r.id: {pid: 1 for pid in relevant[r.id]} for r in results if r.answerable and relevant[r.id]}
    run = {r.id: ranked_run(r.ranked) for r in results if r.id in qrels}
    out = ir_metrics(qrels, run, [m for m in metric_names(k) if m not in ANSWER_METRICS])
    off = [r for r in results if not r.answerable and r.kind == "offtopic"]
    near = [r for r in results if not r.answerable and r.kind != "offtopic"]
    on = [r for r in results if r.answerable]
    with_gold = [r for r in on if relevant[r.id]]
    if off:
        out["abstention"] = sum(r.status == "not_in_sources" for r in off) / len(off)
    if near:
        out["near_topic"] = sum(r.status in ("not_in_sources", "partial") for r in near) / len(near)
    if with_gold:
        out["first_sentence"] = sum(bool(r.first_sentence) for r in with_gold) / len(with_gold)
        out["first_passage"] = sum(bool(r.first_passage) for r in with_gold) / len(with_gold)
    if on:
        out["false_abstention"] = sum(r.status == "not_in_sources" for r in on) / len(on)
        out["partial"] = sum(r.status == "partial" for r in on) / len(on)
    listed = [r.reasons for r in on if r.reasons]
    if listed:
        out["reason_coverage"] = sum(min(found, 4) / min(total, 4) for found, total in listed) / len(listed)
    return out


def conversation(engine: Engine, query: Query, mode: str, k: int) -> list[Answer]:
    """The earlier turns of a follow-up question, asked in order as a user would (none for other questions)."""
    turns: list[Answer] = []
    for earlier in query.history:
        turns.append(engine.ask(earlier, turns, mode=mode, k=k))
    return turns


# --- saved runs ------------------------------------------------------------------------------------------------
def slug(text: str) -> str:
    """A file-name-safe form of a report name."""
    return re.sub(r"[^A-Za-z0-9._-]+", "-", text).strip("-.")[:60] or "run"


def latest_name(report: BenchReport) -> str:
    """The name of the pointer to the latest run of this kind: `latest` for question sets, `latest-<name>` for BEIR."""
    return LATEST if report.kind == "queries" else f"{LATEST}-{slug(report.name)}"


def _point(root: Path, name: str, target: Path) -> None:
    """Make root/name point at the run folder `target` (a relative symlink; a copy where symlinks fail)."""
    link = root / name
    tmp = root / f".{name}.tmp"
    try:
        if tmp.is_symlink() or tmp.exists():
            tmp.unlink()
        os.symlink(target.name, tmp, target_is_directory=True)
        if link.is_dir() and not link.is_symlink():
            shutil.rmtree(link)
        os.replace(tmp, link)
    except OSError:
        if link.is_symlink():
            link.unlink()
        elif link.exists():
            shutil.rmtree(link)
        shutil.copytree(target, link)


def new_run_folder(report: BenchReport, out_root: Path = OUT_ROOT) -> Path:
    """A fresh, time-stamped folder for a run under `out_root` (names sort by time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    short = Path(report.name.split(" + ")[0]).stem if report.kind == "queries" else report.name
    base = out_root / f"{stamp}-{slug(short)}"
    folder, i = base, 2
    while folder.exists():
        folder = Path(f"{base}-{i}")
        i += 1
    return folder


def runs(out_root: Path = OUT_ROOT) -> list[Path]:
    """Saved run folders under `out_root`, newest first."""
    if not out_root.is_dir():
        return []
    return [folder for folder in sorted(out_root.iterdir(), reverse=True)
            if not folder.is_symlink() and not folder.name.startswith((LATEST, ".")) and (folder / REPORT_JSON).is_file()]


def previous_run(report: BenchReport, out_root: Path = OUT_ROOT) -> Path | None:
    """The newest saved run of the same question set made before `report` (each report read once)."""
    for folder in runs(out_root):
        try:
            old = load_report(folder)
        except UserError:  # a damaged run is skipped, not fatal
            continue
        if old.name == report.name and old.created < report.created:
            return folder
    return None


def save_run(report: BenchReport, out: str | Path | None = None, deltas: tuple[Delta, ...] = (), against: str = "",
             out_root: Path = OUT_ROOT) -> Path:
    """Write a run's reports into `out`, or into a new time-stamped folder under `out_root` that `latest` points at."""
    if out is not None:
        folder = Path(out).expanduser()
        write_reports(report, folder, deltas, against)
        return folder
    folder = new_run_folder(report, out_root)
    write_reports(report, folder, deltas, against)
    _point(out_root, latest_name(report), folder)
    return folder


# --- for the UI's Benchmark tab ------------------------------------------------------------------------------
@dataclass(frozen=True)
class BenchView:
    """What the Benchmark tab shows: the latest report, its charts, and the change against the run before it."""

    report: BenchReport | None
    folder: Path | None
    previous: BenchReport | None
    deltas: tuple[Delta, ...]
    markdown: str
    comparison: str
    charts: tuple[Path, ...]


def view(folder: Path | None, out_root: Path = OUT_ROOT) -> BenchView:
    """The view of one saved run folder, compared with the previous run of the same question set."""
    if folder is None or not (folder / REPORT_JSON).is_file():
        text = "No benchmark run yet: press Run, or run `python -m qa bench`."
        return BenchView(None, None, None, (), text, "", ())
    folder = folder.resolve()
    report = load_report(folder)
    prev_folder = previous_run(report, out_root)
    previous = load_report(prev_folder) if prev_folder else None
    deltas = compare(previous, report) if previous else ()
    comparison = (comparison_markdown(deltas, f"the run of {previous.created}") if previous
                  else "No earlier run of this question set to compare with.")
    charts = tuple(p for p in (folder / METRICS_PNG, folder / LATENCY_PNG) if p.is_file())
    return BenchView(report, folder, previous, deltas, markdown(report), comparison, charts)


def latest_view(out_root: Path = OUT_ROOT) -> BenchView:
    """The latest saved run of the shipped question set (or of any set, through `latest`), for the UI."""
    link = out_root / LATEST
    return view(link if (link / REPORT_JSON).is_file() else None, out_root)


def run_shipped(engine: Engine, progress: Progress | None = None, *, build: bool = True, out_root: Path = OUT_ROOT) -> BenchView:
    """Run the shipped question set in every mode (the UI's Run button), save it as the latest run, return the view."""
    queries = load_queries(DEFAULT_QUERIES)
    report = run_benchmark(engine, queries, MODES, DEFAULT_K, build=build, progress=progress, name=queries_name(DEFAULT_QUERIES),
                           command="python -m qa bench (from the UI)")
    prev_folder = previous_run(report, out_root)
    deltas, against = (), ""
    if prev_folder is not None:
        previous = load_report(prev_folder)
        deltas, against = compare(previous, report), f"the run of {previous.created}"
    folder = save_run(report, deltas=deltas, against=against, out_root=out_root)
    return view(folder, out_root)


def _fail_limit(args) -> float | None:
    if args.fail_on_drop is None:
        return None
    if not args.compare:
        raise UserError("--fail-on-drop needs --compare OLD.json: the report to measure the drop against")
    try:
        limit = float(args.fail_on_drop)
    except ValueError:
        raise UserError(f"--fail-on-drop must be a number such as 0.02, not {args.fail_on_drop!r}") from None
    if not 0 <= limit <= 1:
        raise UserError(f"--fail-on-drop is an absolute drop on the 0-1 scale (e.g. 0.02), not {limit}")
    return limit


class ProgressBar:
    """A progress callback drawing one tqdm bar on stderr, opened at the first report (so early errors stay one line)."""

    def __init__(self) -> None:
        self._bar = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, unit="step", mininterval=1.0, file=sys.stderr)
        elif self._bar.total != total or done < self._bar.n:
            self._bar.reset(total=total)  # a new stage with its own count (BEIR: encoding, then each mode)
        self._bar.set_description(stage, refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Close the bar, if one was opened."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def main(args, command: str, open_engine: Callable[..., Engine], out=None) -> int:
    """`python -m qa bench`: run, save, print, compare; exit 1 when a metric fell past --fail-on-drop."""
    import json

    from qa import report as reports

    out = out or sys.stdout
    # Everything that can be wrong with the flags or files is checked before the model takes seconds to load.
    limit = _fail_limit(args)
    if args.split and not args.beir:
        raise UserError("--split applies to BEIR data: pass --beir DIR too (a question set has no splits)")
    old = reports.load_report(args.compare) if args.compare else None
    modes = parse_modes(args.modes)
    progress = ProgressBar()
    try:
        if args.beir:
            from qa import beir
            from qa.engine import load_encoder

            data = beir.load_beir(args.beir, args.split or "test")
            settings = Settings.load(model=args.model, index_type=args.index_type, backend=args.backend)
            encoder = args.encoder or load_encoder(settings, documents=True)
            report = beir.run_beir(data, encoder, modes, index_dir=args.index_dir, index_type=settings.index_type,
                                   progress=progress, command=command)
        else:
            queries = load_queries(args.queries)
            k = parse_k(args.k) if args.k is not None else DEFAULT_K
            name = queries_name(args.queries)
            engine = open_engine()
            report = run_benchmark(engine, queries, modes, k, build=not args.no_build, progress=progress,
                                   name=name, command=command)
    finally:
        progress.close()
    deltas = reports.compare(old, report) if old else ()
    against = args.compare or ""
    folder = save_run(report, args.out, deltas, against)
    failed = reports.regressions(deltas, limit) if limit is not None else ()
    if args.json:
        print(json.dumps({"out": str(folder), "metrics": {m.mode: m.metrics for m in report.modes},
                          "latency_ms": {m.mode: m.latency_ms for m in report.modes}, "encode_ms": report.encode_ms,
                          "build": report.build.to_dict() if report.build else None,
                          "comparison": [d.to_dict() for d in deltas], "regressions": [d.to_dict() for d in failed]},
                         ensure_ascii=False, indent=2), file=out)
    else:
        print(reports.markdown(report, deltas, against), file=out)
        print(f"reports written to {folder}/", file=out)
    if failed:
        worst = ", ".join(f"{d.mode} {reports.label(d.metric)} {d.old:.3f} -> {d.new:.3f}" for d in failed)
        print(f"regression: {len(failed)} metric(s) fell by more than {limit}: {worst}", file=sys.stderr)
        return 1
    return 0
