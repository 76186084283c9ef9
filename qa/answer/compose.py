"""Composing the answer from the reader's sentences: answered, partial (what the sources lack), or not in the sources."""

from __future__ import annotations

import re
from collections.abc import Sequence
from dataclasses import dataclass

import numpy as np

from qa.answer.evidence import REASON, has_evidence, leans_back
from qa.answer.lists import Enumeration, continues
from qa.answer.question import Analysis, Wants, analyze
from qa.answer.reader import Candidate, coverage
from qa.answer.reasons import DEFAULT_REASONS, same_reason, select_reasons, similar
from qa.answer.result import AnswerSentence, Citation, Status, citation_for
from qa.index.lexical import tokenize
from qa.index.library import Library
from qa.search.retrieve import Hit

# How many sentences an answer gives, and how close to the best a further one must score to join it (a why-question's
# distinct reasons: the `reasons` setting).
REASONS = DEFAULT_REASONS
LIMIT = {Wants.MANNER: 3}
LIMIT_DEFAULT = 2
KEEP_RATIO = {Wants.MANNER: 0.6}
KEEP_RATIO_DEFAULT = 0.8
# A reason from another article is preferred over one this much better from an article already cited.
OTHER_ARTICLE_BONUS = 0.05
# A why-sentence made mostly of the question's own words, with no cause in it, only restates the question.
RESTATES_NOVELTY = 0.45
WEAK_PASSAGES = 3
# Partial, chosen on both corpora's answerable and near-topic questions (BENCHMARKS.md): the question wants a kind of
# thing (a number, a date, a name) that none of the best sentences holds, and the best sentence is not a likely
# answer; or it names a term that no article has at all, and the best sentence is a very unlikely answer. A higher
# ABSENT_SUPPORT catches more near-topic questions but calls many more answerable ones partial (0.2: a quarter of
# the shipped set's answerable questions; 0.1: one in twenty-five), since their paraphrases use words no article has.
TYPED = (Wants.NUMBER, Wants.TIME, Wants.DURATION, Wants.PERSON, Wants.SPEAKER, Wants.PLACE)
TYPED_LOOK = 3
GAP_SUPPORT = 0.5
ABSENT_SUPPORT = 0.1
# A question most of whose focus terms no article has at all is about something else: past this share it is partial
# whatever the sentences score, and past the second it is not in the sources (on both corpora no answerable question
# has more than half of its terms missing from the whole corpus; BENCHMARKS.md).
ABSENT_PARTIAL_SHARE = 0.5
ABSENT_NONE_SHARE = 0.6
# A question below the "not in the sources" threshold is still read when it names something the top passages
# hold verbatim and they cover this share of its focus (a name question whose wording is far from the text's).
NAMED_COVER = 0.5


@dataclass(frozen=True)
class Composition:
    """What the answer says: its status, sentences, citations, the evidence behind it and what the sources lack."""

    status: Status
    sentences: tuple[AnswerSentence, ...]
    citations: tuple[Citation, ...]
    evidence: float
    message: str = ""
    missing: tuple[str, ...] = ()
    more: tuple[AnswerSentence, ...] = ()  # a why-question's further reasons, beyond the `reasons` setting


def restates(analysis: Analysis, c: Candidate) -> bool:
    """Whether a sentence only restates a why-question: no cause in it, and either mostly the question's own words
    or every one of its focus terms ("…was one of the first to publicly engage with the Taliban")."""
    if analysis.wants is not Wants.REASON or not c.tokens or REASON.search(c.text):
        return False
    novelty = len(c.tokens - analysis.tokens) / len(c.tokens)
    return novelty < RESTATES_NOVELTY or (len(analysis.focus) >= 2 and all(t in c.tokens for t in analysis.focus))


def select(library: Library, analysis: Analysis, pool: Sequence[Candidate], reasons: int = REASONS,
           lists: Sequence[Enumeration] = ()) -> tuple[list[Candidate], list[Candidate]]:
    """The answer's sentences, and for a why-question the further reasons beyond `reasons`.

    A why-question gets its distinct reasons (select_reasons); other questions a greedy choice of 1..LIMIT
    sentences: the best first, then close runners-up that add something new. A sentence that only restates a
    why-question is left out.
    """
    # The sentence most like the question states the event (it may only restate the question, and still anchors).
    anchor = max(pool, key=lambda c: c.cosine) if pool else None
    pool = [c for c in pool if not restates(analysis, c)] or list(pool)
    if not pool or anchor is None:
        return [], []
    if analysis.wants is Wants.REASON:
        return select_reasons(library, analysis, pool, anchor, reasons, lists)
    limit = LIMIT.get(analysis.wants, LIMIT_DEFAULT)
    floor = pool[0].score * KEEP_RATIO.get(analysis.wants, KEEP_RATIO_DEFAULT)
    rows = np.array([c.row for c in pool])
    vectors = dict(zip((c.row for c in pool), library.sentence_vectors.vectors(rows)))
    chosen = [pool[0]]
    rest = [c for c in pool[1:] if c.score >= floor]
    spread = analysis.wants is Wants.MANNER
    # A how-question's sentences are grouped as a why-question's are: no two say the same thing in other words.
    alike = same_reason(library, analysis, vectors) if spread else lambda a, b: similar(a, b, vectors)
    while rest and len(chosen) < limit:
        docs = {c.passage.doc_id for c in chosen}
        best = max(rest, key=lambda c: c.score + (OTHER_ARTICLE_BONUS if spread and c.passage.doc_id not in docs else 0.0))
        rest.remove(best)
        if not any(alike(best, c) for c in chosen):
            chosen.append(best)
    return chosen, []


