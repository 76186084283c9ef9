"""An indexed corpus held in memory: articles, passages, sentences and their vector and BM25 indexes."""

from __future__ import annotations

import logging
import platform
import threading
import time
from collections import OrderedDict
from collections.abc import Callable
from dataclasses import dataclass, field
from datetime import UTC, datetime
from functools import cached_property
from importlib import metadata

import numpy as np

from embeddings import EmbeddingCache, Encoder, VectorIndex
from qa.index.lexical import BM25_B, BM25_K1, BM25_METHOD, STOPWORDS_ID, LexicalIndex, tokenize
from qa.index.manifest import FORMAT, Expected, Manifest, fingerprint
from qa.index.vectors import DEFAULT_SENTENCES, embed, plan, sentence_recipe
from qa.ingest.chunking import Chunked, Passage, chunk_warnings
from qa.ingest.corpus import Article
from qa.ingest.sentences import sentence_spans

log = logging.getLogger("qa")

# What is embedded and indexed for a passage; part of the manifest so a change forces a rebuild.
RECIPE = (
    "passage=title+section+text(joined v2);{sentences};"
    f"bm25={BM25_METHOD},k1={BM25_K1},b={BM25_B},stop={STOPWORDS_ID},title+section+text"
)


def recipe(sentences: str = DEFAULT_SENTENCES) -> str:
    """What is embedded and indexed, with a sentence mode (`Settings.sentences`)."""
    return RECIPE.format(sentences=sentence_recipe(sentences))

Progress = Callable[[str, int, int], None]


@dataclass(frozen=True)
class SentenceTable:
    """Sentences of all passages as parallel arrays: passage row, start and end within the passage text."""

    passage: np.ndarray
    start: np.ndarray
    end: np.ndarray

    def __len__(self) -> int:
        return len(self.passage)


@dataclass(frozen=True)
class BuildReport:
    """What an index build or load did: counts, and how many texts were embedded or reused."""

    articles: int
    passages: int
    dropped: int
    sentences: int
    embedded: int
    reused: int
    seconds: float
    loaded: bool = False
    reason: str = ""  # a store.LoadReason: why the index was loaded or built
    reasons: tuple[str, ...] = ()  # what was stale or damaged, in words
    saved: bool = True
    save_error: str | None = None

    def summary(self) -> str:
        """One line for the console."""
        how = "loaded saved index" if self.loaded else f"embedded {self.embedded}, reused {self.reused}"
        line = (
            f"{self.articles} articles, {self.passages} passages, {self.dropped} boilerplate paragraphs dropped, "
            f"{self.sentences} sentences; {how}; {self.seconds:.1f} s"
        )
        if not self.saved:
            line += f"; NOT saved ({self.save_error}): serving from memory"
        return line


# Token sets kept per library: a question reads a few hundred sentences, so this holds hundreds of questions' worth.
TOKEN_CACHE_SIZE = 200_000
_TOKENS_LOCK = threading.Lock()


@dataclass(frozen=True)
class Library:
    """An immutable snapshot of an indexed corpus; a change builds a new one."""

    folder: str
    chunks: tuple[Chunked, ...]
    passages: tuple[Passage, ...]
    vectors: VectorIndex
    sentences: SentenceTable
    sentence_vectors: VectorIndex
    lexical: LexicalIndex
    manifest: Manifest
    warnings: tuple[str, ...] = field(default=())

    @cached_property
    def rows(self) -> dict[str, int]:
        """Passage id to row number."""
        return {p.id: i for i, p in enumerate(self.passages)}

    @cached_property
    def articles(self) -> dict[str, Article]:
        """Article id to article, in corpus order."""
        return {c.article.doc_id: c.article for c in self.chunks}

    @cached_property
    def token_cache(self) -> OrderedDict[tuple[str, int], frozenset[str]]:
        """Stemmed tokens of sentences ("s", row) and passages ("p", row), filled as the reader asks for them, the
        least recently used dropped past TOKEN_CACHE_SIZE (a large archive's sentences would not fit)."""
        return OrderedDict()

    def tokens(self, keys: list[tuple[str, int]], texts: list[str]) -> list[frozenset[str]]:
        """The stemmed tokens of texts under their keys: a text read again soon is not tokenised again."""
        cache = self.token_cache
        with _TOKENS_LOCK:  # threads share the library; OrderedDict moves are not atomic
            found = {i: cache[key] for i, key in enumerate(keys) if key in cache}
            for i in found:
                cache.move_to_end(keys[i])
        todo = [i for i in range(len(keys)) if i not in found]
        if todo:
            for i, toks in zip(todo, tokenize([texts[i] for i in todo])):
                found[i] = frozenset(toks)
            with _TOKENS_LOCK:
                for i in todo:
                    cache[keys[i]] = found[i]
                while len(cache) > TOKEN_CACHE_SIZE:
                    cache.popitem(last=False)
        return [found[i] for i in range(len(keys))]

    @cached_property
    def idf(self) -> dict[str, float]:
        """Inverse document frequency of each indexed token over the passages (for weighting question terms)."""
        n = max(1, len(self.passages))
        return {t: float(np.log(1.0 + (n - df + 0.5) / (df + 0.5))) for t, df in self.lexical.document_frequencies().items()}

    @cached_property
    def sentence_bounds(self) -> np.ndarray:
        """Sentence rows of passage row i are sentence_bounds[i] to sentence_bounds[i + 1]."""
        return np.searchsorted(self.sentences.passage, np.arange(len(self.passages) + 1)).astype(np.int64)

    @cached_property
    def sentence_rows(self) -> list[range]:
        """For each passage row, the range of its sentences' rows."""
        bounds = self.sentence_bounds
        return [range(int(bounds[i]), int(bounds[i + 1])) for i in range(len(self.passages))]


