"""HTML from Jinja2 templates in `webui/templates/`, escaped by default: text from articles and users is never markup."""

from __future__ import annotations

import re
from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"

_SPACES = re.compile(r"\s+")
# Characters the chat's markdown renderer gives a meaning to; backslash-escaped so they show as themselves.
_MD_PUNCTUATION = set("\\`*_{}[]()#+-.!|~:$=^")
_HTML_SPECIAL = {"<": "&lt;", ">": "&gt;", "&": "&amp;", '"': "&quot;", "'": "&#x27;"}


def md_text(value: object) -> Markup:
    """Text for the chat's markdown (the `md` filter): shown as typed, never as markup, a link, math or HTML; one line."""
    text = _SPACES.sub(" ", "" if value is None else str(value)).strip()
    out = []
    for ch in text:
        if ch in _HTML_SPECIAL:
            out.append(_HTML_SPECIAL[ch])  # an entity, not a backslash: `\<` would still reach the HTML sanitizer
        elif ch in _MD_PUNCTUATION:
            out.append("\\" + ch)
        else:
            out.append(ch)
    # Already escaped for both HTML and markdown: autoescaping must not escape the entities a second time.
    return Markup("".join(out))


@cache
def environment() -> Environment:
    """The one template environment: autoescaping on for every template, undefined names an error, not blanks."""
    env = Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )
    env.filters["md"] = md_text
    return env


def render(name: str, **context: Any) -> Markup:
    """A template from `webui/templates/` rendered with `context`, as safe markup to put inside other templates.

    The line breaks that end a template's last line are left out, as Markdown and inline fragments need.
    """
    return Markup(environment().get_template(name).render(**context).strip("\n"))


def render_string(source: str, **context: Any) -> Markup:
    """A small inline template (autoescaped like the files) for one-line fragments."""
    return Markup(environment().from_string(source).render(**context))