def with_antecedents(chosen: list[Candidate], pool: Sequence[Candidate],
                     reasons: bool = False) -> list[tuple[Candidate, int, int]]:
    """Each chosen sentence with where its quoted text starts and ends: a sentence that opens by pointing back ("This
    means…", "He said…") starts at the sentence before it in its paragraph, so the answer quotes the two together;
    a reason runs on into a next sentence that adds to it ("But it also views American bases … as a threat")."""
    by_row = {c.row: c for c in pool}
    rows = {c.row for c in chosen}
    out = []
    for c in chosen:
        before, after = by_row.get(c.row - 1), by_row.get(c.row + 1)
        joined = leans_back(c.text) and before is not None and before.passage.id == c.passage.id and before.row not in rows
        runs_on = (reasons and after is not None and after.passage.id == c.passage.id and after.row not in rows
                   and continues(after.text))
        out.append((c, before.start if joined and before is not None else c.start,
                    after.end if runs_on and after is not None else c.end))
    return out


def surface(analysis: Analysis, stems: Sequence[str]) -> list[str]:
    """The question's own words for some of its stemmed focus terms (each word once)."""
    words = re.findall(r"[\w'’]+", analysis.text)
    out: list[str] = []
    for stem in stems:
        word = next((w for w in words if stem in tokenize([w])[0]), None)
        if word is not None and word not in out:
            out.append(re.sub(r"['’]s$", "", word))
    return out


def absent_terms(library: Library, analysis: Analysis) -> list[str]:
    """Focus terms that no passage of the library holds at all (stemmed), in question order."""
    idf = library.idf
    return [t for t in analysis.focus if t not in idf]


def focus_cover(library: Library, analysis: Analysis, pool: Sequence[Candidate]) -> float:
    """The idf-weighted share of the focus terms that some sentence of the top passages holds."""
    present: set[str] = set()
    for c in pool:
        present |= c.tokens
    idf = library.idf
    unknown = max(idf.values(), default=1.0)
    return coverage(analysis.focus, present, idf, unknown)


def typed_gap(analysis: Analysis, pool: Sequence[Candidate]) -> bool:
    """Whether a question wants a number, date, name or place that none of the best sentences holds."""
    if analysis.wants not in TYPED:
        return False
    return not any(has_evidence(analysis.wants, c.text, analysis) for c in pool[:TYPED_LOOK])


WANTED_WORDS = {Wants.NUMBER: "a figure for it", Wants.TIME: "when", Wants.DURATION: "how long",
                Wants.PERSON: "who", Wants.SPEAKER: "who said it", Wants.PLACE: "where"}


def partial_message(analysis: Analysis, missing: Sequence[str], chosen: Sequence[Candidate], gap: bool) -> str:
    """"The articles mention X but not Y": the covered focus terms, then what none of the sentences holds."""
    covered = [t for t in analysis.focus if t not in missing and any(t in c.tokens for c in chosen)]
    named = [n for n in analysis.entities if any(n.casefold() in c.text.casefold() for c in chosen)]
    mention = named[:2] or surface(analysis, covered[:3])
    lacks = " or ".join(f"“{w}”" for w in surface(analysis, list(missing[:3])))
    if gap and not lacks:
        lacks = "an age" if analysis.unit == "age" else WANTED_WORDS[analysis.wants]
    head = f"The articles mention {' and '.join(mention)}" if mention else "The articles come close"
    if not lacks:  # the reader doubts every sentence, though each word of the question is somewhere
        return f"{head}, but none of their sentences clearly answers this. The closest sentences are cited:"
    return f"{head} but not {lacks}. The closest sentences are cited:"


def follow_up_first(analysis: Analysis, pool: Sequence[Candidate], earlier: Sequence[str]) -> list[Candidate]:
    """For "Who said that?" or "When was that?": the sentences of the passages the previous answer cited that hold
    the wanted speaker or date come first, nearest the cited passage's start first."""
    if not earlier or analysis.wants not in TYPED:
        return list(pool)
    order = {pid: i for i, pid in enumerate(earlier)}
    first = [c for c in pool if c.passage.id in order and has_evidence(analysis.wants, c.text, analysis)]
    if not first:
        return list(pool)
    first.sort(key=lambda c: (order[c.passage.id], -c.score))  # the cited passages before the paragraphs before them
    return first + [c for c in pool if c not in first]


