"""Answer: a question read, the hits' sentences scored, and the cited, extractive answer composed and verified.

Internal to the library, except the names below: bench/reader_fit.py fits the reader on its features (the candidate
sentences gathered and read as the engine reads them, with the trained model's logit) and writes the fit, so they stay
importable from `qa.answer` (a change to one is a change to that script); bench/reader_context.py opens the model
itself (OnnxCrossEncoder) to read the candidates (Candidate) with their context at a longer token limit.
"""

from qa.answer.conversation import Turn
from qa.answer.cross_encoder import FIT_FILE, Fit, OnnxCrossEncoder, ReaderModel
from qa.answer.pipeline import analyses, gather
from qa.answer.question import analyze
from qa.answer.reader import BIAS, FEATURES, WEIGHTS, Candidate, read, reading_depth

__all__ = [
    "BIAS", "FEATURES", "FIT_FILE", "WEIGHTS", "Candidate", "Fit", "OnnxCrossEncoder", "ReaderModel", "Turn",
    "analyses", "analyze", "gather", "read", "reading_depth",
]
