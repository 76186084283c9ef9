"""Vectors of parts of a text from the one encoder pass over the whole: the mean of its token vectors over each span.

A passage's sentences get their vectors this way instead of a second encoder pass of their own (each token vector has
seen the whole passage, so a sentence's vector carries its context). A span the model never read, because the text
was cut at the model's token limit, comes back as a row of NaN for the caller to encode on its own.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

Span = tuple[int, int]


def pool_spans(hidden: np.ndarray, offsets: Sequence[Span], special: Sequence[int], spans: Sequence[Span]) -> np.ndarray:
    """Unit vectors (len(spans), dim): the mean of `hidden`'s token rows whose characters overlap each span.

    `hidden` (tokens, dim) are one text's token vectors, `offsets` their character spans in the text and `special`
    1 for [CLS], [SEP] and padding (left out). A span past the last token read (the text was truncated) is NaN.
    """
    out = np.full((len(spans), hidden.shape[1]), np.nan, dtype=np.float32)
    if not len(spans):
        return out
    bounds = np.asarray(offsets, dtype=np.int64).reshape(-1, 2)
    n = min(len(bounds), hidden.shape[0])
    starts, ends = bounds[:n, 0], bounds[:n, 1]
    real = (np.asarray(special[:n]) == 0) & (ends > starts)
    if not real.any():
        return out
    read_to = int(ends[real].max())
    for j, (a, b) in enumerate(spans):
        if b > read_to:
            continue
        rows = real & (starts < b) & (ends > a)
        if rows.any():
            vector = hidden[:n][rows].mean(axis=0)
            out[j] = vector / max(float(np.linalg.norm(vector)), 1e-12)
    return out


def locate(text: str, parts: Sequence[str], start: int = 0) -> list[Span | None]:
    """Where each of `parts` occurs in `text`, in order from `start` (None for a part not found after the previous)."""
    found: list[Span | None] = []
    cursor = start
    for part in parts:
        at = text.find(part, cursor) if part else -1
        if at < 0:
            found.append(None)
            continue
        found.append((at, at + len(part)))
        cursor = at + len(part)
    return found


def torch_token_vectors(model, texts: list[str], batch_size: int,
                        max_tokens: int) -> list[tuple[np.ndarray, list[Span], list[int]]]:
    """(token vectors, character offsets, special-token mask) of each text from a sentence-transformers model."""
    outputs = model.encode(texts, batch_size=batch_size, output_value="token_embeddings", convert_to_numpy=False,
                           show_progress_bar=False)
    enc = model.tokenizer(texts, return_offsets_mapping=True, return_special_tokens_mask=True, truncation=True,
                          max_length=max_tokens, verbose=False)
    return [(out.float().cpu().numpy(), [tuple(o) for o in offsets], list(special))
            for out, offsets, special in zip(outputs, enc["offset_mapping"], enc["special_tokens_mask"])]
