"""Hostile and broken input: random questions (hypothesis), broken corpus files, upload names that climb out of the
corpus folder, and the server's files. Nothing escapes as an exception, nothing lands or is read outside its place."""

from __future__ import annotations

import ast
import logging
import re
import shutil
from pathlib import Path

import pytest
from fuzzing import PAYLOADS, ask_and_check, histories, ks, modes, questions
from helpers import ROOT, assert_well_formed, write
from hypothesis import HealthCheck, example, given, settings

from qa import Settings, open_engine
from qa.cli.commands import paragraph_citation
from qa.ingest.uploads import safe_filename

# CI runs this many random questions; bench/fuzz.py runs the same property with 10,000 and more.
CI_EXAMPLES = 200


@settings(max_examples=CI_EXAMPLES, deadline=None, derandomize=True, database=None,
          suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large, HealthCheck.large_base_example])
@given(question=questions, history=histories, mode=modes, k=ks)
@example(question="0", history=["\ud800"], mode=None, k=None)  # found by bench/fuzz.py: a lone surrogate in the history
def test_random_questions_never_raise_and_answers_are_well_formed(engine, question, history, mode, k):
    ask_and_check(engine, question, history, mode, k)


API_QUESTIONS = ["\ud800 lone surrogate \udfff Taliban?", "\udfff\ud800 ?!", "\x00\x01\x1b[31m Taliban \x7f?", "Taliban " * 12_500,
                 "?!.,;:" * 100, "", "\u202e\u200b\ufeff", *PAYLOADS]


@pytest.mark.parametrize("question", API_QUESTIONS, ids=range(len(API_QUESTIONS)))
def test_hostile_questions_through_the_api_get_well_formed_json(web_app, question):
    event, data = call(web_app.url, "ask", [question, [question[:50]], "", 0, [], "", ""])
    assert event == "complete", data
    (answer,) = data
    assert answer["status"] in ("answered", "partial", "not_in_sources", "invalid")
    assert isinstance(answer["answer"], str) and isinstance(answer["citations"], list)
    assert all(c["verification"]["ok"] for c in answer["citations"])
    if answer["status"] == "invalid":
        assert answer["message"] and not answer["citations"]


def call(url: str, api: str, data: list) -> tuple[str, object]:
    """Call an endpoint over plain HTTP, as any script could (JSON escapes carry even lone surrogates): (event, data)."""
    import json

    import httpx

    body = json.dumps({"data": data})  # ASCII with \u escapes
    posted = httpx.post(f"{url}/gradio_api/call/{api}", content=body, headers={"content-type": "application/json"})
    event_id = posted.json()["event_id"]
    event = ""
    with httpx.stream("GET", f"{url}/gradio_api/call/{api}/{event_id}", timeout=120) as stream:
        for line in stream.iter_lines():
            if line.startswith("event: "):
                event = line[7:]
            elif line.startswith("data: ") and event in ("complete", "error"):
                return event, json.loads(line[6:])
    return event, None


# --- broken corpus files -------------------------------------------------------------------------------------
BEES = """Beekeepers in Kent said on Monday that the mild winter had woken their colonies weeks early this year.

The county association warned that a late cold snap could kill many of the bees before the orchards flower.
"""
CAP = 40  # paragraphs per file for this test (the default, 1000, would take minutes to embed for the log file)


@pytest.fixture(scope="module")
def broken_corpus(engine, tmp_path_factory) -> Path:
    """The bundled articles plus every kind of broken file."""
    root = tmp_path_factory.mktemp("broken")
    corpus = root / "corpus"
    shutil.copytree(engine.settings.corpus, corpus, ignore=shutil.ignore_patterns(".*"))
    shutil.copytree(engine.settings.index_path / "cache", root / "index" / "cache")  # the bundled articles' vectors
    write(corpus, "empty.txt", "")
    write(corpus, "blob.txt", bytes(range(256)) * 64)
    write(corpus, "latin1.txt", ("Caf\xe9 cr\xe8me " * 40).encode("latin-1"))
    write(corpus, "huge-paragraph.txt", "The pump at the station reported a normal pressure today. " * 180_000)
    write(corpus, "pump-log.txt", "Pump log\n\n" + "\n".join(
        f"Reading {i}: the pump at station {i % 97} reported a pressure of {i % 13} bar." for i in range(100_000)))
    diplomat = "the-diplomat-2017-four-reasons-russia-favors-taliban.txt"
    shutil.copy(corpus / diplomat, corpus / "zz-copy-of-the-diplomat.txt")  # sorts after: the original is kept
    write(corpus, "broken-front-matter.md", f"---\ntitle: Never closed\npublisher Kent Wire\n{BEES}")
    return corpus


