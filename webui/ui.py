"""The page: a chat with clickable [n] citations, the sources and article view beside it, settings and a library."""

from __future__ import annotations

from collections.abc import Sequence
from pathlib import Path
from typing import Any

import gradio as gr

from qa import Engine, Settings
from webui import api, render
from webui.assets import article_js, bridge_js
from webui.backend import Backend
from webui.benchtab import BenchRunner, BenchTab
from webui.handlers import ARTICLE_HINT, Handlers

EXAMPLES = (
    "Why does Russia engage the Taliban?",
    "Who is Vladimir Putin's special envoy for Afghanistan?",
    "When did Russians first have face-to-face contact with the Taliban?",
    "How many soldiers did the USSR lose during its decade in Afghanistan?",
)
K_SLIDER_MAX = 20
# The browser's storage key of the conversation.
STORAGE_KEY = "sourceqa-conversation"
# Sessions whose state the server keeps (Gradio's default is 10,000): each holds a copy of the page's configuration,
# so the oldest is forgotten past this many (its browser keeps the conversation; the next event starts it afresh).
MAX_SESSIONS = 100
# Files sent to Gradio's upload route are its temporary copies: /upload_articles deletes those it is given once read
# (the corpus keeps its own copy), and Gradio's sweep deletes any other upload older than UPLOAD_KEEP_S, checked
# every UPLOAD_SWEEP_S (a file chosen in the page but never added, or sent by a script that never adds it).
UPLOAD_KEEP_S = 600
UPLOAD_SWEEP_S = 60


def build_ui(backend: Backend, examples: Sequence[str] = EXAMPLES, bench_out: Path | None = None) -> gr.Blocks:
    """The Gradio Blocks of the app; pass `css=css(), theme=THEME` to launch() (Gradio 6 ignores them here).

    The Benchmark tab reads and saves runs under `bench_out` (default bench/out/, or SOURCEQA_BENCH_OUT).
    """
    h = Handlers(backend)
    settings = backend.settings
    private: dict[str, Any] = {"api_visibility": "private"}
    # No version check or telemetry leaves the machine.
    with gr.Blocks(title="sourceqa", analytics_enabled=False, delete_cache=(UPLOAD_SWEEP_S, UPLOAD_KEEP_S)) as demo:
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
                    # answer has its own "Copy answer with references" link instead. No autoscroll: it pins the
                    # chat's bottom; the page's script keeps the newest question in view instead (bridge.js).
                    chat = gr.Chatbot(elem_id="chat", label="Conversation", show_label=False, height=None,
                                      min_height=180, max_height="62vh", latex_delimiters=[], sanitize_html=True,
                                      feedback_options=None, buttons=[], autoscroll=False,
                                      placeholder="Ask about the articles, or pick an example below.")
                    chips = gr.HTML("", elem_id="chips")
                    with gr.Row(elem_id="ask-bar"):
                        question = gr.Textbox(elem_id="question", show_label=False, scale=6, max_lines=4,
                                              placeholder="Ask about the articles…",
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
                                      js_on_load=article_js())
            with gr.Tab("Library", id="library") as library_tab:
                library = gr.HTML(render.empty_panel("Library", "The articles appear when the index is ready."),
                                  elem_id="library")
                # No file_types: the browser's own "Invalid file type" toast names no file; the server's check says
                # for each file why it is refused, in the report below.
                files = gr.File(file_count="multiple", type="filepath",
                                label=f"Add articles ({Engine.FORMATS}; text as UTF-8; up to "
                                      f"{Engine.UPLOAD_LIMIT // 2**20} MB each)",
                                elem_id="upload", height=140)
                add_btn = gr.Button("Add to library", variant="primary", elem_id="add")
                upload_html = gr.HTML(render.upload_report([], None), elem_id="upload-report")
                upload_json = gr.JSON(visible="hidden")
            BenchTab(BenchRunner(backend, bench_out or settings.bench_out)).build()
        bridge = gr.HTML("", visible="hidden", js_on_load=bridge_js(), elem_id="bridge")
        timer = gr.Timer(1.0)

        setting_inputs = [mode, k, articles, date_from, date_to]
        answer_outputs = [question, chat, stored, sources, article, ask_btn]
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
                      api_description="Add .txt, .md, .html, .htm or .pdf files to the library; "
                                      "what happened to each file.").then(
            h.show_upload, [upload_json], [upload_html, files, *library_outputs], **private)
        api.register(backend)
    return demo
