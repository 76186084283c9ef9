"""sourceqa: ask questions of a folder of articles; answers are the articles' own sentences, each cited."""

from qa.answer import Answer, AnswerSentence, Citation
from qa.chunking import Chunked, Dropped, Passage, chunk_article
from qa.conversation import Turn
from qa.corpus import Article, Corpus, load_corpus, read_source
from qa.engine import Engine, Question, ask, default_engine, open_engine
from qa.errors import UserError
from qa.library import BuildReport, Library
from qa.retrieve import Filters, Hit
from qa.settings import MODES, Settings
from qa.uploads import Upload
from qa.verify import Verification, verify

__all__ = [
    "MODES", "Answer", "AnswerSentence", "Article", "BuildReport", "Chunked", "Citation", "Corpus", "Dropped",
    "Engine", "Filters", "Hit", "Library", "Passage", "Question", "Settings", "Turn", "Upload", "UserError",
    "Verification", "ask", "chunk_article", "default_engine", "load_corpus", "open_engine", "read_source", "verify",
]
