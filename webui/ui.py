"""The page: a chat with clickable [n] citations, the sources and article view beside it, settings and a library."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import asdict
from pathlib import Path
from typing import Any

import gradio as gr

from qa import MODES, Answer, Filters, Upload, UserError, bench, verify
from qa.ingest import SUFFIX_LIST
from qa.uploads import MAX_UPLOAD_BYTES
from webui import api, render
from webui.assets import ARTICLE_JS, BRIDGE_JS
from webui.backend import Backend
from webui.benchtab import BenchRunner, BenchTab

EXAMPLES = (
    "Why does Russia engage the Taliban?",
    "Who is Vladimir Putin's special envoy for Afghanistan?",
    "When did Russians first have face-to-face contact with the Taliban?",
    "How many soldiers did the USSR lose during its decade in Afghanistan?",
)
ARTICLE_HINT = "Click a [n] marker in the chat, a source card or a title in the Library to read the whole article here."
K_SLIDER_MAX = 20
Message = dict[str, str]


class Handlers:
    """The page's event handlers: each calls the engine through the Backend and renders with webui.render."""

    def __init__(self, backend: Backend) -> None:
        """Handlers over one Backend (shared by every browser session)."""
        self.backend = backend

    def respond(
        self, question: str, chat: list[Message], answers: list[Answer], mode: str, k: float,
        articles: list[str] | None, date_from: str, date_to: str,
    ) -> tuple[Any, ...]:
        """Answer a question in the conversation; updates the chat, the answers and the sources panel."""
        question = question or ""
        chat = list(chat or [])
        answers = list(answers or [])
        user = {"role": "user", "content": render.question_message(question)}
        try:
            engine = self.backend.engine()
            filters = Filters.checked(articles or (), date_from, date_to)
        except UserError as exc:
            chat += [user, {"role": "assistant", "content": render.notice_message(str(exc))}]
            return question, chat, answers, gr.update(), gr.update()  # the question stays, to send again
        # Earlier answers carry what they cited, which a follow-up like "Who said that?" refers back to.
        history = [a for a in answers if a.status != "invalid"]
        answer = engine.ask(question, history, mode=mode, k=int(k), filters=filters)
        turn = len(answers)
        answers.append(answer)
        chat += [user, {"role": "assistant", "content": render.answer_message(answer, turn)}]
        if answer.status == "invalid":
            return question, chat, answers, gr.update(), gr.update()
        return "", chat, answers, render.source_cards(answer, turn), gr.Tabs(selected="sources")

    def cite(self, answers: list[Answer], evt: gr.EventData) -> tuple[Any, ...]:
        """Open the article of citation [n] of an answer, at the cited paragraph, after checking it against the file."""
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            turn, marker = int(data.get("turn", -1)), int(data.get("n", -1))
        except (TypeError, ValueError):
            return gr.update(), gr.update()
        answers = answers or []
        answer = answers[turn] if 0 <= turn < len(answers) else None
        citation = next((c for c in answer.citations if c.marker == marker), None) if answer else None
        if citation is None:
            return render.empty_panel("Article", "That citation is no longer in this conversation."), gr.Tabs(selected="article")
        try:
            chunk = self.backend.engine().chunk(citation.doc_id)
        except UserError as exc:
            return render.empty_panel("Article", str(exc)), gr.Tabs(selected="article")
        return render.article_view(chunk, citation, verify(citation)), gr.Tabs(selected="article")

    def open_article(self, evt: gr.EventData) -> tuple[Any, ...]:
        """Open an article from the Library (no paragraph highlighted)."""
        data = evt._data if isinstance(evt._data, dict) else {}
        try:
            chunk = self.backend.engine().chunk(str(data.get("doc", "")))
        except UserError as exc:
            return render.empty_panel("Article", str(exc)), gr.Tabs(selected="ask"), gr.Tabs(selected="article")
        return render.article_view(chunk), gr.Tabs(selected="ask"), gr.Tabs(selected="article")

    def clear(self) -> tuple[Any, ...]:
        """Forget the conversation: empty chat, no sources, no article."""
        return ("", [], [], render.empty_panel("Sources", render.SOURCES_HINT), render.empty_panel("Article", ARTICLE_HINT),
                gr.Tabs(selected="sources"))

    def status(self) -> str:
        """The status line: start-up progress, or ready with the library's current size."""
        s = self.backend.status
        chunks = self.backend.engine().articles() if self.backend.ready else ()
        return render.status_bar(s.phase, s.detail, s.done, s.total, chunks)

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
        return {"results": [asdict(r) for r in results], "index": report.summary() if report else None}

    def show_upload(self, outcome: dict | None) -> tuple[Any, ...]:
        """Render an upload's outcome and refresh the library and the article filter."""
        outcome = outcome or {}
        results = [Upload(**r) for r in outcome.get("results", [])]
        return (render.upload_report(results, outcome.get("index"), outcome.get("notice")), None, *self.library())


