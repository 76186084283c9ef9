"""Time from `python app.py` to the page's first HTTP 200, beside `python -c "import gradio"` alone, in one run.

Usage: python bench/startup.py [--runs 5] [--port 7861] -- [app.py flags]
Each run starts both commands in turn; the medians and their ratio are printed. Needs a saved index for the
corpus (run `python -m qa index` first), as a user's second start has.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import time
import urllib.request
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def import_gradio() -> float:
    """Seconds for a fresh interpreter to import gradio and exit."""
    began = time.perf_counter()
    subprocess.run([sys.executable, "-c", "import gradio"], check=True, env=_env())
    return time.perf_counter() - began


def serve(port: int, flags: list[str], timeout: float = 120.0) -> float:
    """Seconds from starting `python app.py` until http://127.0.0.1:PORT/ answers 200; the app is then stopped."""
    began = time.perf_counter()
    proc = subprocess.Popen([sys.executable, "app.py", "--port", str(port), *flags], cwd=ROOT, env=_env(),
                            stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
    try:
        while time.perf_counter() - began < timeout:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/", timeout=1) as response:
                    if response.status == 200:
                        return time.perf_counter() - began
            except OSError:
                time.sleep(0.05)
        raise SystemExit(f"app.py did not answer on port {port} within {timeout:.0f} s")
    finally:
        proc.terminate()
        proc.wait(30)


def _env() -> dict[str, str]:
    return {**os.environ, "GRADIO_ANALYTICS_ENABLED": "False"}


def main() -> int:
    """Run both commands `--runs` times, alternating, and print each time, the medians and the ratio."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--runs", type=int, default=5)
    parser.add_argument("--port", type=int, default=7861)
    parser.add_argument("flags", nargs="*", help="flags passed on to app.py (after --)")
    args = parser.parse_args()
    imports, serves = [], []
    for i in range(args.runs):
        imports.append(import_gradio())
        serves.append(serve(args.port, args.flags))
        print(f"run {i + 1}: import gradio {imports[-1]:.2f} s, app.py to HTTP 200 {serves[-1]:.2f} s", flush=True)
    a, b = statistics.median(imports), statistics.median(serves)
    print(f"median: import gradio {a:.2f} s, app.py to HTTP 200 {b:.2f} s, ratio {b / a:.2f}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
