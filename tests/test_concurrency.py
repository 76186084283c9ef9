"""One Engine shared by many threads (as Gradio's workers share it): the same answers as one thread at a time,
and an upload that re-indexes while others ask leaves every answer correct (each question sees a whole snapshot)."""

from __future__ import annotations

import threading
from concurrent.futures import ThreadPoolExecutor

from helpers import GLACIER, WHY, answer_key, asked, assert_well_formed

from qa.queries import load_queries

OFF_TOPIC = "What is the boiling point of mercury?"
GLACIER_Q = "Why is the Kongsbreen glacier retreating?"


def questions() -> list[tuple[str, tuple[str, ...]]]:
    """Shipped questions, a follow-up, an off-topic one and an invalid one, each with its history."""
    shipped = [(q.question, ()) for q in load_queries()[:10]]
    # Lengths vary (a long question is cut to the model's limit): the tokenizer's padding and truncation state is
    # what two threads would fight over.
    return shipped + [("And who said that?", (WHY,)), (OFF_TOPIC, ()), ("  ?!  ", ()), (GLACIER_Q, ()),
                      ("Taliban opium income " * 150, ()), ("Kabulov?", ()),
                      ("And when?", ("Who is Vladimir Putin's special envoy for Afghanistan? " * 20,)),
                      ("Why? " * 60, (WHY, OFF_TOPIC))]


def test_threads_get_the_answers_one_thread_gets(engine):
    cases = questions()
    alone = {case: answer_key(asked(engine, case[0], case[1])) for case in cases}
    hits_alone = [h.passage.id for h in engine.search(WHY, k=10)]
    jobs = cases * 4
    start = threading.Barrier(16)

    def run(case: tuple[str, tuple[str, ...]]):
        if threading.current_thread().name not in started:
            started.add(threading.current_thread().name)
            start.wait(timeout=60)  # the first job of each of the 16 threads starts at the same moment
        answer = asked(engine, case[0], case[1])
        hits = [h.passage.id for h in engine.search(WHY, k=10)]
        return case, answer, hits

    started: set[str] = set()
    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(run, jobs))
    assert len(results) == len(jobs)
    for case, answer, hits in results:
        assert_well_formed(answer)
        assert answer_key(answer) == alone[case], case
        assert hits == hits_alone


def test_an_upload_while_others_ask_leaves_their_answers_correct(private_engine):
    engine = private_engine
    cases = questions()
    before = {case: answer_key(asked(engine, case[0], case[1])) for case in cases}
    assert before[(GLACIER_Q, ())][0] == "not_in_sources"

    upload_started, upload_done, asked_meanwhile = threading.Event(), threading.Event(), threading.Event()
    answers: list[tuple[tuple, object, str]] = []  # (case, answer, when: "before-swap", "during" or "after")
    lock = threading.Lock()

    def asker(offset: int) -> None:
        upload_started.wait(30)
        i, extra = offset, 0
        while extra < 2:  # ask until the upload is indexed, then twice more
            extra += upload_done.is_set()
            when = "after" if upload_done.is_set() else "during"
            case = cases[i % len(cases)]
            answer = asked(engine, case[0], case[1])
            with lock:
                if not asked_meanwhile.is_set():
                    when = "before-swap"  # finished while the upload still waited in its embedding step
                answers.append((case, answer, when))
                if len(answers) >= 2 * len(cases):
                    asked_meanwhile.set()
            i += 1

    def uploader() -> object:
        upload_started.set()
        try:
            # The embedding step waits until the askers have been answered many times: the upload surely overlaps.
            return engine.add_files([("glacier news.md", GLACIER.encode())],
                                    progress=lambda desc, done, total: asked_meanwhile.wait(120))
        finally:
            upload_done.set()

    with ThreadPoolExecutor(max_workers=7) as pool:
        askers = [pool.submit(asker, n * 3) for n in range(6)]
        results, report = pool.submit(uploader).result(timeout=300)
        for future in askers:
            future.result(timeout=300)
    assert results[0].status == "added" and report is not None and report.embedded > 0

    after = {case: answer_key(asked(engine, case[0], case[1])) for case in cases}
    assert after[(GLACIER_Q, ())][0] == "answered" and before != after
    assert engine.ask(GLACIER_Q).citations[0].doc_id == "glacier-news"
    whens = set()
    for case, answer, when in answers:
        assert_well_formed(answer)
        key = answer_key(answer)
        allowed = {"before-swap": [before[case]], "during": [before[case], after[case]], "after": [after[case]]}[when]
        assert key in allowed, (case, when)
        whens.add(when)
    assert {"before-swap", "after"} <= whens


def test_the_encoder_is_safe_from_many_threads(encoder):
    # Texts of different lengths in one call need padding, a long one truncation: the tokenizer state threads share.
    pairs = [("Why does Russia engage the Taliban? " * (1 + i % 9), "Kabulov" * (1 + i % 4)) for i in range(12)]
    alone = {pair: (encoder.truncate(pair[0]), encoder.encode(list(pair), show_progress=False)) for pair in pairs}

    def run(pair: tuple[str, str]):
        return pair, encoder.truncate(pair[0]), encoder.encode(list(pair), show_progress=False)

    with ThreadPoolExecutor(max_workers=16) as pool:
        results = list(pool.map(run, pairs * 15))
    for pair, cut, vectors in results:
        assert cut == alone[pair][0]
        assert vectors.tobytes() == alone[pair][1].tobytes()
