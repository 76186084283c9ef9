"""Search: a question's filters, and the passages of a library ranked for it (BM25, dense, fused).

Internal to the library, except the names below: the benchmark scripts in bench/ time the engine's own ranking and
fuse scores its way with them, so they stay importable from `qa.search` (a change to one is a change to those scripts).
"""

from qa.search.retrieve import minmax, retrieve

__all__ = ["minmax", "retrieve"]
