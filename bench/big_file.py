"""A corpus with one very large text file (a log): the time and peak memory to open it, and then to ask and verify.

    python bench/big_file.py [--mb 200]

Writes the bundled articles and a `--mb` MB log (one reading a line) into bench/out/big-file/, opens an engine on it
(the index built; the bundled articles' vectors come from a copy of the session cache when there is one), asks three
questions with each citation verified against its file, and prints one JSON line: the file's size, the seconds to
open, the seconds per ask (with its verifications), and the process's peak RSS.
"""

from __future__ import annotations

import argparse
import json
import resource
import shutil
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/.
sys.path.insert(0, str(ROOT))

from qa import Settings, open_engine, runtime, verify  # noqa: E402

OUT = ROOT / "bench" / "out" / "big-file"
QUESTIONS = ("Why does Russia engage the Taliban?", "What pressure did the pump at station 12 report?",
             "Who is Vladimir Putin's special envoy for Afghanistan?")


def write_log(path: Path, size: int) -> None:
    """A log of about `size` bytes: one short reading per line (what a log or a dump looks like)."""
    with path.open("w", encoding="utf-8") as handle:
        handle.write("Pump log\n\n")
        i = 0
        while handle.tell() < size:
            handle.write("".join(f"Reading {n}: the pump at station {n % 97} reported a pressure of {n % 13} bar.\n"
                                 for n in range(i, i + 10_000)))
            i += 10_000


def main() -> None:
    """Build the corpus, open it, ask, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mb", type=int, default=200)
    args = parser.parse_args()
    runtime.setup(verbose=False)
    shutil.rmtree(OUT, ignore_errors=True)
    corpus = OUT / "corpus"
    shutil.copytree(ROOT / "corpus", corpus, ignore=shutil.ignore_patterns(".*"))
    write_log(corpus / "pump-log.txt", args.mb * 10**6)
    began = time.perf_counter()
    engine = open_engine(Settings.load(corpus=corpus, index_dir=OUT / "index"))
    opened = time.perf_counter() - began
    asks = []
    for question in QUESTIONS:
        began = time.perf_counter()
        answer = engine.ask(question)
        checks = [verify(c).ok for c in answer.citations]
        asks.append({"question": question, "seconds": round(time.perf_counter() - began, 2),
                     "cited": sorted({c.doc_id for c in answer.citations}), "verified": all(checks)})
    print(json.dumps({"file_bytes": (corpus / "pump-log.txt").stat().st_size, "open_seconds": round(opened, 1),
                      "passages": len(engine.passages), "warnings": list(engine.library.warnings), "asks": asks,
                      "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1)}))


if __name__ == "__main__":
    main()
