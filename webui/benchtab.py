"""The Benchmark tab: the latest report of the shipped question set, a Run button with a progress bar, the change."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import tempfile
import threading
from pathlib import Path
from typing import Any

import gradio as gr

from qa import Settings, UserError
from qa.bench import DEFAULT_QUERIES, queries_name
from qa.types import Progress
from webui import render_bench
from webui.backend import Backend
from webui.benchview import BenchView, latest_view
from webui.render import sentence

RUN_LABEL = "Run benchmark"
RUNNING_LABEL = "Running…"


class Busy(UserError):
    """A benchmark run is already in progress (one at a time for the whole app)."""


ROOT = Path(__file__).resolve().parent.parent


def environment(settings: Settings) -> dict[str, str]:
    """The SOURCEQA_* variables that give a child process these settings."""
    return {o.env: str(getattr(settings, o.field)) for o in Settings.OPTIONS if getattr(settings, o.field, None) is not None}


class BenchRunner:
    """Runs the shipped question set through qa.bench in a process of its own, one run at a time; reads saved runs."""

    build_index = True  # time a fresh index build too, as `python -m qa bench` does
    queries = DEFAULT_QUERIES  # the question set the Run button asks

    def __init__(self, backend: Backend, out_root: Path | None = None) -> None:
        """Runs go into, and are read from, `out_root` (default: the `bench_out` setting, bench/out/)."""
        self.backend = backend
        self.out_root = out_root if out_root is not None else backend.settings.bench_out
        self._lock = threading.Lock()  # shared by every browser session: a second Run is refused, not queued
        self._progress: tuple[str, int, int] | None = None

    @property
    def running(self) -> tuple[str, int, int] | None:
        """(stage, done, total) of the run in progress, or None."""
        return self._progress if self._lock.locked() else None

    def view(self) -> BenchView:
        """The latest saved run and its comparison with the run before it."""
        return latest_view(self.out_root)

    def run(self, progress: Progress | None = None) -> BenchView:
        """Run the shipped set in its own process, save it as the latest run and return its view; Busy if one runs.

        The run opens its own engine from the app's settings (the app's index is already saved, so it loads), in a
        process of its own: the web server's interpreter stays free for the chat meanwhile.
        """
        self.backend.engine()  # NotReady while the index is being prepared
        if not self._lock.acquire(blocking=False):
            stage, done, total = self._progress or ("starting", 0, 1)
            raise Busy(f"a benchmark is already running ({stage}, {done}/{total}), perhaps started from another "
                       "page: its report appears in this tab when it finishes")
        try:
            # Said at once: the run's own process takes seconds to start and to open the model and the index.
            self._progress = ("starting the benchmark's own process", 0, 1)
            if progress is not None:
                progress(*self._progress)
            self._run_process(progress)
            return self.view()
        finally:
            self._progress = None
            self._lock.release()

    def _run_process(self, progress: Progress | None) -> None:
        """Start `python -m qa.bench.job`, pass its progress on, and raise a UserError if it fails."""
        env = {**os.environ, **environment(self.backend.settings)}
        command = [sys.executable, "-m", "qa.bench.job", "--queries", str(self.queries),
                   "--out-root", str(self.out_root)] + ([] if self.build_index else ["--no-build"])
        error = ""
        with tempfile.TemporaryFile("w+", encoding="utf-8") as log_file:
            with subprocess.Popen(command, cwd=ROOT, env=env, stdout=subprocess.PIPE, stderr=log_file, text=True,
                                  encoding="utf-8") as proc:
                for line in proc.stdout:
                    try:
                        event = json.loads(line)
                    except ValueError:
                        continue  # a library's own print
                    if "stage" in event:
                        self._progress = (str(event["stage"]), int(event["done"]), int(event["total"]))
                        if progress is not None:
                            progress(*self._progress)
                    error = str(event.get("error", error))
            if proc.returncode != 0:
                log_file.seek(0)
                lines = [line for line in log_file.read().splitlines() if line.strip()]
                why = error or (lines[-1] if lines else f"exit status {proc.returncode}")
                raise UserError(f"the benchmark run failed: {why}")


class BenchTab:
    """The tab's components and handlers; `build()` is called inside the page's gr.Tabs."""

    def __init__(self, runner: BenchRunner) -> None:
        """Handlers over one runner (shared by every browser session)."""
        self.runner = runner

    def show(self, view: BenchView) -> tuple[Any, ...]:
        """The tab's outputs for a view: summary, metric table, comparison, latency table and the two charts."""
        report = view.report
        return (render_bench.summary(view, self.runner.out_root, self.runner.running),
                render_bench.quality_table(report), render_bench.comparison(view),
                render_bench.latency_table(report), render_bench.metrics_chart(report),
                render_bench.latency_chart(report))

    def refresh(self) -> tuple[Any, ...]:
        """Read the latest saved run again (another page or the command line may have made one)."""
        try:
            return self.show(self.runner.view())
        except UserError as exc:  # e.g. a damaged report.json
            raise gr.Error(str(exc)) from None

    def start(self) -> tuple[Any, ...]:
        """Disable this page's Run button while its run goes on, and say so where the progress bar will be."""
        return gr.Button(value=RUNNING_LABEL, interactive=False), render_bench.starting()

    def run(self, progress: gr.Progress = gr.Progress()) -> tuple[Any, ...]:
        """Run the benchmark with a progress bar, then show its report.

        A run already under way (from another page) is no error: nothing changes here, and finish() shows that run's
        progress in the tab's head instead of a red toast.
        """
        try:
            view = self.runner.run(lambda stage, done, total: progress((done, total), desc=sentence(stage), unit="steps"))
        except Busy:
            return (gr.update(),) * 6
        except UserError as exc:
            raise gr.Error(sentence(str(exc))) from None
        return self.show(view)

    def finish(self) -> tuple[Any, ...]:
        """Enable the Run button again and show the latest run, whether this run succeeded or not."""
        try:
            view = self.runner.view()
        except UserError:  # a damaged report: the tab's next refresh says what is wrong
            return gr.Button(value=RUN_LABEL, interactive=True), gr.update()
        return gr.Button(value=RUN_LABEL, interactive=True), render_bench.summary(view, self.runner.out_root,
                                                                                 self.runner.running)

    def build(self) -> gr.Tab:
        """The Benchmark tab with its events wired; must be called inside a gr.Tabs of the page's Blocks."""
        private: dict[str, Any] = {"api_visibility": "private"}
        with gr.Tab("Benchmark", id="benchmark") as tab:
            with gr.Row(elem_id="bench-top"):
                gr.HTML(render_bench.intro(queries_name(self.runner.queries)), elem_id="bench-intro")
                with gr.Column(scale=0, min_width=180):
                    run_btn = gr.Button(RUN_LABEL, variant="primary", elem_id="bench-run")
            summary = gr.HTML("", elem_id="bench-summary")
            quality = gr.HTML("", elem_id="bench-quality")
            compare = gr.HTML("", elem_id="bench-compare")
            latency = gr.HTML("", elem_id="bench-latency-panel")
            # Charts in HTML, not the report's PNGs: their labels never overlap and they narrow to a phone.
            charts = [gr.HTML("", elem_id="bench-metrics-chart"), gr.HTML("", elem_id="bench-latency-chart")]
        outputs = [summary, quality, compare, latency, *charts]
        tab.select(self.refresh, None, outputs, show_progress="hidden", **private)
        run_btn.click(self.start, None, [run_btn, summary], queue=False, **private).then(
            self.run, None, outputs, show_progress_on=[summary], **private).then(
            self.finish, None, [run_btn, summary], queue=False, **private)
        return tab
