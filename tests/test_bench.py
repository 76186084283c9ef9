"""The benchmark: rank metrics equal hand-computed ones, an end-to-end run, comparison (BEIR: test_beir.py)."""

from __future__ import annotations

import json
import math
import re
import subprocess
import sys
from dataclasses import replace
from pathlib import Path

import pytest
from conftest import Ran, run_cli
from helpers import GLACIER, PILOTS, PILOTS_NAME, ROOT, SMALL_QUERIES, assert_one_line_error, write

from qa import Settings, open_engine
from qa.bench import markdown, runner, runs, tables
from qa.bench.metrics import ANSWER_METRICS, ir_metrics, metric_names, ranked_run, run_metrics
from qa.bench.queries import Query, load_queries, queries_name
from qa.bench.results import BuildStats, Delta, QueryRun, compare, regressions
from qa.bench.runs import load_report, write_reports
from webui.benchview import latest_view

PNG = b"\x89PNG\r\n\x1a\n"


# --- metrics on a tiny hand-made run --------------------------------------------------------------------------
def test_rank_metrics_equal_hand_computed_ones():
    qrels = {"q1": {"a": 1, "c": 1}, "q2": {"b": 1}, "q3": {"x": 1}, "q4": {}}
    run = {"q1": ranked_run(["a", "b", "c"]), "q2": ranked_run(["a", "c", "d", "b"]), "q3": ranked_run([])}
    got = ir_metrics(qrels, run, ["recall@1", "recall@3", "recall@5", "mrr@10", "ndcg@10"])
    # q1: relevant at ranks 1 and 3 of 2 relevant; q2: its one relevant at rank 4; q3: nothing retrieved;
    # q4 has no relevant passage, so it is not scored.
    ndcg_q1 = (1 / math.log2(2) + 1 / math.log2(4)) / (1 / math.log2(2) + 1 / math.log2(3))
    ndcg_q2 = 1 / math.log2(5)
    expected = {
        "recall@1": (0.5 + 0 + 0) / 3,
        "recall@3": (1.0 + 0 + 0) / 3,
        "recall@5": (1.0 + 1.0 + 0) / 3,
        "mrr@10": (1.0 + 0.25 + 0) / 3,
        "ndcg@10": (ndcg_q1 + ndcg_q2 + 0) / 3,
    }
    assert got == pytest.approx(expected, abs=1e-9)
    # Graded judgments (BEIR qrels may grade) count with linear gain, as trec_eval's and ranx's nDCG do.
    graded = ir_metrics({"q": {"a": 2, "b": 1}}, {"q": ranked_run(["b", "x", "a"])}, ["ndcg@10", "ndcg@2"])
    assert graded["ndcg@10"] == pytest.approx((1 + 2 / math.log2(4)) / (2 + 1 / math.log2(3)))
    assert graded["ndcg@2"] == pytest.approx(1 / (2 + 1 / math.log2(3)))
    with pytest.raises(ValueError, match="unknown rank metric"):
        ir_metrics({"q": {"a": 1}}, {}, ["map@10"])


def test_ranked_run_keeps_the_order():
    run = ranked_run(["c", "a", "b"])
    assert sorted(run, key=run.get, reverse=True) == ["c", "a", "b"]


def test_abstention_rates_count_each_kind_of_question():
    rows = [
        QueryRun("a1", "?", True, ("p:1",), (True,), 1, "answered", first_sentence=True, first_passage=True,
                 reasons=(2, 3), support=0.85),
        QueryRun("a2", "?", True, ("p:2",), (False,), 1, "not_in_sources", first_sentence=False, first_passage=False),
        QueryRun("a3", "?", True, ("p:1",), (True,), 1, "partial", first_sentence=False, first_passage=True,
                 reasons=(5, 6)),
        QueryRun("o1", "?", False, ("p:1",), (False,), 0, "not_in_sources", kind="offtopic"),
        QueryRun("o2", "?", False, ("p:1",), (False,), 0, "not_in_sources", kind="offtopic"),
        QueryRun("o3", "?", False, ("p:1",), (False,), 0, "answered", kind="offtopic"),
        QueryRun("n1", "?", False, ("p:1",), (False,), 0, "partial"),  # unanswerable, not off-topic: near-topic
        QueryRun("n2", "?", False, ("p:1",), (False,), 0, "answered", support=0.9),
    ]
    relevant = {"a1": {"p:1"}, "a2": {"p:9"}, "a3": {"p:1"}, "o1": set(), "o2": set(), "o3": set(), "n1": set(),
                "n2": set()}
    got = run_metrics(rows, relevant, 10)
    assert got["abstention"] == pytest.approx(2 / 3)
    assert got["near_topic"] == pytest.approx(1 / 2)
    assert got["false_abstention"] == pytest.approx(1 / 3) and got["partial"] == pytest.approx(1 / 3)
    assert got["first_sentence"] == pytest.approx(1 / 3) and got["first_passage"] == pytest.approx(2 / 3)
    assert got["reason_coverage"] == pytest.approx((2 / 3 + 4 / 4) / 2)  # at most 4 reasons count
    assert got["confident_right"] == pytest.approx(1 / 2)  # a1 right at 0.85; near-topic n2 answered at 0.9 is wrong
    assert got["recall@1"] == pytest.approx(2 / 3) and got["mrr@10"] == pytest.approx(2 / 3)


