"""Fuzz the question path: random Unicode, control characters, 100,000-character strings, only punctuation, script
payloads, random histories, modes and k, through Engine.ask. No exception may escape; every answer must be
well-formed (tests/fuzzing.py: the property CI runs with 200 examples in tests/test_hostile.py).

    python bench/fuzz.py [--examples 10000] [--seed 0] [--index-dir bench/out/index]

Prints the number of examples run, answers by status, and the time taken, as JSON on the last line.
"""

from __future__ import annotations

import argparse
import collections
import json
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/ (nor tests/,
# whose question strategies it uses).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from fuzzing import ask_and_check, histories, ks, modes, questions  # noqa: E402
from hypothesis import HealthCheck, given, seed, settings  # noqa: E402

from qa import Settings, open_engine  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--examples", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--index-dir", default=str(ROOT / "bench" / "out" / "index"))
    args = parser.parse_args()
    from qa import runtime

    runtime.setup(verbose=False)  # offline hubs, one FAISS thread: as the CLI runs

    engine = open_engine(Settings.load(corpus=Settings().corpus, index_dir=args.index_dir))
    statuses: collections.Counter[str] = collections.Counter()
    longest = 0

    @seed(args.seed)
    @settings(max_examples=args.examples, deadline=None, database=None, print_blob=True,
              suppress_health_check=list(HealthCheck))
    @given(question=questions, history=histories, mode=modes, k=ks)
    def property_holds(question, history, mode, k):
        nonlocal longest
        statuses[ask_and_check(engine, question, history, mode, k)] += 1
        longest = max(longest, len(question))

    began = time.perf_counter()
    property_holds()
    seconds = time.perf_counter() - began
    print(json.dumps({"examples": sum(statuses.values()), "requested": args.examples, "seed": args.seed,
                      "statuses": dict(statuses), "longest_question_chars": longest, "errors": 0,
                      "seconds": round(seconds, 1), "per_example_ms": round(1000 * seconds / max(1, sum(statuses.values())), 1)}))


if __name__ == "__main__":
    main()
