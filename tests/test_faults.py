"""Faults: builds killed with SIGKILL, damaged index files, an index folder that cannot be written, a crash
between saving an upload and indexing it. Each time the next start serves a whole, correct index and says why."""

from __future__ import annotations

import logging
import os
import shutil
import subprocess
import sys
import threading
from pathlib import Path

import numpy as np
import pytest
from helpers import PILOTS, PILOTS_NAME, ROOT, WHY, answer_key, assert_well_formed, gen_files, kill_when, leftovers, write

from embeddings import EmbeddingCache
from qa import Engine, Settings, open_engine
from qa.index.library import expected_for
from qa.index.store import CURRENT, current_generation
from qa.index.vectors import encode_plans, passage_text, plan
from webui import Backend, render

HELPER = Path(__file__).resolve().parent / "crash_helper.py"
PILOTS_Q = "Which union asked for icebreakers?"
QUESTIONS = (WHY, "Who is Vladimir Putin's special envoy for Afghanistan?",
             "How much money does the Taliban make from opium each year?", "What is the boiling point of mercury?",
             PILOTS_Q)


def answers(engine: Engine) -> dict[str, tuple]:
    """The answer to each of QUESTIONS, checked and reduced to what it says and cites."""
    out = {}
    for q in QUESTIONS:
        answer = engine.ask(q)
        assert_well_formed(answer)
        out[q] = answer_key(answer)
    return out


def assert_whole(engine: Engine, encoder) -> None:
    """The served index is one build: its fingerprint is the corpus's, and its vectors are its own passages'."""
    library = engine.library
    assert library.manifest.fingerprint == expected_for(library.chunks, encoder.model_id, "flat").fingerprint
    rows = sorted({0, len(library.passages) - 1, *(library.rows[c.passages[0].id] for c in library.chunks if c.passages)})
    fresh = encoder.encode([passage_text(library.passages[r]) for r in rows], show_progress=False)
    assert np.allclose(library.vectors.vectors(np.array(rows)), fresh, atol=1e-4)
    last = len(library.passages) - 1  # sentence vectors are pooled from their passage's encoder pass
    spans = [(int(library.sentences.start[r]), int(library.sentences.end[r])) for r in library.sentence_rows[last]]
    _, pooled = encode_plans(encoder, [plan(library.passages[last], spans)])
    assert np.allclose(library.sentence_vectors.vectors(np.array(library.sentence_rows[last])), pooled[0], atol=1e-4)


@pytest.fixture(scope="module")
def reference(engine) -> dict[str, tuple]:
    """The answers of the session engine (an index built without any fault)."""
    return answers(engine)


