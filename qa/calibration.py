"""The "not in the sources" threshold: per model, measured on answerable and off-topic questions."""

from __future__ import annotations

import json
import logging
from collections.abc import Sequence
from datetime import date
from pathlib import Path

log = logging.getLogger("qa")

SHIPPED = Path(__file__).resolve().parent / "calibration.json"
LOCAL_NAME = "calibration.json"
# Used, with a warning, for a model nobody has calibrated: all-MiniLM-L6-v2's value.
FALLBACK_THRESHOLD = 0.43
_warned: set[str] = set()


def _read(path: Path) -> dict:
    try:
        data = json.loads(path.read_text())
    except (OSError, ValueError):
        return {}
    return data if isinstance(data, dict) else {}


def threshold_for(model_id: str, index_dir: Path | None = None) -> float:
    """The calibrated threshold on the best sentence cosine: the index folder's own, else the shipped one."""
    for path in ([index_dir / LOCAL_NAME] if index_dir else []) + [SHIPPED]:
        entry = _read(path).get(model_id)
        if isinstance(entry, dict) and isinstance(entry.get("threshold"), int | float):
            return float(entry["threshold"])
    if model_id not in _warned:
        _warned.add(model_id)
        log.warning("model %s has no calibrated 'not in the sources' threshold; using %.2f. Run `python -m qa "
                    "calibrate --save` with a question set to fit it", model_id, FALLBACK_THRESHOLD)
    return FALLBACK_THRESHOLD


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


def shipped_path() -> Path:
    """Where the project's own calibrations live."""
    return SHIPPED

