"""HTML from Jinja2 templates in `webui/templates/`, escaped by default: text from articles and users is never markup."""

from __future__ import annotations

from functools import cache
from pathlib import Path
from typing import Any

from jinja2 import Environment, FileSystemLoader, StrictUndefined, select_autoescape
from markupsafe import Markup

TEMPLATES = Path(__file__).resolve().parent / "templates"


@cache
def environment() -> Environment:
    """The one template environment: autoescaping on for every template, undefined names an error, not blanks."""
    return Environment(
        loader=FileSystemLoader(TEMPLATES),
        autoescape=select_autoescape(default=True, default_for_string=True),
        undefined=StrictUndefined,
        trim_blocks=True,
        lstrip_blocks=True,
        keep_trailing_newline=False,
    )


def render(name: str, **context: Any) -> Markup:
    """A template from `webui/templates/` rendered with `context`, as safe markup to put inside other templates."""
    return Markup(environment().get_template(name).render(**context))


def render_string(source: str, **context: Any) -> Markup:
    """A small inline template (autoescaped like the files) for one-line fragments."""
    return Markup(environment().from_string(source).render(**context))
