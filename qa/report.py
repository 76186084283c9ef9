"""Benchmark reports: a run's figures as frozen data, written as JSON and Markdown (charts: qa.charts), compared run to run."""

from __future__ import annotations

import json
import math
import os
import platform
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import TYPE_CHECKING

from qa.errors import UserError

if TYPE_CHECKING:
    from qa.library import BuildReport

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
METRICS_PNG = "metrics.png"
LATENCY_PNG = "latency.png"
FORMAT = 1

LABELS = {
    "recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "recall@10": "R@10", "recall@100": "R@100",
    "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
    "first_sentence": "answer: 1st sentence holds it", "first_passage": "answer: 1st sentence's paragraph right",
    "abstention": "abstain (off-topic)", "near_topic": "near-topic: partial or abstain",
    "false_abstention": "false abstain (answerable)", "partial": "partial (answerable)",
    "reason_coverage": "reasons covered",
}
# Every other metric is better when higher.
LOWER_IS_BETTER = frozenset({"false_abstention", "partial"})
STAGES = ("encode", "search", "fusion", "answer", "total")
STAGE_LABELS = {"encode": "query encode", "search": "search", "fusion": "fusion", "answer": "answer", "total": "total"}
# A change that shows as ±0.000 at three decimals is no change, in every comparison table.
SHOWN_CHANGE = 0.0005


def label(metric: str) -> str:
    """How a metric is headed in tables and charts."""
    return LABELS.get(metric, metric)


def now_iso() -> str:
    """The current UTC time, to the second, in ISO 8601."""
    return datetime.now(UTC).isoformat(timespec="seconds")


def environment() -> dict[str, object]:
    """What the timings depend on: Python, machine, CPU count and library versions."""
    from qa.library import versions

    try:
        import torch

        threads = int(torch.get_num_threads())
    except ImportError:
        threads = 0
    try:
        load = round(os.getloadavg()[0], 2)
    except OSError:
        load = None
    return {"platform": platform.platform(), "cpus": os.cpu_count(), "torch_threads": threads,
            "load_average_1m": load, **versions()}


@dataclass(frozen=True)
class QueryRun:
    """One question in one mode: the ranked ids, which of them are relevant, and the answer's status."""

    id: str
    question: str
    answerable: bool
    ranked: tuple[str, ...]
    relevant: tuple[bool, ...]
    n_relevant: int
    status: str | None = None
    evidence: float | None = None
    first_sentence: bool | None = None
    first_passage: bool | None = None
    reasons: tuple[int, int] | None = None  # (distinct gold reasons in the answer, reasons the gold lists)
    kind: str | None = None

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        out: dict[str, object] = {
            "id": self.id, "question": self.question, "answerable": self.answerable, "n_relevant": self.n_relevant,
            "ranked": [{"id": pid, "relevant": rel} for pid, rel in zip(self.ranked, self.relevant)],
        }
        if self.status is not None:
            out["status"] = self.status
        if self.evidence is not None:
            out["evidence"] = round(self.evidence, 4)
        if self.first_sentence is not None:
            out["first_sentence_holds_gold"] = self.first_sentence
        if self.first_passage is not None:
            out["first_sentence_relevant"] = self.first_passage
        if self.reasons is not None:
            out["reasons"] = {"found": self.reasons[0], "listed": self.reasons[1]}
        if self.kind is not None:
            out["type"] = self.kind
        return out

    @classmethod
    def from_dict(cls, data: dict) -> QueryRun:
        """The inverse of `to_dict`."""
        ranked = data.get("ranked", [])
        reasons = data.get("reasons")
        return cls(
            id=str(data["id"]), question=str(data.get("question", "")), answerable=bool(data.get("answerable", True)),
            ranked=tuple(str(r["id"]) for r in ranked), relevant=tuple(bool(r["relevant"]) for r in ranked),
            n_relevant=int(data.get("n_relevant", 0)), status=data.get("status"), evidence=data.get("evidence"),
            first_sentence=data.get("first_sentence_holds_gold"), first_passage=data.get("first_sentence_relevant"),
            reasons=(int(reasons["found"]), int(reasons["listed"])) if isinstance(reasons, dict) else None,
            kind=data.get("type"),
        )


