"""The reader on the real corpus: partial answers, why-questions, follow-ups, the one score, and a reader model."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import pytest
from helpers import WHY, assert_well_formed

from qa import UserError, open_engine
from qa.answer.reasons import DEFAULT_REASONS
from qa.bench.queries import load_queries, reasons_found


def test_a_question_the_articles_almost_answer_is_partial_and_names_what_is_missing(engine, encoder):
    trained = engine.ask("How old is Zamir Kabulov?")
    assert_well_formed(trained)
    assert trained.status in ("partial", "not_in_sources")  # the trained reader finds no sentence that answers
    built_in = open_engine(replace(engine.settings, reader="builtin"), encoder=encoder)
    answer = built_in.ask("How old is Zamir Kabulov?")
    assert_well_formed(answer)
    assert answer.status == "partial"
    assert answer.message.startswith("The articles mention Zamir Kabulov but not an age")
    assert answer.sentences and "Kabulov" in answer.sentences[0].text  # the closest sentences, still cited


def test_a_name_question_far_from_the_text_is_still_answered(engine):
    answer = engine.ask("Who is Abdullah Khalil Zai?")
    assert_well_formed(answer)
    assert answer.answered and "Abdullah Khalil Zai" in answer.sentences[0].text


def test_why_question_gives_distinct_reasons_from_several_articles(engine):
    answer = engine.ask(WHY)
    assert_well_formed(answer)
    assert answer.answered and 3 <= len(answer.sentences) <= DEFAULT_REASONS
    assert len({c.doc_id for c in answer.citations}) >= 3
    gold = next(q for q in load_queries() if q.question == WHY).gold
    assert reasons_found([s.text for s in answer.sentences], gold) >= 4


def test_who_said_that_names_the_speaker_and_when_gives_a_date(engine):
    first = engine.ask("What did Kabulov say about global jihad?")
    who = engine.ask("Who said that?", history=[first])
    assert_well_formed(who)
    assert who.follow_up and "Kabulov" in who.sentences[0].text
    first = engine.ask("Did Russian and Pakistani special forces train together?")
    when = engine.ask("When was that?", history=[first])
    assert when.follow_up and any(ch.isdigit() for ch in when.sentences[0].text)


def test_support_is_one_zero_to_one_scale_in_every_mode(engine):
    for mode in ("bm25", "dense", "hybrid"):
        answer = engine.ask("How much money does the Taliban make from opium each year?", mode=mode)
        assert_well_formed(answer)
        assert all(0.0 <= c.score <= 1.0 for c in answer.citations)
        assert answer.citations[0].score >= 0.5, mode  # the passage holding "$400 million" clearly supports it
    off = engine.ask("How do I bake sourdough bread at home?")
    assert off.status == "not_in_sources" and all(c.score < 0.2 for c in off.citations)


def tiny_cross_encoder(folder: Path) -> Path:
    """A cross-encoder made here: one small BERT layer with the bundled model's tokenizer, random weights."""
    import torch
    from transformers import AutoTokenizer, BertConfig, BertForSequenceClassification

    from embeddings import resolve_model

    tokenizer = AutoTokenizer.from_pretrained(resolve_model(None)[1])
    torch.manual_seed(0)
    config = BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=1, num_attention_heads=2,
                        intermediate_size=64, max_position_embeddings=512, num_labels=1)
    BertForSequenceClassification(config).save_pretrained(folder)
    tokenizer.save_pretrained(folder)
    return folder


def test_a_reader_model_rescores_the_answer_sentences(engine, encoder, tmp_path):
    model = tiny_cross_encoder(tmp_path / "tiny-reader")
    with_model = open_engine(replace(engine.settings, reader=str(model)), encoder=encoder)
    question = "How much money does the Taliban make from opium each year?"
    built_in, rescored = engine.ask(question), with_model.ask(question)
    assert_well_formed(rescored)
    assert rescored.status in ("answered", "partial")
    # The model's probabilities are blended into every rescored sentence's score.
    assert [s.score for s in rescored.sentences] != [s.score for s in built_in.sentences]


def test_a_reader_model_that_cannot_be_loaded_is_one_clear_error(engine, encoder, tmp_path):
    (tmp_path / "not-a-model").mkdir()
    with pytest.raises(UserError, match=r"cannot be loaded as a sentence-transformers CrossEncoder.*the reader setting \(SOURCEQA_READER\)"):
        open_engine(replace(engine.settings, reader=str(tmp_path / "not-a-model")), encoder=encoder)


def test_the_trained_reader_is_the_default_and_builtin_the_fallback(engine, encoder):
    assert engine.reader is not None and engine.reader.name == "models/reader" and engine.reader.fit is not None
    gdp = engine.ask("What is the GDP of Pakistan?")  # Pakistan is in the articles; its GDP is not
    assert_well_formed(gdp)
    assert gdp.status in ("partial", "not_in_sources")
    assert all(c.score < 0.2 for c in gdp.citations)
    built_in = open_engine(replace(engine.settings, reader="builtin"), encoder=encoder)
    assert built_in.reader is None
    answer = built_in.ask("How much money does the Taliban make from opium each year?")
    assert_well_formed(answer)
    assert answer.answered and any("$400 million" in c.text for c in answer.citations)
