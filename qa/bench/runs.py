"""Run storage: report files in time-stamped run folders, the `latest` pointer, loading runs and finding the one before."""

from __future__ import annotations

import json
import os
import shutil
import time
from pathlib import Path

from qa import Settings, UserError
from qa.bench import markdown
from qa.bench.charts import draw_charts
from qa.bench.results import BenchReport, Delta, compare
from qa.text import slug as text_slug

REPORT_JSON = "report.json"
REPORT_MD = "report.md"
LATEST = "latest"


def slug(text: str, fallback: str = "run") -> str:
    """A file-name-safe form of a name (run folders, BEIR datasets), at most 60 characters, `fallback` when empty."""
    return text_slug(text, limit=60) or fallback


def out_root(settings: Settings | None = None) -> Path:
    """Where saved runs go: the `bench_out` setting (SOURCEQA_BENCH_OUT), read when asked, not at import."""
    return Path((settings or Settings.load()).bench_out).expanduser()


def load_report(path: str | Path) -> BenchReport:
    """A report.json written by `python -m qa bench` (or its run folder); a UserError names what is wrong."""
    path = Path(path)
    if path.is_dir():
        path = path / REPORT_JSON
    hint = "pass --compare a report.json from an earlier run"
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise UserError(f"cannot read benchmark report {path} ({exc.strerror}): {hint}") from None
    except ValueError as exc:
        raise UserError(f"{path} is not valid JSON ({exc}): {hint}") from None
    try:
        return BenchReport.from_dict(data)
    except (KeyError, TypeError, ValueError, AttributeError) as exc:
        raise UserError(f"{path} is not a benchmark report written by `python -m qa bench` (missing or bad {exc})") from None


def write_reports(report: BenchReport, folder: str | Path, deltas: tuple[Delta, ...] = (),
                  against: str = "") -> dict[str, Path]:
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
    paths["markdown"].write_text(markdown.render(report, deltas, against), encoding="utf-8")
    paths["metrics_chart"], paths["latency_chart"] = draw_charts(report, folder)
    return paths


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


def new_run_folder(report: BenchReport, root: Path) -> Path:
    """A fresh, time-stamped folder for a run under `root` (names sort by time)."""
    stamp = time.strftime("%Y%m%d-%H%M%S")
    short = Path(report.name.split(" + ")[0]).stem if report.kind == "queries" else report.name
    base = root / f"{stamp}-{slug(short)}"
    folder, i = base, 2
    while folder.exists():
        folder = Path(f"{base}-{i}")
        i += 1
    return folder


def runs(root: Path) -> list[Path]:
    """Saved run folders under `root`, newest first."""
    if not root.is_dir():
        return []
    return [folder for folder in sorted(root.iterdir(), reverse=True)
            if not folder.is_symlink() and not folder.name.startswith((LATEST, ".")) and (folder / REPORT_JSON).is_file()]


def previous_run(report: BenchReport, root: Path) -> Path | None:
    """The newest saved run of the same question set made before `report` (each report read once)."""
    for folder in runs(root):
        try:
            old = load_report(folder)
        except UserError:  # a damaged run is skipped, not fatal
            continue
        if old.name == report.name and old.created < report.created:
            return folder
    return None


def latest_run(root: Path) -> Path | None:
    """The folder `latest` points at under `root`, if it holds a report."""
    link = root / LATEST
    return link if (link / REPORT_JSON).is_file() else None


def save_run(report: BenchReport, out: str | Path | None = None, deltas: tuple[Delta, ...] = (), against: str = "",
             root: Path | None = None) -> Path:
    """Write a run's reports into `out`, or into a new time-stamped folder under `root` that `latest` points at."""
    if out is not None:
        folder = Path(out).expanduser()
        write_reports(report, folder, deltas, against)
        return folder
    root = root if root is not None else out_root()
    folder = new_run_folder(report, root)
    write_reports(report, folder, deltas, against)
    _point(root, latest_name(report), folder)
    return folder


def save_latest(report: BenchReport, root: Path | None = None) -> Path:
    """Save a run as the latest under `root`, compared with the previous run of the same question set."""
    root = root if root is not None else out_root()
    before = previous_run(report, root)
    if before is None:
        return save_run(report, root=root)
    previous = load_report(before)
    return save_run(report, deltas=compare(previous, report), against=f"the run of {previous.created}", root=root)
