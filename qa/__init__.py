"""sourceqa: ask questions of a folder of articles; answers are the articles' own sentences, each cited."""

from qa.chunking import Chunked, Dropped, Passage, chunk_article
from qa.corpus import Article, Corpus, load_corpus, read_source
from qa.engine import Engine, Question, Upload, open_engine
from qa.errors import UserError
from qa.library import BuildReport, Library
from qa.retrieve import Filters, Hit
from qa.settings import MODES, Settings

__all__ = [
    "MODES", "Article", "BuildReport", "Chunked", "Corpus", "Dropped", "Engine", "Filters", "Hit", "Library",
    "Passage", "Question", "Settings", "Upload", "UserError", "chunk_article", "load_corpus", "open_engine",
    "read_source",
]
