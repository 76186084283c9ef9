"""The benchmark on BEIR data: the loader reads the layout and names bad lines; a run scores documents, reuses cached vectors."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from helpers import write

from qa import UserError
from qa.bench import beir, runs


# --- BEIR -----------------------------------------------------------------------------------------------------
def _tiny_beir(folder: Path) -> Path:
    """A hand-made BEIR folder: four documents, three queries, test and train judgments."""
    docs = [
        {"_id": "d1", "title": "Aspirin and heart attacks", "text": "Daily aspirin lowers the risk of a first heart attack. The effect is small."},
        {"_id": "d2", "title": "Vitamin D", "text": "Vitamin D supplements do not prevent fractures in healthy adults."},
        {"_id": "d3", "title": "Sleep", "text": "Adults who sleep less than six hours have higher blood pressure."},
        {"_id": "d4", "title": "", "text": "Coffee drinking is not linked to heart disease."},
    ]
    write(folder, "corpus.jsonl", "\n".join(json.dumps(d) for d in docs) + "\n")
    queries = [{"_id": "1", "text": "Aspirin prevents heart attacks."}, {"_id": "2", "text": "Vitamin D prevents fractures."},
               {"_id": "3", "text": "Short sleep raises blood pressure."}, {"_id": "4", "text": "Coffee causes heart disease."}]
    write(folder, "queries.jsonl", "\n".join(json.dumps(q) for q in queries) + "\n")
    write(folder, "qrels/test.tsv", "query-id\tcorpus-id\tscore\n1\td1\t1\n2\td2\t1\n3\td3\t1\n3\td9\t1\n")
    write(folder, "qrels/train.tsv", "query-id\tcorpus-id\tscore\n4\td4\t1\n")
    return folder


def test_beir_loader_reads_the_layout(tmp_path):
    folder = _tiny_beir(tmp_path / "tiny")
    data = beir.load_beir(folder, "test")
    assert data.name == "tiny" and [d.id for d in data.docs] == ["d1", "d2", "d3", "d4"]
    assert set(data.queries) == {"1", "2", "3"} and data.qrels["3"] == {"d3": 1}  # d9 is not in the corpus
    assert set(beir.load_beir(folder, "train").queries) == {"4"}
    doc = beir.documents(data)[0]
    assert (doc.doc_id, doc.text, doc.title) == ("d1", docs_text(folder, "d1"), "Aspirin and heart attacks")


def docs_text(folder: Path, doc_id: str) -> str:
    """A document's text as corpus.jsonl holds it."""
    for line in (folder / "corpus.jsonl").read_text().splitlines():
        row = json.loads(line)
        if row["_id"] == doc_id:
            return row["text"]
    raise KeyError(doc_id)


@pytest.mark.parametrize("file, text, words", [
    ("corpus.jsonl", '{"_id": "d1", "title": "t", "text": "x"}\n{"title": "no id"}\n', "corpus.jsonl line 2"),
    ("corpus.jsonl", '{"_id": "d1", "text": "x"}\n{"_id": "d1", "text": "y"}\n', "used twice"),
    ("qrels/test.tsv", "query-id\tcorpus-id\tscore\n1\td1\n", "test.tsv line 2: expected 3"),
    ("qrels/test.tsv", "query-id\tcorpus-id\tscore\n1\td1\tyes\n", "is not a number"),
])
def test_beir_loader_names_the_bad_line(tmp_path, file, text, words):
    folder = _tiny_beir(tmp_path / "tiny")
    write(folder, file, text)
    with pytest.raises(UserError, match=words):
        beir.load_beir(folder, "test")


def test_beir_loader_lists_the_splits_there_are(tmp_path):
    with pytest.raises(UserError, match="one of test, train"):
        beir.load_beir(_tiny_beir(tmp_path / "tiny"), "dev")


def test_beir_run_scores_documents_and_reuses_cached_vectors(engine, tmp_path):
    data = beir.load_beir(_tiny_beir(tmp_path / "my data!"), "test")
    assert data.name == "my-data"  # the one slug, as for run folders
    steps: list[tuple[str, int, int]] = []
    settings = engine.settings.with_values(cache_dir=tmp_path / "cache")
    report = beir.run_beir(data, settings, ("bm25", "hybrid"), encoder=engine.encoder, progress=lambda *a: steps.append(a))
    assert report.kind == "beir" and report.name == "beir-my-data-test" and set(report.metrics) >= {"ndcg@10", "recall@100", "mrr@10"}
    hybrid = report.mode("hybrid")
    assert hybrid.metrics["recall@100"] == 1.0 and hybrid.metrics["ndcg@10"] > 0.9
    assert hybrid.queries[0].ranked[0] == "d1" and hybrid.queries[0].relevant[0]
    assert set(hybrid.latency_ms) == {"encode", "search", "fusion", "total"} and "encode" not in report.mode("bm25").latency_ms
    assert report.build is not None and report.build.embedded > 0 and report.counts["documents"] == 4
    assert any(s[0].startswith("embedding") for s in steps) and steps[-1] == ("hybrid: ranking", 3, 3)
    # The vectors are cached under the settings' cache folder, named by the dataset: a rerun encodes nothing.
    assert (tmp_path / "cache" / "beir-my-data" / "cache").is_dir()
    again = beir.run_beir(data, settings, ("hybrid",), encoder=engine.encoder)
    assert again.build is not None and again.build.embedded == 0 and again.build.reused == report.build.embedded
    assert again.mode("hybrid").metrics == report.mode("hybrid").metrics
    saved = runs.save_run(again, root=tmp_path / "out")
    assert (tmp_path / "out" / "latest-beir-my-data-test").resolve() == saved.resolve()


def test_beir_index_folder_must_be_writable(engine, tmp_path):
    data = beir.load_beir(_tiny_beir(tmp_path / "tiny"), "test")
    blocked = write(tmp_path, "file", "not a folder")
    with pytest.raises(UserError, match="--index-dir"):
        beir.run_beir(data, engine.settings, ("bm25",), index_dir=blocked / "sub", encoder=engine.encoder)
