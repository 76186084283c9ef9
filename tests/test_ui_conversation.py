"""A conversation of several turns in Chromium: the newest answer in view (also after a reload), markers and cards
numbered so that no number means two citations, each marker opening its own, a partial answer's caveat first, and
markers kept on their sentence's line."""

from __future__ import annotations

import dataclasses
import os
import re

from browsing import BOTH_SIZES, DOCS, answer, ask, axe_problems, small_png
from helpers import WHY

FIVE = (
    WHY,
    "Who is Vladimir Putin's special envoy for Afghanistan?",
    "When did Russians first have face-to-face contact with the Taliban?",
    "How many soldiers did the USSR lose during its decade in Afghanistan?",
    "And who said that?",
)
# The newest question, and the first lines of its answer, inside the chat's box (a wide screen) and the window.
NEWEST_IN_VIEW = """
() => {
  const rows = document.querySelectorAll('#chat .user-row'), bots = document.querySelectorAll('#chat .bot-row');
  if (!rows.length || bots.length !== rows.length || document.querySelector('#chat .sqa-pending')) return false;
  const q = rows[rows.length - 1].getBoundingClientRect(), a = bots[bots.length - 1].getBoundingClientRect();
  const box = document.getElementById('chat').getBoundingClientRect();
  const top = Math.max(0, box.top), bottom = Math.min(window.innerHeight, box.bottom);
  return q.top >= top - 1 && q.bottom <= bottom + 1 && a.top >= top - 1 && Math.min(a.bottom, a.top + 40) <= bottom + 1;
}
"""
# Every label on the page ([n] in the chat, on a card) with the citations ("turn-n") it stands for, and back.
LABELS = """
() => {
  const pairs = [...document.querySelectorAll('#chat a[href^="#cite-"]')].map(a =>
    [a.textContent.trim(), a.getAttribute('href').slice('#cite-'.length)]);
  for (const card of document.querySelectorAll('#sources [data-cite]'))
    pairs.push([card.querySelector('.sqa-marker').textContent.trim(), card.getAttribute('data-cite')]);
  return pairs;
}
"""
# For every marker in the chat: whether it sits on the line of the last character before it.
MARKERS_ON_THEIR_LINE = """
(width) => {
  for (const m of document.querySelectorAll('#chat .bot-row .message-content')) m.style.width = width + 'px';
  const out = [];
  for (const a of document.querySelectorAll('#chat .bot-row a[href^="#cite-"]')) {
    let node = a.previousSibling;
    while (node && !(node.textContent || '').trim()) node = node.previousSibling;
    if (!node) continue;
    const text = node.nodeType === Node.TEXT_NODE ? node : [...node.childNodes].filter(n => n.nodeType === 3).pop();
    if (!text) continue;
    const end = text.textContent.replace(/\\s+$/, '').length;
    const range = document.createRange();
    range.setStart(text, end - 1); range.setEnd(text, end);
    const c = range.getBoundingClientRect(), r = a.getClientRects()[0];
    out.push({marker: a.textContent, together: Math.abs((c.top + c.bottom) / 2 - (r.top + r.bottom) / 2) < c.height / 2});
  }
  return out;
}
"""


def send(page: object, question: str, turns: int) -> None:
    """Send a question as turn `turns` + 1 (sent again if the chat ignored its Enter) and wait until its answer is in."""
    ask(page, question)
    page.wait_for_function(f"() => document.querySelectorAll('#chat .bot-row').length > {turns} "
                           "&& !document.querySelector('#chat .sqa-pending')")


def labels_are_one_to_one(pairs: list[list[str]]) -> None:
    """No label stands for two citations, and no citation has two labels."""
    by_label: dict[str, set[str]] = {}
    by_ref: dict[str, set[str]] = {}
    for label, ref in pairs:
        by_label.setdefault(label, set()).add(ref)
        by_ref.setdefault(ref, set()).add(label)
    assert all(len(refs) == 1 for refs in by_label.values()), by_label
    assert all(len(labels) == 1 for labels in by_ref.values()), by_ref


