"""An optional reader model: a sentence-transformers CrossEncoder that rescores the built-in reader's best sentences."""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import replace
from pathlib import Path

from qa.errors import UserError
from qa.reader import Candidate

# The model reads the built-in reader's best sentences only: a cross-encoder costs one forward pass per pair.
RESCORED = 16
# Beside the built-in score, not in place of it: the model's probability and the reader's, weighted.
MODEL_WEIGHT = 0.7


class ReaderModel:
    """A CrossEncoder scoring (question, sentence) pairs; its probability is blended with the built-in score."""

    def __init__(self, name_or_path: str) -> None:
        """Load the model offline; a UserError naming the setting when it cannot be loaded."""
        from sentence_transformers import CrossEncoder  # loaded only when a reader model is asked for

        folder = Path(name_or_path).expanduser()
        where = str(folder) if folder.exists() else name_or_path  # a folder, or a name already in the local cache
        if folder.exists() and not folder.is_dir():
            raise UserError(f"reader model {folder} is a file, not a model folder (--reader / SOURCEQA_READER)")
        try:
            self.model = CrossEncoder(where, device="cpu", local_files_only=True)
        except Exception as exc:
            raise UserError(f"reader model {where!r} cannot be loaded as a sentence-transformers CrossEncoder "
                            f"({type(exc).__name__}: {str(exc)[:160]}): download one (e.g. "
                            "cross-encoder/ms-marco-MiniLM-L6-v2) and pass its folder with --reader DIR or "
                            "SOURCEQA_READER=DIR") from exc
        self.name = where

    def probabilities(self, question: str, sentences: Sequence[str]) -> list[float]:
        """The model's probability that each sentence answers the question."""
        if not sentences:
            return []
        raw = self.model.predict([(question, s) for s in sentences], show_progress_bar=False,
                                 convert_to_numpy=True)
        values = raw.reshape(len(sentences), -1)
        if values.shape[1] > 1:  # a two-class head: the "relevant" class
            values = values[:, -1:]
        # Models end in a logit or in a sigmoid already; a value outside 0..1 is a logit.
        return [v if 0.0 <= v <= 1.0 else 1.0 / (1.0 + math.exp(-max(-40.0, min(40.0, v))))
                for v in (float(x) for x in values[:, 0])]

    def rescore(self, question: str, pool: Sequence[Candidate]) -> list[Candidate]:
        """The reader's best sentences rescored with the model (the rest keep their built-in scores), best first."""
        head, tail = list(pool[:RESCORED]), list(pool[RESCORED:])
        probs = self.probabilities(question, [c.text for c in head])
        head = [replace(c, score=MODEL_WEIGHT * p + (1 - MODEL_WEIGHT) * c.score) for c, p in zip(head, probs)]
        return sorted(head, key=lambda c: (-c.score, c.passage.id, c.start)) + tail
