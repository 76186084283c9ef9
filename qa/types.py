"""The value types the public API returns or takes, for type hints: import them from here, not from their modules."""

from qa.answer.conversation import Turn
from qa.answer.question import Question
from qa.answer.result import AnswerSentence
from qa.answer.verify import Verification
from qa.index.library import BuildReport, Progress
from qa.index.store import LoadReason
from qa.ingest.chunking import Chunked as ArticleView
from qa.ingest.chunking import Dropped, Passage
from qa.ingest.corpus import Article, Document
from qa.ingest.uploads import Upload, UploadStatus

__all__ = [
    "AnswerSentence", "Article", "ArticleView", "BuildReport", "Document", "Dropped", "LoadReason", "Passage",
    "Progress", "Question", "Turn", "Upload", "UploadStatus", "Verification",
]
