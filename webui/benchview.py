"""The Benchmark tab's view model: the latest saved run, the run before it, the change between them, the charts."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from qa.bench import BenchReport, Delta, compare, latest_run, load_report, previous_run
from qa.bench.charts import LATENCY_PNG, METRICS_PNG


@dataclass(frozen=True)
class BenchView:
    """What the Benchmark tab shows: a saved run, its charts, and its change against the run before it."""

    report: BenchReport | None
    folder: Path | None
    previous: BenchReport | None = None
    deltas: tuple[Delta, ...] = ()
    charts: tuple[Path, ...] = ()


def view(folder: Path | None, out_root: Path) -> BenchView:
    """The view of one saved run folder (None: no run yet), compared with the previous run of the same question set."""
    if folder is None:
        return BenchView(None, None)
    folder = folder.resolve()
    report = load_report(folder)
    before = previous_run(report, out_root)
    previous = load_report(before) if before else None
    deltas = compare(previous, report) if previous else ()
    charts = tuple(p for p in (folder / METRICS_PNG, folder / LATENCY_PNG) if p.is_file())
    return BenchView(report, folder, previous, deltas, charts)


def latest_view(out_root: Path) -> BenchView:
    """The latest saved run under `out_root` (the one `latest` points at), for the tab."""
    return view(latest_run(out_root), out_root)
