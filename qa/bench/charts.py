"""Benchmark charts drawn with matplotlib: metrics by mode, and latency by stage (from the run model only)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from qa.bench.results import STAGE_LABELS, BenchReport, label

METRICS_PNG = "metrics.png"
LATENCY_PNG = "latency.png"
BARE_NAME = "bare encode_query"


def draw_charts(report: BenchReport, folder: Path) -> list[Path]:
    """metrics.png (metrics by mode) and latency.png (p50 latency by stage and mode)."""
    # matplotlib takes a second to import: only pay for it when a chart is drawn.
    import matplotlib

    matplotlib.use("Agg")  # files only: never open a window, never need a display
    import matplotlib.pyplot as plt
    import numpy as np

    paths = []
    metrics = list(report.metrics)
    fig, ax = plt.subplots(figsize=(max(6.0, 1.1 * len(metrics) + 2), 4.2))
    width = 0.8 / max(1, len(report.modes))
    x = np.arange(len(metrics))
    for i, m in enumerate(report.modes):
        values = [m.metrics.get(metric, 0.0) for metric in metrics]
        bars = ax.bar(x + (i - (len(report.modes) - 1) / 2) * width, values, width, label=m.mode)
        ax.bar_label(bars, fmt="%.2f", fontsize=6, padding=1)
    ax.set_xticks(x, [label(metric).replace(" (", "\n(") for metric in metrics], fontsize=8)
    ax.set_ylim(0, 1.08)
    ax.set_ylabel("score")
    paths.append(_save(plt, fig, ax, f"{report.name}: metrics by mode", folder / METRICS_PNG))

    stages = report.stages(total=False)
    rows = [(BARE_NAME if name == "bare" else name, parts, total) for name, parts, total in report.p50_parts()]
    fig, ax = plt.subplots(figsize=(7.5, 0.55 * len(rows) + 1.6))
    left: np.ndarray = np.zeros(len(rows))
    for s in stages:
        widths = np.array([r[1].get(s, 0.0) for r in rows])
        ax.barh([r[0] for r in rows], widths, left=left, label=STAGE_LABELS[s])
        left += widths
    for i, (_, _, total) in enumerate(rows):
        # The label is the median total when measured (a sum of stage medians is not the median of sums).
        ax.text(left[i], i, f" {total if total is not None else left[i]:.1f} ms", va="center", fontsize=8)
    ax.invert_yaxis()
    ax.set_xlim(0, max(left.max() if len(left) else 1.0, 1e-3) * 1.2)
    ax.set_xlabel("median milliseconds per question")
    paths.append(_save(plt, fig, ax, f"{report.name}: latency by stage (p50)", folder / LATENCY_PNG))
    return paths


def _save(plt: Any, fig: Any, ax: Any, title: str, path: Path) -> Path:
    """Title the chart, put its legend outside the bars, write the PNG and free the figure."""
    ax.set_title(title, fontsize=10)
    ax.legend(fontsize=8, loc="upper left", bbox_to_anchor=(1.0, 1.0))
    fig.tight_layout()
    fig.savefig(path, dpi=110)
    plt.close(fig)
    return path
