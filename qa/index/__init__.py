"""Index: passages embedded and BM25-indexed into a library, saved, checked and loaded again.

Internal to the library, except the names below: the benchmark scripts in bench/ embed passages as the index does,
read a saved index's passages, and build a Library by hand at sizes no corpus has, so they stay importable from
`qa.index` (a change to one is a change to those scripts).
"""

from qa.index.lexical import BM25_B, BM25_K1, BM25_METHOD, LexicalIndex, tokenize
from qa.index.library import Library, SentenceTable
from qa.index.manifest import Manifest
from qa.index.store import PASSAGES, current_generation
from qa.index.vectors import passage_text, sentence_text

__all__ = [
    "BM25_B", "BM25_K1", "BM25_METHOD", "PASSAGES", "LexicalIndex", "Library", "Manifest", "SentenceTable",
    "current_generation", "passage_text", "sentence_text", "tokenize",
]
