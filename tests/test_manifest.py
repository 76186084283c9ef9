"""Deciding whether a saved index can be reused: stale, changed model, damaged files."""

from __future__ import annotations

import pytest

from qa.index.manifest import FORMAT, Expected, Manifest, checksum_problems, fingerprint, stale_reasons


def manifest(**kw) -> Manifest:
    base = dict(format=FORMAT, model_id="m", dim=3, index_type="flat", recipe="r", fingerprint="f", passages=1,
                sentences=1, built_at="2026-01-01T00:00:00+00:00", build_seconds=1.0)
    return Manifest(**{**base, **kw})


def test_fresh_manifest_matches():
    assert stale_reasons(manifest(), Expected("m", "flat", "r", "f")) == []


@pytest.mark.parametrize("change, words", [
    ({"model_id": "other"}, "model changed"),
    ({"fingerprint": "g"}, "corpus changed"),
    ({"index_type": "hnsw"}, "index type changed"),
    ({"recipe": "r2"}, "recipe changed"),
    ({"format": FORMAT - 1}, "format"),
])
def test_each_change_is_named(change, words):
    reasons = stale_reasons(manifest(**change), Expected("m", "flat", "r", "f"))
    assert len(reasons) == 1 and words in reasons[0]


def test_fingerprint_is_order_and_boundary_sensitive():
    assert fingerprint([("a", "bc")]) != fingerprint([("ab", "c")])
    assert fingerprint([("1", "x"), ("2", "y")]) != fingerprint([("2", "y"), ("1", "x")])


def test_round_trip_and_corrupt_json():
    m = manifest(files={"a": "1"})
    assert Manifest.from_json(m.to_json()) == m
    with pytest.raises(ValueError):
        Manifest.from_json("[1, 2]")
    with pytest.raises(ValueError):
        Manifest.from_json('{"format": 1}')


def test_checksum_problems_name_the_file():
    assert checksum_problems({"a": "1", "b": "2"}, {"a": "1", "b": "2"}) == []
    assert checksum_problems({"a": "1", "b": "2"}, {"a": "x", "b": None}) == [
        "a is damaged (checksum mismatch)", "b is missing"]
