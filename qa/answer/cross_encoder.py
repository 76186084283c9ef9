"""The trained reader: a cross-encoder that reads (question, sentence) pairs, its logit fitted with the built-in signals.

The shipped one (`models/reader/`, trained by `python -m qa train-reader`) runs on onnxruntime without torch; a user's
sentence-transformers CrossEncoder folder (`--reader DIR`) is run through sentence-transformers.
"""

from __future__ import annotations

import math
import os
import threading
from collections.abc import Collection, Sequence
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

from qa.answer.reader import FEATURES, Candidate, logistic
from qa.answer.result import Status
from qa.errors import UserError, setting_name
from qa.text import parse_json

SHIPPED = Path(__file__).resolve().parents[2] / "models" / "reader"
BUILTIN = "builtin"
FIT_FILE = "reader.json"
MODEL_FILE = "model.onnx"
# How an exported model reads (written by train-reader's export): {"context": bool, "max_length": int}.
READING_FILE = "reading.json"
# A user's CrossEncoder, which has no fit of its own: its probability and the built-in score, weighted.
MODEL_WEIGHT = 0.7
# Threads of the model's session: two halve a question's 16 pairs' time (110 ms p50 on one), and the session's lock
# keeps concurrent questions from piling up threads.
THREADS = 2
# Between a sentence and the one before it when a reader reads sentences in context: BERT's own separator.
CONTEXT_SEPARATOR = " [SEP] "


def in_context(sentence: str, before: str) -> str:
    """What a reader trained with context reads for a sentence: the sentence, then the one before it in its paragraph.

    The sentence comes first so that a long pair loses its context, not the sentence, to the token limit."""
    return f"{sentence}{CONTEXT_SEPARATOR}{before}" if before else sentence


@dataclass(frozen=True)
class Fit:
    """How the model's logit joins the built-in features (fitted by bench/reader_fit.py), and what the best score decides."""

    weights: tuple[float, ...]  # over FEATURES, then the model's logit
    bias: float
    answered: float  # the answerability at or above which the question is answered
    abstain: float  # below which it is not in the sources; between the two, partial
    rescored: int = 16  # how many of the built-in reader's best sentences the model reads
    max_length: int = 96
    # The question's answerability from (the best sentence's log-odds, the model's strongest logit, bias); without it,
    # the best sentence's probability itself.
    verdict: tuple[float, float, float] | None = None

    @classmethod
    def from_dict(cls, data: dict) -> Fit:
        """A Fit from reader.json; ValueError when a field is missing or its weights do not match FEATURES."""
        weights = tuple(float(w) for w in data["weights"])
        if len(weights) != len(FEATURES) + 1:
            raise ValueError(f"{len(weights)} weights for {len(FEATURES)} features and the model")
        verdict = data.get("verdict")
        if verdict is not None and len(verdict) != 3:
            raise ValueError(f"verdict has {len(verdict)} numbers, not 3 (two weights and a bias)")
        return cls(weights, float(data["bias"]), float(data["answered"]), float(data["abstain"]),
                   int(data.get("rescored", 16)), int(data.get("max_length", 96)),
                   None if verdict is None else (float(verdict[0]), float(verdict[1]), float(verdict[2])))

    def probability(self, features: Sequence[float], logit: float) -> float:
        """The probability that a sentence answers, from its built-in features and the model's logit."""
        return logistic(float(np.dot(self.weights[:-1], features)) + self.weights[-1] * logit + self.bias)

    def answerability(self, best: float, strongest: float) -> float:
        """The probability that the sources answer the question, from its best sentence's probability and the model's
        strongest logit over the sentences it read."""
        if self.verdict is None:
            return best
        a, b, c = self.verdict
        return logistic(a * log_odds(best) + b * strongest + c)

    def decide(self, answerability: float) -> Status:
        """Answered, partial or not in the sources for a question's answerability."""
        if answerability >= self.answered:
            return Status.ANSWERED
        return Status.PARTIAL if answerability >= self.abstain else Status.NOT_IN_SOURCES


def log_odds(p: float) -> float:
    """The log-odds of a probability, kept finite."""
    p = min(max(p, 1e-9), 1 - 1e-9)
    return math.log(p / (1 - p))


