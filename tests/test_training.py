"""The trained reader's data, training command and benchmark: SQuAD items, training pairs, a few real steps, resume."""

from __future__ import annotations

import gzip
import json
import random
from pathlib import Path

import numpy as np
import pytest
from conftest import run_cli

from qa import UserError
from qa.answer.cross_encoder import READING_FILE, Fit, OnnxCrossEncoder, ReaderModel, in_context
from qa.answer.reader import FEATURES
from qa.answer.result import Status
from qa.bench.squad import auc
from qa.training.pairs import anchors, asks_reason, make_pairs, question_pairs, swapped
from qa.training.squad import Item, held_out, items
from qa.training.trainer import TrainSettings, export, train

CONTEXT = ("The bridge opened in 1932 after four years of work. Its main span is 503 metres long. "
           "The bridge was designed by John Bradfield, who also planned the city's railway. "
           "Tolls were introduced in 1932 to pay for it.")


def squad_file(path: Path, titles: tuple[str, ...] = ("Harbour Bridge", "Old Mill")) -> Path:
    """A SQuAD-layout file: answerable questions, one whose answer occurs twice, and an unanswerable one."""
    data = []
    for title in titles:
        qas = [
            {"id": f"{title}-1", "question": "How long is the main span?",
             "answers": [{"text": "503 metres", "answer_start": CONTEXT.index("503 metres")}]},
            {"id": f"{title}-2", "question": "Who designed the bridge?",
             "answers": [{"text": "John Bradfield", "answer_start": CONTEXT.index("John Bradfield")}]},
            {"id": f"{title}-3", "question": "In what year did it open?",
             "answers": [{"text": "1932", "answer_start": CONTEXT.index("1932")}]},
            {"id": f"{title}-4", "question": "How much did the bridge cost?", "answers": [], "is_impossible": True},
        ]
        data.append({"title": title, "paragraphs": [{"context": CONTEXT, "qas": qas},
                                                     {"context": "The mill closed in 1990. It is now a museum.",
                                                      "qas": []}]})
    with gzip.open(path, "wt", encoding="utf-8") as f:
        json.dump({"version": "test", "data": data}, f)
    return path


def test_squad_items_mark_the_sentence_holding_the_answer(tmp_path):
    found = {it.id: it for it in items(squad_file(tmp_path / "s.json.gz"))}
    span = found["Harbour Bridge-1"]
    assert len(span.sentences) == 4 and span.positives == (1,) and span.unique and span.answerable
    assert found["Harbour Bridge-2"].positives == (2,)
    twice = found["Harbour Bridge-3"]  # "1932" is in two sentences: both count, and it is not used for training
    assert twice.positives == (0, 3) and not twice.unique
    none = found["Harbour Bridge-4"]
    assert not none.answerable and none.positives == ()


def test_a_file_that_is_not_squad_is_one_clear_error(tmp_path):
    bad = tmp_path / "bad.json"
    bad.write_text('{"rows": []}')
    with pytest.raises(UserError, match="not SQuAD's layout"):
        list(items(bad))


def test_training_pairs_hold_the_answer_sentence_and_sentences_that_do_not_answer(tmp_path):
    found = {it.id: it for it in items(squad_file(tmp_path / "s.json.gz"))}
    rng = random.Random(0)
    pairs = question_pairs(found["Harbour Bridge-1"], ["The mill closed in 1990."], rng)
    assert pairs[0] == ("How long is the main span?", "Its main span is 503 metres long.", 1.0)
    assert [y for _, _, y in pairs] == [1.0, 0.0, 0.0, 0.0]
    assert pairs[-1][1] == "The mill closed in 1990."  # another paragraph of the article
    assert question_pairs(found["Harbour Bridge-3"], [], rng) == []  # which "1932" is meant is unknown
    unanswerable = question_pairs(found["Harbour Bridge-4"], [], rng)
    assert unanswerable and all(y == 0.0 for _, _, y in unanswerable)
    assert unanswerable[0][1].startswith("The bridge")  # the most alike sentence comes first


