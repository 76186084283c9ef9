"""The web face of sourceqa: a Gradio page and API over the public `qa` API (no retrieval or answer logic here)."""

from webui.assets import THEME, css
from webui.backend import Backend, NotReady, Readiness
from webui.ui import EXAMPLES, build_ui

__all__ = ["EXAMPLES", "THEME", "Backend", "NotReady", "Readiness", "build_ui", "css"]
