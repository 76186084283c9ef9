"""The running app's API through gradio_client: ask with citations, the library, uploads that are searchable at once."""

from __future__ import annotations

import re
from pathlib import Path

import pytest
from gradio_client import Client, handle_file
from helpers import GLACIER, WHY, write


@pytest.fixture(scope="module")
def client(web_app) -> Client:
    """A gradio_client connected to the session's web app."""
    return Client(web_app.url, verbose=False)


def test_ask_returns_sentences_with_verified_citations(client):
    answer = client.predict(question=WHY, api_name="/ask")
    assert answer["status"] == "answered"
    assert len(answer["citations"]) >= 2
    markers = {c["marker"] for c in answer["citations"]}
    assert {s["marker"] for s in answer["sentences"] + answer["more"]} == markers  # further reasons are cited too
    for c in answer["citations"]:
        assert c["verification"]["ok"], c["verification"]
        for h in c["highlights"]:
            assert c["text"][h["start"]:h["end"]] in answer["answer"]


def test_follow_up_uses_the_history(client):
    answer = client.predict(question="And who said that?", history=[WHY], api_name="/ask")
    assert answer["follow_up"] is True


def test_off_topic_question_is_not_in_the_sources(client):
    answer = client.predict(question="What is the boiling point of mercury?", api_name="/ask")
    assert answer["status"] == "not_in_sources"
    assert answer["sentences"] == [] and all(c["weak"] for c in answer["citations"])


def test_filters_and_bad_input(client, web_app):
    doc = next(a["doc_id"] for a in client.predict(api_name="/list_articles") if a["publisher"] == "The Diplomat")
    answer = client.predict(question=WHY, articles=[doc], api_name="/ask")
    assert {c["doc_id"] for c in answer["citations"]} == {doc}
    hits = client.predict(question=WHY, mode="bm25", k=3, date_from="2020", api_name="/search")
    assert len(hits) == 3 and all(h["date"] >= "2020" for h in hits)
    assert client.predict(question="   ", api_name="/ask")["status"] == "invalid"
    with pytest.raises(Exception, match="YYYY"):
        client.predict(question=WHY, date_from="last year", api_name="/ask")


def test_list_and_show_articles(client):
    articles = client.predict(api_name="/list_articles")
    assert len(articles) >= 5 and all(a["paragraphs"] > 0 for a in articles)
    shown = client.predict(doc_id=articles[0]["doc_id"], api_name="/show_article")
    assert [p["n"] for p in shown["paragraphs"]] == list(range(1, articles[0]["paragraphs"] + 1))
    assert len(shown["dropped_boilerplate"]) == articles[0]["dropped_boilerplate"]


def upload(client: Client, *paths: Path) -> dict:
    """Upload files through the API; what the app did with each."""
    return client.predict(files=[handle_file(str(p)) for p in paths], api_name="/upload_articles")


def test_upload_then_ask_about_the_new_article(client, web_app, tmp_path):
    path = write(tmp_path, "glacier news.md", GLACIER)
    before = len(client.predict(api_name="/list_articles"))
    outcome = upload(client, path)
    (result,) = outcome["results"]
    assert result["status"] == "added" and result["saved_as"] == "glacier-news.md"
    assert (web_app.corpus / "glacier-news.md").read_text(encoding="utf-8") == GLACIER
    # Only the new article's 3 paragraphs and 3 sentences were embedded; everything else came from the cache.
    assert re.search(r"embedded 6, reused [1-9]", outcome["index"]), outcome["index"]
    assert len(client.predict(api_name="/list_articles")) == before + 1
    answer = client.predict(question="Why is the Kongsbreen glacier retreating?", api_name="/ask")
    assert answer["status"] == "answered"
    # The reason, from the new article alone: no other article's sentences padded in.
    assert answer["citations"][0]["doc_id"] == "glacier-news" and "warmer seawater" in answer["answer"]
    assert {c["doc_id"] for c in answer["citations"]} == {"glacier-news"}

    again = upload(client, write(tmp_path / "copy", "same-text.txt", GLACIER))
    assert again["results"][0]["status"] == "duplicate" and again["index"] is None
    assert len(client.predict(api_name="/list_articles")) == before + 1


def test_rejected_uploads_say_why_and_names_are_made_safe(client, web_app, tmp_path):
    bad = upload(client, write(tmp_path, "latin1.txt", "caf\xe9 cr\xe8me".encode("latin-1")),
                 write(tmp_path, "empty.md", "  \n"))
    assert [r["status"] for r in bad["results"]] == ["rejected", "rejected"]
    assert "UTF-8" in bad["results"][0]["message"] and "empty" in bad["results"][1]["message"]
    weird = write(tmp_path, "..a <b> & 'c'.TXT", "Weird name.\n\nA paragraph about the Andes condor and its huge wingspan.\n")
    (result,) = upload(client, weird)["results"]
    assert result["status"] == "added" and result["saved_as"] == "a-b-c.txt"
    saved = [p for p in web_app.corpus.rglob("*") if p.is_file()]
    assert all(p.parent == web_app.corpus for p in saved)
    # Any file reaches the app, which says why it refuses each one (the browser's file-type filter is off).
    refused = upload(client, write(tmp_path, "notes.pdf", "%PDF-1.4"), write(tmp_path, "notes.docx", "PK"))["results"]
    assert [r["status"] for r in refused] == ["rejected", "rejected"]
    assert refused[0]["message"].startswith("notes.pdf: is not a readable PDF")
    assert refused[1]["message"] == "notes.docx: only .txt, .md, .html, .htm or .pdf files can be added"
    assert upload(client) == {"results": [], "index": None, "notice": "Choose one or more .txt, .md, .html, .htm or .pdf files first."}
