"""What the Benchmark tab shows, as HTML strings: the latest report's tables and its change against the previous run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from markupsafe import escape as esc

from qa.bench import BenchView
from qa.report import LOWER_IS_BETTER, STAGE_LABELS, BenchReport, Delta, fmt_metric, fmt_ms, label, measured_stages


def when(created: str) -> str:
    """A report's ISO time as "YYYY-MM-DD HH:MM UTC" (or as written, if it is not ISO)."""
    try:
        return datetime.fromisoformat(created).strftime("%Y-%m-%d %H:%M UTC")
    except ValueError:
        return created


def intro(queries: str) -> str:
    """What the Run button does, above the report."""
    return (
        '<div class="sqa-bench-intro"><div class="sqa-panel-head">Benchmark</div>'
        f'<div class="sqa-meta">Run asks every question of the shipped set (<code>{esc(queries)}</code>) in the bm25, '
        "dense and hybrid modes and times a fresh index build, like <code>python -m qa bench</code>: recall, MRR, "
        "nDCG, abstention and latency per stage. It takes about a minute on two cores, in a process of its own at a "
        "lower priority, so questions in the Ask tab are answered meanwhile at about their usual speed.</div></div>"
    )


def starting() -> str:
    """The head of the tab while this page's run starts; the progress bar is drawn over it."""
    return ('<div class="sqa-bench-head"><div class="sqa-panel-head">Running the benchmark…</div>'
            '<div class="sqa-meta">Its report appears here when it finishes.</div></div>')


def summary(view: BenchView, out_root: Path, running: tuple[str, int, int] | None = None) -> str:
    """The head of the tab: which run is shown and what it ran on, or how to make one; and a run in progress."""
    busy = ""
    if running is not None:
        stage, done, total = running
        busy = (f'<div class="sqa-status sqa-busy">A benchmark run is in progress: {esc(stage)} ({done}/{total}). '
                "Its report replaces this one when it finishes.</div>")
    report = view.report
    if report is None:
        return (f'{busy}<div class="sqa-empty" id="bench-none"><p>No benchmark run yet. Press <b>Run benchmark</b> '
                "to run the shipped question set here, or run <code>python -m qa bench</code> on the command line; "
                f"its report appears in this tab. Reports are read from {esc(out_root)}.</p></div>")
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
    lines = "".join(f'<div class="sqa-meta">{esc(f)}</div>' for f in facts)
    notes = "".join(f"<li>{esc(n)}</li>" for n in report.notes)
    notes = f'<ul class="sqa-meta">{notes}</ul>' if notes else ""
    return (f'{busy}<div class="sqa-bench-head"><div class="sqa-panel-head">Latest run: {esc(report.name)}</div>'
            f"{lines}{notes}</div>")


# Each metric in words people know, with what it measures for the tooltip; the usual short name stays beside it.
PLAIN = {
    "mrr@10": ("Rank of the first right passage",
               "1 when the first passage holding the answer is ranked 1st, 1/2 when 2nd, and so on (0 beyond the 10th), "
               "averaged over the answerable questions. Higher is better."),
    "ndcg@10": ("Order of the top 10",
                "How high all the passages holding the answer are ranked among the first 10; 1 is a perfect order. "
                "Higher is better."),
    "first_sentence": ("Answer starts right",
                       "Share of answerable questions whose answer's first sentence comes from a passage holding the "
                       "answer. Higher is better."),
    "abstention": ("Off-topic questions refused",
                   "Share of off-topic questions answered “Not in the sources”, as they should be. Higher is better."),
    "false_abstention": ("Answerable questions refused",
                         "Share of answerable questions wrongly answered “Not in the sources”. Lower is better."),
}
STAGE_PLAIN = {
    "encode": ("Reading the question", "The model turns the question into a vector."),
    "search": ("Searching", "Word search (BM25) and vector search over the passages."),
    "fusion": ("Combining rankings", "The word and vector rankings merged into one."),
    "answer": ("Composing the answer", "The best sentences picked from the top passages, and cited."),
    "total": ("Whole question", "From the question typed to the answer composed."),
}


def plain(metric: str) -> tuple[str, str]:
    """A metric's plain label and its tooltip, e.g. "Right passage in the top 3" for recall@3."""
    if metric in PLAIN:
        return PLAIN[metric]
    if metric.startswith("recall@"):
        n = metric.split("@", 1)[1]
        where = "ranked first" if n == "1" else f"in the top {n}"
        return (f"Right passage {where}",
                f"Share of answerable questions with a passage holding the answer {where} of the ranking. "
                "Higher is better.")
    return metric, metric


