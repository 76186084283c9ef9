"""The benchmark, on top of the public API: run a question set or a BEIR dataset, save runs, load and compare them.

Not imported by `import qa`: only `python -m qa bench` and the web app's Benchmark tab load it.
"""

from qa.bench import markdown
from qa.bench.beir import load_beir, run_beir
from qa.bench.command import main
from qa.bench.metrics import ir_metrics, percentiles, ranked_run
from qa.bench.queries import DEFAULT_QUERIES, Query, load_queries, queries_name
from qa.bench.results import BenchReport, Delta, compare, label, regressions
from qa.bench.runner import DEFAULT_K, parse_k, parse_modes, run_queries
from qa.bench.runs import LATEST, REPORT_JSON, latest_run, load_report, out_root, previous_run, save_latest, save_run

__all__ = [
    "DEFAULT_K", "DEFAULT_QUERIES", "LATEST", "REPORT_JSON", "BenchReport", "Delta", "Query", "compare", "ir_metrics",
    "label", "latest_run", "load_beir", "load_queries", "load_report", "main", "markdown", "out_root", "parse_k",
    "parse_modes", "percentiles", "previous_run", "queries_name", "ranked_run", "regressions", "run_beir", "run_queries",
    "save_latest", "save_run",
]