@pytest.fixture(scope="module")
def changed(engine, encoder, tmp_path_factory):
    """The corpus with PILOTS added: its clean answers, and an embedding cache holding all of its vectors."""
    root = tmp_path_factory.mktemp("changed")
    shutil.copytree(engine.settings.corpus, root / "corpus", ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(engine.settings.index_path, root / "index")
    write(root / "corpus", PILOTS_NAME, PILOTS)
    clean = open_engine(Settings.load(corpus=root / "corpus", index_dir=root / "index"), encoder=encoder)
    assert clean.report.embedded == 4
    return {"answers": answers(clean), "fingerprint": clean.library.manifest.fingerprint,
            "cache": next((root / "index" / "cache").glob("*.npz"))}


# --- SIGKILL during a build ---------------------------------------------------------------------------------
def test_sigkill_while_embedding_leaves_the_previous_index_in_service(private_settings, encoder, reference):
    folder = private_settings.index_path
    shutil.rmtree(folder / "cache")  # so the rebuild has to embed everything, which takes long enough to kill it
    before = gen_files(folder)
    output = kill_when([sys.executable, "-m", "qa", "index", "--rebuild", "--corpus", str(private_settings.corpus),
                        "--index-dir", str(folder)], "embedding passages")
    assert "embedded" not in output  # it never finished
    assert gen_files(folder) == before
    engine = open_engine(private_settings, encoder=encoder)
    report = engine.report
    assert report.loaded and report.embedded == 0
    assert answers(engine) == reference
    assert_whole(engine, encoder)
    assert leftovers(folder) == []


SAVE_POINTS = ["write:sentences.npz", "write:bm25", "write:manifest.json", "replace:CURRENT", "rmtree"]


@pytest.mark.parametrize("point", SAVE_POINTS)
def test_sigkill_while_saving_a_changed_corpus(point, private_settings, encoder, changed, caplog):
    corpus, folder = private_settings.corpus, private_settings.index_path
    write(corpus, PILOTS_NAME, PILOTS)
    shutil.copy(changed["cache"], folder / "cache" / changed["cache"].name)  # every vector the child will need
    old = current_generation(folder)
    kill_when([sys.executable, str(HELPER), "save", str(corpus), str(folder), point], f"STOPPED {point}")
    switched = current_generation(folder) != old
    assert switched == (point == "rmtree")  # the pointer moves only once the new generation is complete
    assert leftovers(folder)  # the killed build left something behind
    with caplog.at_level(logging.INFO, logger="qa"):
        engine = open_engine(private_settings, encoder=encoder)
        report = engine.report
    # Killed before the switch: the old index no longer fits the corpus, so it is rebuilt (from the cache);
    # killed after it: the new generation is whole and is served.
    assert report.loaded == switched and report.embedded == 0
    assert engine.library.manifest.fingerprint == changed["fingerprint"]
    assert answers(engine) == changed["answers"]
    assert_whole(engine, encoder)
    assert leftovers(folder) == [] and "interrupted" in caplog.text


@pytest.mark.parametrize("point", ["write:manifest.json", "replace:CURRENT"])
def test_sigkill_while_saving_an_unchanged_corpus_keeps_the_previous_index(point, private_settings, encoder, reference):
    folder = private_settings.index_path
    before = gen_files(folder)
    kill_when([sys.executable, str(HELPER), "rebuild", str(private_settings.corpus), str(folder), point],
              f"STOPPED {point}")
    assert gen_files(folder) == before and leftovers(folder)
    engine = open_engine(private_settings, encoder=encoder)
    assert engine.report.loaded
    assert answers(engine) == reference
    assert leftovers(folder) == []


def test_an_upload_saved_before_a_crash_is_indexed_at_the_next_start(private_settings, encoder, tmp_path):
    upload = write(tmp_path / "upload", "River Pilots.txt", PILOTS)
    kill_when([sys.executable, str(HELPER), "upload", str(private_settings.corpus), str(private_settings.index_path),
               str(upload)], "STOPPED after saving the upload")
    saved = private_settings.corpus / "River-Pilots.txt"
    assert saved.read_bytes() == upload.read_bytes()
    engine = open_engine(private_settings, encoder=encoder)
    report = engine.report
    assert not report.loaded and report.embedded == 4  # only the new article's 2 paragraphs and 2 sentences
    answer = engine.ask(PILOTS_Q)
    assert_well_formed(answer)
    assert answer.status == "answered" and answer.citations[0].doc_id == "River-Pilots"


# --- damaged files -------------------------------------------------------------------------------------------
INDEX_FILES = ["passages.faiss", "sentences.faiss", "sentences.npz", "manifest.json", "bm25/data.csc.index.npy",
               "bm25/indices.csc.index.npy", "bm25/indptr.csc.index.npy", "bm25/params.index.json",
               "bm25/vocab.index.json", "bm25/size.json"]


def damage(path: Path, how: str) -> None:
    data = path.read_bytes()
    if how == "truncate":
        path.write_bytes(data[: len(data) // 2])
    else:  # garble 16 bytes in the middle
        middle = len(data) // 2
        path.write_bytes(data[:middle] + bytes((b ^ 0xA5) for b in data[middle:middle + 16]) + data[middle + 16:])


@pytest.mark.parametrize("how", ["truncate", "garble"])
@pytest.mark.parametrize("name", INDEX_FILES + ["CURRENT"])
def test_each_damaged_index_file_is_detected_warned_about_and_rebuilt(name, how, private_settings, encoder,
                                                                      reference, caplog):
    folder = private_settings.index_path
    if name == "CURRENT":
        (folder / CURRENT).write_text("gen-that-does-not-exist" if how == "truncate" else "\x00\xff garbage")
        shown = "CURRENT"
    else:
        damage(current_generation(folder) / name, how)
        shown = Path(name).name
    before = encoder.texts_encoded
    with caplog.at_level(logging.WARNING, logger="qa"):
        engine = open_engine(private_settings, encoder=encoder)
        report = engine.report
    assert not report.loaded and report.reason == "damaged" and any(shown in r for r in report.reasons), report.reasons
    assert any("damaged" in r.getMessage() and shown in r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING)
    assert encoder.texts_encoded == before  # rebuilt from the embedding cache
    assert answers(engine) == reference
    assert leftovers(folder) == []
    assert open_engine(private_settings, encoder=encoder).report.loaded  # the rebuilt index was saved whole


def test_a_damaged_embedding_cache_is_detected_warned_about_and_rebuilt(engine, encoder, tmp_path, caplog):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    shutil.copy(engine.settings.corpus / "bloomberg-2020-russia-seeks-good-relations-with-taliban.txt", corpus)
    index = tmp_path / "index"
    shutil.copytree(engine.settings.index_path / "cache", index / "cache")
    settings = Settings.load(corpus=corpus, index_dir=index)
    small = open_engine(settings, encoder=encoder)
    assert small.report.embedded == 0
    clean = [answer_key(small.ask(q), digits=3) for q in QUESTIONS]
    cache = next((index / "cache").glob("*.npz"))
    damage(cache, "garble")
    with caplog.at_level(logging.WARNING, logger="qa"):
        report = small.rebuild()
    assert "embedding cache" in caplog.text and "damaged" in caplog.text and cache.name in caplog.text
    texts = report.embedded + report.reused
    assert report.embedded == texts > 0  # nothing was taken from the damaged file
    # Embedded again in other batches, the vectors match to rounding: the same answers, scores to 3 decimals.
    assert [answer_key(small.ask(q), digits=3) for q in QUESTIONS] == clean
    assert len(EmbeddingCache(index / "cache", encoder.model_id, encoder.dim)) == texts  # saved whole again


# --- an index folder that cannot be written ------------------------------------------------------------------
def test_an_unwritable_index_folder_serves_from_memory_and_says_why(private_settings, encoder, changed, monkeypatch):
    import embeddings.cache
    import embeddings.index
    import qa.index.store

    folder = private_settings.index_path
    write(private_settings.corpus, PILOTS_NAME, PILOTS)
    shutil.copy(changed["cache"], folder / "cache" / changed["cache"].name)
    before = gen_files(folder)

    def refuse(path, data):
        raise PermissionError(13, "Permission denied", str(path))

    for module in (qa.index.store, embeddings.index, embeddings.cache):
        monkeypatch.setattr(module, "atomic_write", refuse)
    backend = Backend(private_settings, encoder)
    engine = backend.open()
    report = engine.report
    assert not report.saved and "Permission denied" in report.save_error and str(folder) in report.save_error
    assert "NOT saved" in report.summary()
    status = backend.status
    assert status.phase == render.READY and "could not be saved (Permission denied" in status.detail
    assert "could not be saved" in render.status_bar(status.phase, status.detail)
    assert answers(engine) == changed["answers"]  # served from memory
    assert gen_files(folder) == before and leftovers(folder) == []


def read_only_command(folder: Path, command: list[str]) -> list[str] | None:
    """`command` run with `folder` truly read-only: a read-only bind mount in a private namespace, or (not root)
    permissions; None when this machine offers neither."""
    if shutil.which("unshare"):
        probe = subprocess.run(["unshare", "-rm", "sh", "-c", f"mount --bind -o ro '{folder}' '{folder}' && "
                                f"! touch '{folder}/probe' 2>/dev/null"], capture_output=True)
        if probe.returncode == 0:
            script = "mount --bind -o ro \"$0\" \"$0\" && exec \"$@\""
            return ["unshare", "-rm", "sh", "-c", script, str(folder), *command]
    if os.geteuid() != 0:
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode & ~0o222)
        return command
    return None


def test_the_app_starts_on_a_read_only_index_folder_and_answers(private_settings, changed):
    from conftest import free_port
    from gradio_client import Client

    folder = private_settings.index_path
    write(private_settings.corpus, PILOTS_NAME, PILOTS)  # the saved index is out of date: it must be rebuilt
    before = gen_files(folder)
    port = free_port()
    command = read_only_command(folder, [sys.executable, "app.py", "--port", str(port), "--corpus",
                                         str(private_settings.corpus), "--index-dir", str(folder)])
    if command is None:
        pytest.skip("needs `unshare -rm` (user namespaces) or a non-root user to make a folder read-only")
    env = {**os.environ, "PYTHONUNBUFFERED": "1", "GRADIO_ANALYTICS_ENABLED": "False"}
    log = (folder.parent / "app.log").open("w+")
    app = subprocess.Popen(command, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    try:
        client = None
        for _ in range(600):
            text = Path(log.name).read_text()
            if "ready:" in text:
                client = Client(f"http://127.0.0.1:{port}/", verbose=False)
                break
            assert app.poll() is None, text
            threading.Event().wait(0.5)
        assert client is not None, Path(log.name).read_text()
        text = Path(log.name).read_text()
        assert "could not save the index" in text and "serving it from memory" in text
        assert "Read-only file system" in text or "Permission denied" in text or "not writable" in text
        answer = client.predict(question=PILOTS_Q, api_name="/ask")
        assert answer["status"] == "answered" and answer["citations"][0]["doc_id"] == PILOTS_NAME[:-4]
        assert all(c["verification"]["ok"] for c in answer["citations"])
    finally:
        app.kill()
        app.wait(30)
        log.close()
        for path in [folder, *folder.rglob("*")]:
            path.chmod(path.stat().st_mode | 0o200)
    assert gen_files(folder) == before


# --- issue 23: damaged files that are not the index's own kind of damage ---------------------------------------
DEEP_JSON = "[" * 1500 + "]" * 1500


def test_a_deeply_nested_manifest_is_damage_and_rebuilt(private_settings, encoder, caplog):
    folder = private_settings.index_path
    (current_generation(folder) / "manifest.json").write_text(DEEP_JSON)
    with caplog.at_level(logging.WARNING, logger="qa"):
        engine = open_engine(private_settings, encoder=encoder)
    assert engine.reason == "damaged" and engine.report.saved
    assert any("nested too deeply" in r.getMessage() for r in caplog.records)
    assert open_engine(private_settings, encoder=encoder).report.loaded  # the rebuilt index serves the next start


def test_a_file_where_the_cache_folder_belongs_is_removed_and_the_index_saved(private_settings, encoder, cli, caplog):
    from conftest import run_cli

    folder = private_settings.index_path
    shutil.rmtree(folder / "cache")
    (folder / "cache").write_text("not a folder")
    env = {"SOURCEQA_CORPUS": str(private_settings.corpus), "SOURCEQA_INDEX_DIR": str(folder)}
    with caplog.at_level(logging.WARNING, logger="qa"):
        ran = run_cli(["index", "--rebuild"], encoder, env)
    assert ran.returncode == 0 and "Traceback" not in ran.stderr and "NOT saved" not in ran.stdout, ran
    assert any("was not a folder" in r.getMessage() for r in caplog.records)
    assert (folder / "cache").is_dir() and open_engine(private_settings, encoder=encoder).report.loaded


def test_verify_of_deeply_nested_json_is_a_user_error(cli, tmp_path):
    from helpers import assert_one_line_error

    deep = write(tmp_path, "deep.json", DEEP_JSON)
    assert_one_line_error(cli("verify", str(deep)), "nested too deeply")


def test_a_killed_onnx_export_leaves_nothing_behind_at_the_next_start(tmp_path, caplog):
    from embeddings import onnx

    target = tmp_path / "export"
    write(target, "model.onnx", b"an export that finished")
    stale = [write(target, ".model.k2j3h4.onnx.tmp", b"x" * 1000), write(target, ".model-int8.a1b2.onnx.tmp", b"y")]
    with caplog.at_level(logging.WARNING, logger="qa"):
        path = onnx.export_model(None, target, quantize=False)  # the layout is not read: the export exists
    assert path == target / "model.onnx" and path.read_bytes() == b"an export that finished"
    assert not any(p.exists() for p in stale)
    assert sum("interrupted" in r.getMessage() for r in caplog.records) == 2
