"""The reader's training pairs: (question, sentence, label) from SQuAD, and the seeded, length-bucketed batches.

Pairs: each answerable question with the sentence that holds its answer (label 1), two other sentences of its
paragraph and the sentence of another paragraph of its article that shares most words with the question without
holding the answer (0: the near-topic sentence a news archive offers); SQuAD 2.0 dev's unanswerable questions
(articles of the training half only, `squad.held_out`) with their paragraph's most similar sentences (0), which teach
"not here". With `swaps`, a share of the answerable questions also gets a swapped question: a name or year the question
shares with its answer sentence replaced by another of the same article (the Granite Fire's toll asked of the Cedar
Ridge Fire), paired with that sentence as a negative, so that the sentence that would answer a near question is not
taken for the answer. With `reasons_first`, every question asking why or how something is done is among the pairs
(SQuAD 1.1 train has 3,050 of 87,599; a news reader asks many). With `context`, every sentence is read with the one
before it in its paragraph (`qa.answer.cross_encoder.in_context`), and the sentence after the answer's, which then
reads the answer as its context, is always one of the two other sentences of the paragraph. Batches hold pairs of
like length (less padding, the same pairs), in a seeded order.
"""

from __future__ import annotations

import random
import re
from collections.abc import Sequence
from dataclasses import replace
from functools import lru_cache
from pathlib import Path

from qa.answer.cross_encoder import in_context
from qa.text import fold
from qa.training.squad import Item, held_out, items

Pair = tuple[str, str, float]


_WORD = re.compile(r"\w{3,}")
BUCKET = 2048  # pairs sorted by length together: a batch of 32 then spans little of the length range


def _words(text: str) -> frozenset[str]:
    # Plain words, not the library's BM25 tokens: this runs for every sentence of thousands of paragraphs.
    return frozenset(_WORD.findall(text.lower()))


def _overlap(question: str, sentence: str) -> int:
    return len(_words(question) & _words(sentence))


# Not qa.answer.question.entities, which reads a user's question: this reads SQuAD's sentences too, whose first word
# may be a name, and the documented --swaps round was made with these rules (changing them changes its pairs).
_NAME = re.compile(r"\b[A-Z][\w'-]*[a-z][\w'-]*(?:\s+(?:of\s+|the\s+|de\s+)?[A-Z][\w'-]*[a-z][\w'-]*)*")
# Why, or how something is done ("How did…", "How will…"), not how much, long or big: a quantity is a fact SQuAD has many of.
# Not qa.answer.question's REASON/MANNER, which also take "What caused…" and "How come…": the documented
# --reasons-first round was made with this rule (changing it changes its pairs).
_REASON = re.compile(r"\bwhy\b|^\s*how\s+(?:did|does|do|is|are|was|were|will|would|can|could|has|have|had|should|"
                     r"might|may|must)\b", re.IGNORECASE)
_YEAR = re.compile(r"\b(?:1[5-9]|20)\d\d\b")
# Capitalised only because they open the question or are too common to name a thing of the article.
_NOT_NAMES = frozenset({
    "What", "Which", "Who", "Whom", "Whose", "When", "Where", "Why", "How", "Is", "Are", "Was", "Were", "Do", "Does",
    "Did", "Can", "Could", "Has", "Have", "Had", "In", "On", "At", "Of", "For", "From", "By", "The", "A", "An", "As",
    "To", "After", "Before", "During", "Since", "Under", "According",
})


def anchors(text: str) -> list[str]:
    """The names (capitalised phrases, question words left out) and years a text mentions."""
    names = []
    for m in _NAME.finditer(text):
        words = m.group(0).split()
        while words and words[0] in _NOT_NAMES:
            words = words[1:]
        if words:
            names.append(" ".join(words))
    return names + _YEAR.findall(text)


@lru_cache(maxsize=1 << 16)
def _folded(name: str) -> tuple[str, frozenset[str]]:
    # Every question of an article looks through the same pool of names: fold each once, not once per question.
    text = fold(name)
    return text, frozenset(text.split())


def swapped(item: Item, pool: Sequence[str], rng: random.Random) -> Pair | None:
    """A question that its answer sentence does not answer: one name or year it shares with that sentence replaced by
    another of the article's (`pool`) that the sentence does not mention, paired with the sentence as a negative."""
    sentence = item.sentences[item.positives[0]]
    shared = [a for a in dict.fromkeys(anchors(item.question)) if a in sentence]
    if not shared:
        return None
    old = rng.choice(shared)
    year = bool(_YEAR.fullmatch(old))
    folded = fold(sentence)
    was = _folded(old)[1]
    # A name whose words hold the old one's, or lie within them ("Chopin", "Frédéric Chopin"), may be the same thing.
    options = [a for a in pool if bool(_YEAR.fullmatch(a)) == year and _folded(a)[0] not in folded
               and not (was <= _folded(a)[1] or _folded(a)[1] <= was)]
    if not options:
        return None
    return (item.question.replace(old, rng.choice(options), 1), sentence, 0.0)


def near_topic(item: Item, others: Sequence[str], words: Sequence[frozenset[str]]) -> str | None:
    """The sentence of `others` (with their `words`) sharing most words with the question and holding no answer text."""
    q = _words(item.question)
    answers = [fold(a) for a in item.answers]
    ranked = sorted(range(len(others)), key=lambda i: (-len(q & words[i]), i))
    for i in ranked[:8]:
        if not any(a and a in fold(others[i]) for a in answers):
            return others[i]
    return None


