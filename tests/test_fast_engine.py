"""The whole flow, files to cited answers, on the fake encoder: what holds whatever model embeds (the fast tier)."""

from __future__ import annotations

import json
from itertools import pairwise

import pytest
from fakes import open_fake
from helpers import WHY, write

from qa import Filters, Settings, Status, UserError, verify
from qa.cli.commands import neighbours, paragraph_citation


def test_an_index_built_once_is_loaded_with_nothing_embedded(fake_engine, fake_encoder):
    assert not fake_engine.report.loaded and fake_engine.report.passages == len(fake_engine.passages) > 0
    again = open_fake(fake_engine.settings, fake_encoder)
    assert again.report.loaded and again.report.embedded == 0
    assert [p.id for p in again.passages] == [p.id for p in fake_engine.passages]


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_search_ranks_k_passages_from_one_and_keeps_to_the_filters(fake_engine, mode):
    hits = fake_engine.search("Taliban embassy in Moscow", mode=mode, k=4)
    assert [h.rank for h in hits] == [1, 2, 3, 4]
    assert all(a.score >= b.score for a, b in pairwise(hits))
    doc = fake_engine.articles()[1].article
    only = fake_engine.search("Taliban embassy in Moscow", mode=mode, k=3, filters=Filters((doc.doc_id,)))
    assert only and {h.passage.doc_id for h in only} == {doc.doc_id}


def test_an_answer_is_the_articles_own_sentences_each_cited_and_verified(fake_engine):
    answer = fake_engine.ask(WHY)
    assert answer.status in (Status.ANSWERED, Status.PARTIAL) and answer.citations
    for sentence in answer.sentences:
        cited = next(c for c in answer.citations if c.marker == sentence.marker)
        assert sentence.text in cited.text
    assert all(verify(c).ok for c in answer.citations)
    assert json.loads(json.dumps(answer.to_dict()))["citations"]


def test_a_follow_up_is_read_with_the_question_before_it(fake_engine):
    first = fake_engine.ask(WHY)
    follow = fake_engine.ask("And who said that?", [first])
    assert follow.status in (Status.ANSWERED, Status.PARTIAL, Status.NOT_IN_SOURCES)


@pytest.mark.parametrize("bad", ["", "   ", "?!"])
def test_a_question_without_words_is_a_user_error(fake_engine, bad):
    with pytest.raises(UserError):
        fake_engine.ask(bad)


def test_unknown_articles_and_passages_are_user_errors_naming_what_exists(fake_engine):
    with pytest.raises(UserError, match="no article"):
        fake_engine.search("Taliban", filters=Filters(("no-such-article",)))
    with pytest.raises(UserError, match="paragraphs 1 to"):
        fake_engine.passage(f"{fake_engine.passages[0].doc_id}:9999")


def test_the_cli_helpers_show_a_paragraph_among_its_neighbours_and_cite_it_whole(fake_engine):
    target = fake_engine.passages[2]
    around = neighbours(fake_engine, target, 1)
    assert target in around and len(around) <= 3
    citation = paragraph_citation(fake_engine, target.id)
    assert citation.text == target.text and verify(citation).ok


def test_an_added_file_is_indexed_and_searchable_at_once(fake_encoder, tmp_path):
    corpus = tmp_path / "corpus"
    write(corpus, "herons.txt", "Herons nested on the Severn islands again this year, the trust said.\n")
    settings = Settings.load(corpus=corpus, index_dir=tmp_path / "index", reader="builtin")
    engine = open_fake(settings, fake_encoder)
    results, report = engine.add_files([("otters.txt", b"Otters returned to the Wye valley this spring, wardens said.\n")])
    assert [r.status for r in results] == ["added"] and report is not None and report.articles == 2
    assert engine.search("otters Wye valley", mode="bm25", k=1)[0].passage.doc_id == "otters"
