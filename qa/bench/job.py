"""`python -m qa.bench.job`: a question set run in a process of its own, its progress printed as JSON lines.

The web app's Benchmark tab starts it so that a run does not hold the web server's interpreter (the chat keeps its
speed); it runs at a lower CPU priority, reads the app's settings from the SOURCEQA_* variables, and saves the run
like `python -m qa bench`, where the tab reads it. It imports the benchmark only, not the web app.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

from qa import Engine, Settings, UserError, open_engine
from qa.bench.queries import load_queries, queries_name
from qa.bench.runner import run_queries
from qa.bench.runs import save_latest
from qa.types import Progress

# Lower than the web server, which shares the machine's cores with this run.
NICENESS = 10
COMMAND = "python -m qa bench (from the UI)"


def say(**fields: object) -> None:
    """One line of JSON on stdout for the app to read."""
    print(json.dumps(fields), flush=True)


def job(engine: Engine, queries: Path, out_root: Path, *, build: bool = True, progress: Progress | None = None) -> Path:
    """Ask the question set in every mode, save the run as the latest under `out_root` (compared with the one before)."""
    report = run_queries(engine, load_queries(queries), build=build, progress=progress, name=queries_name(queries),
                         command=COMMAND)
    return save_latest(report, out_root)


def main(argv: Sequence[str] | None = None) -> int:
    """Open the engine from the environment's settings, run the question set, save the run; exit 2 on a user error."""
    parser = argparse.ArgumentParser(prog="python -m qa.bench.job", description=__doc__.splitlines()[0])
    parser.add_argument("--queries", required=True, help="JSON Lines question set")
    parser.add_argument("--out-root", required=True, help="folder of saved runs (its `latest` points at this run)")
    parser.add_argument("--no-build", action="store_true", help="skip timing a fresh index build")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    from qa.runtime import setup

    setup(verbose=False)  # a program of its own: the same offline hubs and thread counts as the app and the CLI
    say(stage="loading the model and the index", done=0, total=1)  # a few seconds before the run's first step
    try:
        folder = job(open_engine(Settings.load()), Path(args.queries), Path(args.out_root), build=not args.no_build,
                     progress=lambda stage, done, total: say(stage=stage, done=done, total=total))
    except UserError as exc:
        say(error=str(exc))
        return 2
    say(folder=str(folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
