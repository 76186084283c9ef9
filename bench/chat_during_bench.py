"""Chat latency while a benchmark runs, beside the same questions on an idle app, in one run.

Usage: python bench/chat_during_bench.py [--port 7862] [--rounds 3]
Starts `python app.py` (with a saved index: run `python -m qa index` first), asks the shipped example questions
through the app's /ask endpoint while nothing else runs, then again while `python -m qa.bench.job` runs (the
process the Benchmark tab's Run button starts), and prints the median round-trip times and their ratio.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))


def timed_asks(client: object, questions: list[str], until: subprocess.Popen | None = None, rounds: int = 3) -> list[float]:
    """Seconds per /ask call: `rounds` passes over the questions, or as many as fit while `until` runs."""
    times = []
    while True:
        for q in questions:
            began = time.perf_counter()
            client.predict(question=q, api_name="/ask")
            times.append(time.perf_counter() - began)
        rounds -= 1
        if (until is None and rounds <= 0) or (until is not None and until.poll() is not None):
            return times


def main() -> int:
    """Start the app, time the questions idle and during a benchmark run, print the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=7862)
    parser.add_argument("--rounds", type=int, default=3, help="passes over the questions on the idle app")
    args = parser.parse_args()
    from gradio_client import Client

    from qa import bench
    from webui import EXAMPLES

    env = {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}
    app = subprocess.Popen([sys.executable, "app.py", "--port", str(args.port)], cwd=ROOT, env=env,
                           stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        client = None
        for _ in range(240):
            try:
                client = client or Client(f"http://127.0.0.1:{args.port}/", verbose=False)
                client.predict(api_name="/list_articles")  # fails until the index is open
                break
            except Exception:
                time.sleep(0.5)
        questions = list(EXAMPLES)
        timed_asks(client, questions, rounds=1)  # warm-up, untimed
        idle = timed_asks(client, questions, rounds=args.rounds)
        with tempfile.TemporaryDirectory(prefix="sourceqa-chat-bench-") as out:
            job = subprocess.Popen([sys.executable, "-m", "qa.bench.job", "--queries", str(bench.DEFAULT_QUERIES),
                                    "--out-root", out], cwd=ROOT, env=env, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
            began = time.perf_counter()
            busy = timed_asks(client, questions, until=job)
            job.wait()
            took = time.perf_counter() - began
        a, b = statistics.median(idle), statistics.median(busy)
        print(f"idle: {len(idle)} questions, median {a * 1000:.0f} ms, max {max(idle) * 1000:.0f} ms")
        print(f"during the benchmark run ({took:.0f} s, exit {job.returncode}): {len(busy)} questions, "
              f"median {b * 1000:.0f} ms, max {max(busy) * 1000:.0f} ms")
        print(f"ratio of medians: {b / a:.2f}")
    finally:
        app.terminate()
        app.wait(30)
    return 0


if __name__ == "__main__":
    sys.exit(main())