BROKEN = {"empty.txt": "empty", "blob.txt": "binary", "latin1.txt": "UTF-8", "huge-paragraph.txt": "characters left out",
          "pump-log.txt": "100,000 paragraphs; only the first 40 are indexed and 99,960 left out",
          "zz-copy-of-the-diplomat.txt": "duplicate", "broken-front-matter.md": "front matter"}


def test_broken_files_are_warned_about_by_name_and_the_rest_is_indexed(broken_corpus, engine, encoder, caplog):
    settings = Settings.load(corpus=broken_corpus, index_dir=broken_corpus.parent / "index", max_paragraphs=CAP)
    for attempt in ("build", "load"):
        caplog.clear()
        with caplog.at_level(logging.WARNING, logger="qa"):
            fresh = open_engine(settings, encoder=encoder)
            report = fresh.report
        assert report.loaded == (attempt == "load")
        logged = [r.getMessage() for r in caplog.records if r.levelno >= logging.WARNING]
        for name, what in BROKEN.items():
            assert any(name in w and what in w for w in fresh.library.warnings), (name, fresh.library.warnings)
            assert any(name in line and what in line for line in logged), (name, logged)
    assert "SOURCEQA_MAX_PARAGRAPHS" in "".join(fresh.library.warnings)
    # The bundled articles are indexed exactly as without the broken files.
    for chunk in engine.articles():
        assert fresh.article(chunk.article.doc_id).passages == chunk.passages
    assert len(fresh.article("pump-log").passages) == CAP
    assert len(fresh.article("huge-paragraph").passages) == 0 and len(fresh.article("huge-paragraph").article.title) <= 201
    assert {"empty", "blob", "latin1", "zz-copy-of-the-diplomat"}.isdisjoint(fresh.library.articles)
    answer = fresh.ask("Why does Russia engage the Taliban?")
    assert_well_formed(answer)
    assert answer.status == "answered" and {c.doc_id for c in answer.citations} <= {c.article.doc_id for c in engine.articles()}
    bees = fresh.ask("Why are the Kent beekeepers worried about a cold snap?")
    assert_well_formed(bees)
    assert bees.status == "answered" and bees.citations[0].doc_id == "broken-front-matter"


# --- file names ----------------------------------------------------------------------------------------------
CLIMBERS = ["../../etc/passwd.txt", "/etc/hosts.md", "..\\..\\windows\\win.ini.txt", ".bashrc.txt", "....txt",
            "a/../../b.md", "<script>alert(1)</script>.txt", "con .txt", "\u202egnp.txt", "x" * 300 + ".txt"]


def test_uploaded_file_names_cannot_leave_the_corpus_folder(private_engine, tmp_path):
    corpus, index = private_engine.settings.corpus, private_engine.settings.index_path

    def outside() -> list[Path]:  # files in neither the corpus nor the index folder (which the upload rewrites)
        return sorted(p for p in tmp_path.rglob("*") if not {corpus, index} & {p, *p.parents})

    before = outside()
    files = [(name, f"Item {i} from the upload test: a paragraph about river otters number {i} in the valley.\n".encode())
             for i, name in enumerate(CLIMBERS)]
    results, report = private_engine.add_files(files)
    assert [r.status for r in results] == ["added"] * len(CLIMBERS) and report is not None
    for r in results:
        saved = corpus / r.saved_as
        assert saved.is_file() and saved.resolve().parent == corpus.resolve()
        assert r.paragraphs == 1, r  # a one-sentence file without front matter is indexed, not taken for a headline
        assert re.fullmatch(r"[A-Za-z0-9][A-Za-z0-9._-]*\.(txt|md)", r.saved_as) and len(r.saved_as) <= 110, r.saved_as
    assert results[0].saved_as == "passwd.txt" and safe_filename("../../etc/passwd.txt") == "passwd.txt"
    assert outside() == before


