"""Distinct reasons: a why-question's sentences grouped by the reason they give, and the reasons an answer gives
(the lists articles announce: qa.answer.lists)."""

from __future__ import annotations

from collections.abc import Callable, Sequence

import numpy as np

from qa.answer.evidence import REASON, leans_back
from qa.answer.lists import Enumeration, item_index, list_items, list_sections
from qa.answer.question import Analysis
from qa.answer.reader import Candidate
from qa.index.library import Library

# How many distinct reasons an answer gives by default (the `reasons` setting), and at most.
DEFAULT_REASONS = 5
MAX_REASONS = 10
# Reasons: ranked by cosine plus this share of the reader's score; a further one joins within this margin of the best.
REASON_COSINE_WEIGHT = 0.5
REASON_SCORE_WEIGHT = 0.3
CAUSE_BONUS = 0.15
NEAR_EVENT_BONUS = 0.15
REASON_MARGIN = 0.3
# A reason must still be about the question: at least this share of the best sentence's cosine.
REASON_MIN_COSINE = 0.5
LEANS_BACK_PENALTY = 0.05
# Two sentences this alike say the same thing; keep one.
DUPLICATE_COSINE = 0.9
DUPLICATE_JACCARD = 0.6
# A sentence the reader finds this share as likely as its best is about the question whatever its cosine (reasons
# are often put in words far from the question's: "The airline also pointed to a shortage of pilots").
ABOUT_SCORE_SHARE = 0.15
# Two sentences give the same reason when the words they share beyond the question's weigh this much (idf) and make
# this share of the lighter one's own words ("Islamic State" twice); the items of one list never do.
SAME_REASON_WEIGHT = 4.0
SAME_REASON_SHARE = 0.12
SAME_REASON_COSINE = 0.5
# A touched list's items are reasons unless the reader finds them less than this share as likely as its best sentence
# (an item that only names its subject: "Fourth, Afghan opium is another headache for Moscow.").
LIST_MIN_SHARE = 0.05
# A list's item speaks for the sentences after it if the reader finds it at least this share as likely as their best.
ITEM_SHARE = 0.5
# A list's items are ranked this much apart below its strongest one, in the list's order.
LIST_STEP = 0.001
# An answer's reasons are drawn from up to this many articles where a group has a sentence from another article
# within this margin of its best.
SPREAD_ARTICLES = 3
SPREAD_MARGIN = 0.1
# Further reasons listed below the answer, at most, and only those the reader finds at least this share as likely as
# the best sentence.
MORE_REASONS = 5
MORE_MIN_SHARE = 0.1


def group(ranked: Sequence[Candidate], same: Callable[[Candidate, Candidate], bool],
          apart: Callable[[Candidate, Candidate], bool]) -> list[list[Candidate]]:
    """Sentences grouped by the reason they give, in the order given (best first): each joins the first group with
    a member giving the same reason and none it must stay apart from, or starts its own."""
    groups: list[list[Candidate]] = []
    for c in ranked:
        home = next((g for g in groups if any(same(c, m) for m in g) and not any(apart(c, m) for m in g)), None)
        if home is None:
            groups.append([c])
        else:
            home.append(c)
    return groups


def shared_weight(a: frozenset[str], b: frozenset[str], skip: frozenset[str], idf: dict[str, float],
                  unknown: float) -> tuple[float, float]:
    """The idf weight of the words two sentences share beyond `skip` (the question's), and its share of the lighter
    sentence's own such words."""
    own_a, own_b = a - skip, b - skip
    shared = sum(idf.get(t, unknown) for t in own_a & own_b)
    lighter = min(sum(idf.get(t, unknown) for t in own_a), sum(idf.get(t, unknown) for t in own_b))
    return shared, shared / lighter if lighter else 0.0


# --- choosing a why-question's reasons -------------------------------------------------------------------------
def similar(a: Candidate, b: Candidate, vectors: dict[int, np.ndarray]) -> bool:
    """Whether two sentences say the same thing: most of their words in common, or nearly the same vector."""
    if a.tokens and b.tokens and len(a.tokens & b.tokens) / len(a.tokens | b.tokens) >= DUPLICATE_JACCARD:
        return True
    return float(vectors[a.row] @ vectors[b.row]) >= DUPLICATE_COSINE


def reason_key(c: Candidate, anchor: Candidate | None = None) -> float:
    """How a sentence ranks as a reason: similarity and the reader's score, a cause word, and nearness to the
    sentence that best states what the question asks about (reasons are given beside the event, in other words)."""
    key = REASON_COSINE_WEIGHT * c.cosine + REASON_SCORE_WEIGHT * c.score
    key += CAUSE_BONUS if REASON.search(c.text) else 0.0
    key -= LEANS_BACK_PENALTY if leans_back(c.text) else 0.0
    if anchor is not None and c.passage.doc_id == anchor.passage.doc_id and c.row != anchor.row:
        gap = abs(c.passage.n - anchor.passage.n)
        key += NEAR_EVENT_BONUS if gap == 0 else NEAR_EVENT_BONUS / 2 if gap == 1 else 0.0
    return key


