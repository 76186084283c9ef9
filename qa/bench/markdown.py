"""The Markdown formatter: the table rows as Markdown tables (one row per mode) and the whole report.md."""

from __future__ import annotations

from collections.abc import Callable

from qa.bench import tables
from qa.bench.results import BenchReport, Delta
from qa.bench.tables import BARE, Cell, Table

BARE_NAME = "bare `encode_query`"


def md_table(head: list[str], rows: list[list[str]]) -> str:
    """A Markdown table."""
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def by_mode(table: Table, cell: Callable[[Cell], str] | None = None, suffix: str = "") -> str:
    """A table written one row per mode (column of the rows), its measures across: what fits a report's width."""
    show = cell or (lambda c: c.text)
    rows = [[BARE_NAME if col == BARE else col] + [show(row.cells[j]) for row in table.rows]
            for j, col in enumerate(table.columns)]
    return md_table(["mode"] + [row.short + suffix for row in table.rows], rows)


def quality_table(report: BenchReport) -> str:
    """Metrics per mode, one row each."""
    return by_mode(tables.quality(report))


def latency_table(report: BenchReport) -> str:
    """p50 / p95 milliseconds per stage and mode, with the bare query encode as a row for scale."""
    return by_mode(tables.latency(report), suffix=" p50 / p95 (ms)")


def _change(cell: Cell) -> str:
    return f"{cell.text} {cell.change}{cell.mark}" if cell.change else cell.text


def comparison_markdown(deltas: tuple[Delta, ...], against: str = "") -> str:
    """A table of new value and change per mode and metric (worse changes marked ▼, better ▲)."""
    if not deltas:
        return f"No metric in common with {against or 'the earlier run'}."
    head = f"Against {against}: new value (change); ▼ worse, ▲ better.\n\n" if against else ""
    return head + by_mode(tables.comparison(deltas), _change)


def render(report: BenchReport, deltas: tuple[Delta, ...] = (), against: str = "") -> str:
    """The whole report as Markdown: what ran, the metric and latency tables, the build, notes, comparison."""
    s = report.settings
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    parts = [
        f"# Benchmark: {report.name}",
        f"{report.created} · model `{s.get('model', '?')}` · reader `{s.get('reader', 'builtin')}` · {counts}",
        f"Command: `{report.command}`" if report.command else "",
        "## Retrieval and abstention" if "abstention" in report.metrics else "## Retrieval",
        quality_table(report),
        "## Latency",
        latency_table(report),
    ]
    if report.build:
        parts.append(f"Index build: {report.build.summary()}.")
    load, cpus = report.environment.get("load_average_1m"), report.environment.get("cpus")
    if isinstance(load, int | float) and isinstance(cpus, int) and load > cpus:
        parts.append(f"The machine was busy during this run (load average {load} on {cpus} CPUs): latencies are inflated.")
    if report.notes:
        parts.append("\n".join(f"- {n}" for n in report.notes))
    if deltas or against:
        parts += ["## Change against an earlier run", comparison_markdown(deltas, against)]
    return "\n\n".join(p for p in parts if p) + "\n"