def test_the_server_keeps_upload_names_inside_the_corpus(web_app):
    import httpx

    text = b"Otters returned to the Wye valley this spring, wardens said, after an absence of thirty years.\n"
    response = httpx.post(f"{web_app.url}/gradio_api/upload", files=[("files", ("../../etc/passwd.txt", text))])
    (stored,) = response.json()
    assert Path(stored).name == "passwd.txt" and ".." not in Path(stored).parts
    event, outcome = call(web_app.url, "upload_articles", [[{"path": stored, "meta": {"_type": "gradio.FileData"}}]])
    (result,) = outcome[0]["results"]
    assert event == "complete" and result["status"] == "added"
    assert (web_app.corpus / result["saved_as"]).read_bytes() == text
    # The endpoint cannot be pointed at a file of the server's own.
    for path in ("/etc/passwd", str(ROOT / "README.md"), "../../etc/passwd"):
        event, outcome = call(web_app.url, "upload_articles", [[{"path": path, "meta": {"_type": "gradio.FileData"}}]])
        assert event == "error" and "not uploaded by a user" in str(outcome), (path, outcome)


# --- what the server and the index files expose --------------------------------------------------------------
def test_the_server_serves_no_file_outside_its_assets(web_app):
    import httpx

    article = next(web_app.corpus.glob("*.txt"))
    index = web_app.backend.settings.index_path
    secrets = {  # a file, and a piece of it that must never be in a response
        "/etc/passwd": "root:x:0:0", str(ROOT / "README.md"): "Ask questions of a folder of news articles",
        str(ROOT / "app.py"): "def serve(backend", str(ROOT / "qa" / "engine.py"): "class Engine:",
        str(article): article.read_text(encoding="utf-8").splitlines()[-1][:60],
        str(index / "CURRENT"): (index / "CURRENT").read_text().strip(),
    }
    with httpx.Client(base_url=web_app.url) as client:
        for path, secret in secrets.items():
            relative = Path(path).relative_to(ROOT).as_posix() if path.startswith(str(ROOT)) else None
            for target in filter(None, (path, relative, f"../../..{path}", path.replace("/", "%2F"))):
                for route in ("/gradio_api/file=", "/file=", "/gradio_api/static/", "/static/", "/assets/", "/"):
                    response = client.get(route + target)
                    assert secret not in response.text, (route + target, response.status_code)
                    assert response.status_code in (200, 403, 404, 405), (route + target, response.status_code)


PICKLERS = {"pickle", "cPickle", "_pickle", "dill", "joblib", "shelve", "marshal", "cloudpickle"}


def pickle_uses(path: Path) -> list[str]:
    """Lines of a source file that import a pickler, call torch.load without weights_only=True, or load arrays without
    allow_pickle=False."""
    found = []
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
            [node.module or ""] if isinstance(node, ast.ImportFrom) else []
        if any(n.split(".")[0] in PICKLERS for n in names):
            found.append(f"{path}:{node.lineno} imports {names}")
        if not isinstance(node, ast.Call):
            continue
        call = ast.unparse(node.func)
        keywords = {k.arg: k.value for k in node.keywords}
        no_pickle = isinstance(keywords.get("allow_pickle"), ast.Constant) and keywords["allow_pickle"].value is False
        safe_torch = isinstance(keywords.get("weights_only"), ast.Constant) and keywords["weights_only"].value is True
        if (call.startswith("torch.") and call.endswith((".load", ".loads")) and not safe_torch) or call.endswith("read_pickle"):
            found.append(f"{path}:{node.lineno} calls {call}")
        elif call in ("np.load", "numpy.load") or call.endswith("BM25.load"):
            if not no_pickle:
                found.append(f"{path}:{node.lineno} calls {call} without allow_pickle=False")
        elif "allow_pickle" in keywords and not no_pickle:
            found.append(f"{path}:{node.lineno} calls {call} with allow_pickle")
    return found