def build_ui(backend: Backend, examples: Sequence[str] = EXAMPLES, bench_out: Path | None = None) -> gr.Blocks:
    """The Gradio Blocks of the app; pass `css=CSS, theme=THEME` to launch() (Gradio 6 ignores them here).

    The Benchmark tab reads and saves runs under `bench_out` (default bench/out/, or SOURCEQA_BENCH_OUT).
    """
    h = Handlers(backend)
    settings = backend.settings
    private: dict[str, Any] = {"api_visibility": "private"}
    with gr.Blocks(title="sourceqa") as demo:
        with gr.Row(equal_height=True):
            gr.Markdown("## sourceqa\nAnswers are the articles' own sentences; each `[n]` cites a paragraph, checked "
                        "against its file. Click a marker or a source to read the article.")
            status = gr.HTML(render.status_bar(render.STARTING, "starting"), elem_id="status")
        answers = gr.State([])
        with gr.Tabs(selected="ask") as main_tabs:
            with gr.Tab("Ask", id="ask"):
                with gr.Row():
                    with gr.Column(scale=3, min_width=360):
                        # No copy button: it copies the message's escaped markdown source, not the text shown.
                        chat = gr.Chatbot(elem_id="chat", label="Conversation", show_label=False, height=520, latex_delimiters=[],
                                          sanitize_html=True, feedback_options=None, buttons=[],
                                          placeholder="Ask about the articles, or pick an example below.")
                        with gr.Row():
                            question = gr.Textbox(elem_id="question", show_label=False, scale=6, max_lines=4,
                                                  placeholder="Ask a question about the articles…")
                            ask_btn = gr.Button("Ask", variant="primary", elem_id="ask", scale=1, min_width=80)
                        with gr.Row(elem_classes="sqa-examples"):
                            example_btns = [gr.Button(q, size="sm", variant="secondary") for q in examples]
                        clear_btn = gr.Button("Clear conversation", size="sm", elem_id="clear")
                        with gr.Accordion("Settings", open=False, elem_id="settings"):
                            mode = gr.Radio(list(MODES), value=settings.mode, label="Retrieval mode",
                                            info="bm25: words; dense: meaning; hybrid: both")
                            k = gr.Slider(1, max(K_SLIDER_MAX, settings.k), value=settings.k, step=1,
                                          label="Passages to retrieve")
                            articles = gr.Dropdown([], multiselect=True, label="Only these articles",
                                                   elem_id="filter-articles")
                            with gr.Row():
                                date_from = gr.Textbox(label="From date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD")
                                date_to = gr.Textbox(label="To date", placeholder="YYYY, YYYY-MM or YYYY-MM-DD")
                    with gr.Column(scale=2, min_width=320):
                        with gr.Tabs(selected="sources", elem_id="side") as side_tabs:
                            with gr.Tab("Sources", id="sources"):
                                sources = gr.HTML(render.empty_panel("Sources", render.SOURCES_HINT), elem_id="sources")
                            with gr.Tab("Article", id="article"):
                                article = gr.HTML(render.empty_panel("Article", ARTICLE_HINT), elem_id="article",
                                                  js_on_load=ARTICLE_JS)
            with gr.Tab("Library", id="library") as library_tab:
                library = gr.HTML(render.empty_panel("Library", "The articles appear when the index is ready."),
                                  elem_id="library")
                # No file_types: the browser's own "Invalid file type" toast names no file; the server's check says
                # for each file why it is refused, in the report below.
                files = gr.File(file_count="multiple", type="filepath",
                                label=f"Add articles ({SUFFIX_LIST}; text as UTF-8; up to "
                                      f"{MAX_UPLOAD_BYTES // 2**20} MB each)",
                                elem_id="upload", height=140)
                add_btn = gr.Button("Add to library", variant="primary", elem_id="add")
                upload_html = gr.HTML(render.upload_report([], None), elem_id="upload-report")
                upload_json = gr.JSON(visible="hidden")
            BenchTab(BenchRunner(backend, bench_out or bench.OUT_ROOT)).build()
        bridge = gr.HTML("", visible="hidden", js_on_load=BRIDGE_JS, elem_id="bridge")
        timer = gr.Timer(1.0)

        chat_inputs = [chat, answers, mode, k, articles, date_from, date_to]
        chat_outputs = [question, chat, answers, sources, side_tabs]
        question.submit(h.respond, [question, *chat_inputs], chat_outputs, **private)
        ask_btn.click(h.respond, [question, *chat_inputs], chat_outputs, **private)
        for btn in example_btns:
            btn.click(h.respond, [btn, *chat_inputs], chat_outputs, **private)  # a Button's value is its label
        clear_btn.click(h.clear, None, [question, chat, answers, sources, article, side_tabs], **private)
        chat.clear(h.clear, None, [question, chat, answers, sources, article, side_tabs], **private)
        bridge.cite(h.cite, [answers], [article, side_tabs], **private)
        bridge.open_article(h.open_article, None, [article, main_tabs, side_tabs], **private)
        library_outputs = [status, library, articles]
        timer.tick(h.poll, None, [timer, *library_outputs], show_progress="hidden", **private)
        demo.load(h.poll, None, [timer, *library_outputs], show_progress="hidden", **private)
        library_tab.select(h.library, None, library_outputs, **private)
        add_btn.click(h.upload, [files], [upload_json], api_name="upload_articles",
                      api_description="Add .txt, .md, .html, .htm or .pdf files to the library; what happened to each file.").then(
            h.show_upload, [upload_json], [upload_html, files, *library_outputs], **private)
        api.register(backend)
    return demo

