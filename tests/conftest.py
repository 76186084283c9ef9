"""Shared fixtures: the real model, a real index over the bundled corpus and the web app, each started once per session;
the fast tier's fake encoder and engine; and the tiers themselves.

`pytest -q` runs the fast tier (no model, no server, no browser); `pytest -q -m ""` runs everything. A test is in the
slow tier when it takes a fixture of the real model (or one built on it), and in the browser tier when it takes the
browser; a test marks itself `slow` when it is slow for another cause (a subprocess, a training run).
"""

from __future__ import annotations

import contextlib
import io
import os
import shutil
import socket
from dataclasses import dataclass
from pathlib import Path

import browsing
import pytest
from fakes import FakeEncoder, open_fake
from helpers import ROOT

from embeddings import Encoder
from qa import Engine, Settings, open_engine
from qa.settings import DEFAULT_CORPUS, user_cache

# Fixtures of the real model, or built on it: a test that takes one is in the slow tier.
SLOW_FIXTURES = {"encoder", "engine", "private_settings", "private_engine", "web_app", "web_client", "cli"}
BROWSER_FIXTURES = {"browser", "page_in"}


@pytest.hookimpl(tryfirst=True)  # before `-m` deselects by marker
def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    """Mark each test `slow` (the real model, Ray) and `browser` (Chromium) from the fixtures it takes."""
    for item in items:
        names = set(getattr(item, "fixturenames", ()))
        if names & BROWSER_FIXTURES:
            item.add_marker(pytest.mark.browser)
        if names & SLOW_FIXTURES or item.get_closest_marker("ray") or item.get_closest_marker("browser"):
            item.add_marker(pytest.mark.slow)



@pytest.fixture(scope="session", autouse=True)
def runtime_set_up() -> None:
    """The process set-up `python -m qa` and the app do (offline hubs, one FAISS thread), once for the whole session, so
    no test's result or time depends on whether a command-line test ran before it."""
    from qa import runtime

    runtime.setup(verbose=False)


@pytest.fixture(scope="session")
def encoder() -> Encoder:
    """The bundled all-MiniLM-L6-v2, loaded once (its ONNX export kept in the user's cache, as the settings keep it)."""
    return Encoder(cache_dir=user_cache(os.environ))


