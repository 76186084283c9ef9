"""The app's endpoints for scripts (gradio_client): the same questions as the page, answered as plain JSON."""

from __future__ import annotations

from typing import Any

import gradio as gr

from qa import Answer, Filters, UserError, verify
from webui.backend import Backend


def plain(data: Any) -> Any:
    """JSON for gradio_client: every "path" key renamed "file".

    gradio_client takes any dict with a string "path" for a file to download, and fails on an article's path.
    """
    if isinstance(data, dict):
        return {("file" if k == "path" else k): plain(v) for k, v in data.items()}
    if isinstance(data, list):
        return [plain(v) for v in data]
    return data


def _filters(articles: list[str] | None, date_from: str, date_to: str) -> Filters:
    return Filters.checked(articles or (), date_from, date_to)


def register(backend: Backend) -> None:
    """Add the endpoints /ask, /search, /list_articles and /show_article to the Blocks being built."""

    def ask(
        question: str,
        history: list[str] | None = None,
        mode: str = "",
        k: int = 0,
        articles: list[str] | None = None,
        date_from: str = "",
        date_to: str = "",
    ) -> dict:
        """Answer a question from the articles: sentences with [n] markers, citations, and each one's check.

        `history` lists earlier questions of the conversation, oldest first, for follow-ups; `mode` is bm25, dense
        or hybrid and `k` the number of passages (empty and 0 mean the server's settings); `articles` (doc ids) and
        `date_from`/`date_to` (YYYY, YYYY-MM or YYYY-MM-DD) restrict the search.
        """
        try:
            engine = backend.engine()
            filters = _filters(articles, date_from, date_to)
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        try:
            answer = engine.ask(question, history or (), mode=mode or None, k=k or None, filters=filters)
        except UserError as exc:  # a question that cannot be searched is answered as such, with the reason
            answer = Answer.invalid(question, str(exc))
        data = answer.to_dict()
        for item, citation in zip(data["citations"], answer.citations):
            item["verification"] = verify(citation).to_dict()
        return plain(data)

    def search(
        question: str,
        mode: str = "",
        k: int = 0,
        articles: list[str] | None = None,
        date_from: str = "",
        date_to: str = "",
    ) -> list[dict]:
        """Ranked passages for a question (no answer composed), with their scores and source."""
        try:
            hits = backend.engine().search(question, mode=mode or None, k=k or None,
                                           filters=_filters(articles, date_from, date_to))
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        return plain([h.to_dict() for h in hits])

    def list_articles() -> list[dict]:
        """The articles in the library: id, title, publisher, date, paragraphs kept, boilerplate dropped."""
        try:
            chunks = backend.engine().articles()
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        return plain([{**c.article.to_dict(), "paragraphs": len(c.passages), "dropped_boilerplate": len(c.boilerplate)}
                      for c in chunks])

    def show_article(doc_id: str) -> dict:
        """One article as the page shows it: metadata and its numbered paragraphs (id, ¶n, section, text, span)."""
        try:
            chunk = backend.engine().article(doc_id)
        except UserError as exc:
            raise gr.Error(str(exc)) from None
        return plain({**chunk.article.to_dict(), "paragraphs": [p.to_dict() for p in chunk.passages],
                      "dropped_boilerplate": [{"text": d.text, "reason": d.reason} for d in chunk.boilerplate]})

    for fn in (ask, search, list_articles, show_article):
        gr.api(fn, api_name=fn.__name__)