class OnnxCrossEncoder:
    """A cross-encoder exported to ONNX with its tokenizer.json: (question, sentence) pairs in, logits out."""

    def __init__(self, folder: Path, max_length: int = 96, threads: int = 1) -> None:
        """Open the tokenizer and an inference session on `threads` threads; a UserError naming the folder if broken."""
        import onnxruntime as ort
        from tokenizers import Tokenizer

        try:
            self.tokenizer = Tokenizer.from_file(str(folder / "tokenizer.json"))
            options = ort.SessionOptions()
            options.intra_op_num_threads = threads
            options.inter_op_num_threads = 1
            options.log_severity_level = 3
            self.session = ort.InferenceSession(str(folder / MODEL_FILE), options, providers=["CPUExecutionProvider"])
        except Exception as exc:
            raise UserError(f"reader model {folder} cannot be opened ({type(exc).__name__}: {str(exc)[:160]}): "
                            "it needs model.onnx and tokenizer.json (python -m qa train-reader writes both), "
                            f"or set {setting_name('reader')} to builtin") from exc
        self.tokenizer.enable_truncation(max_length=max_length)
        pad = self.tokenizer.token_to_id("[PAD]")
        self.tokenizer.enable_padding(pad_id=0 if pad is None else int(pad), pad_token="[PAD]")
        self.inputs = {i.name for i in self.session.get_inputs()}
        self.lock = threading.Lock()  # one run at a time: the session's threads are the budget

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """The model's logit that each sentence answers the question, all pairs in one run.

        One run, as reader.json was fitted: the int8 model scales its activations per run, so a pair's logit moves a
        little with the pairs beside it (run one pair at a time, the news figures moved by up to 0.04; BENCHMARKS.md).
        """
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        encodings = self.tokenizer.encode_batch([(question, s) for s in sentences])
        feeds = {"input_ids": np.array([e.ids for e in encodings], dtype=np.int64),
                 "attention_mask": np.array([e.attention_mask for e in encodings], dtype=np.int64),
                 "token_type_ids": np.array([e.type_ids for e in encodings], dtype=np.int64)}
        with self.lock:
            out = self.session.run(None, {k: v for k, v in feeds.items() if k in self.inputs})[0]
        return np.asarray(out, dtype=np.float32).reshape(len(sentences), -1)[:, -1]


class SentenceTransformersCrossEncoder:
    """A user's sentence-transformers CrossEncoder (torch), loaded offline from a folder or the local cache."""

    def __init__(self, name_or_path: str) -> None:
        """Load the model offline; a UserError naming the setting when it cannot be loaded."""
        from sentence_transformers import CrossEncoder  # loaded only when such a reader is asked for

        try:
            self.model = CrossEncoder(name_or_path, device="cpu", local_files_only=True)
        except Exception as exc:
            raise UserError(f"reader model {name_or_path!r} cannot be loaded as a sentence-transformers CrossEncoder "
                            f"({type(exc).__name__}: {str(exc)[:160]}): set {setting_name('reader')} to a CrossEncoder's "
                            "folder, or to builtin") from exc

    def logits(self, question: str, sentences: Sequence[str]) -> np.ndarray:
        """The model's score for each sentence, as a logit."""
        if not sentences:
            return np.zeros(0, dtype=np.float32)
        raw = self.model.predict([(question, s) for s in sentences], show_progress_bar=False, convert_to_numpy=True)
        values = np.asarray(raw, dtype=np.float64).reshape(len(sentences), -1)[:, -1]
        if ((values >= 0) & (values <= 1)).all():  # a model ending in a sigmoid: back to logits
            values = np.log(np.clip(values, 1e-6, 1 - 1e-6) / np.clip(1 - values, 1e-6, 1))
        return values.astype(np.float32)


def read_reading(folder: Path, fit: Fit | None) -> tuple[bool, int]:
    """How a model folder's model reads (context, token limit): its reading.json, else as the fit says (an export
    from before reading.json: no context); a UserError naming the file when it is broken or disagrees with the fit."""
    if not (folder / READING_FILE).exists():
        return False, fit.max_length if fit else 96
    try:
        reading = parse_json((folder / READING_FILE).read_text())
        context, max_length = reading["context"], reading["max_length"]
        if not isinstance(context, bool) or not isinstance(max_length, int):
            raise TypeError("context must be true or false, max_length a whole number")
    except (OSError, ValueError, KeyError, TypeError) as exc:
        raise UserError(f"{folder / READING_FILE} does not say how the model reads ({exc}): export the model again "
                        f"with python -m qa train-reader, or set {setting_name('reader')} to builtin") from None
    if fit is not None and fit.max_length != max_length:
        raise UserError(f"{folder / READING_FILE} reads {max_length} tokens but {folder / FIT_FILE} was fitted at "
                        f"{fit.max_length}: fit it again with python bench/reader_fit.py --write")
    return context, max_length


