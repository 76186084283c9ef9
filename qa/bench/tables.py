"""The report's tables as rows, built once: one row per measure or stage, one column per mode (Markdown and HTML)."""

from __future__ import annotations

import math
from dataclasses import dataclass

from qa.bench.results import LOWER_IS_BETTER, STAGE_LABELS, BenchReport, Delta, label

BARE = "bare"  # the column of the bare query encode, beside the modes
MARKS = {"worse": " ▼", "better": " ▲"}
# Each metric in words people know, with what it measures; the usual short name stays beside it.
PLAIN = {
    "mrr@10": ("Rank of the first right passage",
               "1 when the first passage holding the answer is ranked 1st, 1/2 when 2nd, and so on (0 beyond the 10th), "
               "averaged over the answerable questions. Higher is better."),
    "ndcg@10": ("Order of the top 10",
                "How high all the passages holding the answer are ranked among the first 10; 1 is a perfect order. "
                "Higher is better."),
    "first_sentence": ("Answer's first sentence holds it",
                       "Share of answerable questions whose answer's first sentence holds the expected answer. Higher "
                       "is better."),
    "first_passage": ("Answer starts in the right paragraph",
                      "Share of answerable questions whose answer's first sentence comes from a paragraph holding the "
                      "answer. Higher is better."),
    "near_topic": ("Near-topic questions not answered outright",
                   "Share of questions about the articles' own subjects that they cannot answer, answered “Partly "
                   "answered” or “Not in the sources”, as they should be. Higher is better."),
    "partial": ("Answerable questions answered only in part",
                "Share of answerable questions answered “Partly answered” although the articles hold the answer. "
                "Lower is better."),
    "reason_coverage": ("Reasons given",
                        "For questions whose expected answer lists several reasons: the share of them (up to 4) the "
                        "answer gives. Higher is better."),
    "confident_right": ("Sure answers that are right",
                        "Share of answers whose first sentence has a support of 0.8 or more that hold the expected "
                        "answer: what a high support score promises. Higher is better."),
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


@dataclass(frozen=True)
class Cell:
    """One figure as shown ("0.700", "2.0 / 5.0", "–"), with what formatters mark: best, or a change and its verdict."""

    text: str
    value: float | None = None
    best: bool = False
    change: str = ""  # "(+0.050)" in a comparison
    verdict: str = ""  # "worse", "better" or "unchanged" in a comparison
    before: str = ""  # the old value in a comparison

    @property
    def mark(self) -> str:
        """" ▼" for worse, " ▲" for better, else nothing."""
        return MARKS.get(self.verdict, "")


@dataclass(frozen=True)
class Row:
    """A measure or a stage: its key, short label ("R@1"), words and tooltip, and one cell per column."""

    key: str
    short: str
    words: str
    tip: str
    cells: tuple[Cell, ...]


@dataclass(frozen=True)
class Table:
    """Columns (modes, and possibly BARE) and rows, ready for any formatter."""

    columns: tuple[str, ...]
    rows: tuple[Row, ...]


def fmt_metric(value: float | None) -> str:
    """A metric at three decimals; a dash when it was not measured."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def fmt_ms(d: dict[str, float] | None) -> str:
    """Latency percentiles as "p50 / p95" milliseconds; a dash when not measured."""
    if not d:
        return "–"
    return f"{d.get('p50', 0.0):.1f} / {d.get('p95', 0.0):.1f}"


def plain(metric: str) -> tuple[str, str]:
    """A metric's plain words and its tooltip, e.g. "Right passage in the top 3" for recall@3."""
    if metric in PLAIN:
        return PLAIN[metric]
    if metric.startswith("recall@"):
        n = metric.split("@", 1)[1]
        where = "ranked first" if n == "1" else f"in the top {n}"
        return (f"Right passage {where}",
                f"Share of answerable questions with a passage holding the answer {where} of the ranking. "
                "Higher is better.")
    return metric, metric


def _metric_row(metric: str, cells: tuple[Cell, ...]) -> Row:
    words, tip = plain(metric)
    return Row(metric, label(metric), words, tip, cells)


def _best(report: BenchReport, metric: str) -> float | None:
    """The best value of a metric over the modes (lowest for a lower-is-better metric); None with fewer than two."""
    values = [m.metrics[metric] for m in report.modes if metric in m.metrics]
    if len(values) < 2:
        return None
    return min(values) if metric in LOWER_IS_BETTER else max(values)


def quality(report: BenchReport) -> Table:
    """One row per metric, one column per mode; the best value of each row (at three decimals) marked."""
    rows = []
    for metric in report.metrics:
        best = _best(report, metric)
        cells = []
        for run in report.modes:
            value = run.metrics.get(metric)
            top = value is not None and best is not None and round(value, 3) == round(best, 3)
            cells.append(Cell(fmt_metric(value), value, best=top))
        rows.append(_metric_row(metric, tuple(cells)))
    return Table(tuple(m.mode for m in report.modes), tuple(rows))


def latency(report: BenchReport) -> Table:
    """p50 / p95 milliseconds, one row per stage, one column per mode, and the bare query encode (BARE) for scale."""
    columns = tuple(m.mode for m in report.modes) + ((BARE,) if report.encode_ms else ())
    rows = []
    for stage in report.stages():
        cells = [Cell(fmt_ms(m.latency_ms.get(stage))) for m in report.modes]
        if report.encode_ms:
            cells.append(Cell(fmt_ms(report.encode_ms) if stage in ("encode", "total") else ""))
        words, tip = STAGE_PLAIN.get(stage, (STAGE_LABELS[stage], STAGE_LABELS[stage]))
        rows.append(Row(stage, STAGE_LABELS[stage], words, tip, tuple(cells)))
    return Table(columns, tuple(rows))


def comparison(deltas: tuple[Delta, ...]) -> Table:
    """Each metric's new value and change per mode (a dash where a mode lacks it), with its verdict."""
    modes = tuple(dict.fromkeys(d.mode for d in deltas))
    by = {(d.mode, d.metric): d for d in deltas}

    def cell(d: Delta | None) -> Cell:
        if d is None:
            return Cell("–")
        return Cell(f"{d.new:.3f}", d.new, change=f"({d.change:+.3f})", verdict=d.verdict, before=f"{d.old:.3f}")

    metrics = dict.fromkeys(d.metric for d in deltas)
    return Table(modes, tuple(_metric_row(m, tuple(cell(by.get((mode, m))) for mode in modes)) for m in metrics))


def tally(deltas: tuple[Delta, ...]) -> dict[str, int]:
    """How many metrics got worse, better or stayed unchanged."""
    out = {"worse": 0, "better": 0, "unchanged": 0}
    for d in deltas:
        out[d.verdict] += 1
    return out
