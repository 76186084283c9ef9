"""`python -m webui.benchjob`: the Benchmark tab's run in its own process, its progress printed as JSON lines.

The app starts it so that a run does not hold the web server's interpreter (the chat keeps its speed); it runs
at a lower CPU priority, reads the app's settings from the SOURCEQA_* variables, and saves the run like
`python -m qa bench`, where the tab reads it.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Lower than the web server, which shares the machine's cores with this run.
NICENESS = 10


def say(**fields: object) -> None:
    """One line of JSON on stdout for the app to read."""
    print(json.dumps(fields), flush=True)


def main(argv: Sequence[str] | None = None) -> int:
    """Open the engine from the environment's settings, run the question set, save the run; exit 2 on a user error."""
    parser = argparse.ArgumentParser(prog="python -m webui.benchjob", description=__doc__.splitlines()[0])
    parser.add_argument("--queries", required=True, help="JSON Lines question set")
    parser.add_argument("--out-root", required=True, help="folder of saved runs (its `latest` points at this run)")
    parser.add_argument("--no-build", action="store_true", help="skip timing a fresh index build")
    args = parser.parse_args(argv)
    if hasattr(os, "nice"):
        os.nice(NICENESS)
    from qa import Settings, UserError, bench, open_engine

    try:
        bench.DEFAULT_QUERIES = Path(args.queries)  # the set run_shipped asks
        engine = open_engine(Settings.load())
        view = bench.run_shipped(engine, lambda stage, done, total: say(stage=stage, done=done, total=total),
                                 build=not args.no_build, out_root=Path(args.out_root))
    except UserError as exc:
        say(error=str(exc))
        return 2
    say(folder=str(view.folder))
    return 0


if __name__ == "__main__":
    sys.exit(main())
