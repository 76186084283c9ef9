"""The chat in Chromium: filters and their chips, one question at a time, a conversation kept across reloads, copy
with references, citation markers, and chat messages labelled for screen readers."""

from __future__ import annotations

import re
import threading

from browsing import BOTH_SIZES, answer, ask
from helpers import WHY


# --- Broken 3: a filter that matches nothing --------------------------------------------------------------------
@BOTH_SIZES
def test_a_filter_that_matches_no_article_says_so_and_its_chip_clears_it(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    page.locator("#settings").get_by_text("Settings").click()
    page.locator("#date-from input, #date-from textarea").first.fill("2030")
    chip = page.locator('#chips [data-clear="date_from"]')
    expect(chip).to_have_text(re.compile(r"from 2030"))
    ask(page, WHY)
    reply = page.locator("#chat .sqa-nomatch")
    expect(reply).to_contain_text("No article matches the filters")
    expect(reply).to_contain_text("from 2030")
    expect(page.locator("#chat")).not_to_contain_text("Not in the sources")
    expect(page.locator("#question textarea")).to_have_value(WHY)  # kept, to send again without the filter
    # Active settings as chips by the question box; one click puts one back, "Clear all" every one.
    page.locator("#mode").get_by_text("bm25", exact=True).click()
    expect(page.locator('#chips [data-clear="mode"]')).to_have_text(re.compile("mode: bm25"))
    chips, bar = page.locator("#chips").bounding_box(), page.locator("#question").bounding_box()
    assert 0 <= bar["y"] - (chips["y"] + chips["height"]) < 40  # right above the question box
    chip.click()
    expect(chip).to_have_count(0)
    expect(page.locator("#date-from input, #date-from textarea").first).to_have_value("")
    page.locator("#date-to input, #date-to textarea").first.fill("2017")
    page.locator('#chips [data-clear="all"]').click()
    expect(page.locator("#chips .sqa-chip")).to_have_count(0)
    expect(page.locator("#mode input[value=hybrid]")).to_be_checked()
    expect(page.locator("#date-to input, #date-to textarea").first).to_have_value("")
    page.locator("#question textarea").press("Enter")
    expect(page.locator("#sources .sqa-card").first).to_be_visible()


# --- Broken 4 and "pending": sending twice, and the wait ----------------------------------------------------------
@BOTH_SIZES
def test_question_shows_at_once_with_ask_disabled_and_a_second_send_adds_nothing(page_in, web_app, monkeypatch):
    from playwright.sync_api import expect

    watched, view = page_in
    page = watched.open(web_app.url)
    engine = web_app.backend.engine()
    gate, real = threading.Event(), engine.ask
    monkeypatch.setattr(engine, "ask", lambda *a, **k: (gate.wait(60), real(*a, **k))[1])  # holds the answer back
    box, button = page.locator("#question textarea"), page.locator("#ask")
    try:
        box.fill(WHY)
        box.press("Enter")
        button.dispatch_event("click")  # Enter then click: the second send must not add a bubble
        expect(page.locator("#chat .user-row")).to_have_text([re.compile(re.escape(WHY))])
        expect(page.locator("#chat .sqa-pending")).to_be_visible()
        expect(button).to_be_disabled()
        box.press("Enter")  # Enter on the empty box while waiting: nothing either
        watched.shot(f"ui-pending-{view.name}")
    finally:
        gate.set()
    expect(page.locator("#chat .sqa-pending")).to_have_count(0)
    expect(button).to_be_enabled()
    expect(page.locator("#chat .user-row")).to_have_count(1)
    expect(page.locator("#chat")).not_to_contain_text("empty")
    # Without a hold: Enter and a click at once still send one question.
    box.fill("Who is Vladimir Putin's special envoy for Afghanistan?")
    box.press("Enter")
    button.dispatch_event("click")
    expect(page.locator("#chat .bot-row a[href='#cite-1-1']")).to_be_visible()
    expect(page.locator("#chat .user-row")).to_have_count(2)


# --- "Keeping a conversation": storage, New chat, copy ------------------------------------------------------------
@BOTH_SIZES
def test_conversation_survives_a_reload_until_new_chat(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    answer(page)
    ask(page, "And who said that?")
    expect(page.locator("#chat .bot-row")).to_have_count(2)
    expect(page.locator("#chat")).to_contain_text("Read as a follow-up")
    page.reload(wait_until="load")
    expect(page.locator("#chat .user-row")).to_have_count(2)
    expect(page.locator("#chat .user-row").first).to_contain_text(WHY)
    expect(page.locator("#sources .sqa-card").first).to_be_visible()  # the last answer's sources
    page.locator('#chat a[href="#cite-0-1"]').first.click()  # a citation of the first answer still opens
    expect(page.locator("#article .sqa-verified")).to_contain_text("Verified")
    # One control clears the chat: New chat (the chat's own trash button is gone).
    expect(page.locator('#chat button[aria-label="Clear"]')).to_be_hidden()
    page.get_by_role("button", name="New chat").click()
    expect(page.locator("#chat .user-row")).to_have_count(0)
    expect(page.locator("#sources .sqa-card")).to_have_count(0)
    page.reload(wait_until="load")
    expect(page.locator("#status .sqa-ready")).to_be_visible()
    page.wait_for_timeout(500)  # the restore on load has run
    expect(page.locator("#chat .user-row")).to_have_count(0)


@BOTH_SIZES
def test_copy_gives_the_answer_with_its_references_as_text(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    answer(page)
    first = page.locator("#sources .sqa-card").first
    title = first.locator(".sqa-card-title").inner_text()
    sentence = first.locator("mark").first.inner_text().strip()
    page.get_by_role("link", name="Copy answer with references").click()
    expect(page.locator("#sqa-live")).to_have_text("Answer copied, with its references.")
    text = page.evaluate("() => navigator.clipboard.readText()")
    assert sentence in text and f"{sentence} [1]" in text.replace("\n", " ")
    assert f"[1] {title}." in text and "Copy answer" not in text and "](#" not in text and "\\" not in text


# --- Citations: the sentence on hover and focus, the active marker and card ---------------------------------------
@BOTH_SIZES
def test_a_marker_shows_its_sentence_on_hover_and_focus_and_stays_marked_with_its_card(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    answer(page)
    second = page.locator('#sources [data-cite="0-2"] mark').first.inner_text().strip()
    marker = page.locator('#chat a[href="#cite-0-2"]').first
    tip = page.locator("#sqa-tip")
    marker.hover()
    expect(tip).to_be_visible()
    expect(tip).to_have_text(second)
    page.keyboard.press("Escape")
    expect(tip).to_be_hidden()
    page.locator('#chat a[href="#cite-0-1"]').first.focus()
    expect(tip).to_be_visible()
    expect(tip).not_to_have_text(second)
    marker.focus()
    expect(tip).to_have_text(second)
    expect(marker).to_have_attribute("aria-describedby", "sqa-tip")
    marker.click()
    expect(page.locator("#article .sqa-cited")).to_be_visible()
    expect(marker).to_have_class(re.compile(r"\bsqa-active\b"))
    expect(page.locator('#sources [data-cite="0-2"]')).to_have_class(re.compile(r"\bsqa-active\b"))
    expect(page.locator(".sqa-active")).to_have_count(2)
    page.locator('#sources [data-cite="0-3"]').click()
    expect(page.locator('#sources [data-cite="0-3"]')).to_have_class(re.compile(r"\bsqa-active\b"))
    expect(marker).not_to_have_class(re.compile(r"\bsqa-active\b"))
    score = page.locator('#sources [data-cite="0-3"] .sqa-score')
    expect(score).to_have_attribute("title", re.compile(r"^How strongly this passage supports the answer, 0 to 1"))


# --- Broken 7: aria-labels ----------------------------------------------------------------------------------------
@BOTH_SIZES
def test_chat_messages_are_labelled_with_their_text_not_markdown(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    answer(page)
    bot = page.locator('#chat [aria-label^="Answer: "]')
    expect(bot).to_have_count(1)
    expect(page.locator('#chat [aria-label^="Question: "]')).to_have_count(1)
    labels = page.evaluate("() => [...document.querySelectorAll('#chat [aria-label]')].map(e => e.getAttribute('aria-label'))")
    for label in labels:
        assert "[[" not in label and "](#" not in label and "\\" not in label and "<div" not in label, label
    first = page.locator("#sources .sqa-card").first.locator("mark").first.inner_text().strip()
    assert first in bot.get_attribute("aria-label")
