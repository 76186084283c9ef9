"""`python app.py`: the sourceqa web app, a Gradio page and API over the `qa` library, at http://127.0.0.1:7860."""

from __future__ import annotations

import argparse
import errno
import socket
import sys
from collections.abc import Sequence
from pathlib import Path

import gradio as gr
from starlette.middleware import Middleware

from qa import Engine, Settings, UserError, runtime
from qa.ingest.corpus import check_folder
from qa.text import clip
from webui import THEME, Backend, build_ui, css
from webui.limits import MAX_BODY_BYTES, BodyLimit
from webui.ui import MAX_SESSIONS

EXIT_USER_ERROR = 2
APP_SETTINGS = ("host", "port", *Settings.LIBRARY, "bench_out")


def parse_args(argv: Sequence[str] | None = None) -> argparse.Namespace:
    """The app's flags: where to listen, plus the library's corpus, index and model settings."""
    parser = argparse.ArgumentParser(prog="python app.py", description="The sourceqa web app.")
    Settings.add_flags(parser, APP_SETTINGS)
    return parser.parse_args(argv)


def serve(backend: Backend, host: str, port: int, block: bool = True, bench_out: Path | None = None) -> gr.Blocks:
    """Start the web server at once and open the engine in the background; blocks unless `block` is False.

    The Benchmark tab saves and reads runs under `bench_out` (default: the settings' bench_out, bench/out/).
    """
    bench_out = (bench_out or backend.settings.bench_out).resolve()
    demo = build_ui(backend, bench_out=bench_out)
    demo.queue(default_concurrency_limit=2)
    demo.launch(
        server_name=host, server_port=port,
        share=False,  # never a public link, whatever GRADIO_SHARE says
        inbrowser=False, css=css(), theme=THEME, show_error=True, prevent_thread_lock=True,
        state_session_capacity=MAX_SESSIONS,
        # No request but a file upload may carry more than MAX_BODY_BYTES: Gradio keeps each session's inputs.
        app_kwargs={"middleware": [Middleware(BodyLimit, max_bytes=MAX_BODY_BYTES)]},
        # Gradio refuses larger files before they reach the server's disk; the engine's own limit says why below this.
        max_file_size=4 * Engine.UPLOAD_LIMIT,
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


def main(argv: Sequence[str] | None = None, encoder: object | None = None) -> int:
    """Parse the flags, check the settings, then serve until interrupted; a user error prints one line and exits 2."""
    runtime.setup()
    args = parse_args(argv)
    try:
        settings = Settings.from_args(args)
        check_folder(settings.corpus)
        check_listen(settings.host, settings.port)
    except UserError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return EXIT_USER_ERROR
    print(f"sourceqa: serving {settings.corpus} at http://{settings.host}:{settings.port} "
          "(the page shows when the index is ready)")
    try:
        serve(Backend(settings, encoder), settings.host, settings.port)
    except OSError as exc:  # taken between the check and the launch: Gradio says only "Cannot find empty port"
        print(f"error: cannot listen on {settings.host}:{settings.port} ({exc}): pass another --port "
              "(or SOURCEQA_PORT)", file=sys.stderr)
        return EXIT_USER_ERROR
    except KeyboardInterrupt:
        return 130
    return 0


def check_listen(host: str, port: int) -> None:
    """A UserError naming the setting to change when the app cannot listen at host:port (checked by binding it, as
    the server will, before anything loads)."""
    try:
        infos = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_PASSIVE)
    except (OSError, UnicodeError) as exc:
        raise UserError(f"--host {clip(host)} (SOURCEQA_HOST) is not an address or a name this machine resolves "
                        f"({getattr(exc, 'strerror', None) or exc}): use 127.0.0.1, or 0.0.0.0 for every interface") from None
    family, kind, proto, _, address = infos[0]
    with socket.socket(family, kind, proto) as probe:
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)  # as uvicorn does: a port in TIME_WAIT is free
        try:
            probe.bind(address)
        except OSError as exc:
            if exc.errno == errno.EADDRINUSE:
                raise UserError(f"port {port} on {host} is in use by another program: pass another --port (or "
                                "SOURCEQA_PORT), or stop the program using it") from None
            raise UserError(f"cannot listen on {host}:{port} ({exc.strerror or exc}): pass an address of this machine "
                            "as --host (SOURCEQA_HOST), e.g. 127.0.0.1, or another --port (SOURCEQA_PORT)") from None


if __name__ == "__main__":
    sys.exit(main())
