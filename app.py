"""`python app.py`: the sourceqa web app, a Gradio page and API over the `qa` library, at http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import logging
import os
import sys
from collections.abc import Sequence
from pathlib import Path

# Before gradio is imported: no version check or telemetry leaves the machine.
os.environ.setdefault("GRADIO_ANALYTICS_ENABLED", "False")

import gradio as gr

from embeddings import Encoder
from qa import Settings, UserError, bench
from qa.cli import library_options
from qa.corpus import load_corpus
from qa.uploads import MAX_UPLOAD_BYTES
from webui import THEME, Backend, build_ui, css

DEFAULT_HOST = "127.0.0.1"
DEFAULT_PORT = 7860
EXIT_USER_ERROR = 2


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The app's flags: where to listen, plus the library's corpus, index and model settings."""
    parser = argparse.ArgumentParser(prog="python app.py", description="The sourceqa web app.")
    parser.add_argument("--host", help=f"address to listen on (default {DEFAULT_HOST}, this machine only; env SOURCEQA_HOST)")
    parser.add_argument("--port", help=f"port (default {DEFAULT_PORT}; env SOURCEQA_PORT)")
    library_options(parser)
    return parser.parse_args(argv)


def address(host: str | None, port: str | int | None) -> tuple[str, int]:
    """Host and port: the flag, else SOURCEQA_HOST / SOURCEQA_PORT, else 127.0.0.1:7860; a bad port is a UserError."""
    host = (host or os.environ.get("SOURCEQA_HOST", "").strip() or DEFAULT_HOST).strip()
    raw = port if port not in (None, "") else (os.environ.get("SOURCEQA_PORT", "").strip() or DEFAULT_PORT)
    try:
        number = int(str(raw))
    except ValueError:
        raise UserError(f"port {raw!r} is not a number (--port / SOURCEQA_PORT)") from None
    if not 1 <= number <= 65535:
        raise UserError(f"port {number} is not between 1 and 65535 (--port / SOURCEQA_PORT)")
    return host, number


def serve(backend: Backend, host: str, port: int, block: bool = True, bench_out: Path | None = None) -> gr.Blocks:
    """Start the web server at once and open the engine in the background; blocks unless `block` is False.

    The Benchmark tab saves and reads runs under `bench_out` (default bench/out/, or SOURCEQA_BENCH_OUT).
    """
    bench_out = (bench_out or bench.OUT_ROOT).resolve()
    demo = build_ui(backend, bench_out=bench_out)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=host, server_port=port,
        share=False,  # never a public link, whatever GRADIO_SHARE says
        inbrowser=False, css=css(), theme=THEME, show_error=True, prevent_thread_lock=True,
        # Gradio refuses larger files before they reach the server's disk; the engine's own limit says why below this.
        max_file_size=4 * MAX_UPLOAD_BYTES,
        # Gradio serves no file outside its own assets and uploads (no allowed_paths: the Benchmark tab draws its
        # charts in HTML). The articles, the index and the benchmark folder are named here
        # too, so nothing can open them later (the page shows articles through the API, as escaped text).
        blocked_paths=[str(backend.settings.corpus.resolve()), str(backend.settings.index_path.resolve()), str(bench_out)],
    )
    # The model and index load only once the page is served: they would otherwise slow the server's own start.
    backend.start()
    if block:
        demo.block_thread()
    return demo


def main(argv: Sequence[str] | None = None, encoder: Encoder | None = None) -> int:
    """Parse the flags, check the settings, then serve until interrupted; a user error prints one line and exits 2."""
    logging.basicConfig(level=logging.WARNING, format="%(levelname)s: %(message)s")
    logging.getLogger("qa").setLevel(logging.INFO)
    args = parse_args(argv)
    try:
        host, port = address(args.host, args.port)
        settings = Settings.load(corpus=args.corpus, index_dir=args.index_dir, model=args.model, index_type=args.index_type,
                                 max_paragraphs=args.max_paragraphs, backend=args.backend)
        if not settings.corpus.is_dir():
            load_corpus(settings.corpus)  # raises the UserError that names the folder and the fix
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(f"sourceqa: serving {settings.corpus} at http://{host}:{port} (the page shows when the index is ready)")
    try:
        serve(Backend(settings, encoder), host, port)
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
