"""The web app's pieces without a server: escaping in every renderer, the article view, start-up status, settings."""

from __future__ import annotations

import dataclasses
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest

import app
from qa import Answer, Citation, Settings, UserError
from qa.ingest.chunking import chunk_article
from qa.ingest.corpus import parse_article
from qa.types import AnswerSentence, Upload, Verification
from webui import Backend, NotReady, chat, render
from webui.templating import md_text

PAYLOADS = (
    "<script>alert(1)</script>",
    "<img src=x onerror=alert(1)>",
    "<iframe src=javascript:alert(1)>",
    "[click](javascript:alert(1))",
)
HOSTILE = " ".join(PAYLOADS)


def citation(text: str = f"Falcons cross the sea {HOSTILE} every spring.", **kw: object) -> Citation:
    values = dict(marker=1, passage_id="evil:1", doc_id="evil", n=1, title=f"Title {HOSTILE}", publisher="<b>Pub</b>",
                  date="2020", path=f"/c/{PAYLOADS[1]}.txt", text=text, start=0, end=len(text),
                  highlights=((0, len(text)),), score=0.5, rank=1)
    values.update(kw)
    return Citation(**values)  # type: ignore[arg-type]


def assert_inert(html: str, markdown: bool = False) -> None:
    """No tag of a payload survives as markup, only its escaped text; in markdown, no link syntax either."""
    for bad in ("<script", "<img", "<iframe", "<b>") + (("](javascript:", "](",) if markdown else ()):
        assert bad not in html, (bad, html)


def test_markdown_text_shows_payloads_as_characters():
    md = md_text(HOSTILE + " $$x$$ *a* _b_ `c` # d\n\n- e")
    assert_inert(md, markdown=True)
    assert "&lt;script&gt;" in md and "\\[click\\]\\(javascript\\:alert\\(1\\)\\)" in md
    assert "\\$\\$x\\$\\$" in md and "\n" not in md


def test_answer_and_refusal_messages_escape_article_text():
    c = citation()
    answered = Answer("q", "answered", (AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 1.0),), (c,))
    msg = chat.answer_message(answered, turn=3)
    # The page's own links (the marker, with the cited sentence as its title, and "copy") and the references box.
    own = re.findall(r'\[\[1\]\]\(#cite-3-1 "[^"]*"\)|\[Copy answer with references\]\(#copy-3\)|<div class="sqa-refs">|</div>',
                     msg)
    assert len(own) == 4
    bare = msg
    for piece in own:
        bare = bare.replace(piece, "")
    assert_inert(bare, markdown=True)
    assert msg.startswith("Falcons cross the sea &lt;script&gt;") and "every spring\\.&nbsp;[[1]](#cite-3-1 \"Falcons" in msg
    assert "\\[1\\] Title &lt;script&gt;" in msg and "&lt;b&gt;Pub&lt;/b&gt; · 2020 · ¶1" in msg
    refusal = chat.answer_message(Answer("q", "not_in_sources", (), (c,), message="nothing"), turn=0)
    assert_inert(refusal.replace('<div class="sqa-nis">', "").replace("</div>", "").replace("[[1]](#cite-0-1)", ""), markdown=True)
    assert refusal.startswith('<div class="sqa-nis">') and "Not in the sources" in refusal
    assert_inert(chat.question_message(HOSTILE), markdown=True)


def test_panels_escape_titles_text_and_file_names():
    c = citation()
    cards = render.source_cards(Answer("q", "answered", (), (c,)), turn=0)
    assert_inert(cards)
    assert 'data-cite="0-1"' in cards and "&lt;img src=x onerror=alert(1)&gt;" in cards
    note = render.verification_note(c, Verification(c.passage_id, c.path, ("<img src=x onerror=alert(1)> changed",)))
    assert_inert(note)
    assert_inert(render.upload_report([], None))
    uploads = [Upload(HOSTILE, "a.txt", "added", f"{HOSTILE}: saved as a.txt", 2),
               Upload(HOSTILE, "b.txt", "added", f"{HOSTILE}: saved as b.txt; but no paragraph of it is article prose", 0)]
    report = render.upload_report(uploads, "embedded 2")
    assert_inert(report)
    assert 'class="sqa-up-added"' in report and 'class="sqa-up-empty"' in report  # saved but not searchable
    assert_inert(render.status_bar(render.FAILED, HOSTILE))


