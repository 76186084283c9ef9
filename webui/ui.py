"""The page: a chat with clickable [n] citations, the sources and article view beside it, settings and a library."""

from __future__ import annotations

import logging
from collections.abc import Iterator, Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr

from qa import Answer, Engine, Filters, Settings, UserError, verify
from qa.ingest import SUFFIX_LIST
from qa.retrieve import article_matches
from qa.types import Upload
from webui import api, render
from webui.assets import ARTICLE_JS, BRIDGE_JS
from webui.backend import Backend
from webui.benchtab import BenchRunner, BenchTab
from webui.stored import restore_all

EXAMPLES = (
    "Why does Russia engage the Taliban?",
    "Who is Vladimir Putin's special envoy for Afghanistan?",
    "When did Russians first have face-to-face contact with the Taliban?",
    "How many soldiers did the USSR lose during its decade in Afghanistan?",
)
ARTICLE_HINT = "Click a [n] marker in the chat, a source card or a title in the Library to read the whole article here."
K_SLIDER_MAX = 20
# The browser's storage key of the conversation.
STORAGE_KEY = "sourceqa-conversation"
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

        Yields (question box, chat, stored turns, sources, Ask button). A blank question (a second click while the
        first is sent, or Enter on an empty box) changes nothing.
        """
        question = (question or "").strip()
        if not question:
            yield (gr.update(),) * 5
            return
        chat = list(chat or [])
        stored = list(stored or [])
        user = {"role": "user", "content": render.question_message(question)}
        yield "", chat + [user, {"role": "assistant", "content": render.pending_message()}], gr.update(), gr.update(), \
            gr.Button(interactive=False)
        done = gr.Button(interactive=True)
        try:
            engine = self.backend.engine()
            filters = Filters.checked(articles or (), date_from, date_to)
        except UserError as exc:
            # The question goes back in the box, to send again.
            yield question, chat + [user, {"role": "assistant", "content": render.notice_message(str(exc))}], \
                gr.update(), gr.update(), done
            return
        if filters.active and not any(article_matches(c.article.doc_id, c.article.date, filters)
                                      for c in engine.articles()):
            reply = render.no_match_message(describe_filters(filters, len(engine.articles())))
            yield question, chat + [user, {"role": "assistant", "content": reply}], gr.update(), gr.update(), done
            return
        # Earlier answers carry what they cited, which a follow-up like "Who said that?" refers back to.
        history = [a for a in restore_all(stored) if a.status != "invalid"]
        try:
            answer = engine.ask(question, history, mode=mode, k=int(k), filters=filters)
        except UserError as exc:  # not a question that can be searched: said in the chat, with the reason
            answer = Answer.invalid(question, str(exc))
        turn = len(stored)
        stored.append(answer.to_dict())
        chat += [user, {"role": "assistant", "content": render.answer_message(answer, turn)}]
        if answer.status == "invalid":
            yield question, chat, stored, gr.update(), done
            return
        yield "", chat, stored, render.source_cards(answer, turn), done

    def restore(self, stored: list[dict]) -> tuple[Any, ...]:
        """The conversation kept in this browser, drawn again after a reload: the chat and the last answer's sources."""
        answers = restore_all(stored)
        chat: list[Message] = []
        for turn, answer in enumerate(answers):
            chat += [{"role": "user", "content": render.question_message(answer.question)},
                     {"role": "assistant", "content": render.answer_message(answer, turn)}]
        turn = next((t for t in range(len(answers) - 1, -1, -1) if answers[t].status != "invalid"), None)
        sources = (render.source_cards(answers[turn], turn) if turn is not None
                   else render.empty_panel("Sources", render.SOURCES_HINT))
        return chat, [a.to_dict() for a in answers], sources

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
        return render.article_view(chunk, citation, verify(citation))

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
        if not items:
            # Said in the upload report, which replaces the last one, rather than in a toast that stacks.
            return {"results": [], "index": None, "notice": f"Choose one or more {SUFFIX_LIST} files first."}
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