@dataclass(frozen=True)
class ModeRun:
    """One retrieval mode's figures: metric means, latency percentiles per stage, and every query's ranking."""

    mode: str
    metrics: dict[str, float]
    latency_ms: dict[str, dict[str, float]]
    queries: tuple[QueryRun, ...] = ()

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {
            "mode": self.mode, "metrics": {m: round(v, 4) for m, v in self.metrics.items()},
            "latency_ms": {s: {p: round(v, 3) for p, v in d.items()} for s, d in self.latency_ms.items()},
            "queries": [q.to_dict() for q in self.queries],
        }

    @classmethod
    def from_dict(cls, data: dict) -> ModeRun:
        """The inverse of `to_dict`."""
        return cls(
            str(data["mode"]), {str(m): float(v) for m, v in data["metrics"].items()},
            {str(s): {str(p): float(v) for p, v in d.items()} for s, d in data.get("latency_ms", {}).items()},
            tuple(QueryRun.from_dict(q) for q in data.get("queries", [])),
        )


@dataclass(frozen=True)
class BuildStats:
    """An index build: how many passages and sentences, how long, how many texts were embedded or taken from a cache."""

    passages: int
    sentences: int
    seconds: float
    embedded: int
    reused: int = 0

    @property
    def passages_per_s(self) -> float:
        """Passages indexed per second, end to end."""
        return self.passages / self.seconds if self.seconds > 0 else 0.0

    @property
    def sentences_per_s(self) -> float:
        """Sentences indexed per second, end to end."""
        return self.sentences / self.seconds if self.seconds > 0 else 0.0

    def to_dict(self) -> dict:
        """Plain-JSON form, the rates included."""
        return {"passages": self.passages, "sentences": self.sentences, "seconds": round(self.seconds, 3),
                "embedded": self.embedded, "reused": self.reused, "passages_per_s": round(self.passages_per_s, 2),
                "sentences_per_s": round(self.sentences_per_s, 2)}

    @classmethod
    def from_dict(cls, data: dict) -> BuildStats:
        """The inverse of `to_dict`."""
        return cls(int(data["passages"]), int(data["sentences"]), float(data["seconds"]), int(data["embedded"]),
                   int(data.get("reused", 0)))

    @classmethod
    def of(cls, build: BuildReport) -> BuildStats:
        """The figures of an index build's report."""
        return cls(build.passages, build.sentences, build.seconds, build.embedded, build.reused)

    def summary(self) -> str:
        """One line for reports."""
        how = f"{self.embedded:,} texts embedded, {self.reused:,} from the cache"
        if self.reused > self.embedded:
            how += ": the rates measure the cache, not the encoder"
        return (f"{self.seconds:.1f} s for {self.passages:,} passages and {self.sentences:,} sentences ({how}); "
                f"{self.passages_per_s:.1f} passages/s, {self.sentences_per_s:.1f} sentences/s end to end")