def test_no_code_path_loads_pickles(engine, tmp_path):
    sources = [p for d in ("qa", "embeddings", "webui", "bench") for p in (ROOT / d).rglob("*.py")] + [ROOT / "app.py"]
    assert [use for path in sources for use in pickle_uses(path)] == []
    planted = write(tmp_path, "bad.py", "import numpy as np\nfrom pickle import loads\nx = np.load('a.npy')\n"
                    "import torch\ny = torch.load('c.pt')\nz = torch.load('c.pt', weights_only=True)\n")
    assert len(pickle_uses(planted)) == 3  # the check itself finds what it looks for (torch's safe loader passes)
    # Every array file the index and the cache hold reads without pickle; the model is safetensors.
    arrays = [p for p in engine.settings.index_path.rglob("*") if p.suffix in (".npy", ".npz")]
    assert len(arrays) >= 5
    import numpy as np

    for path in arrays:
        loaded = np.load(path, allow_pickle=False)
        for array in (loaded.values() if hasattr(loaded, "values") else [loaded]):
            assert array.dtype != object
    from embeddings import resolve_model

    model = Path(resolve_model(None)[1])
    assert (model / "model.safetensors").is_file() and not list(model.rglob("*.bin")) + list(model.rglob("*.pkl"))


# --- issue 23: colliding article ids -------------------------------------------------------------------------
OTTERS = "Otters returned to the Wye valley this spring, wardens said, after an absence of thirty years.\n"
HERONS = "Herons nested on the Severn islands again this year, the trust said, after the long floods of winter.\n"


def test_uploads_sharing_a_stem_or_a_slug_get_their_own_article_ids(private_engine):
    from qa import verify

    files = [("report.txt", OTTERS.encode()), ("report.md", HERONS.encode()),
             ("отчёт.txt", OTTERS.replace("Wye", "Usk").encode()), ("доклад.md", HERONS.replace("Severn", "Tamar").encode())]
    results, _ = private_engine.add_files(files)
    assert [r.status for r in results] == ["added"] * 4, results
    stems = [Path(r.saved_as).stem for r in results]
    assert len(set(stems)) == 4, stems  # report, report-2, upload, upload-2
    ids = [c.article.doc_id for c in private_engine.articles()]
    assert len(ids) == len(set(ids))
    for r, (_, text) in zip(results, files):
        chunk = next(c for c in private_engine.articles() if Path(c.article.path).name == r.saved_as)
        assert chunk.passages[0].text == text.decode().strip()
        assert verify(paragraph_citation(private_engine, chunk.passages[0].id)).ok


def test_files_sharing_a_stem_in_the_folder_get_ids_with_their_suffix(private_settings, encoder, cli):
    from qa import verify
    from qa.ingest.corpus import load_corpus

    write(private_settings.corpus, "report.txt", OTTERS)
    write(private_settings.corpus, "report.md", HERONS)
    ids = [a.doc_id for a in load_corpus(private_settings.corpus).articles]
    assert len(ids) == len(set(ids)) and {"report.txt", "report.md"} <= set(ids)
    engine = open_engine(private_settings, encoder=encoder)
    for doc_id, text in (("report.txt", OTTERS), ("report.md", HERONS)):
        assert engine.article(doc_id).passages[0].text == text.strip()
        assert verify(paragraph_citation(engine, f"{doc_id}:1")).ok
    answer = engine.ask("Where did the herons nest again?")
    assert answer.citations[0].doc_id == "report.md" and all(verify(c).ok for c in answer.citations)
    env = {"SOURCEQA_CORPUS": str(private_settings.corpus), "SOURCEQA_INDEX_DIR": str(private_settings.index_path)}
    from conftest import run_cli

    shown = run_cli(["show", "report.md:1"], encoder, env)
    assert shown.returncode == 0 and "Herons" in shown.stdout and "Otters" not in shown.stdout


