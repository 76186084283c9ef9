"""sourceqa: ask questions of a folder of articles; answers are the articles' own sentences, each cited.

The public API is the twelve names below (types for annotations are in `qa.types`); everything else is internal.
The benchmark scripts in bench/ also rely on a small internal API: the names each layer's package lists in its
`__all__` (`qa.ingest`, `qa.index`, `qa.search`, `qa.answer`), `qa.text.fold`, and the benchmark's own `qa.bench`.
Importing the package changes nothing in the process: `qa.runtime.setup()` is for programs that want the CLI's setup.
"""

from qa.answer.result import Answer, Citation, Status
from qa.answer.verify import verify
from qa.engine import Engine, ask, open_engine, search
from qa.errors import UserError
from qa.search.filters import Filters
from qa.search.retrieve import Hit
from qa.settings import Settings

__all__ = [
    "Answer", "Citation", "Engine", "Filters", "Hit", "Settings", "Status", "UserError", "ask", "open_engine",
    "search", "verify",
]