@pytest.fixture(scope="session")
def corpus_copy(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A private copy of the bundled corpus (tests never write into the repository)."""
    target = tmp_path_factory.mktemp("corpus") / "corpus"
    shutil.copytree(DEFAULT_CORPUS, target, ignore=shutil.ignore_patterns(".*"))
    return target


@pytest.fixture(scope="session")
def fake_encoder() -> FakeEncoder:
    """Deterministic vectors from hashed words: the fast tier's stand-in for the model."""
    return FakeEncoder()


@pytest.fixture(scope="session")
def fake_engine(fake_encoder: FakeEncoder, corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory) -> Engine:
    """An engine over the bundled corpus on the fake encoder and the built-in reader: no model at all, ready in ~1 s."""
    settings = Settings.load(corpus=corpus_copy, index_dir=tmp_path_factory.mktemp("fake-index"), reader="builtin")
    return open_fake(settings, fake_encoder)


@pytest.fixture(scope="session")
def engine(encoder: Encoder, corpus_copy: Path, tmp_path_factory: pytest.TempPathFactory):
    """An engine over the bundled corpus with a real FAISS + BM25 index in a temporary folder."""
    settings = Settings.load(corpus=corpus_copy, index_dir=tmp_path_factory.mktemp("index"))
    return open_engine(settings, encoder=encoder)


@pytest.fixture()
def private_settings(engine, tmp_path) -> Settings:
    """Settings over a copy of the corpus and of the warm index (embedding cache included), free to change."""
    corpus = tmp_path / "corpus"
    shutil.copytree(engine.settings.corpus, corpus, ignore=shutil.ignore_patterns(".*"))
    index = tmp_path / "index"
    shutil.copytree(engine.settings.index_path, index)
    return Settings.load(corpus=corpus, index_dir=index)


@pytest.fixture()
def private_engine(private_settings, encoder):
    """An engine over `private_settings`, opened from the copied index."""
    private = open_engine(private_settings, encoder=encoder)
    assert private.report.loaded
    return private


@dataclass(frozen=True)
class WebApp:
    """A running web app: its address, its backend, the private corpus folder it serves and its benchmark folder."""

    url: str
    backend: object
    corpus: Path
    bench_out: Path
    blocks: object = None  # the Gradio Blocks served


def free_port() -> int:
    """A TCP port nothing listens on right now."""
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def start_web_app(settings: Settings, encoder: Encoder, bench_out: Path) -> tuple[WebApp, object]:
    """Serve the app in this process on a free port and wait until its index is open; (app, Blocks to close).

    Its Benchmark tab saves runs in `bench_out`, a temporary folder: tests never write into the repository's bench/out.
    """
    from app import serve
    from webui import Backend

    backend = Backend(settings, encoder)
    demo = serve(backend, "127.0.0.1", free_port(), block=False, bench_out=bench_out)
    assert backend.wait(300), backend.status
    return WebApp(demo.local_url.rstrip("/"), backend, settings.corpus, bench_out, demo), demo


@pytest.fixture(scope="session")
def web_app(encoder: Encoder, engine, tmp_path_factory: pytest.TempPathFactory):
    """The web app over its own copy of the bundled corpus; the session engine's index is copied, so it loads at once."""
    root = tmp_path_factory.mktemp("web")
    corpus = root / "corpus"
    shutil.copytree(DEFAULT_CORPUS, corpus, ignore=shutil.ignore_patterns(".*"))
    index = root / "index"
    shutil.copytree(engine.settings.index_path, index)
    app, demo = start_web_app(Settings.load(corpus=corpus, index_dir=index), encoder, root / "bench-out")
    yield app
    demo.close()


@pytest.fixture(scope="session")
def browser():
    """Debian's Chromium under Playwright, one for every browser test; missing: fail in CI
    (SOURCEQA_REQUIRE_BROWSER=1), else skip."""
    from browsing import launch

    yield from launch()


@pytest.fixture(scope="session")
def web_client(web_app):
    """A gradio_client connected to the session's web app."""
    from gradio_client import Client

    return Client(web_app.url, verbose=False)


@pytest.fixture()
def ten_questions(tmp_path, monkeypatch) -> Path:
    """The app's Run button on 10 shipped questions (the first 8, the last 2 off-topic ones) without the index build.

    The same code path as the full set, in seconds instead of about a minute.
    """
    lines = (ROOT / "bench/queries/russia-taliban.jsonl").read_text(encoding="utf-8").splitlines()
    lines = lines[:8] + lines[-2:]
    path = tmp_path / "ten.jsonl"
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    from webui.benchtab import BenchRunner

    monkeypatch.setattr(BenchRunner, "queries", path)
    monkeypatch.setattr(BenchRunner, "build_index", False)  # the app's run, in its own process
    return path


@dataclass(frozen=True)
class Ran:
    """What a command printed and returned (the fields of subprocess.CompletedProcess the tests read)."""

    returncode: int
    stdout: str
    stderr: str


def run_cli(args: list[str], encoder: Encoder | None = None, env: dict[str, str] | None = None) -> Ran:
    """`python -m qa ARGS` in this process (the session's model shared), with `env` set for the call."""
    from qa.cli.main import main

    out, err = io.StringIO(), io.StringIO()
    saved = {k: os.environ.get(k) for k in env or {}}
    os.environ.update(env or {})
    try:
        with contextlib.redirect_stdout(out), contextlib.redirect_stderr(err):
            try:
                code = main(args, encoder=encoder)
            except SystemExit as exc:  # argparse's usage errors and --help
                code = exc.code if isinstance(exc.code, int) else 1
    finally:
        for k, v in saved.items():
            if v is None:
                os.environ.pop(k, None)
            else:
                os.environ[k] = v
    return Ran(code, out.getvalue(), err.getvalue())


@pytest.fixture(scope="module")
def cli(engine):
    """Run `python -m qa` in this process against the session's corpus copy and warm index, the model shared."""
    env = {"SOURCEQA_CORPUS": str(engine.settings.corpus), "SOURCEQA_INDEX_DIR": str(engine.settings.index_path)}

    def run(*args: str) -> Ran:
        return run_cli(list(args), engine.encoder, env)
    return run


@pytest.fixture(params=browsing.VIEWS, ids=[v.name for v in browsing.VIEWS])
def view(request):
    """Each size and colour scheme in turn."""
    return request.param


@pytest.fixture
def page_in(browser, view):
    """A fresh page (own Gradio session and browser storage) at the view's size and scheme; no dialog, no error."""
    context = browser.new_context(viewport={"width": view.width, "height": view.height}, color_scheme=view.scheme,
                                  permissions=["clipboard-read", "clipboard-write"])
    w = browsing.Watched(context.new_page())
    yield w, view
    context.close()
    w.check()
