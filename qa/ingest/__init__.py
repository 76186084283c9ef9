"""Ingest: source files (text, web pages, PDFs) read into articles, cleaned of boilerplate, cut into passages.

Internal to the library, except the names below: the benchmark scripts in bench/ read, extract and chunk articles
the engine's way with them, so they stay importable from `qa.ingest` (a change to one is a change to those scripts).
"""

from qa.ingest.chunking import Chunked, Passage, chunk_article, chunk_corpus, split_paragraphs
from qa.ingest.corpus import Article, load_corpus, read_article
from qa.ingest.formats import clear_cache, extract
from qa.ingest.sentences import sentence_spans

__all__ = [
    "Article", "Chunked", "Passage", "chunk_article", "chunk_corpus", "clear_cache", "extract", "load_corpus",
    "read_article", "sentence_spans", "split_paragraphs",
]
