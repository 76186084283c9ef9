"""The page's theme, and its stylesheet and scripts, read once from the files in `webui/static/`."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import gradio as gr

STATIC = Path(__file__).resolve().parent / "static"

# The system's fonts: Gradio's bundled font files lack some bold glyphs, and nothing is fetched from font servers.
# Primary buttons and subdued text a shade darker than Gradio's: white on its orange-500, and its grey footer, fall
# short of the 4.5:1 contrast that body text needs (axe-core checks this in the browser tests).
THEME = gr.themes.Default(font=["system-ui", "Segoe UI", "Helvetica", "Arial", "sans-serif"],
                          font_mono=["ui-monospace", "DejaVu Sans Mono", "monospace"]).set(
    button_primary_background_fill="*primary_700", button_primary_background_fill_dark="*primary_700",
    button_primary_background_fill_hover="*primary_800", button_primary_background_fill_hover_dark="*primary_800",
    body_text_color_subdued="*neutral_600",
)


@cache
def static(name: str) -> str:
    """The text of a file in `webui/static/`, read once."""
    return (STATIC / name).read_text(encoding="utf-8")


def css() -> str:
    """The stylesheet for launch(css=...): the page's, then the Benchmark tab's."""
    return static("sqa.css") + static("bench.css")


def bridge_js() -> str:
    """js_on_load of the hidden event bridge: citations, article links, chips, copy, tooltips, chat labels."""
    return static("bridge.js")


def article_js() -> str:
    """js_on_load of the article view: scrolls the cited paragraph into sight."""
    return static("article.js")