def head_cell(text: str, tip: str, code: str = "", scope: str = "row") -> str:
    """A table header in words, with its tooltip (hover or keyboard focus) and the usual short name beside it."""
    short = f' <span class="sqa-code">{esc(code)}</span>' if code and code != text else ""
    return (f'<th scope="{scope}"><span data-tip="{esc(tip)}" tabindex="0">{esc(text)}</span>{short}</th>')


def _metric_head(metric: str) -> str:
    text, tip = plain(metric)
    return head_cell(text, tip, label(metric))


def _best(report: BenchReport, metric: str) -> float | None:
    """The best value of a metric over the modes (lowest for a lower-is-better metric), to draw it in bold."""
    values = [m.metrics[metric] for m in report.modes if metric in m.metrics]
    if len(values) < 2:
        return None
    return min(values) if metric in LOWER_IS_BETTER else max(values)


def _mode_heads(modes: list[str], first: str) -> str:
    cells = "".join(f'<th scope="col" class="sqa-num">{esc(m)}</th>' for m in modes)
    return f'<thead><tr><th scope="col">{esc(first)}</th>{cells}</tr></thead>'


def quality_table(report: BenchReport | None) -> str:
    """One row per metric (in words, with a tooltip), one column per mode; the best of each row in bold.

    Metrics run down the page so the table keeps three narrow columns and fits a phone.
    """
    if report is None:
        return ""
    rows = []
    for metric in report.metrics:
        best = _best(report, metric)
        cells = []
        for run in report.modes:
            value = run.metrics.get(metric)
            top = value is not None and best is not None and round(value, 3) == round(best, 3)
            cells.append(f'<td class="sqa-num{" sqa-best" if top else ""}">{fmt_metric(value)}</td>')
        rows.append(f'<tr>{_metric_head(metric)}{"".join(cells)}</tr>')
    title = "Finding and refusing: how often the right passage comes first" if "abstention" in report.metrics \
        else "Finding: how often the right passage comes first"
    return (f'<div class="sqa-panel-head">{title}</div><table class="sqa-bench" id="bench-metrics">'
            f'{_mode_heads([m.mode for m in report.modes], "measure")}<tbody>{"".join(rows)}</tbody></table>'
            '<div class="sqa-meta">Each figure is a share from 0 to 1 (hover or focus a name for what it measures); '
            "the best mode of each row is in bold. Modes: bm25 searches words, dense meaning, hybrid both.</div>")


def latency_table(report: BenchReport | None) -> str:
    """Typical / slowest (p50 / p95) milliseconds per stage and mode, with the bare query encode for scale."""
    if report is None:
        return ""
    stages = measured_stages(report)
    modes = [m.mode for m in report.modes] + (["model alone"] if report.encode_ms else [])
    rows = []
    for stage in stages:
        text, tip = STAGE_PLAIN.get(stage, (STAGE_LABELS[stage], STAGE_LABELS[stage]))
        cells = "".join(f'<td class="sqa-num">{fmt_ms(m.latency_ms.get(stage))}</td>' for m in report.modes)
        if report.encode_ms:
            cells += f'<td class="sqa-num sqa-bare">{fmt_ms(report.encode_ms) if stage in ("encode", "total") else ""}</td>'
        rows.append(f"<tr>{head_cell(text, tip, STAGE_LABELS[stage])}{cells}</tr>")
    return (f'<div class="sqa-panel-head">Time per question, in milliseconds (typical / slowest 5%)</div>'
            f'<table class="sqa-bench" id="bench-latency">{_mode_heads(modes, "step")}'
            f'<tbody>{"".join(rows)}</tbody></table>'
            '<div class="sqa-meta">p50 / p95 over the question set; “model alone” is the bare encode_query, for scale.</div>')


def _change(d: Delta | None) -> str:
    if d is None:
        return '<td class="sqa-num">–</td>'
    css, mark = {"worse": ("sqa-worse", " ▼"), "better": ("sqa-better", " ▲")}.get(d.verdict, ("sqa-same", ""))
    return (f'<td class="sqa-num {css}" title="{d.verdict}: {d.old:.3f} before">'
            f"{d.new:.3f} <span>({d.change:+.3f}){mark}</span></td>")


