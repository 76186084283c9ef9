"""What the Benchmark tab shows, as HTML strings: the latest report's tables and its change against the previous run."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from qa.bench import BenchView
from qa.report import LOWER_IS_BETTER, STAGE_LABELS, BenchReport, Delta, fmt_metric, fmt_ms, label, measured_stages
from webui.render import esc


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
        "nDCG, abstention and latency per stage. It takes about a minute on two cores; questions in the Ask tab are "
        "still answered meanwhile, more slowly.</div></div>"
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


def _best(report: BenchReport, metric: str) -> float | None:
    """The best value of a metric over the modes (lowest for a lower-is-better metric), to draw it in bold."""
    values = [m.metrics[metric] for m in report.modes if metric in m.metrics]
    if len(values) < 2:
        return None
    return min(values) if metric in LOWER_IS_BETTER else max(values)


def quality_table(report: BenchReport | None) -> str:
    """Per mode: R@1, R@3, R@5, R@10, MRR@10, nDCG@10, abstention and false abstention (the best in bold)."""
    if report is None:
        return ""
    best = {m: _best(report, m) for m in report.metrics}
    head = "".join(f'<th class="sqa-num">{esc(label(m))}</th>' for m in report.metrics)
    rows = []
    for run in report.modes:
        cells = []
        for m in report.metrics:
            value = run.metrics.get(m)
            top = value is not None and best[m] is not None and round(value, 3) == round(best[m], 3)
            cells.append(f'<td class="sqa-num{" sqa-best" if top else ""}">{fmt_metric(value)}</td>')
        rows.append(f'<tr><th scope="row">{esc(run.mode)}</th>{"".join(cells)}</tr>')
    title = "Retrieval and abstention" if "abstention" in report.metrics else "Retrieval"
    return (f'<div class="sqa-panel-head">{title}</div><table class="sqa-bench" id="bench-metrics">'
            f'<thead><tr><th>mode</th>{head}</tr></thead><tbody>{"".join(rows)}</tbody></table>'
            '<div class="sqa-meta">Rank metrics over the answerable questions; abstention: off-topic questions answered '
            "“Not in the sources” (higher is better); false abstention: answerable ones refused (lower is better).</div>")


def latency_table(report: BenchReport | None) -> str:
    """p50 / p95 milliseconds per stage and mode, with the bare query encode for scale."""
    if report is None:
        return ""
    stages = measured_stages(report)
    head = "".join(f'<th class="sqa-num">{esc(STAGE_LABELS[s])}</th>' for s in stages)
    rows = [f'<tr><th scope="row">{esc(m.mode)}</th>'
            + "".join(f'<td class="sqa-num">{fmt_ms(m.latency_ms.get(s))}</td>' for s in stages) + "</tr>"
            for m in report.modes]
    if report.encode_ms:
        bare = "".join(f'<td class="sqa-num">{fmt_ms(report.encode_ms) if s in ("encode", "total") else ""}</td>'
                       for s in stages)
        rows.append(f'<tr class="sqa-bare"><th scope="row">bare encode_query</th>{bare}</tr>')
    return (f'<div class="sqa-panel-head">Latency, p50 / p95 ms per question</div>'
            f'<table class="sqa-bench" id="bench-latency"><thead><tr><th>mode</th>{head}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>')


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
    rows = [f'<tr><th scope="row">{esc(mode)}</th>{"".join(_change(by.get((mode, m))) for m in metrics)}</tr>'
            for mode in modes]
    cols = "".join(f'<th class="sqa-num">{esc(label(m))}</th>' for m in metrics)
    return (f'{head}<table class="sqa-bench" id="bench-compare-table"><thead><tr><th>mode</th>{cols}</tr></thead>'
            f'<tbody>{"".join(rows)}</tbody></table>{tally}')
