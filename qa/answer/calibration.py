"""The "not in the sources" threshold: per corpus, from generic questions it cannot answer, or fitted on labelled ones."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

import numpy as np

from qa.text import parse_json

log = logging.getLogger("qa")

LOCAL_NAME = "calibration.json"
# Questions no news archive answers, on many subjects: their best sentence cosines against a corpus are what
# "unrelated" looks like there (the null distribution), measured anew for every corpus and model, no labels needed.
GENERIC_QUESTIONS = (
    "How do I bake sourdough bread at home?", "What is the capital of Australia?", "How many players are on a cricket team?",
    "How do I reverse a linked list in Python?", "What are the early symptoms of type 2 diabetes?",
    "How far is Mars from the Sun?", "What causes a total solar eclipse?", "How long should I boil an egg?",
    "Who painted the Mona Lisa?", "What is the boiling point of mercury?", "How do I change a flat bicycle tyre?",
    "What is the difference between a virus and a bacterium?", "How many bones are in the human body?",
    "What is the best way to learn to play the guitar?", "When did the Roman Empire fall?",
    "How do I remove a red wine stain from a carpet?", "What is the Pythagorean theorem?",
    "Which planet has the most moons?", "How do you say thank you in Japanese?", "What is photosynthesis?",
    "How should a sprained ankle be treated?", "What is the plot of Hamlet?", "How do I grow tomatoes on a balcony?",
    "What is the speed of light in a vacuum?", "How does a refrigerator keep food cold?",
    "Who wrote Pride and Prejudice?", "What is the offside rule in football?", "How do I make a cup of green tea?",
    "What is a prime number?", "How do I train a puppy to sit?", "What is the tallest mountain in Africa?",
    "How does compound interest work?", "Why is the sky blue?", "What is the chemical formula of table salt?",
    "How do I knit a scarf for beginners?", "What language is spoken in Brazil?",
    "How many strings does a violin have?", "What are the rules of chess castling?",
    "How do I clean a cast iron pan?", "What do pandas eat?",
)
# The threshold sits this far above the strongest generic question's best cosine, taken at this quantile
# (a high quantile, not the maximum, so one generic question that a corpus happens to touch does not move it).
NULL_QUANTILE = 0.9
NULL_MARGIN = 0.05


def _read(path: Path) -> dict:
    try:
        data = parse_json(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def threshold_for(model_id: str, index_dir: Path | None = None) -> float | None:
    """A threshold fitted on labelled questions and saved in the index folder (`calibrate --save`), if any."""
    if index_dir is None:
        return None
    entry = _read(index_dir / LOCAL_NAME).get(model_id)
    if isinstance(entry, dict) and isinstance(entry.get("threshold"), int | float):
        return float(entry["threshold"])
    return None


def null_threshold(maxima: Sequence[float], quantile: float = NULL_QUANTILE, margin: float = NULL_MARGIN) -> float:
    """The threshold from the generic questions' best cosines: a high quantile of them, plus a margin."""
    if not maxima:
        return margin
    return float(np.quantile(np.asarray(maxima, dtype=np.float64), quantile)) + margin


def fit_threshold(answerable: Sequence[float], off_topic: Sequence[float]) -> dict:
    """The midpoint between the weakest answerable and the strongest off-topic evidence, with the figures behind it."""
    if not answerable or not off_topic:
        raise ValueError("calibration needs both answerable and off-topic questions")
    low, high = min(answerable), max(off_topic)
    threshold = (low + high) / 2 if low > high else high + 1e-3
    return {
        "threshold": round(threshold, 4),
        "metric": "best sentence cosine among the top passages",
        "answerable_min": round(low, 4),
        "off_topic_max": round(high, 4),
        "separated": low > high,
        "answerable": len(answerable),
        "off_topic": len(off_topic),
        "date": date.today().isoformat(),
    }


def save_threshold(path: Path, model_id: str, entry: dict) -> None:
    """Record a model's calibration in a calibration file (other models' entries are kept)."""
    data = _read(path)
    data[model_id] = entry
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(json.dumps(data, indent=2, sort_keys=True) + "\n")
