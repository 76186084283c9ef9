"""`python -m qa bench`: the benchmark's command, from parsed flags to saved reports, a printed report and an exit code."""

from __future__ import annotations

import argparse
import json
import sys
from collections.abc import Callable
from typing import Any, TextIO

from qa import Engine, Settings, UserError
from qa.bench import markdown
from qa.bench.beir import load_beir, run_beir
from qa.bench.queries import load_queries, queries_name
from qa.bench.results import BenchReport, compare, label, regressions
from qa.bench.runner import DEFAULT_K, parse_k, parse_modes, run_queries
from qa.bench.runs import load_report, out_root, save_run

EXIT_REGRESSION = 1


class ProgressBar:
    """A progress callback drawing one tqdm bar on stderr, opened at the first report (so early errors stay one line)."""

    def __init__(self) -> None:
        """No bar until the first report."""
        self._bar: Any = None

    def __call__(self, stage: str, done: int, total: int) -> None:
        """Show `done` of `total` for `stage`."""
        from tqdm.auto import tqdm

        if self._bar is None:
            self._bar = tqdm(total=total, unit="step", mininterval=1.0, file=sys.stderr)
        elif self._bar.total != total or done < self._bar.n:
            self._bar.reset(total=total)  # a new stage with its own count (BEIR: encoding, then each mode)
        self._bar.set_description(stage, refresh=False)
        self._bar.update(done - self._bar.n)

    def close(self) -> None:
        """Close the bar, if one was opened."""
        if self._bar is not None:
            self._bar.close()
            self._bar = None


def fail_limit(args: argparse.Namespace) -> float | None:
    """The --fail-on-drop limit, checked (it needs --compare); None without the flag."""
    if args.fail_on_drop is None:
        return None
    if not args.compare:
        raise UserError("--fail-on-drop needs --compare OLD.json: the report to measure the drop against")
    try:
        limit = float(args.fail_on_drop)
    except ValueError:
        raise UserError(f"--fail-on-drop must be a number such as 0.02, not {args.fail_on_drop!r}") from None
    if not 0 <= limit <= 1:
        raise UserError(f"--fail-on-drop is an absolute drop on the 0-1 scale (e.g. 0.02), not {limit}")
    return limit


def measure(args: argparse.Namespace, settings: Settings, command: str, open_engine: Callable[..., Engine]) -> BenchReport:
    """Run what the flags ask for (every flag and file checked before a model loads), with a progress bar."""
    if args.split and not args.beir:
        raise UserError("--split applies to BEIR data: pass --beir DIR too (a question set has no splits)")
    modes = parse_modes(args.modes)
    k = parse_k(args.k) if args.k is not None else DEFAULT_K
    data = load_beir(args.beir, args.split or "test") if args.beir else None
    queries = load_queries(args.queries) if data is None else []
    progress = ProgressBar()
    try:
        if data is not None:
            return run_beir(data, settings, modes, index_dir=args.index_dir, encoder=getattr(args, "encoder", None),
                            progress=progress, command=command)
        return run_queries(open_engine(), queries, modes, k, build=not args.no_build, progress=progress,
                           name=queries_name(args.queries), command=command)
    finally:
        progress.close()


def squad_main(args: argparse.Namespace, out: TextIO) -> int:
    """`bench --squad FILE`: the built-in and the trained reader on SQuAD, printed and saved as squad.json."""
    from pathlib import Path

    from qa.answer.cross_encoder import BUILTIN, SHIPPED, ReaderModel
    from qa.bench.squad import main as run

    for f in args.squad:
        if not Path(f).is_file():
            raise UserError(f"--squad {f}: no such file (SQuAD's dev-v1.1.json.gz or dev-v2.0.json.gz, e.g. in ../shared/squad/)")
    settings = Settings.from_args(args)
    encoder = getattr(args, "encoder", None) or settings.encoder_spec(documents=True).load()
    if settings.reader == BUILTIN:
        reader = None
    elif settings.reader:
        reader = ReaderModel(settings.reader)
    else:
        reader = ReaderModel(SHIPPED) if (SHIPPED / "model.onnx").exists() else None
    progress = ProgressBar()
    try:
        results = run(args.squad, encoder, reader, args.limit, out, progress)
    finally:
        progress.close()
    if args.out:
        folder = Path(args.out)
        folder.mkdir(parents=True, exist_ok=True)
        (folder / "squad.json").write_text(json.dumps({"reader": reader.name if reader else None,
                                                      "results": [r.to_dict() for r in results]}, indent=2))
        print(f"written to {folder / 'squad.json'}", file=out)
    return 0


def main(args: argparse.Namespace, *, command: str, open_engine: Callable[..., Engine], out: TextIO | None = None) -> int:
    """Benchmark, save the reports (in --out, or a new run folder under bench_out), print them; 1 on a regression.

    `open_engine()` opens the engine the flags describe (the CLI's, sharing its loaded model); BEIR opens its own.
    """
    out = out or sys.stdout
    if getattr(args, "squad", None):
        return squad_main(args, out)
    limit = fail_limit(args)
    old = load_report(args.compare) if args.compare else None
    settings = Settings.from_args(args)
    report = measure(args, settings, command, open_engine)
    deltas = compare(old, report) if old else ()
    against = args.compare or ""
    folder = save_run(report, args.out, deltas, against, root=out_root(settings))
    failed = regressions(deltas, limit) if limit is not None else ()
    if args.json:
        print(json.dumps({"out": str(folder), "metrics": {m.mode: m.metrics for m in report.modes},
                          "latency_ms": {m.mode: m.latency_ms for m in report.modes}, "encode_ms": report.encode_ms,
                          "build": report.build.to_dict() if report.build else None,
                          "comparison": [d.to_dict() for d in deltas], "regressions": [d.to_dict() for d in failed]},
                         ensure_ascii=False, indent=2), file=out)
    else:
        print(markdown.render(report, deltas, against), file=out)
        print(f"reports written to {folder}/", file=out)
    if failed:
        worst = ", ".join(f"{d.mode} {label(d.metric)} {d.old:.3f} -> {d.new:.3f}" for d in failed)
        print(f"regression: {len(failed)} metric(s) fell by more than {limit}: {worst}", file=sys.stderr)
        return EXIT_REGRESSION
    return 0