def question_pairs(item: Item, others: Sequence[str], rng: random.Random,
                   words: Sequence[frozenset[str]] | None = None, after: bool = False) -> list[Pair]:
    """The training pairs of one question: its answer sentence and harder and easier sentences that do not answer.

    With `words` (the word sets of `others`), the sentence from elsewhere in the article is the nearest to the
    question that holds no answer; without, a random one. With `after`, the sentence after the answer's (if any) is
    one of the paragraph's two negatives."""
    n = len(item.sentences)
    out: list[Pair] = []
    if item.answerable:
        if not item.unique or len(item.positives) != 1 or n < 2:
            return []
        pos = item.positives[0]
        out.append((item.question, item.sentences[pos], 1.0))
        rest = [i for i in range(n) if i != pos]
        if after and pos + 1 < n:
            rest.remove(pos + 1)
            chosen = [pos + 1, *rng.sample(rest, min(1, len(rest)))]
        else:
            chosen = rng.sample(rest, min(2, len(rest)))
        out += [(item.question, item.sentences[i], 0.0) for i in chosen]
    else:
        # The most alike sentences: SQuAD 2.0's questions were written to look answerable from them.
        ranked = sorted(range(n), key=lambda i: (-_overlap(item.question, item.sentences[i]), i))
        out += [(item.question, item.sentences[i], 0.0) for i in ranked[:2]]
        rest = ranked[2:]
        if rest:
            out.append((item.question, item.sentences[rng.choice(rest)], 0.0))
    if others:
        other = near_topic(item, others, words) if words is not None else None
        out.append((item.question, other if other is not None else rng.choice(others), 0.0))
    return out


def asks_reason(question: str) -> bool:
    """Whether a question asks why or how something is done: the answers a news reader finds hardest."""
    return bool(_REASON.search(question))


def with_context(item: Item) -> Item:
    """The question with each sentence of its paragraph as a reader trained with context reads it.

    Everything after reads the wrapped sentences: a sentence's context counts in the word overlaps that choose
    negatives, in the near-topic sentence's check for answer text, and in the names a swapped question shares."""
    s = item.sentences
    return replace(item, sentences=tuple(in_context(t, s[i - 1] if i else "") for i, t in enumerate(s)))


def make_pairs(train: Path, v2: Path, total: int, seed: int, swaps: float = 0.0,
               reasons_first: bool = False, context: bool = False) -> tuple[list[Pair], dict]:
    """`total` shuffled pairs: every pair of SQuAD 2.0 dev's training half, the rest from SQuAD 1.1 train; with
    `swaps`, that share of answerable questions also gets a swapped-question negative; with `reasons_first`, SQuAD
    1.1's why- and how-questions come before the others it draws; with `context`, each sentence is read with the one
    before it (`with_context`)."""
    rng = random.Random(seed)

    def groups(path: Path, keep) -> list[list[Pair]]:
        by_article: dict[str, list[Item]] = {}
        for it in items(path):
            if keep(it):
                by_article.setdefault(it.title, []).append(with_context(it) if context else it)
        out = []
        for its in by_article.values():
            sentences = sorted({(it.paragraph, s) for it in its for s in it.sentences})
            words = [_words(s) for _, s in sentences]
            pool = sorted({a for _, s in sentences for a in anchors(s)}) if swaps else []
            for it in its:
                keep = [i for i, (p, _) in enumerate(sentences) if p != it.paragraph]
                pairs = question_pairs(it, [sentences[i][1] for i in keep], rng, [words[i] for i in keep],
                                       after=context)
                # rng is drawn from only with swaps, so that a run without them makes the pairs it always made
                if pairs and swaps and it.answerable and rng.random() < swaps:
                    extra = swapped(it, pool, rng)
                    if extra is not None:
                        pairs.append(extra)
                if pairs:
                    out.append(pairs)
        return out

    v2_groups = groups(v2, lambda it: not held_out(it.title))
    squad_groups = groups(train, lambda it: True)
    rng.shuffle(squad_groups)
    if reasons_first:
        squad_groups.sort(key=lambda g: not asks_reason(g[0][0]))  # stable: each part keeps its shuffled order
    chosen = list(v2_groups)
    size = sum(len(g) for g in chosen)
    for g in squad_groups:
        if size >= total:
            break
        chosen.append(g)
        size += len(g)
    rng.shuffle(chosen)
    pairs = [p for g in chosen for p in g][:total]
    pairs = bucketed(pairs, BUCKET)
    stats = {"pairs": len(pairs), "positives": sum(1 for p in pairs if p[2] > 0),
             "questions": len(chosen), "v2_questions": len(v2_groups),
             "reason_questions": sum(1 for g in chosen if asks_reason(g[0][0])),
             "swapped": sum(1 for g in chosen for q, _, y in g[1:] if y == 0 and q != g[0][0]),
             "v2_unanswerable_pairs": sum(len(g) for g in v2_groups if all(p[2] == 0 for p in g))}
    return pairs, stats


def bucketed(pairs: list[Pair], size: int) -> list[Pair]:
    """The same pairs, each run of `size` sorted by length, so that the batches cut from them pad little."""
    out: list[Pair] = []
    for start in range(0, len(pairs), size):
        out += sorted(pairs[start:start + size], key=lambda p: len(p[0]) + len(p[1]))
    return out


def batches(pairs: list[Pair], batch: int, seed: int) -> list[list[Pair]]:
    """The pairs in batches of `batch`, in a seeded order (like-length pairs share a batch)."""
    chunks = [pairs[i:i + batch] for i in range(0, len(pairs), batch)]
    random.Random(seed).shuffle(chunks)
    return chunks