@dataclass(frozen=True)
class BenchReport:
    """Everything one benchmark run measured, per mode, with what it ran on."""

    kind: str  # "queries" (a question set over a corpus) or "beir"
    name: str
    created: str
    command: str
    metrics: tuple[str, ...]
    modes: tuple[ModeRun, ...]
    encode_ms: dict[str, float]
    build: BuildStats | None
    settings: dict[str, object]
    counts: dict[str, int]
    environment: dict[str, object]
    notes: tuple[str, ...] = ()

    def mode(self, name: str) -> ModeRun:
        """The figures of one mode."""
        for m in self.modes:
            if m.mode == name:
                return m
        raise KeyError(name)

    def to_dict(self) -> dict:
        """Plain-JSON form (the report.json file)."""
        return {
            "format": FORMAT, "kind": self.kind, "name": self.name, "created": self.created, "command": self.command,
            "metrics": list(self.metrics), "settings": self.settings, "counts": self.counts,
            "encode_ms": {p: round(v, 3) for p, v in self.encode_ms.items()},
            "build": self.build.to_dict() if self.build else None, "environment": self.environment,
            "notes": list(self.notes), "modes": [m.to_dict() for m in self.modes],
        }

    @classmethod
    def from_dict(cls, data: dict) -> BenchReport:
        """The inverse of `to_dict`."""
        return cls(
            str(data["kind"]), str(data["name"]), str(data["created"]), str(data.get("command", "")),
            tuple(data["metrics"]), tuple(ModeRun.from_dict(m) for m in data["modes"]),
            {str(p): float(v) for p, v in data.get("encode_ms", {}).items()},
            BuildStats.from_dict(data["build"]) if data.get("build") else None,
            dict(data.get("settings", {})), dict(data.get("counts", {})), dict(data.get("environment", {})),
            tuple(data.get("notes", [])),
        )


def load_report(path: str | Path) -> BenchReport:
    """A report.json written by `python -m qa bench` (or its run folder); a UserError names what is wrong."""
    path = Path(path)
    if path.is_dir():
        path = path / REPORT_JSON
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read benchmark report {path} ({exc.strerror}): pass --compare a report.json from an earlier run") from None
    except ValueError as exc:
        raise UserError(f"{path} is not valid JSON ({exc}): pass --compare a report.json from an earlier run") from None
    try:
        return BenchReport.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{path} is not a benchmark report written by `python -m qa bench` (missing or bad {exc})") from None


# --- tables ------------------------------------------------------------------------------------------------------
def _table(head: list[str], rows: list[list[str]]) -> str:
    lines = ["| " + " | ".join(head) + " |", "| " + " | ".join("---" for _ in head) + " |"]
    lines += ["| " + " | ".join(r) + " |" for r in rows]
    return "\n".join(lines)


def fmt_metric(value: float | None) -> str:
    """A metric at three decimals; a dash when it was not measured."""
    return "–" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}"


def fmt_ms(d: dict[str, float] | None) -> str:
    """Latency percentiles as "p50 / p95" milliseconds; a dash when not measured."""
    if not d:
        return "–"
    return f"{d.get('p50', 0.0):.1f} / {d.get('p95', 0.0):.1f}"


def measured_stages(report: BenchReport, total: bool = True) -> list[str]:
    """The latency stages some mode of the run measured, in pipeline order (without "total" if not `total`)."""
    return [s for s in STAGES if (total or s != "total") and any(s in m.latency_ms for m in report.modes)]


def quality_table(report: BenchReport) -> str:
    """Metrics per mode, one row each."""
    rows = [[m.mode] + [fmt_metric(m.metrics.get(x)) for x in report.metrics] for m in report.modes]
    return _table(["mode"] + [label(x) for x in report.metrics], rows)


def latency_table(report: BenchReport) -> str:
    """p50 / p95 milliseconds per stage and mode, with the bare query encode as a row for scale."""
    stages = measured_stages(report)
    rows = [[m.mode] + [fmt_ms(m.latency_ms.get(s)) for s in stages] for m in report.modes]
    if report.encode_ms:
        rows.append(["bare `encode_query`"] + [fmt_ms(report.encode_ms) if s in ("encode", "total") else "" for s in stages])
    return _table(["mode"] + [f"{STAGE_LABELS[s]} p50 / p95 (ms)" for s in stages], rows)