def test_a_swapped_question_names_another_of_the_articles_things_and_its_sentence_does_not_answer_it():
    assert anchors("When did Sudan gain independence from Britain in 1956?") == ["Sudan", "Britain", "1956"]
    assert anchors("What is the Royal University of Warsaw?") == ["Royal University of Warsaw"]
    item = Item(id="1", title="t", paragraph=0, question="How many homes did the Cedar Ridge Fire destroy in 2024?",
                sentences=("The Cedar Ridge Fire destroyed 40 homes in 2024.",), positives=(0,), answerable=True,
                unique=True, answers=("40",))
    seen = {swapped(item, ["Granite Fire", "2019", "Cedar Ridge", "The Cedar Ridge Fire"], random.Random(i))
            for i in range(20)}
    # "Cedar Ridge" and "The Cedar Ridge Fire" may name the same fire: never swapped in
    assert seen == {("How many homes did the Granite Fire destroy in 2024?", item.sentences[0], 0.0),
                    ("How many homes did the Cedar Ridge Fire destroy in 2019?", item.sentences[0], 0.0)}
    nothing_shared = Item(id="2", title="t", paragraph=0, question="Who designed it?", sentences=("Bradfield did.",),
                          positives=(0,), answerable=True, unique=True, answers=("Bradfield",))
    assert swapped(nothing_shared, ["Granite Fire"], random.Random(0)) is None


def test_swaps_add_negatives_and_leave_a_run_without_them_as_it_was(tmp_path):
    context = "The Harbour Bridge was designed by John Bradfield. The Old Mill was designed by Ada Reid."
    article = {"title": "Bridges", "paragraphs": [{"context": context, "qas": [
        {"id": "b1", "question": "Who designed the Harbour Bridge?",
         "answers": [{"text": "John Bradfield", "answer_start": context.index("John Bradfield")}]}]}]}
    train_file = tmp_path / "t.json"
    train_file.write_text(json.dumps({"data": [article]}))
    v2 = squad_file(tmp_path / "v.json.gz", titles=("V2 a", "V2 b"))
    plain, stats = make_pairs(train_file, v2, 40, 3)
    assert (plain, stats["swapped"]) == (make_pairs(train_file, v2, 40, 3, 0.0)[0], 0)
    with_swaps, stats = make_pairs(train_file, v2, 40, 3, 1.0)
    swaps = [p for p in with_swaps if p not in plain]
    assert stats["swapped"] == len(swaps) == 1
    assert swaps[0][0] in ("Who designed the Old Mill?", "Who designed the Ada Reid?") and swaps[0][2] == 0.0


def test_reasons_first_trains_on_every_why_and_how_question_before_the_others(tmp_path):
    assert [asks_reason(q) for q in ("Why did the main break?", "How will fans reach the ground?",
                                     "How many homes burned?", "How much did it cost?", "How long is the span?",
                                     "Who is Howard?")] == [True, True, False, False, False, False]
    context = "The mill closed in 1990 because its river dried up. It reopened as a museum."
    article = {"title": "Mills", "paragraphs": [{"context": context, "qas": [
        {"id": f"m{i}", "question": f"When did mill {i} close?",
         "answers": [{"text": "1990", "answer_start": context.index("1990")}]} for i in range(6)] + [
        {"id": "why", "question": "Why did the mill close?",
         "answers": [{"text": "its river dried up", "answer_start": context.index("its river dried up")}]}]}]}
    train_file = tmp_path / "t.json"
    train_file.write_text(json.dumps({"data": [article]}))
    # SQuAD 2.0 articles all held out: the 2 pairs drawn are one SQuAD 1.1 question's (its sentence and the other one)
    v2 = squad_file(tmp_path / "v.json.gz", titles=tuple(t for t in (f"V2 {i}" for i in range(40)) if held_out(t))[:2])
    for seed in range(5):
        first, stats = make_pairs(train_file, v2, 2, seed, reasons_first=True)
        assert stats["reason_questions"] == 1
        assert first[0][0] == "Why did the mill close?" and ("Why did the mill close?", context.split(". ")[0] + ".", 1.0) in first
    assert make_pairs(train_file, v2, 2, 0)[0] == make_pairs(train_file, v2, 2, 0, 0.0, False)[0]


