"""The Benchmark tab: its tables, comparison and empty state rendered (escaped), and a run through the app's handlers."""

from __future__ import annotations

import threading
from pathlib import Path

import gradio as gr
import pytest
from helpers import ROOT, SMALL_QUERIES, WHY, answer_key, seed_earlier_run, write

from qa import Settings
from qa.bench.job import job
from qa.bench.results import BenchReport, BuildStats, ModeRun, compare
from webui import Backend, NotReady
from webui import render_bench as rb
from webui.benchtab import BenchRunner, BenchTab, Busy, environment
from webui.benchview import BenchView, latest_view

HOSTILE = "<script>alert(1)</script> <img src=x onerror=alert(1)>"
METRICS = ("recall@1", "recall@3", "recall@5", "recall@10", "mrr@10", "ndcg@10", "abstention", "false_abstention")
LATENCY = {s: {"p50": 2.0, "p95": 5.0} for s in ("encode", "search", "fusion", "answer", "total")}


def fake_report(created: str, **changes: float) -> BenchReport:
    """A small report of three modes (hybrid best), with some of hybrid's metrics changed, and hostile text in it."""
    base = {"bm25": 0.5, "dense": 0.6, "hybrid": 0.7}
    modes = []
    for mode, value in base.items():
        metrics = {m: value for m in METRICS} | {"false_abstention": 0.1}
        if mode == "hybrid":
            metrics |= changes
        modes.append(ModeRun(mode, metrics, LATENCY))
    return BenchReport(
        kind="queries", name=f"bench/queries/{HOSTILE}.jsonl", created=created, command=f"python -m qa bench {HOSTILE}",
        metrics=METRICS, modes=tuple(modes), encode_ms={"p50": 1.5, "p95": 3.0}, build=BuildStats(82, 157, 13.1, 239),
        settings={"model": f"<b>{HOSTILE}</b>", "k": 10}, counts={"questions": 10, "answerable": 8, "off_topic": 2,
                                                                    "passages": 82},
        environment={}, notes=(f"q7: {HOSTILE}",),
    )


def fake_view(report: BenchReport, previous: BenchReport | None) -> BenchView:
    """What webui.benchview.view() returns for a run and the one before it."""
    deltas = compare(previous, report) if previous else ()
    return BenchView(report, Path("/out/run"), previous, deltas)


def assert_inert(html: str) -> None:
    """No tag of the payloads survives as markup, only as escaped text."""
    for bad in ("<script", "<img", "<b>"):
        assert bad not in html, (bad, html)


def test_no_report_says_how_to_make_one(tmp_path):
    view = latest_view(tmp_path)
    html = rb.summary(view, tmp_path / "<out>")
    assert "No benchmark run yet" in html and "<b>Run benchmark</b>" in html and "<code>python -m qa bench</code>" in html
    assert "&lt;out&gt;" in html
    assert rb.quality_table(view.report) == rb.latency_table(view.report) == rb.comparison(view) == ""


def test_tables_show_every_metric_per_mode_and_escape_report_text():
    report = fake_report("2026-01-02T10:00:00+00:00")
    summary = rb.summary(fake_view(report, None), Path("/out"))
    quality, latency = rb.quality_table(report), rb.latency_table(report)
    for html in (summary, quality, latency):
        assert_inert(html)
    assert "2026-01-02 10:00 UTC" in summary and "10 questions (8 answerable, 2 off-topic)" in summary
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in summary and "Index build: 13.1 s" in summary
    # One row per measure, in words with a tooltip and its usual short name; one column per mode.
    for head in ("R@1", "R@3", "R@5", "R@10", "MRR@10", "nDCG@10", "abstain (off-topic)", "false abstain (answerable)"):
        assert f'<span class="sqa-code">{head}</span></th>' in quality
    for words in ("Right passage ranked first", "Right passage in the top 3", "Order of the top 10",
                  "Off-topic questions refused", "Answerable questions refused"):
        assert f'tabindex="0">{words}</span>' in quality
    assert quality.count('<tr><th scope="row"><span data-tip="') == len(METRICS)
    assert '<th scope="col" class="sqa-num">hybrid</th>' in quality
    # The best mode of each metric is bold: hybrid's 0.700 everywhere, and the shared 0.100 of false abstention.
    assert quality.count('sqa-best">0.700') == 7 and quality.count('sqa-best">0.100') == 3
    assert ">Reading the question</span>" in latency and "2.0 / 5.0" in latency and ">model alone</th>" in latency
    metrics_chart, latency_chart = rb.metrics_chart(report), rb.latency_chart(report)
    for html in (metrics_chart, latency_chart):
        assert_inert(html)
    assert metrics_chart.count('class="sqa-chart-row"') == 3 * len(METRICS) and "width:70.00%" in metrics_chart
    assert latency_chart.count('class="sqa-chart-row"') == 4 and "2.0 ms" in latency_chart


def test_comparison_marks_worse_metrics_and_says_when_there_is_nothing_to_compare():
    old = fake_report("2026-01-01T00:00:00+00:00")
    new = fake_report("2026-01-02T00:00:00+00:00", **{"recall@1": 0.6, "ndcg@10": 0.75, "false_abstention": 0.2})
    html = rb.comparison(fake_view(new, old))
    assert_inert(html)
    assert "Change against the run of 2026-01-01 00:00 UTC" in html
    assert "2 worse (▼, in red), 1 better (▲), 21 unchanged" in html
    # recall@1 fell and false abstention rose: both worse; nDCG rose: better.
    assert '<td class="sqa-num sqa-worse" title="worse: 0.700 before">0.600 <span>(-0.100) ▼</span></td>' in html
    assert '<td class="sqa-num sqa-worse" title="worse: 0.100 before">0.200 <span>(+0.100) ▼</span></td>' in html
    assert '<td class="sqa-num sqa-better" title="better: 0.700 before">0.750 <span>(+0.050) ▲</span></td>' in html
    assert "No earlier run of this question set" in rb.comparison(fake_view(new, None))


