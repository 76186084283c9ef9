"""Follow-up questions: deciding when a question leans on the chat before it, and what to search for then."""

from __future__ import annotations

import re
from collections.abc import Mapping, Sequence
from dataclasses import dataclass

from qa.answer.question import MAX_HISTORY_ITEMS, MAX_QUESTION_CHARS
from qa.answer.result import Answer
from qa.index.lexical import tokenize
from qa.text import tidy

# Words that point back at something said earlier.
_REFERS_BACK = re.compile(
    r"\b(that|this|those|these|it|its|he|she|him|her|his|hers|they|them|their|there|then|such|the same|"
    r"the latter|the former|said so|what about|how about|and what|and how|and who|and why|and when|else|also|too)\b",
    re.IGNORECASE,
)
_STARTS_AS_CONTINUATION = re.compile(r"^\s*(and|but|so|also|what about|how about|then|or)\b", re.IGNORECASE)
# Content words (past stopwords and question words) a question needs to stand on its own.
SELF_CONTAINED_WORDS = 2
# A question that points back ("that", "he", "and what about") is a follow-up up to this many content words.
REFERRING_MAX_WORDS = 3
# Earlier questions a chain of follow-ups carries along ("Why...?" "And opium?" "Who said that?").
CHAIN_MAX = 2


@dataclass(frozen=True)
class Turn:
    """One earlier exchange: the question, and the passage ids its answer cited."""

    question: str
    cited: tuple[str, ...] = ()


def content_words(question: str) -> list[str]:
    """The question's stemmed words that are not stopwords or question words."""
    return tokenize([question])[0]


def is_follow_up(question: str, history: Sequence[Turn]) -> bool:
    """Whether a question needs the conversation to be understood (never true without history)."""
    if not history:
        return False
    words = content_words(question)
    refers = bool(_REFERS_BACK.search(question)) or bool(_STARTS_AS_CONTINUATION.search(question))
    if len(words) < SELF_CONTAINED_WORDS:
        return True
    return refers and len(words) <= REFERRING_MAX_WORDS


def search_text(question: str, history: Sequence[Turn]) -> str:
    """What to search for: the question, after the questions it follows up (up to CHAIN_MAX of them)."""
    chain = [question]
    current = question
    for turn in reversed(history):
        if len(chain) > CHAIN_MAX or not is_follow_up(current, [turn]):
            break
        chain.append(turn.question)
        current = turn.question
    if len(chain) == 1:
        return question
    return " ".join(reversed(chain))


def refers_to_answer(question: str, history: Sequence[Turn]) -> tuple[str, ...]:
    """Passages of the last answer that a follow-up points at ("Who said that?", "When was that?")."""
    if not history or not is_follow_up(question, history):
        return ()
    return history[-1].cited


def history_turns(history: Sequence[object]) -> list[Turn]:
    """Accept earlier turns as Turn, Answer, a question string, or (question, answer) pairs."""
    turns: list[Turn] = []
    if isinstance(history, (str, Turn, Answer)):  # one earlier turn given bare, not a string's characters
        history = (history,)
    history = list(history or ())[-MAX_HISTORY_ITEMS:]  # the latest turns: a follow-up reads the last CHAIN_MAX
    for item in history:
        if isinstance(item, Turn):
            turns.append(item)
        elif isinstance(item, Answer):
            turns.append(Turn(item.question, tuple(c.passage_id for c in item.citations if not c.weak)))
        elif isinstance(item, str) and item.strip():
            turns.append(Turn(item))
        elif isinstance(item, (tuple, list)) and item and isinstance(item[0], str):
            cited: tuple[str, ...] = ()
            if len(item) > 1 and isinstance(item[1], Answer):
                cited = tuple(c.passage_id for c in item[1].citations if not c.weak)
            turns.append(Turn(item[0], cited))
    # Earlier questions reach the tokenisers like the question itself: cleaned, and dropped when nothing is left.
    return [Turn(clean, t.cited) for t in turns if (clean := tidy(t.question[:MAX_QUESTION_CHARS]))]


def earlier_passages(rows: Mapping[str, int], question: str, turns: Sequence[Turn]) -> tuple[str, ...]:
    """The passages a follow-up points at: those the previous answer cited, then the paragraph before each (where
    "said Kabulov" or the date often stands when the cited one says "he replied"); `rows` holds the passage ids."""
    cited = refers_to_answer(question, turns)
    before = []
    for pid in cited:
        doc, _, n = pid.rpartition(":")
        prev = f"{doc}:{int(n) - 1}" if n.isdigit() and int(n) > 1 else ""
        if prev in rows and prev not in cited:
            before.append(prev)
    return tuple(cited) + tuple(dict.fromkeys(before))