def test_metric_cutoffs_past_k_are_left_out():
    assert metric_names(3) == ("recall@1", "recall@3") + ANSWER_METRICS
    assert "ndcg@10" in metric_names(10)


# --- end to end on a small set -------------------------------------------------------------------------------
# The shipped set's figures are floors asserted by test_engine.py (ranking) and test_answer.py (answers); here a small
# set with every kind of question (answerable, off-topic, near-topic, follow-ups, listed reasons) runs the mechanics.
@pytest.fixture(scope="module")
def small(engine, tmp_path_factory):
    """One benchmark of the small set in every mode (the build is timed in its own test), written to a folder."""
    steps: list[tuple[str, int, int]] = []
    report = runner.run_queries(engine, load_queries(SMALL_QUERIES), k=10, build=False,
                                progress=lambda *a: steps.append(a), name=queries_name(SMALL_QUERIES),
                                command="python -m qa bench")
    folder = tmp_path_factory.mktemp("bench-out")
    return report, write_reports(report, folder), steps


def test_bench_reports_every_mode_metric_and_stage(small):
    report, _, steps = small
    assert [m.mode for m in report.modes] == ["bm25", "dense", "hybrid"]
    counts = {"questions": 8, "answerable": 6, "off_topic": 1, "near_topic": 1}
    assert report.counts == counts | {"passages": report.counts["passages"]} and report.counts["passages"] > 50
    assert report.metrics == metric_names(10)  # every metric measured: the set has every kind of question
    for m in report.modes:
        # confident_right only where some answer has a support of 0.8 or more
        assert set(m.metrics) <= set(report.metrics) and set(report.metrics) - set(m.metrics) <= {"confident_right"}
        assert all(0.0 <= v <= 1.0 for v in m.metrics.values())
        assert {"encode", "search", "fusion", "answer", "total"} <= set(m.latency_ms)
        assert all(d["p50"] <= d["p95"] for d in m.latency_ms.values())
        assert len(m.queries) == report.counts["questions"]
        assert {q.status for q in m.queries} <= {"answered", "partial", "not_in_sources"}
    assert report.encode_ms["p50"] > 0 and report.settings["k"] == 10 and report.environment["python"]
    assert report.build is None and report.mode("hybrid").metrics["abstention"] == 1.0  # "the capital of Australia"
    assert [s[1] for s in steps] == sorted(s[1] for s in steps) and steps[-1][1] == steps[-1][2] == 8 * 4


def test_the_build_is_timed_afresh_in_a_folder_of_its_own(encoder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "glacier.md", GLACIER)
    write(corpus, PILOTS_NAME, PILOTS)
    tiny = open_engine(Settings.load(corpus=corpus, index_dir=tmp_path / "index"), encoder=encoder)
    question = Query("g1", "Why is the Kongsbreen glacier retreating?", gold=("warmer seawater flowing north",))
    steps: list[tuple[str, int, int]] = []
    before = stamps(tmp_path / "index")
    report = runner.run_queries(tiny, [question], ("bm25",), progress=lambda *a: steps.append(a))
    build = report.build
    assert build is not None and (build.passages, build.reused) == (len(tiny.passages), 0)
    assert build.embedded == build.passages + build.sentences and build.passages_per_s > 0
    assert BuildStats.from_dict(build.to_dict()) == replace(build, seconds=round(build.seconds, 3))
    assert report.mode("bm25").metrics["recall@5"] == 1.0 and report.counts["passages"] == 5
    assert [s[0] for s in steps][-4:] == ["building a fresh index", "warming up: asking each question in 1 mode",
                                          "timing the model alone", "asking each question in 1 mode"]
    assert any(s[0].startswith("building a fresh index: embedding") for s in steps) and steps[-1][1:] == (4, 4)
    assert stamps(tmp_path / "index") == before  # the timed build went to a temporary folder, not the engine's


