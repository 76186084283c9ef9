"""The page's event handlers: each calls the engine through the Backend and renders with the web UI's templates."""

from __future__ import annotations

import logging
from collections.abc import Iterator
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr
from gradio.utils import get_upload_folder

from qa import Answer, Engine, Filters, Status, UserError, verify
from qa.types import Upload
from webui import chat as messages
from webui import render
from webui.backend import Backend
from webui.stored import restore_all

ARTICLE_HINT = "Click a [n] marker in the chat, a source card or a title in the Library to read the whole article here."
Message = dict[str, str]
log = logging.getLogger("qa.web")


class Handlers:
    """The page's event handlers: each calls the engine through the Backend and renders with webui.render."""

    def __init__(self, backend: Backend) -> None:
        """Handlers over one Backend (shared by every browser session)."""
        self.backend = backend
        self.mode = backend.settings.mode
        self.k = backend.settings.k

    def respond(
        self, question: str, chat: list[Message], stored: list[dict], mode: str, k: float,
        articles: list[str] | None, date_from: str, date_to: str,
    ) -> Iterator[tuple[Any, ...]]:
        """Answer a question: first show it with a pending reply and Ask disabled, then the answer in its place.

        Yields (question box, chat, stored turns, sources, article, Ask button). A blank question (a second click while
        the first is sent, or Enter on an empty box) changes nothing. A new answer clears the article view, whose
        verification note spoke of an earlier answer's citation.
        """
        question = (question or "").strip()
        if not question:
            yield (gr.update(),) * 6
            return
        chat = list(chat or [])
        stored = list(stored or [])
        user = {"role": "user", "content": messages.question_message(question)}
        keep = gr.update()
        yield "", chat + [user, {"role": "assistant", "content": messages.pending_message()}], keep, keep, keep, \
            gr.Button(interactive=False)
        done = gr.Button(interactive=True)
        try:
            engine = self.backend.engine()
            filters = Filters.checked(articles or (), date_from, date_to)
        except UserError as exc:
            # The question goes back in the box, to send again.
            yield question, chat + [user, {"role": "assistant", "content": messages.notice_message(str(exc))}], \
                keep, keep, keep, done
            return
        earlier = restore_all(stored)
        # Earlier answers carry what they cited, which a follow-up like "Who said that?" refers back to.
        history = [a for a in earlier if a.status != Status.INVALID]
        try:
            answer = engine.ask(question, history, mode=mode, k=int(k), filters=filters)
        except UserError as exc:  # not a question that can be searched: said in the chat, with the reason
            answer = Answer.invalid(question, str(exc))
        if filters.active and answer.status == Status.NOT_IN_SOURCES and not answer.citations:
            # Nothing was searched: no article matches the filters. Said so, and the question kept to send again.
            reply = messages.no_match_message(describe_filters(filters, len(engine.articles())))
            yield question, chat + [user, {"role": "assistant", "content": reply}], keep, keep, keep, done
            return
        turn, offset = len(stored), messages.next_offset(earlier)
        stored.append(answer.to_dict())
        chat += [user, {"role": "assistant", "content": messages.answer_message(answer, turn, offset)}]
        if answer.status == Status.INVALID:
            yield question, chat, stored, keep, keep, done
            return
        yield "", chat, stored, render.source_cards(answer, turn, offset), render.empty_panel("Article", ARTICLE_HINT), done

    def restore(self, stored: list[dict]) -> tuple[Any, ...]:
        """The conversation kept in this browser, drawn again after a reload: the chat and the last answer's sources."""
        answers = restore_all(stored)
        offsets = messages.offsets(answers)
        shown: list[Message] = []
        for turn, answer in enumerate(answers):
            shown += [{"role": "user", "content": messages.question_message(answer.question)},
                     {"role": "assistant", "content": messages.answer_message(answer, turn, offsets[turn])}]
        turn = next((t for t in range(len(answers) - 1, -1, -1) if answers[t].status != Status.INVALID), None)
        sources = (render.source_cards(answers[turn], turn, offsets[turn]) if turn is not None
                   else render.empty_panel("Sources", render.SOURCES_HINT))
        return shown, [a.to_dict() for a in answers], sources

    def cite(self, stored: list[dict], evt: gr.EventData) -> str:
        """Open the article of citation [n] of an answer, at the cited paragraph, after checking it against the file."""
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            turn, marker = int(data.get("turn", -1)), int(data.get("n", -1))
        except (TypeError, ValueError):
            return gr.update()
        answers = restore_all(stored)
        answer = answers[turn] if 0 <= turn < len(answers) else None
        citation = next((c for c in answer.citations if c.marker == marker), None) if answer else None
        if citation is None:
            return render.empty_panel("Article", "That citation is no longer in this conversation.")
        try:
            chunk = self.backend.engine().article(citation.doc_id)
        except UserError as exc:
            return render.empty_panel("Article", str(exc))
        return render.article_view(chunk, citation, verify(citation), messages.offsets(answers)[turn])

    def open_article(self, evt: gr.EventData) -> tuple[Any, ...]:
        """Open an article from the Library (no paragraph highlighted)."""
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            chunk = self.backend.engine().article(str(data.get("doc", "")))
        except UserError as exc:
            return render.empty_panel("Article", str(exc)), gr.Tabs(selected="ask")
        return render.article_view(chunk), gr.Tabs(selected="ask")

    def new_chat(self) -> tuple[Any, ...]:
        """Forget the conversation (here and in the browser's storage): empty chat, no sources, no article."""
        return ("", [], [], render.empty_panel("Sources", render.SOURCES_HINT), render.empty_panel("Article", ARTICLE_HINT))

    def chips(self, mode: str, k: float, articles: list[str] | None, date_from: str, date_to: str) -> str:
        """The settings that differ from the defaults, as chips with a × each."""
        active = []
        if mode and mode != self.mode:
            active.append(("mode", f"mode: {mode}"))
        if k and int(k) != self.k:
            active.append(("k", f"{int(k)} passages"))
        if articles:
            active.append(("articles", f"{len(articles)} article{'s' if len(articles) > 1 else ''} only"))
        if (date_from or "").strip():
            active.append(("date_from", f"from {date_from.strip()}"))
        if (date_to or "").strip():
            active.append(("date_to", f"to {date_to.strip()}"))
        return render.setting_chips(active)

    def clear_setting(self, evt: gr.EventData) -> tuple[Any, ...]:
        """Put one setting (or all, for "all") back to its default: outputs mode, k, articles, from, to."""
        data = evt._data if isinstance(evt._data, dict) else {}
        name = str(data.get("name", ""))
        defaults = {"mode": self.mode, "k": self.k, "articles": [], "date_from": "", "date_to": ""}
        return tuple(value if name in (key, "all") else gr.update() for key, value in defaults.items())

    def status(self) -> str:
        """The status line: start-up progress, or ready with the latest build's figures."""
        s = self.backend.status
        return render.status_bar(s.phase, s.detail, s.done, s.total)

    def library(self) -> tuple[Any, ...]:
        """The status line, the library table and the article filter's choices (unchanged until the engine is ready)."""
        if not self.backend.ready:
            return self.status(), gr.update(), gr.update()
        chunks = self.backend.engine().articles()
        choices = [(f"{c.article.title} ({c.article.date or 'undated'})", c.article.doc_id) for c in chunks]
        return self.status(), render.library_table(chunks), gr.Dropdown(choices=choices)

    def poll(self) -> tuple[Any, ...]:
        """The start-up status for the page; once finished, stop polling and fill the library."""
        active = self.backend.status.phase == render.STARTING
        return (gr.Timer(active=active), *self.library())

    def upload(self, files: list[str] | None, progress: gr.Progress = gr.Progress()) -> dict:
        """Add uploaded files (.txt, .md, .html, .htm, .pdf) to the corpus folder and the index; what happened to
        each, as JSON ("notice" says why nothing was done)."""
        try:
            engine = self.backend.engine()
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        items = [(Path(f).name, Path(f).read_bytes()) for f in files or []]
        uploads = Path(get_upload_folder()).resolve()
        for f in files or []:  # Gradio's temporary copy: the corpus keeps the file if it is added, nothing otherwise
            if Path(f).resolve().is_relative_to(uploads):
                Path(f).unlink(missing_ok=True)
        if not items:
            # Said in the upload report, which replaces the last one, rather than in a toast that stacks.
            return {"results": [], "index": None, "notice": f"Choose one or more {Engine.FORMATS} files first."}
        results, report = engine.add_files(items, progress=lambda desc, done, total: progress((done, total), desc=desc))
        if report is not None:
            log.info("index updated: %s", report.summary())  # the status line shows the same figures
        return {"results": [asdict(r) for r in results], "index": report.summary() if report else None}

    def show_upload(self, outcome: dict | None) -> tuple[Any, ...]:
        """Render an upload's outcome and refresh the library and the article filter."""
        outcome = outcome or {}
        results = [Upload(**r) for r in outcome.get("results", [])]
        return (render.upload_report(results, outcome.get("index"), outcome.get("notice")), None, *self.library())


def describe_filters(filters: Filters, total: int) -> str:
    """The active filters in words, e.g. "from 2030; 1 of 5 articles"."""
    parts = []
    if filters.date_from:
        parts.append(f"from {filters.date_from}")
    if filters.date_to:
        parts.append(f"to {filters.date_to}")
    if filters.doc_ids:
        parts.append(f"{len(filters.doc_ids)} of {total} articles")
    return "; ".join(parts)
