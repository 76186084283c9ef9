"""The chat's messages, in the markdown gr.Chatbot renders: questions, answers with [n] links, refusals, notices."""

from __future__ import annotations

from collections.abc import Sequence

from qa import Answer
from webui.render import ANSWER_STATUSES, sentence, source_line
from webui.templating import md_text, render

PENDING = "Searching the articles…"


def question_message(question: str) -> str:
    """The user's question as a chat message."""
    return str(md_text(question))


def offsets(answers: Sequence[Answer]) -> list[int]:
    """For each turn, how many citations the turns before it hold: its citation n shows as [offset + n].

    Numbers run on through the conversation, so no number stands for two citations on the page: the [2] of the first
    answer and the cards of the latest one never share a label.
    """
    out, total = [], 0
    for answer in answers:
        out.append(total)
        total += len(answer.citations)
    return out


def next_offset(answers: Sequence[Answer]) -> int:
    """The offset of the turn after these answers (how many citations they hold together)."""
    return sum(len(a.citations) for a in answers)


def answer_message(answer: Answer, turn: int, offset: int = 0) -> str:
    """An answer as a chat message: its sentences with clickable [n] markers (numbered from offset + 1), or a visibly
    different refusal."""
    if answer.status in ANSWER_STATUSES:
        return str(render("chat/answer.md", answer=answer, turn=turn, offset=offset,
                          cited={c.marker: c.sentence for c in answer.citations},
                          lines=[source_line(c) for c in answer.citations]))
    if answer.status == "invalid":
        return str(render("chat/box.md", css="sqa-invalid", lead="Not a question I can search:", text=answer.message))
    return str(render("chat/refusal.md", answer=answer, turn=turn, offset=offset))


def notice_message(text: str) -> str:
    """A message from the app itself (not from the articles), e.g. that the index is still being built."""
    return str(render("chat/box.md", css="sqa-invalid", lead="", text=sentence(text)))


def no_match_message(filters: str) -> str:
    """The reply when the filters leave no article to search: says so, instead of "not in the sources"."""
    return str(render("chat/no_match.md", filters=filters))


def pending_message() -> str:
    """The reply shown while an answer is on its way."""
    return str(render("chat/box.md", css="sqa-pending", lead="", text=PENDING))