def stamps(folder: Path) -> dict[str, int]:
    """Each file under a folder with its modification time."""
    return {str(p.relative_to(folder)): p.stat().st_mtime_ns for p in folder.rglob("*")}


def test_bench_writes_json_markdown_and_charts(small):
    report, paths, _ = small
    data = json.loads(paths["json"].read_text())
    hybrid = next(m for m in data["modes"] if m["mode"] == "hybrid")
    q = next(q for q in hybrid["queries"] if q["answerable"])
    assert len(q["ranked"]) == 10 and {"id", "relevant"} == set(q["ranked"][0])
    assert data["build"] is None and data["encode_ms"]["p50"] > 0
    md = paths["markdown"].read_text()
    assert "| hybrid |" in md and "nDCG@10" in md and "bare `encode_query`" in md and "Command: `python -m qa bench`" in md
    for kind in ("metrics_chart", "latency_chart"):
        assert paths[kind].read_bytes()[:8] == PNG
    again = load_report(paths["json"])
    assert again.mode("dense").metrics == pytest.approx(report.mode("dense").metrics, abs=1e-4)
    assert again.mode("bm25").queries[0].ranked == report.mode("bm25").queries[0].ranked
    assert again.mode("hybrid").queries[-1].reasons == report.mode("hybrid").queries[-1].reasons


def test_markdown_writes_the_table_rows_one_row_per_mode(small):
    report = small[0]
    quality = markdown.quality_table(report).splitlines()
    rows = tables.quality(report).rows
    assert quality[0] == "| mode | " + " | ".join(r.short for r in rows) + " |" and len(quality) == 2 + 3
    assert quality[4] == "| hybrid | " + " | ".join(r.cells[2].text for r in rows) + " |"
    latency = markdown.latency_table(report).splitlines()
    assert latency[0].startswith("| mode | query encode p50 / p95 (ms) | search p50 / p95 (ms) |")
    assert latency[-1].startswith("| bare `encode_query` | ") and "|  |" in latency[-1]


def test_compare_finds_drops_in_either_direction(small):
    report = small[0]
    old_hybrid = report.mode("hybrid")
    better = {**old_hybrid.metrics, "ndcg@10": old_hybrid.metrics["ndcg@10"] + 0.1, "false_abstention": 0.0}
    old = replace(report, modes=(replace(old_hybrid, metrics=better),))
    new_hybrid = replace(old_hybrid, metrics={**old_hybrid.metrics, "false_abstention": 0.2})
    new = replace(report, modes=(new_hybrid,))
    deltas = compare(old, new)
    assert {d.mode for d in deltas} == {"hybrid"} and len(deltas) == len(report.metrics)
    failed = {d.metric for d in regressions(deltas, 0.05)}
    assert failed == {"ndcg@10", "false_abstention"}
    assert regressions(compare(report, report), 0.0) == ()
    assert Delta("x", "false_abstention", 0.1, 0.0).drop < 0 < Delta("x", "recall@1", 0.5, 0.4).drop
    md = markdown.comparison_markdown(deltas, "old.json")
    assert md.startswith("Against old.json: new value (change)") and "(-0.100) ▼" in md and "(+0.200) ▼" in md


def test_saved_runs_feed_the_benchmark_tab(small, tmp_path):
    report = small[0]
    assert latest_view(tmp_path).report is None
    first = runs.save_run(replace(report, created="2026-01-01T00:00:00+00:00"), root=tmp_path)
    hybrid = report.mode("hybrid")
    worse = replace(hybrid, metrics={**hybrid.metrics, "recall@1": hybrid.metrics["recall@1"] - 0.1})
    second = runs.save_latest(replace(report, created="2026-01-02T00:00:00+00:00", modes=(worse,)), root=tmp_path)
    assert first != second and (tmp_path / "latest").resolve() == second.resolve()
    # Named by the set's file, time first so that names sort by time (a second run within the same second gets "-2").
    assert re.fullmatch(r"\d{8}-\d{6}-small-queries(-\d+)?", second.name), second.name
    shown = latest_view(tmp_path)
    assert shown.report is not None and shown.report.created.startswith("2026-01-02")
    assert shown.previous is not None and shown.previous.created.startswith("2026-01-01")
    assert any(d.metric == "recall@1" and d.change == pytest.approx(-0.1, abs=1e-3) for d in shown.deltas)
    assert len(shown.charts) == 2
    md = (second / "report.md").read_text()
    assert "▼" in md and "| hybrid |" in md and "Against the run of 2026-01-01T00:00:00+00:00" in md
    assert [p.name for p in runs.runs(tmp_path)] == [second.name, first.name]


