"""BM25 over passages with bm25s: English stemming and stopwords, saved and loaded without re-tokenising."""

from __future__ import annotations

import json
import logging
import threading
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np
import Stemmer
from bm25s.stopwords import STOPWORDS_EN

from embeddings.files import IndexFileError

log = logging.getLogger("qa")

BM25_METHOD = "lucene"
BM25_K1 = 1.2
BM25_B = 0.75
_local = threading.local()
# Lucene's 33 English stopwords miss the words every question has ("why", "does", "what"); they only add noise.
STOPWORDS = sorted(set(STOPWORDS_EN) | set(["about", "above", "after", "again", "against", "all", "am", "any", "because", "been", "before", "being", "below", "between", "both", "can", "could", "did", "do", "does", "doing", "down", "during", "each", "few", "from", "further", "had", "has", "have", "having", "he", "her", "here", "hers", "herself", "him", "himself", "his", "how", "i", "its", "itself", "just", "me", "more", "most", "my", "myself", "nor", "now", "off", "once", "only", "other", "our", "ours", "ourselves", "out", "over", "own", "same", "she", "should", "so", "some", "than", "them", "themselves", "those", "through", "too", "under", "until", "up", "very", "we", "were", "what", "when", "where", "which", "while", "who", "whom", "why", "would", "you", "your", "yours", "yourself", "yourselves"]))  # noqa: E501
STOPWORDS_ID = "lucene+function-words"


def _stemmer() -> Stemmer.Stemmer:
    # PyStemmer objects keep a cache and are not thread-safe: one per thread.
    stemmer = getattr(_local, "stemmer", None)
    if stemmer is None:
        stemmer = _local.stemmer = Stemmer.Stemmer("english")
    return stemmer


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """Lower-cased, stopword-free, stemmed tokens of each text (the same for passages and questions)."""
    return bm25s.tokenize(list(texts), stopwords=STOPWORDS, stemmer=_stemmer().stemWords, return_ids=False, show_progress=False)


class LexicalIndex:
    """A BM25 index whose rows are passage numbers 0..n-1."""

    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        """Wrap a built or loaded bm25s retriever of `size` documents."""
        self._bm25 = retriever
        self.size = size

    @classmethod
    def build(cls, texts: Sequence[str], *, k1: float = BM25_K1, b: float = BM25_B, method: str = BM25_METHOD) -> LexicalIndex:
        """Tokenise and index `texts`."""
        retriever = bm25s.BM25(k1=k1, b=b, method=method)
        # bm25s cannot index an empty corpus; a single empty document gives the same (zero) scores.
        tokens = tokenize(texts) if texts else [[]]
        retriever.index(tokens, show_progress=False)
        return cls(retriever, len(texts))

    def scores(self, question: str) -> np.ndarray:
        """BM25 score of every row for a question (zeros when no question word is in the index)."""
        tokens = [t for t in tokenize([question])[0] if t in self._bm25.vocab_dict]
        if not tokens or self.size == 0:
            return np.zeros(self.size, dtype=np.float32)
        return np.asarray(self._bm25.get_scores(tokens), dtype=np.float32)[: self.size]

    def document_frequencies(self) -> dict[str, int]:
        """How many rows hold each token (read off the index's own postings, nothing re-tokenised)."""
        counts = np.diff(np.asarray(self._bm25.scores["indptr"]))
        return {token: int(counts[i]) for token, i in self._bm25.vocab_dict.items() if i < len(counts) and token}

    def save(self, folder: str | Path) -> None:
        """Write the index files into `folder` (the caller makes the folder's arrival atomic)."""
        folder = Path(folder)
        folder.mkdir(parents=True, exist_ok=True)
        self._bm25.save(str(folder), show_progress=False)
        (folder / "size.json").write_text(json.dumps({"size": self.size}))

    @classmethod
    def load(cls, folder: str | Path) -> LexicalIndex:
        """Read an index written by `save`; a damaged one raises IndexFileError."""
        try:
            size = int(json.loads((Path(folder) / "size.json").read_text())["size"])
            retriever = bm25s.BM25.load(str(folder), mmap=False, show_progress=False, allow_pickle=False)
        except (OSError, ValueError, KeyError, TypeError, EOFError, RecursionError) as exc:
            raise IndexFileError(f"{folder}: the BM25 index cannot be read ({exc})") from exc
        return cls(retriever, size)