def test_article_view_numbers_paragraphs_and_marks_the_cited_sentence():
    text = "---\ntitle: <script>alert(1)</script>\n---\nFirst paragraph about falcons.\n\nSecond one. It has <img src=x onerror=alert(1)> inside.\n"
    article, _ = parse_article(Path("/c/<iframe>.txt"), text, "evil")
    chunk = chunk_article(article)
    second = chunk.passages[1]
    start = second.text.index("It has")
    c = citation(text=second.text, passage_id=second.id, n=second.n, start=second.start, end=second.end,
                 highlights=((start, len(second.text)),))
    html = render.article_view(chunk, c, Verification(c.passage_id, c.path))
    assert_inert(html)
    assert html.count('class="sqa-par') == 2 and html.count("sqa-cited") == 1
    assert f'data-pid="{second.id}"' in html and '<mark class="sqa-hl">It has &lt;img' in html
    assert "✓ Verified" in html and "¶2" in html
    library = render.library_table([chunk])
    assert_inert(library)
    assert "&lt;script&gt;alert(1)&lt;/script&gt;" in library and "&lt;iframe&gt;.txt" in library


def test_marked_clips_overlapping_spans():
    assert render.marked("a<b>c", [(0, 2), (1, 3)]) == '<mark class="sqa-hl">a&lt;</mark><mark class="sqa-hl">b</mark>&gt;c'


def test_address_flag_then_environment_then_default(monkeypatch):
    monkeypatch.delenv("SOURCEQA_HOST", raising=False)
    monkeypatch.delenv("SOURCEQA_PORT", raising=False)
    def address(*flags: str) -> tuple[str, int]:
        settings = Settings.from_args(app.parse_args(list(flags)))
        return settings.host, settings.port

    assert address() == ("127.0.0.1", 7860)
    monkeypatch.setenv("SOURCEQA_HOST", "0.0.0.0")
    monkeypatch.setenv("SOURCEQA_PORT", "8000")
    assert address() == ("0.0.0.0", 8000)
    assert address("--host", "localhost", "--port", "9000") == ("localhost", 9000)
    for bad in ("http", "0", "70000"):
        with pytest.raises(UserError, match="SOURCEQA_PORT"):
            address("--port", bad)


def test_app_reports_a_bad_setting_in_one_line_and_exits_2(tmp_path, capsys, monkeypatch):
    monkeypatch.delenv("SOURCEQA_PORT", raising=False)
    assert app.main(["--port", "nope"]) == 2
    assert app.main(["--corpus", str(tmp_path / "missing")]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 2 and all(line.startswith("error: ") for line in err)
    assert "missing" in err[1]


def test_backend_reports_progress_until_ready_and_refuses_questions_meanwhile(tmp_path):
    backend = Backend(Settings.load(corpus=tmp_path))
    backend.progress("embedding passages", 10, 82)
    status = backend.status
    assert (status.phase, status.done, status.total) == (render.STARTING, 10, 82)
    bar = render.status_bar(status.phase, status.detail, status.done, status.total)
    assert "<progress max=\"82\" value=\"10\" aria-label=\"Index build progress\">" in bar and "Embedding passages" in bar
    with pytest.raises(NotReady, match=r"still being prepared: embedding passages \(10/82\)"):
        backend.engine()
    assert not backend.ready


def test_backend_failure_is_shown_not_hidden_in_a_thread(encoder, tmp_path):
    backend = Backend(Settings.load(corpus=tmp_path / "missing"), encoder)
    backend.start()
    assert backend.wait(60) is False
    assert backend.status.phase == render.FAILED and "missing" in backend.status.detail
    with pytest.raises(NotReady, match="could not be opened"):
        backend.engine()


def test_markers_number_on_through_the_conversation_so_no_number_cites_two_things():
    c = citation()
    first = Answer("q1", "answered", (AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 1.0),), (c, c, c))
    refused = Answer("q2", "invalid", (), (), message="empty")
    second = Answer("q3", "answered", (AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 1.0),),
                    (c, dataclasses.replace(c, marker=2)))
    assert chat.offsets([first, refused, second]) == [0, 3, 3] and chat.next_offset([first, refused, second]) == 5
    msg = chat.answer_message(second, turn=2, offset=3)
    assert "[[4]](#cite-2-1 " in msg and "\\[4\\] Title" in msg and "\\[5\\] Title" in msg and "[[1]]" not in msg
    cards = render.source_cards(second, 2, 3)
    assert '<span class="sqa-marker">[4]</span>' in cards and 'data-cite="2-1"' in cards and "[1]" not in cards
    assert '<span class="sqa-marker">[5]</span>' in cards and 'data-cite="2-2"' in cards
    assert "[[4]](#cite-2-1)" in chat.answer_message(Answer("q", "not_in_sources", (), (c,), message="-"), 2, 3)
    assert "Verified: [4] ¶1" in render.verification_note(c, Verification(c.passage_id, c.path), offset=3)


