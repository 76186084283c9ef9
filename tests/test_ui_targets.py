"""Focus and touch in Chromium: focus rings that show and are not clipped, targets of 24 px (44 on a phone), the
question box's placeholder on one line, and the empty chat's hint off the box's edge."""

from __future__ import annotations

from browsing import BOTH_SIZES, COLOUR_JS, answer

# A focused element's outline: its style, width, its contrast with the background behind the element, and the
# ancestors that clip it (overflow other than visible, and the ring reaching past their edge).
RING_JS = "(el) => {" + COLOUR_JS + """
  const s = getComputedStyle(el);
  const width = parseFloat(s.outlineWidth) || 0, grow = width + (parseFloat(s.outlineOffset) || 0);
  const r = el.getBoundingClientRect();
  const clipped = [];
  for (let p = el.parentElement; p && p !== document.body; p = p.parentElement) {
    const q = getComputedStyle(p);
    if (q.overflowX === 'visible' && q.overflowY === 'visible') continue;
    const c = p.getBoundingClientRect();
    if (r.top - grow < c.top - 0.5 || r.bottom + grow > c.bottom + 0.5 || r.left - grow < c.left - 0.5
        || r.right + grow > c.right + 0.5) clipped.push(p.className);
  }
  return {style: s.outlineStyle, width, contrast: ratio(lum(rgb(s.outlineColor)), lum(backdrop(el.parentElement))), clipped};
}
"""
# Contrast WCAG 2.2 asks of a focus indicator against what is next to it (1.4.11).
RING_CONTRAST = 3.0


def assert_ring(locator: object) -> None:
    """The focused element shows a solid ring of 2 px or more, in 3:1 contrast, that no ancestor clips."""
    ring = locator.evaluate(RING_JS)
    assert ring["style"] not in ("none", "auto") and ring["width"] >= 2, ring
    assert ring["contrast"] >= RING_CONTRAST, ring
    assert ring["clipped"] == [], ring


def test_the_question_box_and_the_tabs_show_a_focus_ring_that_nothing_clips(page_in, web_app):
    from playwright.sync_api import expect

    watched, _view = page_in
    page = watched.open(web_app.url)
    box = page.locator("#question textarea")
    box.focus()
    expect(box).to_be_focused()
    assert_ring(box)
    # Back to the tabs with the keyboard, as a keyboard user gets there (a focus ring is for the keyboard).
    for _ in range(40):
        page.keyboard.press("Shift+Tab")
        if page.evaluate("() => document.activeElement.getAttribute('role') === 'tab'"):
            break
    tab = page.locator('button[role="tab"]:focus')
    expect(tab).to_have_count(1)
    assert_ring(tab)


@BOTH_SIZES
def test_targets_are_24_px_or_more_and_44_on_a_phone_and_the_box_texts_fit(page_in, web_app):
    watched, view = page_in
    page = watched.open(web_app.url)
    # The empty chat's hint stands off the box's edge.
    hint = page.locator("#chat .placeholder-content p").first.bounding_box()
    chat = page.locator("#chat").bounding_box()
    assert hint["x"] - chat["x"] >= 8 and hint["y"] - chat["y"] >= 8, (hint, chat)
    # The question box's placeholder fits its one line (a second line would be cut off).
    fits = page.locator("#question textarea").evaluate("""(t) => {
      const s = getComputedStyle(t), ctx = document.createElement('canvas').getContext('2d');
      ctx.font = s.font;
      return ctx.measureText(t.placeholder).width <= t.clientWidth - parseFloat(s.paddingLeft) - parseFloat(s.paddingRight);
    }""")
    assert fits
    touch = 44 if view.phone else 24
    for button in page.locator(".sqa-examples button, #new-chat").all():
        size = button.bounding_box()
        assert size["height"] >= touch and size["width"] >= touch, (button.inner_text(), size)
    answer(page)
    boxes = page.locator('#chat a[href^="#cite-"]').evaluate_all(
        "els => els.map(a => { const r = a.getBoundingClientRect(); return [a.textContent, r.left, r.top, r.right, r.bottom]; })")
    assert len(boxes) >= 2
    for label, left, top, right, bottom in boxes:
        assert right - left >= 24 and bottom - top >= 24, (label, right - left, bottom - top)
    for i, a in enumerate(boxes):  # neither covers another: a tap on one never opens its neighbour
        for b in boxes[i + 1:]:
            assert min(a[3], b[3]) - max(a[1], b[1]) <= 0.5 or min(a[4], b[4]) - max(a[2], b[2]) <= 0.5, (a, b)
