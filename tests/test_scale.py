"""Scale: index type by size, candidate selection without a full sort, builds that resume and update incrementally."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import numpy as np
from helpers import ROOT

from embeddings import VectorIndex
from embeddings import index as vector_index
from qa import open_engine
from qa.search.retrieve import _sentence_max, order, top_rows


def test_top_rows_equals_a_full_stable_sort():
    rng = np.random.default_rng(0)
    for _ in range(300):
        scores = rng.integers(0, 6, size=int(rng.integers(1, 500))).astype(np.float32)
        n = int(rng.integers(1, 300))
        assert np.array_equal(top_rows(scores, n), np.argsort(-scores, kind="stable")[:n])


def test_fusion_order_and_best_sentence_equal_the_plain_loops(engine):
    """The vectorised fusion steps give what the obvious Python gives: ties by passage id, best sentence cosine."""
    rng = np.random.default_rng(2)
    for _ in range(100):
        n = int(rng.integers(1, 60))
        scores = rng.integers(0, 4, size=n) / 3.0
        ids = [f"d{int(rng.integers(0, 9))}:{i}" for i in range(n)]
        expected = sorted(range(n), key=lambda i: (-round(float(scores[i]), 9), ids[i]))
        assert order(scores, ids).tolist() == expected
    library = engine.library
    from qa.search.retrieve import retrieve

    question = "Why does Russia engage the Taliban?"
    query = engine.encoder.encode_query(question)
    for k in (1, 3, 10, 500):  # the top k equals a full ranking's first k (ties by passage id)
        hits = retrieve(library, question, query, k=k, weights={"bm25": 1.0})
        ids = [h.passage.id for h in hits]
        full = sorted(retrieve(library, question, query, k=len(library.passages), weights={"bm25": 1.0}),
                      key=lambda h: (-round(h.score, 9), h.passage.id))
        assert ids == [h.passage.id for h in full][:k]
    query = library.vectors.vectors(np.array([3]))[0]
    rows = np.array([0, 3, 5, len(library.passages) - 1])
    plain = [max((float(library.sentence_vectors.vectors(np.array([s]))[0] @ query) for s in library.sentence_rows[r]),
                 default=0.0) for r in rows]
    assert np.allclose(_sentence_max(library, query, rows), plain, atol=1e-6)


def test_auto_index_is_flat_then_ivf(monkeypatch):
    rng = np.random.default_rng(1)
    vectors = rng.normal(size=(300, 16)).astype(np.float32)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    assert VectorIndex.build(vectors, "auto").kind == "flat"
    monkeypatch.setattr(vector_index, "AUTO_FLAT_MAX", 200)
    ivf = VectorIndex.build(vectors, "auto")
    assert ivf.kind == "ivf" and ivf._index.nprobe == vector_index.ivf_nprobe(300)
    # the IVF index finds each vector's own row first, also among allowed rows, and returns its stored vectors
    _, rows = ivf.search(vectors[7], 5)
    assert rows[0] == 7 and np.allclose(ivf.vectors(np.array([7]))[0], vectors[7])
    assert ivf.search(vectors[7], 3, np.array([5, 7, 9]))[1][0] == 7


def _index_json(corpus: Path, index: Path, checkpoint: int | None = None) -> subprocess.Popen:
    """`python -m qa index --json` as a child process (with a smaller checkpoint interval when given)."""
    code = "import sys; import qa.index.vectors as lib\n"
    if checkpoint:
        code += f"lib.CHECKPOINT_TEXTS = {checkpoint}\n"
    code += "from qa.cli.main import main; sys.exit(main(sys.argv[1:]))"
    return subprocess.Popen([sys.executable, "-c", code, "index", "--json", "--corpus", str(corpus), "--index-dir", str(index)],
                            cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True)


def test_killed_build_resumes_without_reencoding(private_settings, engine):
    """A build killed mid-encoding keeps its checkpoints; the next build embeds only the rest and equals a full one."""
    index = private_settings.index_path
    for path in (index / "cache").glob("*.npz"):
        path.unlink()  # no cached vectors (the ONNX export stays: exporting is not what is measured here)
    for gen in index.glob("gen-*"):
        for f in sorted(gen.rglob("*"), reverse=True):
            f.unlink() if f.is_file() else f.rmdir()
        gen.rmdir()
    (index / "CURRENT").unlink()
    child = _index_json(private_settings.corpus, index, checkpoint=32)
    deadline = time.monotonic() + 600
    while not list((index / "cache").glob("*.part-*.npz")) and time.monotonic() < deadline and child.poll() is None:
        time.sleep(0.05)
    assert child.poll() is None, "the build ended before its first checkpoint"
    os.kill(child.pid, signal.SIGKILL)
    child.wait()
    assert not (index / "CURRENT").exists()
    resumed = _index_json(private_settings.corpus, index)
    out, err = resumed.communicate(timeout=600)
    assert resumed.returncode == 0, err[-2000:]
    report = json.loads(out)
    total = report["passages"] + report["sentences"]
    assert report["reused"] >= 32 and report["embedded"] == total - report["reused"]
    assert not list((index / "cache").glob("*.part-*.npz"))  # folded into the cache file
    rebuilt = open_engine(private_settings, encoder=engine.encoder)
    assert rebuilt.report.loaded
    rows = np.arange(len(engine.library.passages))
    assert np.allclose(rebuilt.library.vectors.vectors(rows), engine.library.vectors.vectors(rows), atol=1e-5)


def test_adding_files_encodes_only_them(private_engine):
    corpus = private_engine.settings.corpus
    before = len(private_engine.library.passages)
    paragraphs = [
        f"Officials in city number {i} said on Tuesday that the new water plant would open next spring. "
        f"The plant will serve about {i * 1000} homes, according to the regional utility."
        for i in range(1, 4)
    ]
    for i in range(10):
        (corpus / f"added-{i}.txt").write_text(f"---\ntitle: Water plant report {i}\n---\n" + "\n\n".join(
            p.replace("city number", f"district {i} city number") for p in paragraphs) + "\n", encoding="utf-8")
    report = private_engine.refresh()
    added = len(private_engine.library.passages) - before
    new_sentences = sum(len(private_engine.library.sentence_rows[r]) for r in range(len(private_engine.library.passages))
                        if private_engine.library.passages[r].doc_id.startswith("added-"))
    assert added == 30 and report.embedded == added + new_sentences
    hits = private_engine.search("How many homes will the water plant in district 7 serve?", k=3)
    assert any(h.passage.doc_id == "added-7" for h in hits)


def test_sentences_cut_off_by_the_token_limit_are_encoded_alone(encoder):
    from qa.index.vectors import encode_plans, plan
    from qa.ingest.chunking import Passage
    from qa.ingest.corpus import Article
    from qa.ingest.sentences import sentence_spans

    text = "Officials met in Kabul on Monday. " * 60 + "The plant opens next spring, the utility said."
    passage = Passage(id="a:1", doc_id="a", n=1, start=0, end=len(text), text=text,
                      article=Article(doc_id="a", path="a.txt", title="Water plant"))
    spans = sentence_spans(text)
    p = plan(passage, spans, "pooled")
    assert all(s is not None for s in p.spans) and p.text.startswith("Water plant. ")
    encoded = encoder.texts_encoded
    vectors, sentences = encode_plans(encoder, [p])
    assert encoder.texts_encoded - encoded > 1  # the passage, then the sentences it could not read
    assert not np.isnan(sentences[0]).any()
    assert np.allclose(sentences[0][-1], encoder.encode_query(p.sentences[-1]), atol=1e-5)
    assert np.allclose(vectors[0], encoder.encode_query(p.text), atol=1e-5)


def test_sentence_mode_is_part_of_the_recipe(monkeypatch):
    import pytest

    from qa import Settings, UserError
    from qa.index.library import recipe

    monkeypatch.delenv("SOURCEQA_SENTENCES", raising=False)
    alone = recipe(Settings.load().sentences)
    assert ";sentence=text;" in alone  # the recipe earlier indexes were saved with
    monkeypatch.setenv("SOURCEQA_SENTENCES", "pooled")
    assert recipe(Settings.load().sentences) != alone  # a saved index of the other mode is rebuilt, not reused
    monkeypatch.setenv("SOURCEQA_SENTENCES", "both")
    with pytest.raises(UserError, match=r"'both' is not one of alone, pooled \(--sentences / SOURCEQA_SENTENCES"):
        Settings.load()


def test_cache_keeps_views_and_streams_a_file_np_load_reads(tmp_path, monkeypatch):
    """The cache holds no copy of the rows a build gives it, and writes its file a block at a time."""
    from embeddings import EmbeddingCache
    from embeddings import cache as cache_module

    monkeypatch.setattr(cache_module, "_BLOCK", 7)  # several blocks, the last one partial
    rows = np.random.default_rng(2).normal(size=(30, 16)).astype(np.float32)
    keys = [f"key-{i}" for i in range(30)]
    cache = EmbeddingCache(tmp_path, "some/model", 16)
    cache.put(keys[:20], list(rows[:20]))
    assert np.shares_memory(cache._rows["key-3"], rows)
    cache.checkpoint()
    cache.put(keys[20:], rows[20:])
    cache.save(release=True)
    assert len(cache) == 0 and not list(tmp_path.glob("*.part-*"))
    order = sorted(range(30), key=lambda i: keys[i])
    with np.load(cache.path, allow_pickle=False) as data:
        assert list(data["keys"]) == [keys[i] for i in order] and np.array_equal(data["vectors"], rows[order])
    vectors, missing = EmbeddingCache(tmp_path, "some/model", 16).lookup([*keys, "unknown"])
    assert missing == [30] and np.array_equal(vectors[:30], rows)
