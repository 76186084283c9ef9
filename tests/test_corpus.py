"""Loading folders of articles: front matter, encodings, line ends, bad files, bad folders."""

from __future__ import annotations

import logging

import pytest
from helpers import write

from qa import UserError
from qa.ingest.chunking import chunk_article
from qa.ingest.corpus import load_corpus, read_source

BODY = "Tide tables were revised after the storm, the port authority said on Friday morning.\n\nA second paragraph follows here, with more words in it than a heading has."


def test_front_matter_fields_and_body_start(tmp_path):
    write(tmp_path, "a.txt", f"---\ntitle: Tides Revised\npublisher: Port Gazette\ndate: 2019-05\nauthor: Kim Park\n---\n{BODY}")
    (article,) = load_corpus(tmp_path).articles
    assert (article.title, article.publisher, article.date, article.author) == ("Tides Revised", "Port Gazette", "2019-05", "Kim Park")
    assert article.text[article.body_start:] == BODY


def test_title_falls_back_to_first_line_and_md_heading(tmp_path):
    write(tmp_path, "plain.txt", f"Storm Hits Port\n\n{BODY}")
    write(tmp_path, "notes.md", f"# Harbour Notes\n\n{BODY} Extra words make it different.")
    titles = {a.doc_id: a.title for a in load_corpus(tmp_path).articles}
    assert titles == {"plain": "Storm Hits Port", "notes": "Harbour Notes"}


def test_bom_and_crlf_keep_exact_spans(tmp_path):
    raw = ("\ufeff---\r\ntitle: T\r\n---\r\n" + BODY.replace("\n", "\r\n")).encode("utf-8")
    path = write(tmp_path, "crlf.txt", raw)
    (article,) = load_corpus(tmp_path).articles
    text = read_source(path)
    passages = chunk_article(article).passages
    assert len(passages) == 2
    for p in passages:
        assert text[p.start:p.end] == p.text and "\r" not in p.text


def test_undecodable_empty_binary_and_duplicate_files_are_skipped_with_warnings(tmp_path, caplog):
    write(tmp_path, "good.txt", BODY)
    write(tmp_path, "copy.txt", BODY)
    write(tmp_path, "latin1.txt", "Caf\xe9 society".encode("latin-1"))
    write(tmp_path, "empty.txt", "")
    write(tmp_path, "blob.txt", b"\x00\x01\x02binary")
    write(tmp_path, "ignored.pdf", "not read")
    with caplog.at_level(logging.WARNING, logger="qa"):
        corpus = load_corpus(tmp_path)
    assert [a.doc_id for a in corpus.articles] == ["copy"]
    joined = "\n".join(corpus.warnings)
    for name in ("good.txt", "latin1.txt", "empty.txt", "blob.txt"):
        assert name in joined
    assert "not valid UTF-8" in joined and "duplicate" in joined
    assert caplog.records


def test_broken_front_matter_is_read_as_plain_text_with_a_warning(tmp_path):
    write(tmp_path, "broken.txt", f"---\ntitle: Never closed\n{BODY}")
    corpus = load_corpus(tmp_path)
    assert "front matter" in corpus.warnings[0] and "broken.txt" in corpus.warnings[0]
    assert corpus.articles[0].body_start == 0


def test_nested_folders_give_path_ids_and_hidden_folders_are_skipped(tmp_path):
    write(tmp_path, "2020/a.txt", BODY)
    write(tmp_path, ".sourceqa/junk.txt", "index files live here")
    assert [a.doc_id for a in load_corpus(tmp_path).articles] == ["2020/a"]


def test_missing_empty_and_file_paths_are_clear_errors(tmp_path):
    with pytest.raises(UserError, match="does not exist"):
        load_corpus(tmp_path / "nope")
    with pytest.raises(UserError, match=r"no \.txt, \.md, \.html, \.htm or \.pdf files"):
        load_corpus(tmp_path)
    f = write(tmp_path, "x.txt", BODY)
    with pytest.raises(UserError, match="not a folder"):
        load_corpus(f)


def test_a_title_is_cut_to_a_line(tmp_path):
    write(tmp_path, "one-line.txt", "word " * 100_000 + f"\n\n{BODY}")
    (article,) = load_corpus(tmp_path).articles
    assert len(article.title) <= 201 and article.title.endswith("…")
