"""`python -m qa index --ray`: the same index as a local build, and one-line errors for bad input."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli
from helpers import ROOT

from qa import open_engine
from qa.bench.queries import load_queries


def _qa(*args: str, code: str = "") -> subprocess.CompletedProcess:
    """`python -m qa ARGS` (after `code`, run first in the same process)."""
    script = code + "\nimport sys\nfrom qa.cli.main import main\nsys.exit(main(sys.argv[1:]))"
    return subprocess.run([sys.executable, "-c", script, *args], cwd=ROOT, capture_output=True, text=True, timeout=900)


@pytest.mark.ray
def test_ray_build_equals_local_build(engine, tmp_path):
    pytest.importorskip("ray", reason="Ray is not installed: pip install -r requirements-dev.txt")
    index = tmp_path / "index"
    # the ONNX export of the local build is reused: what is compared is the pipeline, not a second export
    export = Path(engine.encoder._onnx.path).parent
    shutil.copytree(export, index / "cache" / "onnx" / export.name)
    run = _qa("index", "--ray", "--json", "--corpus", str(engine.settings.corpus), "--index-dir", str(index))
    assert run.returncode == 0, run.stderr[-3000:]
    report = json.loads(run.stdout)
    assert report["ray"]["encoded"] == report["passages"] + report["sentences"]
    assert report["embedded"] == 0  # every vector came from the Ray pipeline
    remote = open_engine(engine.settings.with_values(index_dir=index), encoder=engine.encoder)
    assert remote.report.loaded
    local = engine.library
    assert [p.id for p in remote.library.passages] == [p.id for p in local.passages]
    rows = np.arange(len(local.passages))
    assert np.allclose(remote.library.vectors.vectors(rows), local.vectors.vectors(rows), atol=1e-5)
    srows = np.arange(len(local.sentences))
    assert np.allclose(remote.library.sentence_vectors.vectors(srows), local.sentence_vectors.vectors(srows), atol=1e-5)
    for q in load_queries(None):
        ours = [h.passage.id for h in remote.search(q.question, k=10)]
        assert ours == [h.passage.id for h in engine.search(q.question, k=10)], q.id


def _one_line_error(run, *needles: str) -> None:
    assert run.returncode == 2, run.stderr[-2000:]
    lines = run.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("error: "), run.stderr[-2000:]
    for needle in needles:
        assert needle in lines[0]


def test_ray_bad_input_is_one_line(engine, tmp_path, monkeypatch):
    corpus = str(engine.settings.corpus)
    index = tmp_path / "index"

    def qa(*args: str):
        return run_cli(list(args), engine.encoder)

    began = time.monotonic()
    run = qa("index", "--ray", "127.0.0.1:9", "--corpus", corpus, "--index-dir", str(index))
    _one_line_error(run, "cannot reach Ray at 127.0.0.1:9")
    assert time.monotonic() - began < 30  # no waiting on the address
    with monkeypatch.context() as patched:
        patched.setitem(sys.modules, "ray", None)  # as if Ray were not installed
        run = qa("index", "--ray", "--corpus", corpus, "--index-dir", str(index))
    _one_line_error(run, "Ray is not installed", "pip install")
    folder = tmp_path / "not-a-model"
    folder.mkdir()
    (folder / "weights.bin").write_bytes(os.urandom(64))
    run = qa("index", "--ray", "--model", str(folder), "--corpus", corpus, "--index-dir", str(index))
    _one_line_error(run, "not a sentence-transformers model folder")
    assert not (index / "CURRENT").exists()
