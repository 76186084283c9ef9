"""The command line as a user runs it: JSON output, progress and summary, one-line errors with exit code 2."""

from __future__ import annotations

import json

import pytest
from helpers import SMALL_QUERIES, assert_one_line_error


def test_search_json_returns_passages_from_three_articles(cli):
    out = cli("search", "Why does Russia engage the Taliban?", "--json", "--k", "10")
    assert out.returncode == 0, out.stderr
    data = json.loads(out.stdout)
    assert len({h["doc_id"] for h in data["hits"]}) >= 3
    first = data["hits"][0]
    assert {"id", "score", "title", "publisher", "date", "n", "start", "end", "text"} <= set(first)


def test_index_prints_a_summary(cli):
    out = cli("index")
    assert out.returncode == 0, out.stderr
    assert "5 articles" in out.stdout and "passages" in out.stdout and "boilerplate" in out.stdout


def test_show_marks_the_paragraph_among_its_neighbours(cli):
    out = cli("show", "bloomberg-2020-russia-seeks-good-relations-with-taliban:3", "--json")
    data = json.loads(out.stdout)
    assert data["passage"]["n"] == 3 and [p["n"] for p in data["neighbours"]] == [2, 3, 4]


@pytest.mark.parametrize("args, words", [
    (("search", "   "), "empty"),
    (("show", "bloomberg-2020-russia-seeks-good-relations-with-taliban:99"), "paragraphs 1 to"),
    (("search", "x", "--corpus", "/no/such/folder"), "does not exist"),
    (("search", "x", "--k", "zero"), "whole number"),
    (("search",), "question"),
    (("search", "x", "--from", "2021-13"), "YYYY"),
    (("ask", "x", "--from", "2022", "--to", "2018"), "reversed"),
    (("ask", "Why does Russia engage the Taliban?", "--article", "no-such-article"), "no article 'no-such-article'"),
    (("search", "Taliban", "--article", "no-such-article"), "no article 'no-such-article'"),
])
def test_user_errors_are_one_line_and_exit_2(cli, args, words):
    assert_one_line_error(cli(*args), words)


def test_verify_refuses_files_that_hold_no_citations_in_one_line(cli, tmp_path):
    for name, text in (("list.json", "[1, 2]"), ("null.json", '{"citations": null}'), ("empty.json", "[]")):
        path = tmp_path / name
        path.write_text(text, encoding="utf-8")
        out = cli("verify", str(path))
        assert "Traceback" not in out.stderr, out.stderr
        if name == "empty.json" or name == "null.json":
            assert out.returncode == 0 and "no citations to verify" in out.stdout
        else:
            assert out.returncode == 2 and "not a citation: int" in out.stderr


def test_calibrate_fits_and_saves_a_threshold_with_the_question_set_it_came_from(cli, tmp_path):
    target = tmp_path / "calibration.json"
    out = cli("calibrate", "--queries", str(SMALL_QUERIES), "--save", str(target), "--json")
    assert out.returncode == 0, out.stderr
    fitted = json.loads(out.stdout)
    saved = json.loads(target.read_text())[fitted["model"]]
    assert saved["threshold"] == fitted["threshold"] and saved["queries"] == str(SMALL_QUERIES)
    assert saved["answerable"] > 0 and saved["off_topic"] > 0
