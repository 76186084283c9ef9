"""The web face of sourceqa: a Gradio page and API over the public `qa` API (no retrieval or answer logic here)."""

from __future__ import annotations

from importlib import import_module
from typing import Any

# Where each name lives; imported on first use, so that `python -m webui.benchjob` (the Benchmark tab's run in a
# process of its own) starts without importing gradio, which takes longer to import than the library itself.
_EXPORTS = {"THEME": "webui.assets", "css": "webui.assets", "Backend": "webui.backend", "NotReady": "webui.backend",
            "Status": "webui.backend", "EXAMPLES": "webui.ui", "build_ui": "webui.ui"}

__all__ = ["EXAMPLES", "THEME", "Backend", "NotReady", "Status", "build_ui", "css"]


def __getattr__(name: str) -> Any:
    """One of the package's names, imported from its module."""
    if name not in _EXPORTS:
        raise AttributeError(f"module 'webui' has no attribute {name!r}")
    return getattr(import_module(_EXPORTS[name]), name)