def test_an_index_built_with_colliding_ids_is_rebuilt_with_the_new_ones(private_settings, encoder, monkeypatch):
    from qa import verify
    from qa.ingest import corpus
    from qa.ingest.formats import doc_id_for

    write(private_settings.corpus, "report.txt", OTTERS)
    write(private_settings.corpus, "report.md", HERONS)
    with monkeypatch.context() as m:  # the ids an older version gave: the stem alone, twice "report"
        m.setattr(corpus, "doc_ids", lambda folder, paths: {p: doc_id_for(folder, p) for p in paths})
        old = open_engine(private_settings, encoder=encoder)
        assert [c.article.doc_id for c in old.articles()].count("report") == 2
    upgraded = open_engine(private_settings, encoder=encoder)
    assert not upgraded.report.loaded and upgraded.reason == "stale"
    ids = [c.article.doc_id for c in upgraded.articles()]
    assert len(ids) == len(set(ids)) and {"report.txt", "report.md"} <= set(ids)
    answer = upgraded.ask("Where did the herons nest again?")
    assert answer.citations and all(verify(c).ok for c in answer.citations)


# --- issue 23: a PDF of many short lines, a huge text file ---------------------------------------------------
def test_joining_a_pdfs_hyphenated_lines_is_linear(monkeypatch):
    from documents import lines_pdf

    from qa.ingest.formats import clear_cache, extract, pdf

    searched: list[int] = []
    real = pdf._HYPHENATED

    class Counting:
        def search(self, text: str):
            searched.append(len(text))
            return real.search(text)

    monkeypatch.setattr(pdf, "_HYPHENATED", Counting())
    clear_cache()
    lines = 3_000
    got = extract("lines.pdf", lines_pdf(lines))
    assert len(got.text) > lines
    assert sum(searched) <= 4 * lines  # each line's end is looked at, not the whole paragraph joined so far


def test_an_uploaded_pdf_is_extracted_once(private_engine, monkeypatch):
    from documents import pdf_pages

    from qa.ingest.formats import clear_cache, pdf

    pages: list[object] = []
    real = pdf._page_lines
    monkeypatch.setattr(pdf, "_page_lines", lambda page: pages.append(page) or real(page))
    clear_cache()
    (result,), _ = private_engine.add_files([("otters.pdf", pdf_pages([[OTTERS.strip() + " " + HERONS.strip()]]))])
    assert result.status == "added" and result.paragraphs == 1
    assert len(pages) == 1


def test_a_huge_text_file_is_read_only_up_to_the_bound(private_settings, encoder, monkeypatch):
    from qa import verify
    from qa.ingest import chunking
    from qa.ingest import formats as ingest

    monkeypatch.setattr(ingest, "MAX_TEXT_BYTES", 200_000)
    classified: list[int] = []
    real = chunking.classify
    monkeypatch.setattr(chunking, "classify", lambda texts, *a: classified.append(len(texts)) or real(texts, *a))
    log = "Pump log\n\n" + "\n".join(f"Reading {i}: the pump at station {i % 97} reported a pressure of {i % 13} bar."
                                     for i in range(60_000))
    write(private_settings.corpus, "pump-log.txt", log)
    settings = Settings.load(corpus=private_settings.corpus, index_dir=private_settings.index_path, max_paragraphs=CAP)
    engine = open_engine(settings, encoder=encoder)
    chunk = engine.article("pump-log")
    assert len(chunk.article.text) <= 200_000 and log.startswith(chunk.article.text)
    assert any("pump-log.txt" in w and "only the first" in w and "bytes" in w for w in engine.library.warnings)
    assert max(classified) <= 2 * CAP + chunking.CLASSIFY_MARGIN  # a window of paragraphs, not the 60,000
    assert len(chunk.passages) == CAP
    assert verify(paragraph_citation(engine, chunk.passages[-1].id)).ok