def compose(library: Library, analysis: Analysis, focus: Analysis, hits: Sequence[Hit], pool: Sequence[Candidate],
            threshold: float, own: Analysis | None = None, *, partial: bool = True,
            earlier: Sequence[str] = (), verdict: Status | None = None, reasons: int = REASONS,
            lists: Sequence[Enumeration] = ()) -> Composition:
    """The answer for the reader's scored sentences.

    `analysis` is the question as the reader reads it, `focus` with the questions it follows, `own` its own words
    alone; `earlier`: the passages the previous answer cited, for a follow-up that points at it; `verdict`: what a
    trained reader's fitted probability decided (it then stands in for the built-in score rules); `reasons`: how many
    distinct reasons a why-question's answer gives (the rest are listed as `more`); `lists`: the lists its passages
    belong to.
    """
    evidence = max((c.evidence for c in pool), default=0.0)
    named = any(n.casefold() in c.passage.text.casefold() for n in focus.entities for c in pool)
    own = own or analyze(analysis.text)
    absent = absent_terms(library, own)
    # A follow-up's few words of its own ("Who paid for it?") say too little to judge what the corpus lacks.
    follow_up = focus.text != own.text
    absent_share = len(absent) / len(own.focus) if len(own.focus) >= 2 and not follow_up else 0.0
    if (not pool or (evidence < threshold and not (named and focus_cover(library, focus, pool) >= NAMED_COVER))
            or (partial and absent_share > ABSENT_NONE_SHARE) or (partial and verdict is Status.NOT_IN_SOURCES)):
        support = {c.passage.id: c.score for c in reversed(pool)}  # the best sentence's score per passage
        weak = []
        for i, hit in enumerate(hits[:WEAK_PASSAGES], start=1):
            best = next((c for c in pool if c.passage.id == hit.passage.id), None)
            weak.append(citation_for(hit, i, [(best.start, best.end)] if best else [], weak=True,
                                     support=support.get(hit.passage.id, 0.0)))
        return Composition(Status.NOT_IN_SOURCES, (), tuple(weak), evidence)
    pool = follow_up_first(analysis, pool, earlier)
    chosen, further = select(library, analysis, pool, reasons, lists)
    likely = max(c.score for c in pool)
    if verdict is None:
        doubt = False
        gap = partial and likely < GAP_SUPPORT and typed_gap(analysis, pool)
        # Only the question's own words: a follow-up's earlier questions were checked when they were asked. Reasons
        # are put in other words than the question's as a rule, so a why-question is not partial for one missing word.
        lacking = absent_share > ABSENT_PARTIAL_SHARE or (likely < ABSENT_SUPPORT and own.wants is not Wants.REASON)
    else:
        doubt = partial and verdict is Status.PARTIAL
        gap = doubt and typed_gap(analysis, pool)
        lacking = absent_share > ABSENT_PARTIAL_SHARE or doubt
    missing = absent if partial and lacking else []
    status = Status.PARTIAL if (missing or gap or doubt) else Status.ANSWERED
    if status is Status.PARTIAL and analysis.wants is not Wants.REASON:
        chosen = chosen[:2]  # a why-question keeps its distinct reasons, the closest the sources give
    sentences, citations = cite(chosen + further, pool, analysis.wants is Wants.REASON)
    message = partial_message(own, missing, chosen, gap) if status is Status.PARTIAL else ""
    return Composition(status, sentences[:len(chosen)], citations, evidence, message, tuple(surface(own, missing)),
                       sentences[len(chosen):])


def cite(chosen: Sequence[Candidate], pool: Sequence[Candidate], reasons: bool = False,
         ) -> tuple[tuple[AnswerSentence, ...], tuple[Citation, ...]]:
    """The chosen sentences as the answer says them, each with the marker of its passage's citation (numbered in
    order of first use), and the citations with the spans they highlight and their support."""
    markers: dict[str, int] = {}
    spans: dict[str, list[tuple[int, int]]] = {}
    support: dict[str, float] = {}
    sentences = []
    for c, start, end in with_antecedents(list(chosen), pool, reasons):
        marker = markers.setdefault(c.passage.id, len(markers) + 1)
        spans.setdefault(c.passage.id, []).append((start, end))
        support[c.passage.id] = max(support.get(c.passage.id, 0.0), c.score)
        sentences.append(AnswerSentence(c.passage.text[start:end], marker, c.passage.id, start, end, c.score))
    by_id = {c.passage.id: c.hit for c in chosen}
    citations = tuple(citation_for(by_id[pid], m, spans[pid], support=support[pid]) for pid, m in markers.items())
    return tuple(sentences), citations
