"""Answering one question from a library: gather the passages, read their sentences, compose the cited answer."""

from __future__ import annotations

import time
from collections.abc import Sequence
from dataclasses import replace

import numpy as np

from embeddings import Encoder
from qa.answer.compose import REASONS, compose
from qa.answer.conversation import Turn, earlier_passages, is_follow_up, search_text
from qa.answer.cross_encoder import ReaderModel
from qa.answer.lists import with_lists
from qa.answer.question import Analysis, Question, Wants, analyze
from qa.answer.reader import CANDIDATE_PASSAGES, read, reading_depth
from qa.answer.result import NOT_IN_SOURCES, Answer, Status, elapsed_ms
from qa.index.library import Library
from qa.search.filters import Filters
from qa.search.retrieve import Hit, retrieve, with_earlier_citations

NO_MATCH = "No article matches the filters (articles or dates): widen or clear them and ask again."


def gather(library: Library, encoder: Encoder, question: str, turns: Sequence[Turn], mode: str, k: int,
           filters: Filters, timings: dict[str, float], depth: int = CANDIDATE_PASSAGES,
           ) -> tuple[bool, str, np.ndarray, list[Hit]]:
    """(follow-up?, text searched, query vectors, hits) for a cleaned question: what the reader reads from."""
    follow = is_follow_up(question, turns)
    text, _ = encoder.truncate(search_text(question, turns))
    t = time.perf_counter()
    # One encoder call: a follow-up also needs its own vector, to pick the sentences that answer it.
    vectors = encoder.encode([text, question] if follow else [text], show_progress=False)
    timings["encode"] = elapsed_ms(t)
    hits = retrieve(library, text, vectors[0] if mode != "bm25" else None, mode=mode,
                    k=max(k, depth), filters=filters, timings=timings)
    hits = with_earlier_citations(library, hits, earlier_passages(library.rows, question, turns))
    return follow, text, vectors, hits


def analyses(own: Analysis, searched: str) -> tuple[Analysis, Analysis]:
    """The question as the reader reads it, and as the partial check reads it (with the questions it follows).

    A follow-up keeps its own answer kind ("Who said that?" wants a speaker) and takes its focus from the
    conversation, since its own words ("that") name nothing.
    """
    if searched == own.text:
        return own, own
    whole = analyze(searched)
    return replace(own, focus=whole.focus, entities=whole.entities), whole


def answer_question(library: Library, encoder: Encoder, question: Question, turns: Sequence[Turn], *, mode: str,
                    k: int, filters: Filters, threshold: float, reader: ReaderModel | None = None,
                    reasons: int = REASONS) -> tuple[Answer, list[Hit]]:
    """The extractive, cited answer to a checked question, and the top k passages it was composed from (a
    why-question's answer gives up to `reasons` distinct reasons and lists the further ones)."""
    began = time.perf_counter()
    timings: dict[str, float] = {}
    own = analyze(question.text)
    depth = reading_depth(own.wants)
    follow, text, vectors, hits = gather(library, encoder, question.text, turns, mode, k, filters, timings, depth)
    t = time.perf_counter()
    analysis, focus = analyses(own, text if follow else question.text)
    read_hits, lists = with_lists(library, hits, depth) if analysis.wants is Wants.REASON else (hits[:depth], [])
    pool = read(library, analysis, read_hits, vectors, len(read_hits))
    verdict = None
    if reader is not None:
        # A follow-up's own words ("Who said that?") tell the model little: it reads the conversation's question with
        # them, and the earlier answer's passages (not the verdict) decide, as with the built-in reader.
        items = {r for e in lists for r in e.items}
        pool, verdict = reader.read(text if follow else analysis.text, pool, also=items)
        verdict = None if follow else verdict
    made = compose(library, analysis, focus, hits, pool, threshold, own,
                   earlier=earlier_passages(library.rows, question.text, turns), verdict=verdict, reasons=reasons,
                   lists=lists)
    timings["answer"] = elapsed_ms(t)
    timings["total"] = elapsed_ms(began)
    notes = question.notes + (("Read as a follow-up to the previous question.",) if follow else ())
    if not hits and filters.active:
        message = NO_MATCH
    else:
        message = NOT_IN_SOURCES if made.status == Status.NOT_IN_SOURCES else made.message
    answer = Answer(
        question=question.text, status=made.status, sentences=made.sentences, citations=made.citations,
        more=made.more, message=message, notes=notes, search_text=text, follow_up=follow, evidence=made.evidence,
        threshold=threshold, mode=mode, wants=str(analysis.wants), missing=made.missing, timings_ms=timings,
    )
    return answer, hits[:k]
