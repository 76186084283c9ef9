"""Encoder backends: ONNX Runtime gives torch's vectors, int8 is a model of its own, the query path needs no torch."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
from helpers import ROOT

from embeddings import Encoder
from embeddings import onnx as onnx_export
from qa.index.vectors import passage_text


@pytest.fixture(scope="module")
def torch_encoder() -> Encoder:
    """The bundled model through sentence-transformers and torch."""
    return Encoder(backend="torch")


@pytest.fixture(scope="module")
def texts(engine) -> list[str]:
    """Every passage of the bundled corpus, as embedded, and a few short questions (padding differs by batch)."""
    return [passage_text(p) for p in engine.library.passages] + ["Why does Russia engage the Taliban?", "opium"]


def test_onnx_vectors_equal_torch(encoder, torch_encoder, texts):
    assert encoder.backend == "onnx" and encoder.model_id == torch_encoder.model_id
    assert (encoder.dim, encoder.max_tokens) == (torch_encoder.dim, torch_encoder.max_tokens)
    cosines = (encoder.encode(texts, show_progress=False) * torch_encoder.encode(texts, show_progress=False)).sum(axis=1)
    assert cosines.min() >= 0.9999
    one = encoder.encode_query(texts[0])
    assert float(one @ torch_encoder.encode_query(texts[0])) >= 0.9999
    assert np.isclose(np.linalg.norm(one), 1.0, atol=1e-5)


def test_truncate_matches_torch(encoder, torch_encoder):
    long = "The Taliban's envoy met Russian officials in Moscow again. " * 80
    assert encoder.truncate(long) == torch_encoder.truncate(long)
    assert encoder.truncate("Short question?") == ("Short question?", False)


def test_int8_is_its_own_model(tmp_path, encoder, texts):
    int8 = Encoder(backend="onnx-int8", cache_dir=tmp_path)
    assert int8.backend == "onnx-int8" and int8.model_id == encoder.model_id + "#onnx-int8"
    cosines = (int8.encode(texts, show_progress=False) * encoder.encode(texts, show_progress=False)).sum(axis=1)
    assert cosines.min() >= 0.97
    exports = sorted(p.name for p in tmp_path.glob("onnx/*/*.onnx"))
    assert exports == ["model-int8.onnx", "model.onnx"]


@pytest.mark.slow  # exports the model to ONNX
def test_export_is_made_once_and_a_damaged_one_again(tmp_path, caplog):
    first = Encoder(backend="onnx", cache_dir=tmp_path)
    (path,) = tmp_path.glob("onnx/*/model.onnx")
    stamp = path.stat().st_mtime_ns
    Encoder(backend="onnx", cache_dir=tmp_path)
    assert path.stat().st_mtime_ns == stamp  # reused, not exported again
    path.write_bytes(b"not an onnx file")
    with caplog.at_level(logging.WARNING, logger="qa"):
        again = Encoder(backend="onnx", cache_dir=tmp_path)
    assert "damaged" in caplog.text and again.backend == "onnx"
    assert np.allclose(again.encode_query("opium"), first.encode_query("opium"), atol=1e-6)


@pytest.mark.slow  # loads the model with torch
def test_failed_export_falls_back_to_torch(tmp_path, monkeypatch, caplog):
    def broken(layout, path):  # what a torch.onnx failure looks like to the caller
        raise RuntimeError("ONNX export failed: unsupported operator")

    monkeypatch.setattr(onnx_export, "_export_fp32", broken)
    with caplog.at_level(logging.WARNING, logger="qa"):
        fallback = Encoder(backend="onnx", cache_dir=tmp_path)
    assert fallback.backend == "torch"
    assert "ONNX backend unavailable" in caplog.text and "using torch" in caplog.text
    assert fallback.encode_query("opium").shape == (fallback.dim,)


def test_cli_query_path_imports_no_torch(engine, encoder):
    """With the export in the index folder, `ask` imports neither torch, transformers, sklearn nor gradio."""
    env = {**os.environ, "SOURCEQA_CORPUS": str(engine.settings.corpus), "SOURCEQA_INDEX_DIR": str(engine.settings.index_path)}
    # The export the session's encoder uses, put where `ask` looks for it (the index folder), as a first run would.
    export = Path(encoder._onnx.path).parent
    target = engine.settings.model_cache / "onnx" / export.name
    if not target.exists():
        shutil.copytree(export, target)
    run = subprocess.run([sys.executable, "-X", "importtime", "-m", "qa", "ask", "Why does Russia engage the Taliban?"],
                         cwd=ROOT, env=env, capture_output=True, text=True, timeout=600)
    assert run.returncode == 0, run.stderr[-2000:]
    assert "[1]" in run.stdout
    imported = {line.rsplit("|", 1)[-1].strip() for line in run.stderr.splitlines() if line.startswith("import time:")}
    assert "onnxruntime" in imported
    for heavy in ("torch", "transformers", "sentence_transformers", "sklearn", "gradio"):
        assert heavy not in imported, heavy


def test_cli_rejects_a_folder_that_is_not_a_model(cli, tmp_path):
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "notes.txt").write_text("hello")
    run = cli("ask", "Why does Russia engage the Taliban?", "--model", str(folder))
    assert run.returncode == 2
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and "not a sentence-transformers model folder" in lines[0]


def test_span_vectors_are_pooled_alike_by_both_backends(encoder, torch_encoder):
    """A sentence's vector is the mean of its passage's token vectors over its characters, the same with either
    backend; a sentence past the model's token limit comes back as NaN (the caller encodes it alone)."""
    text = "Opium trade. The Taliban earn money from opium. Russia held talks with them in Moscow."
    spans = [(13, 48), (49, len(text))]
    long = "Words fill this passage. " * 120 + "The last sentence is never read."
    vectors, pooled = encoder.encode_spans([text, long], [spans, [(0, 24), (len(long) - 32, len(long))]])
    _, t_pooled = torch_encoder.encode_spans([text, long], [spans, [(0, 24), (len(long) - 32, len(long))]])
    assert np.allclose(vectors, encoder.encode([text, long], show_progress=False), atol=1e-6)  # one pass gives both
    assert (pooled[0] * t_pooled[0]).sum(axis=1).min() >= 0.9999
    assert np.allclose(np.linalg.norm(pooled[0], axis=1), 1.0, atol=1e-5)
    assert not np.isnan(pooled[1][0]).any() and np.isnan(pooled[1][1]).all() and np.isnan(t_pooled[1][1]).all()
    # in context, not alone: the sentence's vector differs from encoding it by itself, yet stays close to it
    alone = encoder.encode_query(text[13:48])
    assert 0.5 < float(pooled[0][0] @ alone) < 0.999


def test_an_onnx_backend_takes_its_export_folder_from_the_caller():
    # The folder comes from the settings (the index folder's cache, or the cache_dir setting), never the environment.
    with pytest.raises(ValueError, match="cache_dir"):
        Encoder(backend="onnx")