def test_context_reads_each_sentence_after_the_one_before_and_the_next_one_is_a_negative(tmp_path):
    context = "The mill stood by the river. It closed in 1990 because the river dried up. It is now a museum."
    first, answer, after = "The mill stood by the river.", "It closed in 1990 because the river dried up.", "It is now a museum."
    article = {"title": "Mills", "paragraphs": [{"context": context, "qas": [
        {"id": "m", "question": "Why did the mill close?",
         "answers": [{"text": "the river dried up", "answer_start": context.index("the river dried up")}]}]}]}
    train_file = tmp_path / "t.json"
    train_file.write_text(json.dumps({"data": [article]}))
    v2 = squad_file(tmp_path / "v.json.gz", titles=tuple(t for t in (f"V2 {i}" for i in range(40)) if held_out(t))[:2])
    assert in_context(answer, first) == f"{answer} [SEP] {first}" and in_context(first, "") == first
    for seed in range(4):
        pairs, _ = make_pairs(train_file, v2, 3, seed, context=True)
        assert sorted(pairs) == sorted([("Why did the mill close?", in_context(answer, first), 1.0),
                                        ("Why did the mill close?", in_context(after, answer), 0.0),
                                        ("Why did the mill close?", first, 0.0)])
    assert make_pairs(train_file, v2, 3, 0)[0] == make_pairs(train_file, v2, 3, 0, context=False)[0]
    assert all("[SEP]" not in s for _, s, _ in make_pairs(train_file, v2, 3, 0)[0])


def test_held_out_splits_articles_not_questions():
    titles = [f"Article {i}" for i in range(200)]
    kept = [t for t in titles if held_out(t)]
    assert 60 < len(kept) < 140 and all(held_out(t) == held_out(t) for t in titles)


def test_auc_counts_ties_half():
    assert auc([0.9, 0.8], [0.1, 0.2]) == 1.0
    assert auc([0.5], [0.5]) == 0.5
    assert auc([0.1], [0.9]) == 0.0


@pytest.mark.slow  # trains the bundled MiniLM for a few steps
def test_training_a_few_steps_resumes_from_its_checkpoint_and_exports_a_model_onnxruntime_runs(tmp_path):
    from embeddings import resolve_model

    train_file = squad_file(tmp_path / "train.json.gz")
    v2 = squad_file(tmp_path / "v2.json.gz", titles=tuple(f"V2 article {i}" for i in range(6)))
    settings = TrainSettings(str(train_file), str(v2), resolve_model(None)[1], pairs=16, batch=4, checkpoint_every=2)
    out = tmp_path / "run"
    train(settings, out, progress=False, stop_after=2)
    log = [json.loads(line) for line in (out / "training.jsonl").read_text().splitlines()]
    assert log[0]["event"] == "start" and log[0]["data"]["pairs"] == 16
    assert log[-1]["event"] == "checkpoint" and log[-1]["step"] == 2
    model = train(settings, out, progress=False)  # resumes at step 2 of 4
    log = [json.loads(line) for line in (out / "training.jsonl").read_text().splitlines()]
    assert [r["step"] for r in log if r["event"] == "checkpoint"] == [2, 4]
    assert sum(r["event"] == "start" for r in log) == 1
    with pytest.raises(UserError, match="other settings"):
        train(TrainSettings(str(train_file), str(v2), settings.base, pairs=32, batch=4), out, progress=False)
    onnx = export(model, tmp_path / "onnx", quantize=False)
    logits = OnnxCrossEncoder(onnx.parent).logits("Who designed the bridge?", ["A sentence.", "Another one here."])
    assert logits.shape == (2,) and np.isfinite(logits).all()
    assert json.loads((onnx.parent / READING_FILE).read_text()) == {"context": False, "max_length": 96}
    # A model trained with context is read so by the engine: each sentence with the one before it.
    export(model, onnx.parent, quantize=False, context=True, max_length=128)
    reader = ReaderModel(onnx.parent)
    assert reader.context and reader.max_length == 128
    with_before = reader.logits("Who designed it?", ["Bradfield did.", "It opened."], ["The bridge is long.", ""])
    alone = reader.model.logits("Who designed it?", ["Bradfield did. [SEP] The bridge is long.", "It opened."])
    assert np.allclose(with_before, alone)
    for broken in ('{"context": true}', '{"context": "no", "max_length": 96}'):
        (onnx.parent / READING_FILE).write_text(broken)
        with pytest.raises(UserError, match=r"reading\.json"):
            ReaderModel(onnx.parent)
    (onnx.parent / READING_FILE).write_text('{"context": false, "max_length": 128}')
    (onnx.parent / "reader.json").write_text(json.dumps({"weights": [0.0] * (len(FEATURES) + 1), "bias": 0.0,
                                                         "answered": 0.6, "abstain": 0.2, "max_length": 96}))
    with pytest.raises(UserError, match="fit it again"):
        ReaderModel(onnx.parent)


