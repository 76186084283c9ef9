"""The Benchmark tab: the latest report of the shipped question set, a Run button with a progress bar, the change."""

from __future__ import annotations

import logging
import threading
from pathlib import Path
from typing import Any

import gradio as gr
from PIL import Image

from qa import UserError, bench
from qa.bench import BenchView
from qa.report import LATENCY_PNG, METRICS_PNG
from webui import render_bench
from webui.backend import Backend
from webui.render import sentence

RUN_LABEL = "Run benchmark"
RUNNING_LABEL = "Running…"


class Busy(UserError):
    """A benchmark run is already in progress (one at a time for the whole app)."""


class BenchRunner:
    """Runs the shipped question set on the app's engine through qa.bench, one run at a time, and reads saved runs."""

    def __init__(self, backend: Backend, out_root: Path) -> None:
        """Runs go into, and are read from, `out_root` (bench/out/ unless the app was told otherwise)."""
        self.backend = backend
        self.out_root = out_root
        self._lock = threading.Lock()  # shared by every browser session: a second Run is refused, not queued
        self._progress: tuple[str, int, int] | None = None

    @property
    def running(self) -> tuple[str, int, int] | None:
        """(stage, done, total) of the run in progress, or None."""
        return self._progress if self._lock.locked() else None

    def view(self) -> BenchView:
        """The latest saved run and its comparison with the run before it."""
        return bench.latest_view(self.out_root)

    def run(self, progress: bench.Progress | None = None) -> BenchView:
        """Run the shipped set on the open engine, save it as the latest run and return its view; Busy if one runs."""
        engine = self.backend.engine()  # NotReady while the index is being prepared
        if not self._lock.acquire(blocking=False):
            stage, done, total = self._progress or ("starting", 0, 0)
            raise Busy(f"a benchmark is already running ({stage}, {done}/{total}), perhaps started from another "
                       "page: its report appears here when it finishes")

        def report(stage: str, done: int, total: int) -> None:
            self._progress = (stage, done, total)
            if progress is not None:
                progress(stage, done, total)

        try:
            self._progress = ("starting", 0, 0)
            # The engine is shared with the chat, which keeps answering meanwhile (it is thread-safe).
            return bench.run_shipped(engine, report, out_root=self.out_root)
        finally:
            self._progress = None
            self._lock.release()


class BenchTab:
    """The tab's components and handlers; `build()` is called inside the page's gr.Tabs."""

    def __init__(self, runner: BenchRunner) -> None:
        """Handlers over one runner (shared by every browser session)."""
        self.runner = runner

    def show(self, view: BenchView) -> tuple[Any, ...]:
        """The tab's outputs for a view: summary, metric table, comparison, latency table and the two charts."""
        charts = {p.name: _picture(p) for p in view.charts}
        images = [gr.update(value=charts[name], visible=True) if charts.get(name) else gr.update(value=None, visible=False)
                  for name in (METRICS_PNG, LATENCY_PNG)]
        return (render_bench.summary(view, self.runner.out_root, self.runner.running),
                render_bench.quality_table(view.report), render_bench.comparison(view),
                render_bench.latency_table(view.report), *images)

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
        """Run the benchmark with a progress bar, then show its report."""
        try:
            view = self.runner.run(lambda stage, done, total: progress((done, total), desc=stage, unit="steps"))
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
            with gr.Row():
                gr.HTML(render_bench.intro(bench.queries_name(bench.DEFAULT_QUERIES)), elem_id="bench-intro")
                with gr.Column(scale=0, min_width=180):
                    run_btn = gr.Button(RUN_LABEL, variant="primary", elem_id="bench-run")
            summary = gr.HTML("", elem_id="bench-summary")
            quality = gr.HTML("", elem_id="bench-quality")
            compare = gr.HTML("", elem_id="bench-compare")
            latency = gr.HTML("", elem_id="bench-latency-panel")
            # One chart per row: the metrics chart is wide, and side by side its labels become too small to read.
            # No label badge: it would cover the chart's own title.
            charts = [gr.Image(label=name, show_label=False, type="pil", format="png", interactive=False, visible=False,
                               elem_id=elem, buttons=["download", "fullscreen"])
                      for name, elem in (("Metrics by mode", "bench-metrics-chart"),
                                         ("Latency by stage (p50)", "bench-latency-chart"))]
        outputs = [summary, quality, compare, latency, *charts]
        tab.select(self.refresh, None, outputs, show_progress="hidden", **private)
        run_btn.click(self.start, None, [run_btn, summary], queue=False, **private).then(
            self.run, None, outputs, show_progress_on=[summary], **private).then(
            self.finish, None, [run_btn, summary], queue=False, **private)
        return tab


def _picture(path: Path) -> Image.Image | None:
    """A chart read into memory, or None when its file is unreadable.

    Handed to Gradio as an image, not a path, so the server copies it into its own cache and never has to serve
    the benchmark folder (which also holds load-test corpora, indexes and logs).
    """
    try:
        with Image.open(path) as image:
            image.load()
            return image.copy()
    except OSError as exc:
        logging.getLogger(__name__).warning("benchmark chart %s could not be read (%s); not shown", path, exc)
        return None
