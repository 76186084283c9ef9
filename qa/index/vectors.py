"""Passage and sentence vectors for an index build: one encoder pass per passage, its sentences pooled from it.

A sentence's vector is the mean of its passage's token vectors over the sentence's characters (embeddings.spans), so
a build encodes each passage once instead of encoding every sentence again. A sentence the encoder did not read
(past the model's token limit) or cannot place in the embedded passage text is encoded on its own.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

import numpy as np

from embeddings import EmbeddingCache, Encoder
from embeddings.cache import text_key
from embeddings.encoder import PROGRESS_MIN_TEXTS
from embeddings.spans import locate
from qa.ingest.chunking import Passage
from qa.text import normalize

Progress = Callable[[str, int, int], None]
# Passages encoded between two checkpoints of the embedding cache: a build killed at any point loses at most these.
CHECKPOINT_TEXTS = 1024
# How a sentence vector is made: "alone", a second encoder pass over each sentence by itself (the default), or
# "pooled", from the passage's own pass (no second pass; see BENCHMARKS.md "Scale" for what each costs and scores).
SENTENCE_MODES = ("alone", "pooled")
DEFAULT_SENTENCES = "alone"
_RECIPES = {"alone": "sentence=text",
            "pooled": "sentence=mean of the passage's token vectors over the sentence (alone when cut or not found) v1"}


def sentence_recipe(mode: str = DEFAULT_SENTENCES) -> str:
    """The part of the index recipe that says how sentence vectors are made (a change rebuilds saved indexes)."""
    return _RECIPES[mode]


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
    """A sentence of a passage as it is encoded when encoded on its own."""
    return normalize(p.text[start:end])


@dataclass(frozen=True)
class PassagePlan:
    """What one passage needs encoded: its text and key, and per sentence a cache key, a span in that text (None:
    encoded alone) and the sentence's own text."""

    text: str
    key: str
    sentence_keys: tuple[str, ...]
    spans: tuple[tuple[int, int] | None, ...]
    sentences: tuple[str, ...]

    def all_keys(self) -> list[str]:
        """The passage's key, then its sentences'."""
        return [self.key, *self.sentence_keys]


def plan(p: Passage, spans: Sequence[tuple[int, int]], mode: str = DEFAULT_SENTENCES) -> PassagePlan:
    """The plan of a passage whose sentences are at `spans` of p.text, for a sentence mode (`Settings.sentences`)."""
    text = passage_text(p)
    key = text_key(text)
    sentences = tuple(sentence_text(p, a, b) for a, b in spans)
    if mode == "alone":
        return PassagePlan(text, key, tuple(text_key(t) for t in sentences), (None,) * len(sentences), sentences)
    body = normalize(p.text)
    placed = locate(text, sentences, len(text) - len(body) if text.endswith(body) else 0)
    keys = tuple(text_key(f"span\x1f{key}\x1f{s[0]}:{s[1]}") if s else text_key(t) for s, t in zip(placed, sentences))
    return PassagePlan(text, key, keys, tuple(placed), sentences)


def encode_plans(encoder: Encoder, plans: Sequence[PassagePlan], progress: Callable[[int, int], None] | None = None,
                 known: set[tuple[int, int]] | frozenset = frozenset()) -> tuple[np.ndarray, list[np.ndarray]]:
    """(passage vectors, each passage's sentence vectors): one pass over the passages (pooling the sentences that
    have a span), then the other sentences encoded alone, except those `known` (plan, sentence) ones (left NaN)."""
    spans = [[s for s in p.spans if s is not None] for p in plans]
    vectors, pooled = encoder.encode_spans([p.text for p in plans], spans, progress=progress, show_progress=False)
    out: list[np.ndarray] = []
    alone: list[tuple[int, int]] = []
    for i, p in enumerate(plans):
        rows = np.full((len(p.spans), encoder.dim), np.nan, dtype=np.float32)
        placed = [j for j, s in enumerate(p.spans) if s is not None]
        if placed:
            rows[placed] = pooled[i]
        alone.extend((i, j) for j in range(len(p.spans)) if np.isnan(rows[j, 0]) and (i, j) not in known)
        out.append(rows)
    if alone:
        fresh = encoder.encode([plans[i].sentences[j] for i, j in alone], show_progress=False)
        for (i, j), vector in zip(alone, fresh):
            out[i][j] = vector
    return vectors, out


def embed(plans: Sequence[PassagePlan], encoder: Encoder, cache: EmbeddingCache, progress: Progress | None
          ) -> tuple[np.ndarray, np.ndarray, int]:
    """(passage vectors, sentence vectors in passage order, vectors made): cached ones looked up, the passages
    missing any encoded in parts, each part checkpointed into the cache so a killed build resumes after it."""
    p_vectors, p_missing = cache.lookup([p.key for p in plans])
    s_keys = [k for p in plans for k in p.sentence_keys]
    s_vectors, s_missing = cache.lookup(s_keys)
    starts = np.cumsum([0] + [len(p.sentence_keys) for p in plans])
    owner = np.repeat(np.arange(len(plans)), np.diff(starts))
    todo = sorted(set(p_missing) | {int(owner[i]) for i in s_missing})
    if not todo:
        return p_vectors, s_vectors, 0
    missing = set(p_missing)
    s_missing_set = set(s_missing)
    bar = None
    if progress is None and len(todo) >= PROGRESS_MIN_TEXTS:
        from tqdm.auto import tqdm

        bar = tqdm(total=len(todo), desc="embedding passages", unit="passage", mininterval=1.0)  # rate and ETA
    made = 0
    try:
        for start in range(0, len(todo), CHECKPOINT_TEXTS):
            part = todo[start:start + CHECKPOINT_TEXTS]

            def report(done: int, _total: int, before: int = start) -> None:
                if progress is not None:
                    progress("embedding passages", before + done, len(todo))
                if bar is not None:
                    bar.update(before + done - bar.n)

            known = {(n, j) for n, i in enumerate(part) for j in range(len(plans[i].spans))
                     if int(starts[i]) + j not in s_missing_set}
            vectors, sentences = encode_plans(encoder, [plans[i] for i in part], report, known)
            keys, rows = [], []
            for n, (i, v, s) in enumerate(zip(part, vectors, sentences)):
                # The cache is given views of the rows just filled in, so it holds no second copy of the vectors.
                if i in missing:
                    p_vectors[i] = v
                    keys.append(plans[i].key)
                    rows.append(p_vectors[i])
                for j, key in enumerate(plans[i].sentence_keys):
                    if (n, j) not in known:
                        s_vectors[starts[i] + j] = s[j]
                        keys.append(key)
                        rows.append(s_vectors[starts[i] + j])
            cache.put(keys, rows)
            made += len(keys)
            if len(todo) > CHECKPOINT_TEXTS:
                cache.checkpoint()
    finally:
        if bar is not None:
            bar.close()
    return p_vectors, s_vectors, made