def test_summary_shows_a_run_in_progress():
    html = rb.summary(fake_view(fake_report("2026-01-02T00:00:00+00:00"), None), Path("/out"),
                      ("asking in 3 modes <i>", 12, 40))
    assert "A benchmark run is in progress: asking in 3 modes &lt;i&gt; (12/40)" in html


def test_the_job_saves_a_run_as_latest_and_reports_progress(engine, tmp_path):
    three = write(tmp_path, "three.jsonl", "\n".join(SMALL_QUERIES.read_text().splitlines()[:3]))
    seen: list[tuple[str, int, int]] = []
    folder = job(engine, three, tmp_path / "out", build=False, progress=lambda *a: seen.append(a))
    shown = latest_view(tmp_path / "out")
    assert shown.folder == folder.resolve() and shown.report is not None and shown.report.build is None
    assert shown.report.counts["questions"] == 3 and shown.report.command == "python -m qa bench (from the UI)"
    assert seen[-1][1] == seen[-1][2] == 3 * 4 and shown.previous is None


def test_the_job_process_gets_the_apps_settings(tmp_path):
    settings = Settings.load(corpus=tmp_path / "c", index_dir=tmp_path / "i", k=7, mode="bm25")
    env = environment(settings)
    assert Settings.load(environ=env) == settings
    assert env["SOURCEQA_CORPUS"] == str(tmp_path / "c") and env["SOURCEQA_K"] == "7"


def test_a_run_needs_the_index_and_one_at_a_time(tmp_path):
    runner = BenchRunner(Backend(Settings.load(corpus=tmp_path)), tmp_path / "out")
    with pytest.raises(NotReady):
        runner.run()
    with pytest.raises(gr.Error, match="still being prepared"):
        BenchTab(runner).run(progress=lambda *a, **k: None)
    assert not (tmp_path / "out").exists()


def test_run_through_the_app_shows_the_report_while_chat_goes_on(web_app, ten_questions, tmp_path):
    out = tmp_path / "bench-out"
    repo_runs = listing(ROOT / "bench" / "out")
    runner = BenchRunner(web_app.backend, out)
    tab = BenchTab(runner)
    assert "No benchmark run yet" in tab.refresh()[0]
    engine = web_app.backend.engine()
    before = answer_key(engine.ask(WHY))

    started, proceed, ticks, done = threading.Event(), threading.Event(), [], {}

    def progress(value: tuple[int, int], desc: str = "", unit: str = "") -> None:
        ticks.append((desc, *value))
        started.set()
        proceed.wait()  # hold the run at its first step, so the checks below happen during it

    def run() -> None:
        done["outputs"] = tab.run(progress=progress)

    worker = threading.Thread(target=run)
    worker.start()
    try:
        assert started.wait(300)
        with pytest.raises(Busy, match="already running"):
            runner.run()
        # Through the tab, a second run is no error (a red toast): nothing changes, and finish() shows the run's progress.
        assert tab.run(progress=lambda *a, **k: None) == (gr.update(),) * 6
        assert "A benchmark run is in progress" in str(tab.finish()[1])
        assert "A benchmark run is in progress" in tab.refresh()[0]
    finally:
        proceed.set()
    while worker.is_alive():  # the chat shares the engine with the run and answers as before
        assert answer_key(engine.ask(WHY)) == before
        worker.join(1.0)  # a question a second: the run is not starved of the two cores
    summary, quality, comparison, latency, metrics_chart, latency_chart = done["outputs"]
    assert ticks[-1][1] == ticks[-1][2] == 10 * 4
    assert "10 questions (8 answerable, 2 off-topic)" in summary and str(ten_questions.name) in summary
    # Every figure measured, but "sure answers that are right" where no answer in a mode is that sure.
    measured = [row for row in str(quality).split("<tr>")[2:] if "Sure answers that are right" not in row]
    assert "abstain (off-topic)</span></th>" in quality and not any('sqa-num">–</td>' in row for row in measured)
    assert quality.count('<th scope="col" class="sqa-num">') == 3 and "nDCG@10" in quality and "model alone" in latency
    assert "No earlier run" in comparison
    assert metrics_chart.count("sqa-chart-row") == 3 * quality.count('<tr><th scope="row">')
    assert latency_chart.count("sqa-chart-row") == 4
    assert sorted(p.name for p in (out / "latest").glob("*.png")) == ["latency.png", "metrics.png"]  # for the CLI
    assert (out / "latest" / "report.json").is_file() and runner.running is None

    # With an earlier run of the same set beside it, the tab (read again, as another page would) shows the change.
    seed_earlier_run(out, "recall@1", "hybrid", 0.1)
    comparison = tab.refresh()[2]
    assert "Change against the run of 2000-01-01 00:00 UTC" in comparison and "1 worse" in comparison
    assert comparison.count("sqa-worse") == 1 and "(-0.100) ▼" in comparison
    assert listing(ROOT / "bench" / "out") == repo_runs  # nothing was written into the repository


def listing(folder: Path) -> list[str]:
    """The names in a folder, sorted (empty if it does not exist)."""
    return sorted(p.name for p in folder.iterdir()) if folder.is_dir() else []