def comparison(view: BenchView) -> str:
    """Each metric's change against the previous run of the same question set; worse ones marked ▼ in red."""
    if view.report is None:
        return ""
    if view.previous is None:
        return ('<div class="sqa-panel-head">Change against the previous run</div><div class="sqa-meta">'
                "No earlier run of this question set to compare with: the next run is compared with this one.</div>")
    head = f'<div class="sqa-panel-head">Change against the run of {esc(when(view.previous.created))}</div>'
    if not view.deltas:
        return f'{head}<div class="sqa-meta">No metric in common with that run.</div>'
    metrics = list(dict.fromkeys(d.metric for d in view.deltas))
    modes = list(dict.fromkeys(d.mode for d in view.deltas))
    by = {(d.mode, d.metric): d for d in view.deltas}
    worse = sum(d.verdict == "worse" for d in view.deltas)
    better = sum(d.verdict == "better" for d in view.deltas)
    tally = (f'<div class="sqa-meta">{worse} worse (▼, in red), {better} better (▲), '
             f"{len(view.deltas) - worse - better} unchanged; each cell is the new value (change).</div>")
    rows = [f'<tr>{_metric_head(m)}{"".join(_change(by.get((mode, m))) for mode in modes)}</tr>' for m in metrics]
    return (f'{head}<table class="sqa-bench" id="bench-compare-table">{_mode_heads(modes, "measure")}'
            f'<tbody>{"".join(rows)}</tbody></table>{tally}')


def _bar_row(name: str, value_text: str, segments: list[tuple[float, str, str]]) -> str:
    """One chart row: its name, the bar (segments of a 0..1 width, colour class, tooltip) and its value."""
    bars = "".join(f'<span class="sqa-chart-bar {css}" style="width:{max(0.0, min(1.0, w)) * 100:.2f}%" '
                   f'title="{esc(tip)}"></span>' for w, css, tip in segments)
    return (f'<div class="sqa-chart-row"><span class="sqa-chart-label">{esc(name)}</span>'
            f'<span class="sqa-chart-track">{bars}</span><span class="sqa-chart-value">{esc(value_text)}</span></div>')


def metrics_chart(report: BenchReport | None) -> str:
    """The metrics as bars, one group per metric and one bar per mode, each labelled on its own line.

    Drawn in HTML rather than shown as the report's PNG: labels never overlap, and it narrows to a phone.
    """
    if report is None:
        return ""
    groups = []
    for metric in report.metrics:
        text, _ = plain(metric)
        rows = "".join(_bar_row(m.mode, fmt_metric(m.metrics.get(metric)),
                                [(m.metrics.get(metric) or 0.0, f"sqa-c{i + 1}", f"{m.mode}: {fmt_metric(m.metrics.get(metric))}")])
                       for i, m in enumerate(report.modes))
        groups.append(f'<div class="sqa-chart-group"><div class="sqa-chart-name">{esc(text)}</div>{rows}</div>')
    return (f'<div class="sqa-panel-head">Chart: each measure by mode (0 to 1)</div>'
            f'<div class="sqa-chart" id="bench-metrics-bars">{"".join(groups)}</div>')


def latency_chart(report: BenchReport | None) -> str:
    """Typical (p50) time per question by mode, split into its steps, with a legend of the steps."""
    if report is None:
        return ""
    stages = measured_stages(report, total=False)
    rows = [(m.mode, {s: m.latency_ms.get(s, {}).get("p50", 0.0) for s in stages},
             m.latency_ms.get("total", {}).get("p50")) for m in report.modes]
    if report.encode_ms:
        rows.append(("model alone", {"encode": report.encode_ms.get("p50", 0.0)}, None))
    longest = max([sum(parts.values()) for _, parts, _ in rows] + [t or 0.0 for _, _, t in rows] + [1e-9])
    colour = {s: f"sqa-c{i % 5 + 1}" for i, s in enumerate(stages)}
    lines = []
    for name, parts, total in rows:
        segments = [(parts.get(s, 0.0) / longest, colour[s], f"{STAGE_PLAIN.get(s, (s,))[0]}: {parts.get(s, 0.0):.1f} ms")
                    for s in stages if parts.get(s, 0.0) > 0]
        # The median total when measured (a sum of stage medians is not the median of sums).
        shown = total if total is not None else sum(parts.values())
        lines.append(_bar_row(name, f"{shown:.1f} ms", segments))
    legend = "".join(f'<span><span class="sqa-swatch {colour[s]}"></span>{esc(STAGE_PLAIN.get(s, (s,))[0])}</span>'
                     for s in stages)
    return (f'<div class="sqa-panel-head">Chart: typical time per question, by step</div>'
            f'<div class="sqa-chart" id="bench-latency-bars"><div class="sqa-legend">{legend}</div>{"".join(lines)}</div>')