def test_five_turns_keep_the_newest_answer_in_view_and_every_marker_opens_its_own_citation(page_in, web_app):
    from playwright.sync_api import expect

    watched, view = page_in
    page = watched.open(web_app.url)
    for i, question in enumerate(FIVE):
        send(page, question, i)
        page.wait_for_function(NEWEST_IN_VIEW)
        if i == 0:
            # An open article's "Verified: [n]" speaks of this answer: the next question clears it.
            page.locator('#chat a[href^="#cite-0-"]').last.click()
            expect(page.locator("#article .sqa-verified")).to_be_visible()
    expect(page.locator("#article .sqa-verified")).to_have_count(0)
    expect(page.locator("#chat .sqa-active")).to_have_count(0)
    labels_are_one_to_one(page.evaluate(LABELS))
    page.reload(wait_until="load")
    expect(page.locator("#status .sqa-ready")).to_be_visible()
    expect(page.locator("#chat .user-row")).to_have_count(5)
    page.wait_for_function(NEWEST_IN_VIEW)  # opens at the newest answer, not the oldest
    pairs = page.evaluate(LABELS)
    labels_are_one_to_one(pairs)
    markers = page.locator('#chat a[href^="#cite-"]')
    sentences = markers.evaluate_all("els => els.map(a => a.getAttribute('title') || '')")
    turns = {ref.split("-")[0] for _, ref in pairs}
    assert len(turns) >= 4, pairs  # markers in (nearly) every turn
    for i in range(markers.count()):
        marker = markers.nth(i)
        label = marker.inner_text().strip()
        # Dispatched on the marker itself: on a phone the page is still scrolling to the last article opened.
        marker.dispatch_event("click")
        expect(page.locator("#article .sqa-verified")).to_contain_text(f"Verified: {label} ")
        expect(marker).to_have_class(re.compile(r"\bsqa-active\b"))
        if sentences[i]:
            cited = page.locator("#article .sqa-cited").inner_text()
            assert re.sub(r"\s+", " ", sentences[i]).strip()[:60] in re.sub(r"\s+", " ", cited), (label, sentences[i])
    # The page as the README shows it: the newest answer's first citation open, the newest question in view; axe-clean.
    first = page.locator("#chat .bot-row").last.locator('a[href^="#cite-"]').first
    first.dispatch_event("click")
    expect(page.locator("#article .sqa-verified")).to_contain_text(f"Verified: {first.inner_text().strip()} ")
    if view.phone:  # the article opened below the chat: back up to the newest question
        page.locator("#chat .user-row").last.evaluate("e => e.scrollIntoView({block: 'start'})")
    page.mouse.move(0, 0)
    page.wait_for_timeout(600)  # the article's scroll and the cards' fade-in have ended (no page signal says when)
    problems = axe_problems(page)
    shot = watched.shot(f"ask-five-turns-{view.name}")
    if os.environ.get("SOURCEQA_DOCS_SCREENSHOTS") == "1":
        small_png(shot, DOCS / f"ask-five-turns-{view.name}.png")
    assert problems == []


@BOTH_SIZES
def test_a_partial_answer_says_what_is_missing_before_its_sentences(page_in, web_app, monkeypatch):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    engine = web_app.backend.engine()
    real = engine.ask
    caveat = "The articles mention Zamir Kabulov but not an age."
    monkeypatch.setattr(engine, "ask", lambda *a, **k: dataclasses.replace(real(*a, **k), status="partial",
                                                                            message=caveat))
    answer(page, WHY)
    box = page.locator("#chat .bot-row .sqa-partial")
    expect(box).to_contain_text(caveat)
    first = page.locator('#chat .bot-row a[href^="#cite-"]').first
    # The caveat comes first in the reading order and on the screen.
    assert box.evaluate("(b, m) => !!(b.compareDocumentPosition(m) & Node.DOCUMENT_POSITION_FOLLOWING)",
                        first.element_handle())
    assert box.bounding_box()["y"] + box.bounding_box()["height"] <= first.bounding_box()["y"] + 1


@BOTH_SIZES
def test_a_marker_never_starts_a_line_away_from_its_sentence(page_in, web_app):
    watched, _view = page_in
    page = watched.open(web_app.url)
    send(page, WHY, 0)
    send(page, "Who is Vladimir Putin's special envoy for Afghanistan?", 1)
    apart = []
    # Every width from a narrow phone to a wide column, in steps of 3 px: the lines break at every place in turn.
    for width in range(160, 520, 3):
        apart += [(width, m["marker"]) for m in page.evaluate(MARKERS_ON_THEIR_LINE, width) if not m["together"]]
    assert apart == []
