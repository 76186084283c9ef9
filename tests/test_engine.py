"""End to end on the bundled corpus with the real model and real FAISS and BM25 indexes."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from itertools import pairwise
from pathlib import Path

import pytest
from helpers import PILOTS, PILOTS_NAME, WHY, write

import qa.index.lexical
from qa import Filters, Settings, UserError, open_engine
from qa.bench.queries import load_queries, relevant_ids
from qa.ingest.corpus import read_source

# Lines of the raw articles that are page furniture, not article prose.
BOILERPLATE = [
    "ADVERTISEMENT", "Photographer: Sefa Karacan", "Before it's here, it's on the Bloomberg Terminal",
    "To contact the reporter", "To contact the editors", "With assistance from", "\u00a92020 Bloomberg",
    "Like it? Share with your friends", "What's Your Reaction?", "hate hate", "win win",
    "Your email address will not be published", "\u00a9 Sipa / Shutterstock", "Credit: Patrick Tsui",
    "Recent Features", "This holiday season, give to", "intrepid correspondents", "We see it.",
    "We report with just one agenda", "Getty Images", "Zamir Kabulov\n",
]


def test_no_boilerplate_line_is_a_passage(engine):
    for p in engine.library.passages:
        for line in BOILERPLATE:
            assert line.strip() not in p.text or len(p.text) > 3 * len(line), (p.id, line)
    titles = {c.article.title for c in engine.articles()}
    assert not any(p.text.strip() in titles for p in engine.library.passages)


def test_every_span_reproduces_its_text_from_the_file(engine):
    for chunk in engine.articles():
        text = read_source(chunk.article.path)
        for p in chunk.passages:
            assert text[p.start:p.end] == p.text
        assert [p.n for p in chunk.passages] == list(range(1, len(chunk.passages) + 1))


def test_sections_come_from_subheadings(engine):
    sections = {p.section for p in engine.library.passages if p.doc_id.startswith("bloomberg-2017")}
    assert {"Peace Talks", "Global Jihad"} <= sections


def test_warm_start_embeds_and_tokenises_nothing(engine, encoder, monkeypatch):
    before = encoder.texts_encoded

    def no_tokenising(texts):
        raise AssertionError("a warm start must not tokenise")

    monkeypatch.setattr(qa.index.lexical, "tokenize", no_tokenising)
    warm = open_engine(engine.settings, encoder=encoder)
    report = warm.report
    assert report.loaded and encoder.texts_encoded == before
    assert warm.library.manifest.fingerprint == engine.library.manifest.fingerprint


def test_adding_a_file_embeds_only_its_paragraphs(private_engine, encoder):
    before = encoder.texts_encoded
    write(private_engine.settings.corpus, PILOTS_NAME, PILOTS)
    report = private_engine.refresh()
    new = [p for p in private_engine.library.passages if p.doc_id == "test-wire-2024-river-pilots"]
    sentences = sum(len(private_engine.library.sentence_rows[private_engine.library.rows[p.id]]) for p in new)
    assert len(new) == 2
    assert encoder.texts_encoded - before == report.embedded == len(new) + sentences
    hits = private_engine.search("Which union asked for icebreakers?", k=1)
    assert hits[0].passage.id == "test-wire-2024-river-pilots:2"


def test_an_upload_says_how_much_of_it_was_indexed(private_engine):
    capybaras = b"The capybara guild of Rivendale signed a grazing treaty with the otters on Thursday.\n"
    headings = b"Breaking News\n\nMore Stories\n\nSubscribe\n"
    results, report = private_engine.add_files([("capybaras.txt", capybaras), ("headings.md", headings)])
    assert report is not None and [r.status for r in results] == ["added", "added"]
    assert results[0].paragraphs == 1 and "nothing" not in results[0].message
    assert private_engine.ask("What did the capybara guild sign?").citations[0].doc_id == "capybaras"
    assert results[1].paragraphs == 0 and "nothing of it can be searched" in results[1].message


def test_the_why_question_finds_several_articles(engine):
    hits = engine.search(WHY, k=10)
    assert len({h.passage.doc_id for h in hits}) >= 3


@pytest.mark.parametrize("mode", ["bm25", "dense", "hybrid"])
def test_shipped_questions_find_their_paragraph_in_the_top_5(engine, mode):
    queries = [q for q in load_queries() if q.answerable]
    found = []
    for q in queries:
        gold = relevant_ids(q, engine.library.passages)
        assert gold, f"{q.id}: no passage holds its gold snippet"
        hits = engine.search(q.question, mode=mode, k=5)
        if gold & {h.passage.id for h in hits}:
            found.append(q.id)
    assert len(found) >= 20
    if mode == "hybrid":
        assert len(found) / len(queries) >= 0.85, f"hybrid top-5 hit rate fell to {len(found)}/{len(queries)}"


def test_results_are_deterministic_and_ranked(engine):
    a = engine.search("opium income of the Taliban", k=8)
    b = engine.search("opium income of the Taliban", k=8)
    assert [h.passage.id for h in a] == [h.passage.id for h in b]
    assert [h.rank for h in a] == list(range(1, 9))
    assert all(x.score >= y.score for x, y in pairwise(a))


def test_filters_by_article_and_date(engine):
    doc = "the-diplomat-2017-four-reasons-russia-favors-taliban"
    hits = engine.search(WHY, k=5, filters=Filters(doc_ids=(doc,)))
    assert hits and {h.passage.doc_id for h in hits} == {doc}
    hits = engine.search(WHY, k=10, filters=Filters(date_from="2020", date_to="2021-12"))
    assert hits and {h.passage.article.date[:4] for h in hits} <= {"2020", "2021"}
    assert engine.search(WHY, filters=Filters(date_from="2030")) == []


def test_user_errors(engine):
    with pytest.raises(UserError, match="empty"):
        engine.search("  \n\t ")
    with pytest.raises(UserError, match="paragraphs 1 to"):
        engine.passage("bloomberg-2017-russia-backs-taliban-troop-withdrawal-demand:99")
    with pytest.raises(UserError, match="ARTICLE:N"):
        engine.passage("nonsense")


def test_long_questions_are_cut_with_a_note(engine):
    q = engine.question("opium " * 5000)
    assert q.notes and len(q.text) < 5000
    assert engine.search(q, k=1)


def test_approximate_index_type_agrees_on_the_top_hit(engine, encoder, tmp_path):
    settings = engine.settings.with_values(index_dir=tmp_path / "hnsw", index_type="hnsw")
    shutil.copytree(engine.settings.index_path / "cache", Path(tmp_path / "hnsw" / "cache"))
    hnsw = open_engine(settings, encoder=encoder)
    assert hnsw.report.embedded == 0
    assert hnsw.library.vectors.kind == "hnsw"
    assert hnsw.search(WHY, k=1)[0].passage.id == engine.search(WHY, k=1)[0].passage.id


def test_the_readme_settings_table_lists_every_setting():
    readme = (Path(__file__).resolve().parent.parent / "README.md").read_text(encoding="utf-8")
    table = readme[readme.index("| setting | flag | environment | default |"):readme.index("The table is `Settings.OPTIONS`")]
    for option in Settings.OPTIONS:
        assert f"`{option.flag}`" in table and f"`{option.env}`" in table, option.field


def test_importing_the_library_changes_nothing_in_the_process():
    code = ("import os, logging, faiss; threads = faiss.omp_get_max_threads(); import qa, qa.types; "
            "print(os.environ.get('HF_HUB_OFFLINE'), logging.getLogger('qa').level, len(logging.getLogger().handlers), "
            "faiss.omp_get_max_threads() == threads, len(qa.__all__))")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("HF_", "TRANSFORMERS_"))}
    out = subprocess.run([sys.executable, "-c", code], cwd=Path(__file__).resolve().parent.parent, env=env, capture_output=True, text=True, check=True)
    assert out.stdout.split() == ["None", "0", "0", "True", "12"]


def test_documents_in_memory_are_indexed_as_given_and_their_vectors_cached(encoder, tmp_path):
    from qa.types import Document

    docs = [
        Document("quay", "The northern quay will close in May.\n\nDivers found deep cracks in its pilings.", "Quay repairs"),
        Document("tides", "The port authority revised its tide tables after a survey of the channel.", "Tide tables",
                 date="2024-03-14"),
    ]
    settings = Settings.load(index_dir=tmp_path / "index")
    engine = open_engine(settings, documents=docs, encoder=encoder)
    assert engine.in_memory and [p.id for p in engine.passages] == ["quay:1", "quay:2", "tides:1"]
    answer = engine.ask("What did divers find in the pilings?")
    assert answer.status == "answered" and answer.citations[0].passage_id == "quay:2"
    assert engine.search("tide tables", k=1, filters=Filters(date_from="2024"))[0].passage.doc_id == "tides"
    again = open_engine(settings, documents=docs, encoder=encoder)
    assert again.report.embedded == 0  # every vector from the cache in the index folder
    with pytest.raises(UserError, match="in memory"):
        again.refresh()
    with pytest.raises(UserError, match="share an id"):
        open_engine(settings, documents=docs + docs[:1], encoder=encoder)