def test_one_slug_names_run_folders_and_beir_datasets():
    assert runs.slug("bench/queries/a b?.jsonl") == "bench-queries-a-b-.jsonl"
    assert runs.slug("../..") == "run" and runs.slug("...", "beir") == "beir" and len(runs.slug("x" * 99)) == 60


# --- the command line, in this process --------------------------------------------------------------------------
@pytest.fixture()
def bench_cli(engine, tmp_path):
    """`python -m qa bench ...` in this process on the session's corpus copy and warm index, runs saved under tmp_path."""
    env = {"SOURCEQA_CORPUS": str(engine.settings.corpus), "SOURCEQA_INDEX_DIR": str(engine.settings.index_path),
           "SOURCEQA_BENCH_OUT": str(tmp_path / "bench-out")}

    def run(*args: str) -> Ran:
        return run_cli(["bench", *args], engine.encoder, env)
    return run


def test_bench_compare_and_fail_on_drop_set_the_exit_code(bench_cli, small, tmp_path):
    _, paths, _ = small
    small_set = ("--queries", str(SMALL_QUERIES), "--modes", "bm25", "--no-build")
    same = bench_cli(*small_set, "--out", str(tmp_path / "a"), "--compare", str(paths["json"]), "--fail-on-drop", "0")
    assert same.returncode == 0, same.stderr
    assert "Change against an earlier run" in same.stdout and "| bm25 |" in same.stdout
    assert f"reports written to {tmp_path / 'a'}/" in same.stdout
    assert (tmp_path / "a" / "report.json").is_file() and (tmp_path / "a" / "latency.png").is_file()

    doctored = json.loads(paths["json"].read_text())
    for m in doctored["modes"]:
        m["metrics"]["recall@1"] += 0.2
    old = write(tmp_path, "old.json", json.dumps(doctored))
    worse = bench_cli(*small_set, "--out", str(tmp_path / "b"), "--compare", str(old), "--fail-on-drop", "0.05")
    assert worse.returncode == 1, worse.stderr
    assert "regression" in worse.stderr and "R@1" in worse.stderr
    # Without --fail-on-drop the comparison is shown but never fails; without --out the run goes under bench_out.
    shown = bench_cli(*small_set, "--compare", str(old), "--json")
    assert shown.returncode == 0 and json.loads(shown.stdout)["comparison"]
    assert json.loads(shown.stdout)["out"].startswith(str(tmp_path / "bench-out"))
    saved = load_report(tmp_path / "bench-out" / "latest")
    assert saved.command.startswith("python -m qa bench --queries ") and saved.name == "tests/data/small-queries.jsonl"


@pytest.mark.parametrize("args, words", [
    (("--fail-on-drop", "0.1"), "--compare"),
    (("--compare", "/no/such/report.json"), "cannot read benchmark report"),
    (("--modes", "bm25,magic"), "--modes"),
    (("--split", "train"), "--beir"),
    (("--beir", "/no/such/beir"), "does not exist"),
    (("--k", "0"), "k must be between 1 and 100"),
])
def test_bench_flag_mistakes_are_one_line_and_exit_2(bench_cli, args, words):
    assert_one_line_error(bench_cli(*args), words)


def test_bench_reports_a_bad_query_line_by_number(bench_cli, tmp_path):
    bad = write(tmp_path, "bad.jsonl", '{"id": "q1", "question": "Why?"}\n{"id": "q2", "question": }\n')
    out = bench_cli("--queries", str(bad))
    assert out.returncode == 2 and "bad.jsonl line 2" in out.stderr


def test_importing_qa_does_not_import_the_benchmark():
    code = "import sys, qa; print(sorted(m for m in sys.modules if m.startswith('qa.bench')))"
    out = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True, timeout=120)
    assert out.stdout.strip() == "[]", out.stderr


def test_the_load_test_fails_on_bad_answers_and_on_memory_growth():
    import importlib.util

    spec = importlib.util.spec_from_file_location("load_bench", ROOT / "bench" / "load.py")
    load = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(load)
    clean = {"errors": 0, "malformed": 0, "changed": 0, "rss_drift_pct": 3.7}
    assert load.verdict(clean, drift=True) == [] and load.verdict({**clean, "rss_drift_pct": None}, drift=False) == []
    assert load.verdict({**clean, "changed": 2}, drift=False) == ["2 changed answers"]
    assert "grew 10.5%" in load.verdict({**clean, "rss_drift_pct": 10.5}, drift=True)[0]
    assert "not measured" in load.verdict({**clean, "rss_drift_pct": None}, drift=True)[0]
