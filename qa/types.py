"""The value types the public API returns or takes, for type hints: import them from here, not from their modules."""

from qa.answer import AnswerSentence
from qa.chunking import Chunked as ArticleView
from qa.chunking import Dropped, Passage
from qa.conversation import Turn
from qa.corpus import Article, Document
from qa.ingest.uploads import Upload, UploadStatus
from qa.library import BuildReport, Progress
from qa.question import Question
from qa.store import LoadReason
from qa.verify import Verification

__all__ = [
    "AnswerSentence", "Article", "ArticleView", "BuildReport", "Document", "Dropped", "LoadReason", "Passage",
    "Progress", "Question", "Turn", "Upload", "UploadStatus", "Verification",
]
