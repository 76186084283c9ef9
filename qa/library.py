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
from embeddings.cache import text_key
from embeddings.encoder import PROGRESS_MIN_TEXTS
from qa.chunking import Chunked, Passage, chunk_corpus, chunk_warnings
from qa.corpus import Article, Corpus
from qa.lexical import BM25_B, BM25_K1, BM25_METHOD, STOPWORDS_ID, LexicalIndex, tokenize
from qa.manifest import FORMAT, Expected, Manifest, fingerprint
from qa.sentences import sentence_spans
from qa.text import normalize

log = logging.getLogger("qa")

# What is embedded and indexed for a passage; part of the manifest so a change forces a rebuild.
RECIPE = (
    f"passage=title+section+text(joined v2);sentence=text;"
    f"bm25={BM25_METHOD},k1={BM25_K1},b={BM25_B},stop={STOPWORDS_ID},title+section+text"
)

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
    def sentence_rows(self) -> list[range]:
        """For each passage row, the range of its sentences' rows."""
        bounds = np.searchsorted(self.sentences.passage, np.arange(len(self.passages) + 1))
        return [range(int(bounds[i]), int(bounds[i + 1])) for i in range(len(self.passages))]


def _join(head: str, tail: str) -> str:
    """Two texts as one, with a full stop between them unless the first already ends a sentence."""
    if not head:
        return tail
    return f"{head} {tail}" if head.rstrip()[-1:] in ".!?:" else f"{head}. {tail}"


def passage_text(p: Passage) -> str:
    """What is embedded and BM25-indexed for a passage: its article title and section give it context."""
    head = _join(p.article.title if p.article else "", p.section or "")
    return normalize(_join(head, p.text))


def sentence_text(p: Passage, start: int, end: int) -> str:
    """What is embedded for one sentence of a passage."""
    return normalize(p.text[start:end])


def expected_for(chunks: list[Chunked] | tuple[Chunked, ...], model_id: str, index_type: str) -> Expected:
    """The manifest values an index of these passages must carry to be reused."""
    items = (
        (p.id, p.text, p.section or "", p.article.title if p.article else "")
        for c in chunks for p in c.passages
    )
    return Expected(model_id=model_id, index_type=index_type, recipe=RECIPE, fingerprint=fingerprint(items))


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


# Texts encoded between two checkpoints of the embedding cache: a build killed at any point loses at most this many.
CHECKPOINT_TEXTS = 2048


def _embed(texts: list[str], encoder: Encoder, cache: EmbeddingCache, progress: Progress | None, desc: str) -> tuple[np.ndarray, int]:
    """Vectors of `texts`: cached ones looked up, the rest encoded in parts, each checkpointed into the cache."""
    keys = [text_key(t) for t in texts]
    vectors, missing = cache.lookup(keys)
    if not missing:
        return vectors, 0
    bar = None
    if progress is None and len(missing) >= PROGRESS_MIN_TEXTS:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(missing), desc=desc, unit="text", mininterval=1.0)  # rate and ETA on stderr
    try:
        for start in range(0, len(missing), CHECKPOINT_TEXTS):
            part = missing[start:start + CHECKPOINT_TEXTS]

            def report(done: int, _total: int, before: int = start) -> None:
                if progress is not None:
                    progress(desc, before + done, len(missing))
                if bar is not None:
                    bar.update(before + done - bar.n)

            fresh = encoder.encode([texts[i] for i in part], progress=report, show_progress=False, desc=desc)
            vectors[part] = fresh
            cache.put([keys[i] for i in part], fresh)
            if len(missing) > CHECKPOINT_TEXTS:
                cache.checkpoint()
    finally:
        if bar is not None:
            bar.close()
    return vectors, len(missing)


def build_library(
    corpus: Corpus,
    encoder: Encoder,
    cache: EmbeddingCache,
    *,
    index_type: str = "flat",
    progress: Progress | None = None,
    max_paragraphs: int | None = None,
) -> tuple[Library, BuildReport]:
    """Chunk, split, embed (reusing cached vectors) and index a corpus."""
    chunks = chunk_corpus(corpus, max_paragraphs)
    return index_chunks(chunks, corpus.folder, encoder, cache, index_type=index_type, progress=progress,
                        warnings=corpus.warnings)


def index_chunks(
    chunks: tuple[Chunked, ...],
    folder: str,
    encoder: Encoder,
    cache: EmbeddingCache,
    *,
    index_type: str = "flat",
    progress: Progress | None = None,
    warnings: tuple[str, ...] = (),
) -> tuple[Library, BuildReport]:
    """Split, embed (reusing cached vectors) and index passages that are already cut (e.g. BEIR documents)."""
    began = time.perf_counter()
    notes = chunk_warnings(chunks)
    for note in notes:
        log.warning("%s", note)
    warnings = tuple(warnings) + notes
    passages = tuple(p for c in chunks for p in c.passages)
    if not passages:
        log.warning("no prose paragraphs found in %s", folder)
    sentences = build_sentences(passages)
    p_texts = [passage_text(p) for p in passages]
    s_texts = [sentence_text(passages[r], a, b) for r, a, b in zip(sentences.passage, sentences.start, sentences.end)]
    p_vectors, p_new = _embed(p_texts, encoder, cache, progress, "embedding passages")
    s_vectors, s_new = _embed(s_texts, encoder, cache, progress, "embedding sentences")
    lexical = LexicalIndex.build(p_texts)
    vectors = VectorIndex.build(p_vectors, index_type)
    sentence_vectors = VectorIndex.build(s_vectors, index_type)
    seconds = time.perf_counter() - began
    expected = expected_for(chunks, encoder.model_id, index_type)
    manifest = Manifest(
        format=FORMAT, model_id=encoder.model_id, dim=encoder.dim, index_type=index_type, recipe=RECIPE,
        fingerprint=expected.fingerprint, passages=len(passages), sentences=len(sentences),
        built_at=datetime.now(UTC).isoformat(timespec="seconds"), build_seconds=round(seconds, 3),
        versions=versions(),
    )
    library = Library(folder, chunks, passages, vectors, sentences, sentence_vectors, lexical, manifest, warnings)
    embedded = p_new + s_new
    report = BuildReport(
        articles=len(chunks), passages=len(passages), dropped=sum(len(c.boilerplate) for c in chunks),
        sentences=len(sentences), embedded=embedded, reused=len(p_texts) + len(s_texts) - embedded, seconds=seconds,
    )
    return library, report