def same_reason(library: Library, analysis: Analysis, vectors: dict[int, np.ndarray]) -> Callable[[Candidate, Candidate], bool]:
    """Whether two sentences give the same reason: near duplicates, or weighty words in common beyond the question's."""
    idf = library.idf
    unknown = max(idf.values(), default=1.0)

    def same(a: Candidate, b: Candidate) -> bool:
        if similar(a, b, vectors):
            return True
        weight, share = shared_weight(a.tokens, b.tokens, analysis.tokens, idf, unknown)
        return (weight >= SAME_REASON_WEIGHT and share >= SAME_REASON_SHARE
                and float(vectors[a.row] @ vectors[b.row]) >= SAME_REASON_COSINE)
    return same


def select_reasons(library: Library, analysis: Analysis, pool: Sequence[Candidate], anchor: Candidate, limit: int,
                   lists: Sequence[Enumeration] = ()) -> tuple[list[Candidate], list[Candidate]]:
    """A why-question's distinct reasons, strongest first, and the further ones beyond `limit`.

    Sentences still about the question (near it in meaning, or likely answers to the reader) are ranked by
    reason_key and grouped by the reason they give; each group gives its best sentence. A list the articles
    announce ("First, … Second, …") that a strong sentence belongs to brings all its items, each its own reason.
    """
    key = lambda c: reason_key(c, anchor)  # noqa: E731
    best_score = max(c.score for c in pool)
    items = list_items(lists)
    announcers = {e.announcer: i for i, e in enumerate(lists) if e.announcer is not None}
    about = [c for c in pool if c.cosine >= REASON_MIN_COSINE * anchor.cosine or c.score >= ABOUT_SCORE_SHARE * best_score
             or c.row in items]
    ranked = sorted(about, key=key, reverse=True)
    if not ranked:
        return [], []
    floor = key(ranked[0]) - REASON_MARGIN
    # A list is the answer when a strong sentence announces it ("The council gave three reasons…"): all its items;
    # when only one of its items is strong, the others that the reader does not find too unlikely.
    announced = {announcers[c.row] for c in ranked if c.row in announcers and key(c) >= floor}
    touched = {items[c.row][0] for c in ranked if c.row in items and key(c) >= floor}
    lead = [ranked[0]] if ranked[0].row in announcers else []

    def listed(c: Candidate) -> bool:
        if c.row not in items:
            return False
        which = items[c.row][0]
        return which in announced or (which in touched and c.score >= LIST_MIN_SHARE * best_score)

    eligible = [c for c in ranked if listed(c) or (key(c) >= floor and c.row not in announcers)]
    if not eligible:
        return lead or ranked[:1], []
    rows = np.array([c.row for c in eligible])
    vectors = dict(zip((c.row for c in eligible), library.sentence_vectors.vectors(rows)))

    sections = list_sections(library, lists)
    alike = same_reason(library, analysis, vectors)

    def apart(a: Candidate, b: Candidate) -> bool:  # two items of one list, or sentences of two of its items
        x, y = sections.get(a.row), sections.get(b.row)
        return x is not None and y is not None and x[0] == y[0] and x[1] != y[1]

    def same(a: Candidate, b: Candidate) -> bool:
        x = sections.get(a.row)
        return (x is not None and x == sections.get(b.row)) or alike(a, b)

    groups = group(eligible, same, apart)
    strength = {id(g): key(g[0]) for g in groups}
    # A list's items follow the sentence announcing it, in the list's order, when that sentence leads; else its
    # strongest item stays where it is and the others follow it in the list's order: the article gives them as the
    # reasons.
    led = announcers[lead[0].row] if lead else None
    for i in touched | announced:
        members = [(index, g) for g in groups if (index := item_index(g, items, i)) is not None]
        in_order = [g for _, g in sorted(members, key=lambda m: m[0])]
        if i == led:
            top = max([strength[id(g)] for g in in_order] + [key(lead[0])])
        else:
            strongest = max(in_order, key=lambda g: strength[id(g)])
            top = strength[id(strongest)]
            in_order.remove(strongest)
        for n, g in enumerate(in_order, start=1):
            strength[id(g)] = top - LIST_STEP * n
    order = sorted(groups, key=lambda g: -strength[id(g)])
    # An item's own sentence names its reason ("Second, … to strengthen barriers to U.S. and NATO interests"): it
    # speaks for its group unless the text after it is a much likelier answer ("Fourth, Afghan opium is another
    # headache for Moscow." then "…in the fight against narcotics, the Taliban can be a better partner…").
    reps = [next((c for c in g if c.row in items and c.score >= ITEM_SHARE * g[0].score), g[0]) for g in order]
    reps = spread(reps, order, key, limit)
    more = [c for c in reps[limit:] if c.score >= MORE_MIN_SHARE * best_score or listed(c)]
    # The sentence that announces the list leads when it is the strongest: it says whose reasons they are.
    return lead + reps[:limit], more[:MORE_REASONS]


def spread(reps: list[Candidate], groups: Sequence[list[Candidate]], key: Callable[[Candidate], float],
           limit: int) -> list[Candidate]:
    """Each group's sentence, where the answer's first `limit` cite few articles: a group whose sentence shares its
    article with another's gives instead its best sentence from an article none cites, if that is nearly as strong
    (a reason the sources agree on is better shown from a second source than a third sentence of the first)."""
    reps = list(reps)
    for i, g in enumerate(groups[:limit]):
        docs = [c.passage.doc_id for c in reps[:limit]]
        if len(set(docs)) >= SPREAD_ARTICLES or docs.count(reps[i].passage.doc_id) < 2:
            continue
        other = [c for c in g if c.passage.doc_id not in docs and key(c) >= key(g[0]) - SPREAD_MARGIN]
        if other:
            reps[i] = other[0]
    return reps