class ReaderModel:
    """A cross-encoder reader and its fit: rescores the built-in reader's best sentences and decides the status."""

    def __init__(self, name_or_path: str | Path = SHIPPED) -> None:
        """The shipped reader, an exported folder (model.onnx, tokenizer.json, reader.json) or a user's CrossEncoder."""
        folder = Path(name_or_path).expanduser()
        if folder.exists() and not folder.is_dir():
            raise UserError(f"reader model {folder} is a file, not a model folder ({setting_name('reader')})")
        self.fit: Fit | None = None
        if (folder / FIT_FILE).exists():
            try:
                self.fit = Fit.from_dict(parse_json((folder / FIT_FILE).read_text()))
            except (OSError, ValueError, KeyError, TypeError) as exc:
                raise UserError(f"{folder / FIT_FILE} is not a reader fit ({exc}); fit it again with "
                                f"python bench/reader_fit.py --write, or set {setting_name('reader')} to builtin") from None
        self.context, self.max_length = read_reading(folder, self.fit)
        if (folder / MODEL_FILE).exists():
            self.model: OnnxCrossEncoder | SentenceTransformersCrossEncoder = OnnxCrossEncoder(
                folder, self.max_length, threads=min(THREADS, os.cpu_count() or 1))
        elif folder == SHIPPED:
            raise UserError(f"the shipped reader is missing ({folder / MODEL_FILE}): restore models/reader/ from the "
                            f"repository, or set {setting_name('reader')} to builtin")
        else:
            self.model = SentenceTransformersCrossEncoder(str(folder) if folder.exists() else str(name_or_path))
        self.name = "models/reader" if folder == SHIPPED else str(folder if folder.exists() else name_or_path)

    @property
    def rescored(self) -> int:
        """How many of the built-in reader's best sentences the model reads."""
        return self.fit.rescored if self.fit else 16

    def logits(self, question: str, sentences: Sequence[str], before: Sequence[str]) -> np.ndarray:
        """The model's logit for each sentence (with the sentence before it in its paragraph, if it was trained so)."""
        return self.model.logits(question, [in_context(s, b) for s, b in zip(sentences, before)] if self.context
                                 else list(sentences))

    def candidate_logits(self, question: str, candidates: Sequence[Candidate]) -> np.ndarray:
        """The model's logit for each candidate sentence, read as `logits` reads it."""
        return self.logits(question, [c.text for c in candidates], [c.before for c in candidates])

    def read(self, question: str, pool: Sequence[Candidate], also: Collection[int] = ()) -> tuple[list[Candidate], Status | None]:
        """The sentences rescored, best first, and what the fit decides for the question (None without a fit).

        `also`: sentence rows the model reads as well, past its usual number (the items of a list an article gives);
        in a run of their own, so that the usual sentences' scores and the verdict are as fitted.
        """
        head = list(pool[:self.rescored])
        extra = [c for c in pool[self.rescored:] if c.row in also]
        logits = self.candidate_logits(question, head)
        read = self._rescored(head, logits)
        scored = read
        if extra:
            scored = read + self._rescored(extra, self.candidate_logits(question, extra))
            scored.sort(key=lambda c: (-c.score, c.passage.id, c.start))
        ranked = scored + self._unread([c for c in pool[self.rescored:] if c.row not in also], scored, logits)
        if self.fit is None or not read:
            return ranked, None
        strongest = float(logits.max()) if len(logits) else -40.0
        return ranked, self.fit.decide(self.fit.answerability(max(c.score for c in read), strongest))

    def _rescored(self, read: Sequence[Candidate], logits: np.ndarray) -> list[Candidate]:
        # The read sentences by their new score.
        if self.fit is None:
            out = [replace(c, score=MODEL_WEIGHT * logistic(float(z)) + (1 - MODEL_WEIGHT) * c.score)
                   for c, z in zip(read, logits)]
        else:
            out = [replace(c, score=self.fit.probability(c.features, float(z))) for c, z in zip(read, logits)]
        out.sort(key=lambda c: (-c.score, c.passage.id, c.start))
        return out

    def _unread(self, tail: Sequence[Candidate], head: Sequence[Candidate], logits: np.ndarray) -> list[Candidate]:
        # Unread sentences, below those read: as if the model found them no better than the least of those it read.
        if self.fit is None or not head:
            return list(tail)
        fit = self.fit
        floor = float(logits.min()) if len(logits) else 0.0
        least = min(h.score for h in head)
        return [replace(c, score=min(fit.probability(c.features, floor), least)) for c in tail]


def load_reader(setting: str | None) -> ReaderModel | None:
    """The reader the reader setting names: the shipped one by default, None for "builtin", else a folder or name."""
    if setting is None or setting.strip() == "" or setting == "trained":
        return ReaderModel(SHIPPED) if (SHIPPED / MODEL_FILE).exists() else None
    if setting == BUILTIN:
        return None
    return ReaderModel(setting)