def test_partial_answers_read_as_answers_with_a_note_and_unknown_statuses_as_refusals():
    c = citation(text="Falcons cross the sea.")
    sentence = AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 1.0)
    partial = chat.answer_message(Answer("q", "partial", (sentence,), (c,), message="The articles mention X but not Y."), 0)
    assert "Falcons cross the sea\\.&nbsp;[[1]](#cite-0-1" in partial
    assert '<div class="sqa-partial">' in partial and "The articles mention X but not Y\\." in partial
    assert partial.index("Partly answered") < partial.index("Falcons")  # what the articles lack comes first
    assert "sqa-weak-head" not in render.source_cards(Answer("q", "partial", (sentence,), (c,)), 0)
    unknown = chat.answer_message(Answer("q", "someday", (), (c,), message="?"), 0)
    assert unknown.startswith('<div class="sqa-nis">') and "Not in the sources" in unknown
    assert "sqa-weak-head" in render.source_cards(Answer("q", "someday", (), (c,)), 0)


def test_card_score_says_what_it_means():
    cards = render.source_cards(Answer("q", "answered", (), (citation(score=0.734),)), turn=0)
    assert f'<span class="sqa-score" title="{render.SCORE_TIP}">{render.SCORE_LABEL} 0.73</span>' in cards
    assert render.SCORE_TIP.startswith("How strongly this passage supports the answer, 0 to 1")


def test_no_match_and_chips_escape_what_the_user_typed():
    assert_inert(chat.no_match_message(f"from {HOSTILE}").replace('<div class="sqa-nomatch">', "").replace(
        "</div>", ""), markdown=True)
    chips = render.setting_chips([("date_from", f"from {HOSTILE}"), ("mode", "mode: bm25")])
    assert_inert(chips)
    assert chips.count('class="sqa-chip"') == 2 and 'data-clear="all"' in chips
    assert render.setting_chips([]) == ""


def test_stored_turns_come_back_as_the_same_answers():
    from webui.stored import restore, restore_all

    c = citation()
    answer = Answer("q", "answered", (AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 1.0),), (c,), notes=("n",))
    again = restore(answer.to_dict())
    assert again is not None and again.citations == answer.citations and again.sentences == answer.sentences
    assert chat.answer_message(again, 0) == chat.answer_message(answer, 0)
    newer = {**answer.to_dict(), "support": 0.9, "citations": [{**c.to_dict(), "support": 0.9}]}  # fields from a newer app
    assert restore(newer).citations == answer.citations
    assert restore_all([answer.to_dict(), {"question": "broken"}, "junk", None]) == [again]


class _Parsed(HTMLParser):
    """The elements and the text a browser would build from a piece of HTML."""

    def __init__(self, html: str) -> None:
        super().__init__(convert_charrefs=True)
        self.tags: list[str] = []
        self.handlers: list[str] = []
        self.text: list[str] = []
        self.feed(html)

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.tags.append(tag)
        self.handlers += [name for name, _ in attrs if name.startswith("on")]

    def handle_data(self, data: str) -> None:
        self.text.append(data)


def test_a_hostile_title_and_paragraph_are_text_in_every_panel():
    """Card, article view, library table and upload report: the payloads come back as their characters, no element."""
    payload = "<script>alert(1)</script><img src=x onerror=alert(1)>"
    text = f"---\ntitle: T {payload}\npublisher: P {payload}\n---\nFalcons {payload} cross the sea.\n\nSecond.\n"
    article, _ = parse_article(Path(f"/c/{payload}.txt"), text, "evil")
    chunk = chunk_article(article)
    first = chunk.passages[0]
    c = citation(text=first.text, passage_id=first.id, n=1, title=article.title, highlights=((0, len(first.text)),))
    shown = {
        "card": render.source_cards(Answer("q", "answered", (), (c,)), turn=0),
        "article": render.article_view(chunk, c, Verification(c.passage_id, c.path)),
        "library": render.library_table([chunk]),
        "upload": render.upload_report([Upload(f"{payload}.txt", "a.txt", "added", f"{payload}.txt: saved", 1)], None),
    }
    for where, html in shown.items():
        parsed = _Parsed(html)
        assert not {"script", "img"} & set(parsed.tags) and not parsed.handlers, where
        assert payload in "".join(parsed.text), where


def test_further_reasons_are_listed_below_the_answer_with_their_own_markers():
    c = citation(text="Falcons cross the sea.")
    other = dataclasses.replace(c, marker=2, passage_id="doc:2")
    answer = Answer("Why?", "answered", (AnswerSentence(c.text, 1, c.passage_id, 0, len(c.text), 0.5),), (c, other),
                    more=(AnswerSentence(other.text, 2, other.passage_id, 0, len(other.text), 0.2),))
    msg = chat.answer_message(answer, turn=1, offset=3)
    assert '<div class="sqa-more">' in msg and "**1 more reason in the sources:**" in msg
    assert msg.index("[[4]](#cite-1-1") < msg.index("sqa-more") < msg.index("[[5]](#cite-1-2")
    assert answer.text.endswith("1 more reason in the sources:\n- Falcons cross the sea. [2]")
