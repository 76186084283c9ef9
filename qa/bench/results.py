"""The run model: what one benchmark run measured (per question, per mode, the build), as frozen data, and deltas."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from qa.types import BuildReport

FORMAT = 1
LABELS = {
    "recall@1": "R@1", "recall@3": "R@3", "recall@5": "R@5", "recall@10": "R@10", "recall@100": "R@100",
    "mrr@10": "MRR@10", "ndcg@10": "nDCG@10",
    "first_sentence": "answer: 1st sentence holds it", "first_passage": "answer: 1st sentence's paragraph right",
    "abstention": "abstain (off-topic)", "near_topic": "near-topic: partial or abstain",
    "false_abstention": "false abstain (answerable)", "partial": "partial (answerable)",
    "reason_coverage": "reasons covered", "confident_right": "support >= 0.8: right",
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


def _floats(data: Mapping[str, Any]) -> dict[str, float]:
    return {str(k): float(v) for k, v in data.items()}


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
    support: float | None = None  # the first answer sentence's support (0 when refused)

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        out: dict[str, Any] = {
            "id": self.id, "question": self.question, "answerable": self.answerable, "n_relevant": self.n_relevant,
            "ranked": [{"id": pid, "relevant": rel} for pid, rel in zip(self.ranked, self.relevant)],
        }
        optional = {"status": self.status, "evidence": None if self.evidence is None else round(self.evidence, 4),
                    "first_sentence_holds_gold": self.first_sentence, "first_sentence_relevant": self.first_passage,
                    "reasons": None if self.reasons is None else {"found": self.reasons[0], "listed": self.reasons[1]},
                    "type": self.kind, "support": None if self.support is None else round(self.support, 4)}
        out.update({k: v for k, v in optional.items() if v is not None})
        return out

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> QueryRun:
        """The inverse of `to_dict`."""
        ranked = data.get("ranked", [])
        reasons = data.get("reasons")
        return cls(
            id=str(data["id"]), question=str(data.get("question", "")), answerable=bool(data.get("answerable", True)),
            ranked=tuple(str(r["id"]) for r in ranked), relevant=tuple(bool(r["relevant"]) for r in ranked),
            n_relevant=int(data.get("n_relevant", 0)), status=data.get("status"), evidence=data.get("evidence"),
            first_sentence=data.get("first_sentence_holds_gold"), first_passage=data.get("first_sentence_relevant"),
            reasons=(int(reasons["found"]), int(reasons["listed"])) if isinstance(reasons, dict) else None,
            kind=data.get("type"), support=data.get("support"),
        )


@dataclass(frozen=True)
class ModeRun:
    """One retrieval mode's figures: metric means, latency percentiles per stage, and every query's ranking."""

    mode: str
    metrics: dict[str, float]
    latency_ms: dict[str, dict[str, float]]
    queries: tuple[QueryRun, ...] = ()

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form."""
        return {
            "mode": self.mode, "metrics": {m: round(v, 4) for m, v in self.metrics.items()},
            "latency_ms": {s: {p: round(v, 3) for p, v in d.items()} for s, d in self.latency_ms.items()},
            "queries": [q.to_dict() for q in self.queries],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> ModeRun:
        """The inverse of `to_dict`."""
        return cls(
            mode=str(data["mode"]), metrics=_floats(data["metrics"]),
            latency_ms={str(s): _floats(d) for s, d in data.get("latency_ms", {}).items()},
            queries=tuple(QueryRun.from_dict(q) for q in data.get("queries", [])),
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

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form, the rates included."""
        return {"passages": self.passages, "sentences": self.sentences, "seconds": round(self.seconds, 3),
                "embedded": self.embedded, "reused": self.reused, "passages_per_s": round(self.passages_per_s, 2),
                "sentences_per_s": round(self.sentences_per_s, 2)}

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BuildStats:
        """The inverse of `to_dict` (the rates are derived, not read)."""
        return cls(passages=int(data["passages"]), sentences=int(data["sentences"]), seconds=float(data["seconds"]),
                   embedded=int(data["embedded"]), reused=int(data.get("reused", 0)))

    @classmethod
    def of(cls, build: BuildReport) -> BuildStats:
        """The figures of an index build's report."""
        return cls(passages=build.passages, sentences=build.sentences, seconds=build.seconds, embedded=build.embedded,
                   reused=build.reused)

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
    settings: dict[str, Any]
    counts: dict[str, int]
    environment: dict[str, Any]
    notes: tuple[str, ...] = field(default=())

    def mode(self, name: str) -> ModeRun:
        """The figures of one mode."""
        for m in self.modes:
            if m.mode == name:
                return m
        raise KeyError(name)

    def stages(self, total: bool = True) -> list[str]:
        """The latency stages some mode of the run measured, in pipeline order (without "total" if not `total`)."""
        return [s for s in STAGES if (total or s != "total") and any(s in m.latency_ms for m in self.modes)]

    def p50_parts(self) -> list[tuple[str, dict[str, float], float | None]]:
        """(row, median ms per stage, measured median total) for latency charts; the bare encode last as "bare"."""
        stages = self.stages(total=False)
        rows: list[tuple[str, dict[str, float], float | None]] = [
            (m.mode, {s: m.latency_ms.get(s, {}).get("p50", 0.0) for s in stages}, m.latency_ms.get("total", {}).get("p50"))
            for m in self.modes]
        if self.encode_ms:
            rows.append(("bare", {"encode": self.encode_ms.get("p50", 0.0)}, None))
        return rows

    def to_dict(self) -> dict[str, Any]:
        """Plain-JSON form (the report.json file)."""
        return {
            "format": FORMAT, "kind": self.kind, "name": self.name, "created": self.created, "command": self.command,
            "metrics": list(self.metrics), "settings": self.settings, "counts": self.counts,
            "encode_ms": {p: round(v, 3) for p, v in self.encode_ms.items()},
            "build": self.build.to_dict() if self.build else None, "environment": self.environment,
            "notes": list(self.notes), "modes": [m.to_dict() for m in self.modes],
        }

    @classmethod
    def from_dict(cls, data: Mapping[str, Any]) -> BenchReport:
        """The inverse of `to_dict`."""
        return cls(
            kind=str(data["kind"]), name=str(data["name"]), created=str(data["created"]),
            command=str(data.get("command", "")), metrics=tuple(data["metrics"]),
            modes=tuple(ModeRun.from_dict(m) for m in data["modes"]), encode_ms=_floats(data.get("encode_ms", {})),
            build=BuildStats.from_dict(data["build"]) if data.get("build") else None,
            settings=dict(data.get("settings", {})), counts=dict(data.get("counts", {})),
            environment=dict(data.get("environment", {})), notes=tuple(data.get("notes", [])),
        )


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

    def to_dict(self) -> dict[str, Any]:
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