# --- issue 23: what the corpus folder holds besides files -----------------------------------------------------
def test_links_out_of_the_folder_and_special_files_are_warned_about_and_never_opened(tmp_path):
    import os

    from qa.ingest.corpus import load_corpus

    corpus = tmp_path / "corpus"
    write(corpus, "otters.txt", OTTERS)
    outside = write(tmp_path, "secret.txt", "The launch code is 0000, said the secret file nobody should index.\n")
    (corpus / "passwd.txt").symlink_to("/etc/passwd")
    (corpus / "secret.txt").symlink_to(outside)
    (corpus / "zz-inside.txt").symlink_to(corpus / "otters.txt")  # a link within the folder is read (a duplicate here)
    (corpus / "zero.txt").symlink_to("/dev/zero")
    (corpus / "broken.txt").symlink_to(tmp_path / "gone.txt")
    (corpus / "folder.txt").mkdir()
    os.mkfifo(corpus / "fifo.txt")
    loaded = load_corpus(corpus)
    assert [a.doc_id for a in loaded.articles] == ["otters"]
    expected = {"passwd.txt": "outside the corpus folder", "secret.txt": "outside the corpus folder",
                "zero.txt": "outside the corpus folder", "broken.txt": "broken symbolic link",
                "folder.txt": "is a folder", "fifo.txt": "not a regular file", "zz-inside.txt": "duplicate"}
    for name, what in expected.items():
        assert any(f"{name}:" in w and what in w for w in loaded.warnings), (name, loaded.warnings)


# --- issue 23: messages instead of tracebacks and raw errors -------------------------------------------------
def test_the_app_on_a_busy_port_or_a_bad_host_says_which_setting_in_one_line(capsys):
    import socket

    from app import main

    with socket.socket() as busy:
        busy.bind(("127.0.0.1", 0))
        busy.listen()
        port = busy.getsockname()[1]
        assert main(["--port", str(port)]) == 2
        assert "in use" in capsys.readouterr().err
        assert main(["--host", "999.1.1.1", "--port", str(port)]) == 2
    err = capsys.readouterr().err
    assert "--host" in err and "SOURCEQA_HOST" in err and len(err.strip().splitlines()) == 1


def test_an_upload_into_a_folder_that_cannot_be_written_is_one_line_per_file(private_engine, monkeypatch):
    from qa.ingest import uploads

    def refuse(path, data):
        raise PermissionError(1, "Operation not permitted", str(path))

    monkeypatch.setattr(uploads, "atomic_write", refuse)
    results, report = private_engine.add_files([("otters.txt", OTTERS.encode()), ("herons.txt", HERONS.encode())])
    assert report is None and [r.status for r in results] == ["rejected", "rejected"]
    for r in results:
        assert r.message.startswith(r.name) and "Operation not permitted" in r.message and "the corpus setting (SOURCEQA_CORPUS)" in r.message
        assert ".tmp" not in r.message and "\n" not in r.message


def test_a_long_pdfs_left_out_pages_are_said_in_the_upload_reply(private_engine):
    from documents import long_pdf

    (result,), _ = private_engine.add_files([("archive.pdf", long_pdf(320))])
    assert result.status == "added" and "320 pages" in result.message and "20 left out" in result.message


def test_input_echoed_in_messages_is_cut(engine):
    from qa import Filters, UserError

    huge = "x" * 1_000_000
    for call in (lambda: engine.article(huge), lambda: engine.passage(huge + ":1"), lambda: engine.passage(huge),
                 lambda: engine.ask("Why?", filters=Filters.checked([huge])), lambda: engine.ask("Why?", mode=huge),
                 lambda: engine.ask("Why?", k=huge)):
        with pytest.raises(UserError) as caught:
            call()
        assert len(str(caught.value)) < 1_000 and "1,000,000 characters" in str(caught.value), str(caught.value)[:300]


def test_one_article_id_given_bare_is_one_id_and_impossible_dates_are_refused(engine):
    from qa import Filters, UserError

    doc_id = engine.articles()[0].article.doc_id
    assert Filters.checked(doc_id).doc_ids == (doc_id,)
    with pytest.raises(UserError, match="no article 'xss'"):
        engine.ask("Why?", filters=Filters.checked("xss"))
    for bad in ("2021-02-30", "0000", "2021-13", "2023-02-29", "0000-01"):
        with pytest.raises(UserError, match=r"not a date|is not YYYY"):
            Filters.checked((), bad, None)
    assert Filters.checked((), "2024-02-29", "2025").date_from == "2024-02-29"