def markdown(report: BenchReport, deltas: tuple[Delta, ...] = (), against: str = "") -> str:
    """The whole report as Markdown: what ran, the metric and latency tables, the build, notes, comparison."""
    s = report.settings
    counts = ", ".join(f"{v} {k.replace('_', ' ')}" for k, v in report.counts.items())
    parts = [
        f"# Benchmark: {report.name}",
        f"{report.created} · model `{s.get('model', '?')}` · {counts}",
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


# --- comparison --------------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Delta:
    """One metric of one mode in two runs; `drop` is how much worse the new run is (negative: better)."""

    mode: str
    metric: str
    old: float
    new: float

    @property
    def change(self) -> float:
        """new − old."""
        return self.new - self.old

    @property
    def drop(self) -> float:
        """How much the metric got worse, in its own units (a rise of a lower-is-better metric counts)."""
        return self.change if self.metric in LOWER_IS_BETTER else -self.change

    @property
    def verdict(self) -> str:
        """"worse", "better" or "unchanged", as the comparison tables show it (at three decimals)."""
        return "worse" if self.drop > SHOWN_CHANGE else "better" if self.drop < -SHOWN_CHANGE else "unchanged"

    def to_dict(self) -> dict:
        """Plain-JSON form."""
        return {"mode": self.mode, "metric": self.metric, "old": round(self.old, 4), "new": round(self.new, 4),
                "change": round(self.change, 4)}


def compare(old: BenchReport, new: BenchReport) -> tuple[Delta, ...]:
    """Each metric of each mode present in both runs."""
    out = []
    for m in new.modes:
        try:
            before = old.mode(m.mode)
        except KeyError:
            continue
        for metric in new.metrics:
            if metric in m.metrics and metric in before.metrics:
                # Both sides at the precision report.json keeps, so a rerun compared with its saved self shows no change.
                out.append(Delta(m.mode, metric, round(before.metrics[metric], 4), round(m.metrics[metric], 4)))
    return tuple(out)


def regressions(deltas: tuple[Delta, ...], limit: float) -> tuple[Delta, ...]:
    """The metrics that got worse by more than `limit`."""
    return tuple(d for d in deltas if d.drop > limit + 1e-12)


def comparison_markdown(deltas: tuple[Delta, ...], against: str = "") -> str:
    """A table of old, new and change per mode and metric (worse changes marked)."""
    if not deltas:
        return f"No metric in common with {against or 'the earlier run'}."
    metrics = list(dict.fromkeys(d.metric for d in deltas))
    modes = list(dict.fromkeys(d.mode for d in deltas))
    by = {(d.mode, d.metric): d for d in deltas}

    def cell(d: Delta | None) -> str:
        if d is None:
            return "–"
        mark = {"worse": " ▼", "better": " ▲"}.get(d.verdict, "")
        return f"{d.new:.3f} ({d.change:+.3f}){mark}"

    rows = [[mode] + [cell(by.get((mode, m))) for m in metrics] for mode in modes]
    head = f"Against {against}: new value (change); ▼ worse, ▲ better.\n\n" if against else ""
    return head + _table(["mode"] + [label(m) for m in metrics], rows)


# --- files -------------------------------------------------------------------------------------------------------
def write_reports(report: BenchReport, folder: str | Path, deltas: tuple[Delta, ...] = (), against: str = "") -> dict[str, Path]:
    """Write report.json, report.md, metrics.png and latency.png into `folder`; returns their paths by kind."""
    folder = Path(folder)
    try:
        folder.mkdir(parents=True, exist_ok=True)
    except OSError as exc:
        raise UserError(f"cannot create the report folder {folder} ({exc.strerror}): pass --out DIR") from None
    data = report.to_dict()
    if deltas or against:
        data["comparison"] = {"against": against, "deltas": [d.to_dict() for d in deltas]}
    paths = {"json": folder / REPORT_JSON, "markdown": folder / REPORT_MD}
    paths["json"].write_text(json.dumps(data, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")
    paths["markdown"].write_text(markdown(report, deltas, against), encoding="utf-8")
    # matplotlib takes a second to import: only pay for it when a report is written.
    from qa.charts import draw_charts

    charts = draw_charts(report, folder)
    paths["metrics_chart"], paths["latency_chart"] = charts
    return paths
