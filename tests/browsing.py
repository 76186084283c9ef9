"""Browser plumbing shared by the browser tests: Debian's Chromium under Playwright, watched pages, sizes, axe-core."""

from __future__ import annotations

import json
import os
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from helpers import ROOT, WHY

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--headless=new", "--no-sandbox", "--disable-gpu", "--disable-background-networking",
        "--disable-component-update", "--disable-sync", "--no-first-run"]
ARTIFACTS = ROOT / "test-artifacts"
# axe-core from npm (package.json; `npm ci` installs it), injected into the page by the accessibility test.
AXE = ROOT / "node_modules" / "axe-core" / "axe.min.js"
# Where SOURCEQA_DOCS_SCREENSHOTS=1 saves the screenshots the README shows.
DOCS = ROOT / "docs"
# Upper bound for the page to catch up (each wait ends as soon as its condition holds; CPUs here are shared).
WAIT_MS = 60_000


@dataclass(frozen=True)
class View:
    """A window the page is tried in: its size and the colour scheme the system asks for."""

    name: str
    width: int
    height: int
    scheme: str

    @property
    def phone(self) -> bool:
        """Whether this is the phone size."""
        return self.width < 600


DESKTOP_LIGHT = View("desktop-light", 1440, 900, "light")
VIEWS = (DESKTOP_LIGHT, View("desktop-dark", 1440, 900, "dark"), View("phone-light", 390, 844, "light"),
         View("phone-dark", 390, 844, "dark"))


def missing(path: Path, hint: str) -> None:
    """Fail in CI (SOURCEQA_REQUIRE_BROWSER=1) or skip elsewhere, naming what is missing and how to install it."""
    message = f"no {path}: {hint}"
    if os.environ.get("SOURCEQA_REQUIRE_BROWSER") == "1":
        pytest.fail(message)
    pytest.skip(message)


def launch() -> Iterator[object]:
    """Debian's Chromium under Playwright (the session's `browser` fixture)."""
    if not CHROMIUM.exists():
        missing(CHROMIUM, "install it with `apt-get install chromium` to run the browser tests")
    from playwright.sync_api import expect, sync_playwright

    expect.set_options(timeout=WAIT_MS)
    ARTIFACTS.mkdir(exist_ok=True)
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        yield chromium
        chromium.close()


class Watched:
    """A page with every dialog and uncaught script error recorded (a dialog is dismissed, and fails the test)."""

    def __init__(self, page: object) -> None:
        """Watch a fresh page."""
        self.page = page
        self.dialogs: list[str] = []
        self.errors: list[str] = []
        page.on("dialog", lambda d: (self.dialogs.append(f"{d.type}: {d.message}"), d.dismiss()))
        page.on("pageerror", lambda e: self.errors.append(str(e)))

    def open(self, url: str) -> object:
        """Load the app and wait until its status line says it is ready."""
        from playwright.sync_api import expect

        self.page.goto(url, wait_until="load")  # "networkidle" never comes: Gradio keeps a heartbeat open
        expect(self.page.locator("#status .sqa-ready")).to_be_visible()
        return self.page

    def shot(self, name: str, full_page: bool = False) -> Path:
        """Save a screenshot in test-artifacts/ (the viewport, or the whole page)."""
        path = ARTIFACTS / f"{name}.png"
        self.page.screenshot(path=str(path), full_page=full_page)
        return path

    def check(self) -> None:
        """No dialog opened and no script failed."""
        assert self.dialogs == [], self.dialogs
        assert self.errors == [], self.errors


def ask(page: object, question: str) -> None:
    """Type a question, send it with Enter and return once the chat has taken it (its row shows).

    Enter is ignored while the last answer's event is still closing, a moment after the answer shows (the page gives no
    sign of that moment): a question still in the box then is sent again, as a person would. An emptied box means the
    question was taken, and its row may take longer than 3 s to show on a busy machine: then wait as for an answer.
    """
    from playwright.sync_api import TimeoutError as Timeout

    turns = page.locator("#chat .user-row").count()
    box = page.locator("#question textarea")
    box.fill(question)
    box.press("Enter")
    sent = f"() => document.querySelectorAll('#chat .user-row').length > {turns}"
    while True:
        try:
            page.wait_for_function(sent, timeout=3000)
            return
        except Timeout:
            if box.input_value() != question:
                assert box.input_value() == "", box.input_value()
                page.wait_for_function(sent)
                return
            box.press("Enter")


# Behaviour that neither the size nor the scheme changes is tried at the desktop size in light and the phone size in
# dark: both sizes and both schemes, in half the runs of every combination.
# Colours in the page, for the functions that measure contrast (pasted at their start): a computed colour's channels,
# its relative luminance (WCAG), the first opaque background at or above an element, and the contrast of two
# luminances.
COLOUR_JS = """
  const rgb = (c) => (c.match(/[\\d.]+/g) || []).map(Number);
  const lum = ([r, g, b]) => {
    const f = (v) => { v /= 255; return v <= 0.03928 ? v / 12.92 : Math.pow((v + 0.055) / 1.055, 2.4); };
    return 0.2126 * f(r) + 0.7152 * f(g) + 0.0722 * f(b);
  };
  const backdrop = (start) => {
    for (let e = start; e; e = e.parentElement) {
      const c = rgb(getComputedStyle(e).backgroundColor);
      if (c.length >= 3 && (c.length < 4 || c[3] > 0.9)) return c;
    }
    return [255, 255, 255];
  };
  const ratio = (a, b) => (Math.max(a, b) + 0.05) / (Math.min(a, b) + 0.05);
"""
BOTH_SIZES = pytest.mark.parametrize("view", (VIEWS[0], VIEWS[3]), ids=(VIEWS[0].name, VIEWS[3].name))


def answer(page: object, question: str = WHY) -> None:
    """Ask and wait until the answer's source cards are shown."""
    from playwright.sync_api import expect

    ask(page, question)
    expect(page.locator("#sources .sqa-card").first).to_be_visible()


def axe_problems(page: object) -> list[str]:
    """Serious and critical axe-core violations on the page, one line each."""
    if not AXE.is_file():
        missing(AXE, "run `npm ci` in the project folder to install axe-core for the accessibility test")
    if not page.evaluate("() => !!window.axe"):
        page.add_script_tag(path=str(AXE))
    result = page.evaluate("async () => (await axe.run(document, {resultTypes: ['violations']})).violations"
                           ".map(v => ({id: v.id, impact: v.impact, help: v.help, "
                           "nodes: v.nodes.slice(0, 3).map(n => n.target.join(' '))}))")
    return [json.dumps(v) for v in result if v["impact"] in ("serious", "critical")]


def small_png(source: Path, target: Path) -> None:
    """A screenshot in 256 colours (text stays sharp; the file is a fraction of the size) for docs/."""
    from PIL import Image

    with Image.open(source) as image:
        image.convert("RGB").quantize(colors=256).save(target, optimize=True)
