"""Extraction time of one-page PDFs of many short hyphenated lines (the hostile-input case of issue 23).

    python bench/pdf_lines.py [--lines 10000 100000] [--repeat 3]

Prints, per line count, the file's size and the median time of `qa.ingest.formats.extract` (the cache cleared before each
run), and the ratio to the first count; the last line is all of it as JSON.
"""

from __future__ import annotations

import argparse
import json
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Run as `python bench/x.py`, a script's own folder is on sys.path, not the repository root that holds qa/ (nor tests/,
# whose PDF maker it uses).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

from documents import lines_pdf  # noqa: E402

from qa.ingest import clear_cache, extract  # noqa: E402


def main() -> None:
    """Time the extraction of each PDF and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--lines", type=int, nargs="+", default=[10_000, 100_000])
    parser.add_argument("--repeat", type=int, default=3)
    args = parser.parse_args()
    rows = []
    for count in args.lines:
        data = lines_pdf(count)
        times = []
        for _ in range(args.repeat):
            clear_cache()
            began = time.perf_counter()
            got = extract("lines.pdf", data)
            times.append(time.perf_counter() - began)
        rows.append({"lines": count, "bytes": len(data), "seconds": round(statistics.median(times), 3),
                     "chars": len(got.text)})
    for row in rows:
        ratio = row["seconds"] / rows[0]["seconds"]
        print(f"{row['lines']:>8,} lines, {row['bytes']:,} bytes: {row['seconds']:.3f} s ({ratio:.1f}x the first)")
    print(json.dumps(rows))


if __name__ == "__main__":
    main()