def test_cli_mistakes_are_usage_errors(cli):
    from helpers import assert_one_line_error

    assert_one_line_error(cli("articles", "--corpus", "/etc/hostname"), "is a file, not a folder")
    passage = cli("articles", "--json")
    assert passage.returncode == 0
    assert_one_line_error(cli("show", "x:2", "--around", "-5"), "--around")


# --- issue 23: what one request may make the server hold -----------------------------------------------------
def test_questions_and_histories_are_read_only_up_to_their_caps(engine, monkeypatch):
    from qa.answer import conversation, question
    from qa.answer.question import MAX_HISTORY_ITEMS, MAX_QUESTION_CHARS

    tidied: list[int] = []
    for module in (question, conversation):
        real = module.tidy
        monkeypatch.setattr(module, "tidy", lambda text, real=real: tidied.append(len(text)) or real(text))
    huge = "Why does Russia engage the Taliban? " * 30_000  # about 1 MB
    answer = engine.ask(huge, [f"Earlier question {i} about the Taliban? " * 30_000 for i in range(1_000)])
    assert_well_formed(answer)
    assert max(tidied) <= MAX_QUESTION_CHARS and len(tidied) <= 1 + MAX_HISTORY_ITEMS
    assert any("cut" in n and f"{len(huge):,}" in n for n in answer.notes) and len(answer.question) <= MAX_QUESTION_CHARS


def test_the_server_keeps_a_bounded_number_of_sessions_each_with_a_bounded_request(web_app):
    import httpx

    from webui.limits import MAX_BODY_BYTES
    from webui.ui import MAX_SESSIONS

    assert web_app.blocks.state_session_capacity == MAX_SESSIONS <= 1_000
    big = "Why does Russia engage the Taliban? " * (MAX_BODY_BYTES // 36 + 1)
    for body in ({"data": [big, [], "", 0, [], "", ""]}, {"data": ["Why?", [big[:MAX_BODY_BYTES // 4]] * 5]}):
        refused = httpx.post(f"{web_app.url}/gradio_api/call/ask", json=body)
        assert refused.status_code == 413 and "2,000 characters" in refused.text
    chunked = httpx.post(f"{web_app.url}/gradio_api/call/ask", content=iter([b'{"data": ["', big.encode(), b'"]}']),
                         headers={"content-type": "application/json"})
    assert chunked.status_code == 413  # no length given: counted as it arrives
    event, data = call(web_app.url, "ask", [big[:100_000], [big[:50_000]] * 3, "", 0, [], "", ""])
    assert event == "complete" and data[0]["status"] in ("answered", "partial", "not_in_sources")
    file = httpx.post(f"{web_app.url}/gradio_api/upload", files=[("files", ("big.txt", b"x" * (2 * MAX_BODY_BYTES)))])
    assert file.status_code == 200  # uploads have their own limit, per file


def test_the_raw_upload_route_keeps_nothing_beyond_what_upload_articles_keeps(web_app):
    import httpx
    from gradio.route_utils import delete_files_created_by_app

    from webui.ui import UPLOAD_KEEP_S

    added = b"Kingfishers were seen on the Teme again this week, the river trust said in its spring survey.\n"
    response = httpx.post(f"{web_app.url}/gradio_api/upload", files=[
        ("files", ("kingfishers.txt", added)), ("files", ("script.exe", b"MZ not an article")),
        ("files", ("never-added.txt", b"A file sent to the upload route and never added to the library.\n"))])
    kept, refused, never = (Path(p) for p in response.json())
    assert kept.is_file() and refused.is_file() and never.is_file()
    event, outcome = call(web_app.url, "upload_articles", [[{"path": str(p), "meta": {"_type": "gradio.FileData"}}
                                                            for p in (kept, refused)]])
    assert event == "complete" and [r["status"] for r in outcome[0]["results"]] == ["added", "rejected"]
    assert not kept.exists() and not refused.exists()  # read once; the corpus holds the added one
    assert (web_app.corpus / outcome[0]["results"][0]["saved_as"]).read_bytes() == added
    assert web_app.blocks.delete_cache[1] == UPLOAD_KEEP_S <= 3_600
    delete_files_created_by_app(web_app.blocks, 0)  # Gradio's sweep, as it runs every UPLOAD_SWEEP_S
    assert not never.exists()