def test_bench_squad_scores_the_built_in_reader_side_by_side(tmp_path, encoder):
    dev = squad_file(tmp_path / "dev.json.gz", titles=tuple(f"Dev article {i}" for i in range(8)))
    run = run_cli(["bench", "--squad", str(dev), "--limit", "50", "--reader", "builtin", "--out", str(tmp_path / "o")],
                  encoder)
    assert run.returncode == 0, run.stderr
    assert "| builtin |" in run.stdout and "answerability AUC" in run.stdout
    saved = json.loads((tmp_path / "o" / "squad.json").read_text())
    first = saved["results"][0]
    assert first["unanswerable"] > 0 and 0.0 <= first["auc"]["builtin"] <= 1.0


def test_bench_squad_names_a_missing_file(tmp_path):
    run = run_cli(["bench", "--squad", str(tmp_path / "nope.json.gz")])
    assert run.returncode == 2 and "no such file" in run.stderr


def test_the_shipped_reader_prefers_the_sentence_that_answers():
    reader = ReaderModel()
    assert reader.fit is not None and 0.0 < reader.fit.abstain <= reader.fit.answered < 1.0
    logits = reader.model.logits("How long is the main span?", ["Its main span is 503 metres long.",
                                                                "The bridge opened after four years of work."])
    assert logits[0] > logits[1]


def test_a_fit_decides_from_the_best_sentence_and_the_model_s_strongest_reading():
    fit = Fit.from_dict({"weights": [0.0] * len(FEATURES) + [1.0], "bias": 0.0, "answered": 0.6, "abstain": 0.2,
                         "verdict": [0.5, 0.8, 0.0]})
    assert fit.probability([0.0] * len(FEATURES), 0.0) == pytest.approx(0.5)
    assert fit.answerability(0.5, 2.0) > fit.answerability(0.5, -2.0)  # the model's strongest logit counts
    assert fit.answerability(0.9, 0.0) > fit.answerability(0.1, 0.0)  # and the best sentence's probability
    assert [fit.decide(p) for p in (0.7, 0.3, 0.1)] == [Status.ANSWERED, Status.PARTIAL, Status.NOT_IN_SOURCES]
    plain = Fit.from_dict({"weights": [0.0] * (len(FEATURES) + 1), "bias": 0.0, "answered": 0.6, "abstain": 0.2})
    assert plain.answerability(0.4, 5.0) == 0.4  # an older fit without a verdict: the best probability itself
    with pytest.raises(ValueError, match="verdict"):
        Fit.from_dict({"weights": [0.0] * (len(FEATURES) + 1), "bias": 0.0, "answered": 0.6, "abstain": 0.2,
                       "verdict": [1.0]})


def test_train_reader_command_trains_exports_and_logs_its_held_out_figures(tmp_path, encoder):
    train_file = squad_file(tmp_path / "train.json.gz")
    v2 = squad_file(tmp_path / "v2.json.gz", titles=tuple(f"V2 article {i}" for i in range(8)))
    out = tmp_path / "run"
    run = run_cli(["train-reader", "--out", str(out), "--squad-train", str(train_file), "--squad-v2", str(v2),
                   "--pairs", "8", "--batch", "4", "--fp32"], encoder)
    assert run.returncode == 0, run.stderr
    assert (out / "onnx" / "model.onnx").is_file() and "held-out SQuAD 2.0 dev" in run.stderr
    held = [json.loads(line) for line in (out / "training.jsonl").read_text().splitlines()][-1]
    assert held["event"] == "held_out" and held["questions"] > 0 and 0.0 <= held["auc"] <= 1.0
