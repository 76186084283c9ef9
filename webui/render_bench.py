"""What the Benchmark tab shows, as HTML from templates: the run's table rows (as in report.md), the change, charts."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from markupsafe import Markup

from qa.bench import BenchReport, tables
from qa.bench.tables import BARE, STAGE_PLAIN
from webui.benchview import BenchView
from webui.templating import render

BARE_NAME = "model alone"
CHANGE_CSS = {"worse": "sqa-worse", "better": "sqa-better", "unchanged": "sqa-same"}
Segment = tuple[float, str, str]  # width from 0 to 1, colour class, tooltip


def when(created: str) -> str:
    """A report's ISO time as "YYYY-MM-DD HH:MM UTC" (or as written, if it is not ISO)."""
    try:
        return datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return created


def intro(queries: str) -> Markup:
    """What the Run button does, above the report."""
    return render("bench/intro.html", queries=queries)


def starting() -> Markup:
    """The head of the tab while this page's run starts; the progress bar is drawn over it."""
    return render("bench/starting.html")


def summary(view: BenchView, out_root: Path, running: tuple[str, int, int] | None = None) -> Markup:
    """The head of the tab: which run is shown and what it ran on, or how to make one; and a run in progress."""
    report = view.report
    if report is None:
        return render("bench/summary.html", running=running, facts=None, out_root=str(out_root))
    s, c = report.settings, report.counts
    counts = (f"{c.get('questions', 0)} questions ({c.get('answerable', 0)} answerable, {c.get('off_topic', 0)} "
              f"off-topic) over {c.get('passages', 0)} passages")
    facts = [f"{when(report.created)} · model {s.get('model', '?')} · k = {s.get('k', '?')} · {counts}"]
    if report.build is not None:
        facts.append(f"Index build: {report.build.summary()}.")
    if report.command:
        facts.append(f"Command: {report.command}")
    if view.folder is not None:
        facts.append(f"Saved in {view.folder}")
    return render("bench/summary.html", running=running, facts=facts, title=report.name, notes=report.notes)


def quality_table(report: BenchReport | None) -> Markup | str:
    """One row per metric (in words, with a tooltip), one column per mode; the best of each row in bold.

    Metrics run down the page so the table keeps three narrow columns and fits a phone.
    """
    if report is None:
        return ""
    title = ("Finding and refusing: how often the right passage comes first" if "abstention" in report.metrics
             else "Finding: how often the right passage comes first")
    return render("bench/quality.html", table=tables.quality(report), title=title)


def latency_table(report: BenchReport | None) -> Markup | str:
    """Typical / slowest (p50 / p95) milliseconds per stage and mode, with the bare query encode for scale."""
    if report is None:
        return ""
    table = tables.latency(report)
    names = [BARE_NAME if c == BARE else c for c in table.columns]
    return render("bench/latency.html", table=table, names=names, bare=BARE)


def comparison(view: BenchView) -> Markup | str:
    """Each metric's change against the previous run of the same question set; worse ones marked ▼ in red."""
    if view.report is None:
        return ""
    previous = when(view.previous.created) if view.previous is not None else None
    return render("bench/comparison.html", previous=previous, table=tables.comparison(view.deltas),
                  tally=tables.tally(view.deltas), css=CHANGE_CSS)


def _segment(width: float, css: str, tip: str) -> Segment:
    """A bar segment, its width clamped to 0..1."""
    return max(0.0, min(1.0, width)), css, tip


def metrics_chart(report: BenchReport | None) -> Markup | str:
    """The metrics as bars, one group per metric and one bar per mode, each labelled on its own line.

    Drawn in HTML rather than shown as the report's PNG: labels never overlap, and it narrows to a phone.
    """
    if report is None:
        return ""
    table = tables.quality(report)
    groups = [{"name": row.words,
               "bars": [(mode, cell.text, [_segment(cell.value or 0.0, f"sqa-c{i + 1}", f"{mode}: {cell.text}")])
                        for i, (mode, cell) in enumerate(zip(table.columns, row.cells))]}
              for row in table.rows]
    return render("bench/metrics_chart.html", groups=groups)


def latency_chart(report: BenchReport | None) -> Markup | str:
    """Typical (p50) time per question by mode, split into its steps, with a legend of the steps."""
    if report is None:
        return ""
    stages = report.stages(total=False)
    rows = report.p50_parts()
    longest = max([sum(parts.values()) for _, parts, _ in rows] + [t or 0.0 for _, _, t in rows] + [1e-9])
    colour = {s: f"sqa-c{i % 5 + 1}" for i, s in enumerate(stages)}
    words = {s: STAGE_PLAIN.get(s, (s,))[0] for s in stages}
    bars = []
    for name, parts, total in rows:
        segments = [_segment(parts.get(s, 0.0) / longest, colour[s], f"{words[s]}: {parts.get(s, 0.0):.1f} ms")
                    for s in stages if parts.get(s, 0.0) > 0]
        # The median total when measured (a sum of stage medians is not the median of sums).
        shown = total if total is not None else sum(parts.values())
        bars.append((BARE_NAME if name == "bare" else name, f"{shown:.1f} ms", segments))
    return render("bench/latency_chart.html", legend=[(words[s], colour[s]) for s in stages], bars=bars)

