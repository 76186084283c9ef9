"""Web pages and PDFs against the text files: the bundled articles rendered as news pages (with page chrome) and as
PDFs (running header, page numbers), read back, and their passages compared with the text files' passages.

    python bench/formats.py [--repeat 5]

Prints, per format, paragraphs identical to the text file's (exactly, and up to whitespace), passages holding page
chrome, and the median extraction time per file and per PDF page; then the time to read a 10,000-page PDF (capped).
The last line is all of it as JSON.
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
# whose document makers it uses).
sys.path[:0] = [str(ROOT), str(ROOT / "tests")]

import matplotlib  # noqa: E402 - only for the DejaVu font it ships, which writes any text into a PDF
from documents import CHROME, RUNNING_HEADER, long_pdf, news_page, pdf_pages  # noqa: E402

from qa import Settings  # noqa: E402
from qa.ingest import chunk_article, clear_cache, extract, read_article, split_paragraphs  # noqa: E402

FONT = str(Path(matplotlib.get_data_path()) / "fonts/ttf/DejaVuSans.ttf")


def _plain(text: str) -> str:
    return " ".join(text.split())


def _timed(fn, repeat: int) -> tuple[object, float]:
    """fn's result and its median time in ms over `repeat` calls, each a real extraction (the cache cleared)."""
    times, out = [], None
    for _ in range(repeat):
        clear_cache()
        began = time.perf_counter()
        out = fn()
        times.append((time.perf_counter() - began) * 1000)
    return out, statistics.median(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--repeat", type=int, default=5, help="extractions per file for the median time (default 5)")
    args = parser.parse_args()
    rows = {"html": [0, 0, 0, 0, []], "pdf": [0, 0, 0, 0, []]}  # passages, exact, up to whitespace, chrome, ms
    pdf_pages_total, pdf_ms_total = 0, 0.0
    for path in sorted(Path(Settings().corpus).glob("*.txt")):
        article, _ = read_article(path, path.stem)
        chunk = chunk_article(article)
        figures = {(d.start, d.end) for d in chunk.dropped if d.reason in ("caption", "photo credit")}
        spans = split_paragraphs(article.text, article.body_start)
        items = [("figure" if (s.start, s.end) in figures else "p", article.text[s.start:s.end]) for s in spans]
        files = {
            "html": (path.with_suffix(".html"), news_page(article.title, items, publisher=article.publisher,
                                                          date=None, author=article.author).encode()),
            "pdf": (path.with_suffix(".pdf"), pdf_pages([[text for _, text in items]], title=article.title, font=FONT)),
        }
        for fmt, (name, data) in files.items():
            (other, _), ms = _timed(lambda n=name, d=data, i=path.stem: read_article(n, i, d), args.repeat)
            texts = [p.text for p in chunk_article(other).passages]
            exact, loose = set(texts), {_plain(t) for t in texts}
            row = rows[fmt]
            row[0] += len(chunk.passages)
            row[1] += sum(p.text in exact for p in chunk.passages)
            row[2] += sum(_plain(p.text) in loose for p in chunk.passages)
            row[3] += sum(any(bit in t for bit in CHROME) or RUNNING_HEADER in t for t in texts)
            row[4].append(ms)
            if fmt == "pdf":
                pdf_pages_total += len(other.pages)
                pdf_ms_total += ms
    result: dict[str, object] = {}
    for fmt, (total, exact, loose, chrome, ms) in rows.items():
        result[fmt] = {"passages": total, "identical": exact, "identical_up_to_whitespace": loose,
                       "identical_pct": round(100 * exact / total, 1),
                       "identical_up_to_whitespace_pct": round(100 * loose / total, 1),
                       "chrome_passages": chrome, "median_ms_per_file": round(statistics.median(ms), 1)}
        print(f"{fmt}: {exact}/{total} paragraphs identical ({100 * exact / total:.1f}%), {loose}/{total} up to "
              f"whitespace ({100 * loose / total:.1f}%); {chrome} passages with page chrome; "
              f"median {statistics.median(ms):.1f} ms per file")
    result["pdf"]["pages"] = pdf_pages_total  # type: ignore[index]
    result["pdf"]["ms_per_page"] = round(pdf_ms_total / pdf_pages_total, 1)  # type: ignore[index]
    print(f"pdf: {pdf_pages_total} pages, {pdf_ms_total / pdf_pages_total:.1f} ms per page")
    big = long_pdf(10_000)
    got, ms = _timed(lambda: extract("archive.pdf", big), 1)
    result["pdf_10000_pages"] = {"pages_read": len(got.pages), "seconds": round(ms / 1000, 2)}
    print(f"10,000-page PDF: {len(got.pages)} pages read in {ms / 1000:.1f} s ({got.warnings[0]})")
    print(json.dumps(result))


if __name__ == "__main__":
    main()
