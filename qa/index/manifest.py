"""What a saved index was built from, and whether it still fits the corpus and settings at hand."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from dataclasses import asdict, dataclass, field

from qa.text import parse_json

# Bump when the saved files' layout or the way passages are cut or embedded changes.
FORMAT = 3


@dataclass(frozen=True)
class Manifest:
    """The description saved beside an index: model, dimension, passage fingerprint, versions, file checksums."""

    format: int
    model_id: str
    dim: int
    index_type: str
    recipe: str
    fingerprint: str
    passages: int
    sentences: int
    built_at: str
    build_seconds: float
    versions: dict[str, str] = field(default_factory=dict)
    files: dict[str, str] = field(default_factory=dict)

    def to_json(self) -> str:
        """The manifest as pretty JSON."""
        return json.dumps(asdict(self), indent=2, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> Manifest:
        """Parse a manifest; raises ValueError when it is not one."""
        data = parse_json(text)
        if not isinstance(data, dict):
            raise ValueError("manifest is not a JSON object")
        try:
            return cls(**data)
        except TypeError as exc:
            raise ValueError(f"manifest fields do not match: {exc}") from exc


@dataclass(frozen=True)
class Expected:
    """What the index must match to be reused."""

    model_id: str
    index_type: str
    recipe: str
    fingerprint: str


def fingerprint(items: Iterable[tuple[str, ...]]) -> str:
    """Order-sensitive SHA-256 over tuples of strings (passage id, text, section, title...)."""
    digest = hashlib.sha256()
    for item in items:
        for part in item:
            digest.update(part.encode("utf-8"))
            digest.update(b"\x1f")
        digest.update(b"\x1e")
    return digest.hexdigest()


def stale_reasons(manifest: Manifest, expected: Expected) -> list[str]:
    """Why a saved index cannot serve `expected` (empty when it can)."""
    reasons = []
    if manifest.format != FORMAT:
        reasons.append(f"index format {manifest.format} is not the current {FORMAT}")
    if manifest.model_id != expected.model_id:
        reasons.append(f"model changed ({manifest.model_id} -> {expected.model_id})")
    if manifest.index_type != expected.index_type:
        reasons.append(f"index type changed ({manifest.index_type} -> {expected.index_type})")
    if manifest.recipe != expected.recipe:
        reasons.append("passage or embedding recipe changed")
    if manifest.fingerprint != expected.fingerprint:
        reasons.append("corpus changed")
    return reasons


def checksum_problems(recorded: dict[str, str], actual: dict[str, str | None]) -> list[str]:
    """Files whose checksum differs from the one recorded at build time (None: file missing)."""
    problems = []
    for name, digest in sorted(recorded.items()):
        got = actual.get(name)
        if got is None:
            problems.append(f"{name} is missing")
        elif got != digest:
            problems.append(f"{name} is damaged (checksum mismatch)")
    return problems