def build_ui(backend: Backend, examples: Sequence[str] = EXAMPLES, bench_out: Path | None = None) -> gr.Blocks:
    """The Gradio Blocks of the app; pass `css=CSS, theme=THEME` to launch() (Gradio 6 ignores them here).

    The Benchmark tab reads and saves runs under `bench_out` (default bench/out/, or SOURCEQA_BENCH_OUT).
    """
    h = Handlers(backend)
    settings = backend.settings
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title="sourceqa", analytics_enabled=False) as demo:  # nothing leaves the machine
        with gr.Row(equal_height=True, elem_id="top"):
            gr.Markdown("## sourceqa\nAnswers are the articles' own sentences; each `[n]` cites a paragraph, checked "
                        "against its file. Click a marker or a source to read the article.", elem_id="intro")
            status = gr.HTML(render.status_bar(render.STARTING, "starting"), elem_id="status")
        # The conversation, kept in this browser's storage so that it survives a reload (until New chat).
        stored = gr.BrowserState([], storage_key=STORAGE_KEY)
        with gr.Tabs(selected="ask") as main_tabs:
            with gr.Tab("Ask", id="ask"), gr.Row(elem_id="ask-row"):
                with gr.Column(scale=5, min_width=340, elem_id="chat-column"):
                    # No copy button: it copies the message's escaped markdown source, not the text shown; each
                    # answer has its own "Copy answer with references" link instead.
                    chat = gr.Chatbot(elem_id="chat", label="Conversation", show_label=False, height=None,
                                      min_height=180, max_height="62vh", latex_delimiters=[], sanitize_html=True,
                                      feedback_options=None, buttons=[], autoscroll=True,
                                      placeholder="Ask about the articles, or pick an example below.")
                    chips = gr.HTML("", elem_id="chips")
                    with gr.Row(elem_id="ask-bar"):
                        question = gr.Textbox(elem_id="question", show_label=False, scale=6, max_lines=4,
                                              placeholder="Ask a question about the articles…",
                                              label="Question")
                        ask_btn = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                    with gr.Row(elem_classes="sqa-examples"):
                        example_btns = [gr.Button(q, size="sm", variant="secondary") for q in examples]
                    new_btn = gr.Button("New chat", size="sm", elem_id="new-chat")
                    with gr.Accordion("Settings", open=False, elem_id="settings"):
                        mode = gr.Radio(list(Settings.MODES), value=settings.mode, label="Retrieval mode",
                                        info="bm25: words; dense: meaning; hybrid: both", elem_id="mode")
                        k = gr.Slider(1, max(K_SLIDER_MAX, settings.k), value=settings.k, step=1,
                                      label="Passages to retrieve", elem_id="k")
                        articles = gr.Dropdown([], multiselect=True, label="Only these articles",
                                               elem_id="filter-articles")
                        with gr.Row():
                            date_from = gr.Textbox(label="From date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                                   elem_id="date-from")
                            date_to = gr.Textbox(label="To date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD",
                                                 elem_id="date-to")
                # Sources and the article side by side with the chat on a wide screen; below it on a phone.
                with gr.Column(scale=3, min_width=300, elem_id="sources-column"):
                    sources = gr.HTML(render.empty_panel("Sources", render.SOURCES_HINT), elem_id="sources")
                with gr.Column(scale=4, min_width=320, elem_id="article-column"):
                    article = gr.HTML(render.empty_panel("Article", ARTICLE_HINT), elem_id="article",
                                      js_on_load=ARTICLE_JS)
            with gr.Tab("Library", id="library") as library_tab:
                library = gr.HTML(render.empty_panel("Library", "The articles appear when the index is ready."),
                                  elem_id="library")
                # No file_types: the browser's own "Invalid file type" toast names no file; the server's check says
                # for each file why it is refused, in the report below.
                files = gr.File(file_count="multiple", type="filepath",
                                label=f"Add articles ({SUFFIX_LIST}; text as UTF-8; up to "
                                      f"{Engine.UPLOAD_LIMIT // 2**20} MB each)",
                                elem_id="upload", height=140)
                add_btn = gr.Button("Add to library", variant="primary", elem_id="add")
                upload_html = gr.HTML(render.upload_report([], None), elem_id="upload-report")
                upload_json = gr.JSON(visible="hidden")
            BenchTab(BenchRunner(backend, bench_out)).build()
        bridge = gr.HTML("", visible="hidden", js_on_load=BRIDGE_JS, elem_id="bridge")
        timer = gr.Timer(1.0)

        setting_inputs = [mode, k, articles, date_from, date_to]
        answer_outputs = [question, chat, stored, sources, ask_btn]
        # One event for Enter and the button: while it runs, a second trigger of either is ignored ("once").
        gr.on([question.submit, ask_btn.click], h.respond, [question, chat, stored, *setting_inputs], answer_outputs,
              trigger_mode="once", show_progress="hidden", **private)
        for btn in example_btns:  # a Button's value is its label
            btn.click(h.respond, [btn, chat, stored, *setting_inputs], answer_outputs, show_progress="hidden", **private)
        new_btn.click(h.new_chat, None, [question, chat, stored, sources, article], queue=False, **private)
        gr.on([c.change for c in setting_inputs], h.chips, setting_inputs, chips, queue=False,
              show_progress="hidden", **private)
        bridge.clear_setting(h.clear_setting, None, setting_inputs, queue=False, **private)
        bridge.cite(h.cite, [stored], [article], show_progress="hidden", **private)
        bridge.open_article(h.open_article, None, [article, main_tabs], show_progress="hidden", **private)
        library_outputs = [status, library, articles]
        timer.tick(h.poll, None, [timer, *library_outputs], show_progress="hidden", **private)
        demo.load(h.poll, None, [timer, *library_outputs], show_progress="hidden", **private)
        demo.load(h.restore, [stored], [chat, stored, sources], show_progress="hidden", **private)
        library_tab.select(h.library, None, library_outputs, **private)
        add_btn.click(h.upload, [files], [upload_json], api_name="upload_articles",
                      api_description="Add .txt, .md, .html, .htm or .pdf files to the library; what happened to each file.").then(
            h.show_upload, [upload_json], [upload_html, files, *library_outputs], **private)
        api.register(backend)
    return demo