def expected_for(chunks: list[Chunked] | tuple[Chunked, ...], model_id: str, index_type: str,
                 sentences: str = DEFAULT_SENTENCES) -> Expected:
    """The manifest values an index of these passages must carry to be reused."""
    items = (
        (p.id, p.text, p.section or "", p.article.title if p.article else "")
        for c in chunks for p in c.passages
    )
    return Expected(model_id=model_id, index_type=index_type, recipe=recipe(sentences), fingerprint=fingerprint(items))


def build_sentences(passages: tuple[Passage, ...]) -> SentenceTable:
    """Split every passage into sentences."""
    rows, starts, ends = [], [], []
    for i, p in enumerate(passages):
        for a, b in sentence_spans(p.text):
            rows.append(i)
            starts.append(a)
            ends.append(b)
    return SentenceTable(np.array(rows, np.int32), np.array(starts, np.int32), np.array(ends, np.int32))


def versions() -> dict[str, str]:
    """Versions of the libraries an index depends on."""
    out = {"python": platform.python_version()}
    for name in ("faiss-cpu", "sentence-transformers", "torch", "bm25s", "numpy", "trafilatura", "pypdf"):
        try:
            out[name] = metadata.version(name)
        except metadata.PackageNotFoundError:
            out[name] = "absent"
    return out


def _save_cache(cache: EmbeddingCache) -> None:
    """Save the embedding cache as soon as the vectors are made and drop its rows (views of the build's arrays)."""
    try:
        cache.save(release=True)
    except OSError as exc:  # the library's own save reports a folder that cannot be written; keep the rows for it
        log.debug("embedding cache not saved yet: %s", exc)


def index_chunks(
    chunks: tuple[Chunked, ...],
    folder: str,
    encoder: Encoder,
    cache: EmbeddingCache,
    *,
    index_type: str = "flat",
    progress: Progress | None = None,
    warnings: tuple[str, ...] = (),
    sentences: str = DEFAULT_SENTENCES,
) -> tuple[Library, BuildReport]:
    """Split, embed (reusing cached vectors) and index passages already cut; `sentences` is the sentence mode."""
    began = time.perf_counter()
    notes = chunk_warnings(chunks)
    for note in notes:
        log.warning("%s", note)
    warnings = tuple(warnings) + notes
    passages = tuple(p for c in chunks for p in c.passages)
    if not passages:
        log.warning("no prose paragraphs found in %s", folder)
    table = build_sentences(passages)
    rows = np.searchsorted(table.passage, np.arange(len(passages) + 1))
    plans = [plan(p, list(zip(table.start[rows[i]:rows[i + 1]].tolist(), table.end[rows[i]:rows[i + 1]].tolist())),
                  sentences) for i, p in enumerate(passages)]
    p_texts = [p.text for p in plans]
    p_vectors, s_vectors, embedded = embed(plans, encoder, cache, progress)
    _save_cache(cache)
    # Each large object is dropped once nothing needs it: the plans (every sentence's text and key) now, each vector
    # array once FAISS has its copy. A large archive's vectors are then not held twice (three times counting the
    # cache's views of them) while the indexes are built and saved.
    del plans
    lexical = LexicalIndex.build(p_texts)
    del p_texts
    vectors = VectorIndex.build(p_vectors, index_type)
    del p_vectors
    sentence_vectors = VectorIndex.build(s_vectors, index_type)
    del s_vectors
    seconds = time.perf_counter() - began
    expected = expected_for(chunks, encoder.model_id, index_type, sentences)
    manifest = Manifest(
        format=FORMAT, model_id=encoder.model_id, dim=encoder.dim, index_type=index_type, recipe=recipe(sentences),
        fingerprint=expected.fingerprint, passages=len(passages), sentences=len(table),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), build_seconds=round(seconds, 3),
        versions=versions(),
    )
    library = Library(folder, chunks, passages, vectors, table, sentence_vectors, lexical, manifest, warnings)
    report = BuildReport(
        articles=len(chunks), passages=len(passages), dropped=sum(len(c.boilerplate) for c in chunks),
        sentences=len(table), embedded=embedded, reused=len(passages) + len(table) - embedded, seconds=seconds,
    )
    return library, report
