"""The app's engine: opened in a background thread at start, so the page can show the build's progress."""

from __future__ import annotations

import contextlib
import logging
import threading
import time
from dataclasses import dataclass, replace

from qa import Engine, Settings, UserError, open_engine
from webui.render import FAILED, READY, STARTING, Phase

log = logging.getLogger("qa.web")


class NotReady(UserError):
    """The engine is still loading or building its index, or failed to."""


@dataclass(frozen=True)
class Readiness:
    """Where the start-up is: phase (starting, ready, failed), a line saying what happens, and progress."""

    phase: Phase
    detail: str
    done: int = 0
    total: int = 0


class Backend:
    """Owns the Engine the page's handlers share; `start()` opens it without blocking the web server."""

    def __init__(self, settings: Settings, encoder: object | None = None) -> None:
        """Remember the settings (and an open engine's `encoder` to share); nothing is loaded until `start()`."""
        self.settings = settings
        self._encoder = encoder
        self._engine: Engine | None = None
        self._status = Readiness(STARTING, "waiting to start")
        self._lock = threading.Lock()
        self._phases: set[str] = set()
        self._thread: threading.Thread | None = None

    @property
    def status(self) -> Readiness:
        """The current status (read by the page's timer); once ready, the latest build's figures, as the log has them.

        After an upload these are the figures of the build that added it; an index that could not be saved says so.
        """
        with self._lock:
            status = self._status
        report = self._engine.report if self._engine is not None else None
        if status.phase != READY or report is None:
            return status
        detail = replace(report, saved=True).summary()  # the same line as the log's, without its own save note
        if not report.saved:
            detail += (f". The index could not be saved ({report.save_error}), so it is served from memory and will "
                       "be built again at the next start")
        return replace(status, detail=detail)

    def _set(self, status: Readiness) -> None:
        with self._lock:
            self._status = status

    def progress(self, desc: str, done: int, total: int) -> None:
        """Engine progress callback: shown in the page; each phase named once in the console (the encoder draws a bar)."""
        self._set(Readiness(STARTING, desc, done, total))
        if desc not in self._phases:
            self._phases.add(desc)
            log.info("building the index: %s (%d texts)", desc, total)

    def _say(self, detail: str) -> None:
        self._set(Readiness(STARTING, detail))
        log.info("%s", detail)

    def open(self) -> Engine:
        """Load the model and the saved index, or build it; blocks; the status says how it went."""
        began = time.perf_counter()
        try:
            self._say(f"loading the model {self.settings.model}, reading the articles in {self.settings.corpus} "
                      "and loading or building the index")
            engine = open_engine(self.settings, encoder=self._encoder, progress=self.progress)
            report = engine.report
        except Exception as exc:  # any failure must reach the page, not only a thread's traceback
            message = str(exc) if isinstance(exc, UserError) else f"{type(exc).__name__}: {exc}"
            log.error("could not open the index: %s", message)
            self._set(Readiness(FAILED, message))
            raise
        self._engine = engine
        self._set(Readiness(READY, "ready"))  # the status line then shows the engine's latest build report
        log.info("ready: %s (model and index opened in %.1f s)", report.summary(), time.perf_counter() - began)
        return engine

    def start(self) -> threading.Thread:
        """Open the engine in a background thread (once) and return that thread."""
        if self._thread is None:
            self._thread = threading.Thread(target=self._open_quietly, name="sourceqa-open", daemon=True)
            self._thread.start()
        return self._thread

    def _open_quietly(self) -> None:
        with contextlib.suppress(Exception):  # already logged and shown in the status
            self.open()

    def wait(self, timeout: float | None = None) -> bool:
        """Block until the start-up has finished (ready or failed); whether it is ready."""
        if self._thread is not None:
            self._thread.join(timeout)
        return self._engine is not None

    @property
    def ready(self) -> bool:
        """Whether questions can be answered."""
        return self._engine is not None

    def engine(self) -> Engine:
        """The open engine; NotReady (a UserError, with the progress) while it is still being prepared."""
        if self._engine is not None:
            return self._engine
        status = self.status
        if status.phase == FAILED:
            raise NotReady(f"the index could not be opened: {status.detail}")
        progress = f" ({status.done}/{status.total})" if status.total else ""
        raise NotReady(f"the index is still being prepared: {status.detail}{progress}. Ask again when the page says it is ready.")
