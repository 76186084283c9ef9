"""Paragraph splitting and boilerplate rules, each on invented text."""

from __future__ import annotations

from pathlib import Path

import pytest

from qa.ingest.boilerplate import classify, heading_like, pattern_reason
from qa.ingest.chunking import MAX_PASSAGES_PER_FILE, chunk_article, split_paragraphs
from qa.ingest.corpus import parse_article

PROSE = "The committee met on Tuesday to weigh the proposal, and members said the vote would come next month."
PROSE2 = "Farmers in the valley said the late rains had ruined much of the early harvest across the region."
PROSE3 = "Officials promised an inquiry, though critics doubted that it would report before the election."


def chunk(text: str, title: str = "A Made-Up Headline About Rivers"):
    article, _ = parse_article(Path("made-up.txt"), text, "made-up")
    article = article.__class__(**{**article.__dict__, "title": title})
    return chunk_article(article, text)


def texts(text: str, **kw) -> list[str]:
    return [p.text for p in chunk(text, **kw).passages]


def test_blank_line_and_single_line_separation_give_the_same_paragraphs():
    assert texts(f"{PROSE}\n\n{PROSE2}\n\n{PROSE3}") == [PROSE, PROSE2, PROSE3]
    assert texts(f"{PROSE}\n{PROSE2}\n{PROSE3}") == [PROSE, PROSE2, PROSE3]


def test_hard_wrapped_lines_are_joined_into_one_paragraph():
    wrapped = (
        "The river authority said on Monday that water levels had\n"
        "risen faster than at any time since records began, and\n"
        "that it would open the northern sluices for a week.\n"
    )
    spans = split_paragraphs(wrapped)
    assert len(spans) == 1
    assert wrapped[spans[0].start:spans[0].end] == wrapped.strip()


def test_a_line_break_inside_a_sentence_joins_lowercase_continuations():
    text = "The harbour master said the ferry would not sail until the\nwind had dropped below gale force on Friday."
    assert len(split_paragraphs(text)) == 1


def test_spans_are_exact_with_crlf_and_leading_spaces():
    text = "  First paragraph of prose that runs long enough to matter here.\r\n\r\n   Second one, also prose.\r\n"
    for span in split_paragraphs(text):
        assert text[span.start:span.end] == text[span.start:span.end].strip()
    assert [text[s.start:s.end] for s in split_paragraphs(text)] == [
        "First paragraph of prose that runs long enough to matter here.", "Second one, also prose."]


def test_bullets_are_separate_paragraphs():
    text = "  \u2022 Mayor backs plan for new tram line across the city\n  \u2022 Opposition says cost estimates are far too low\n"
    assert len(split_paragraphs(text)) == 2


@pytest.mark.parametrize(
    "line, reason",
    [
        ("ADVERTISEMENT", "advertisement"),
        ("Sponsored content", "advertisement"),
        ("Photographer: Jane Doe/Example Agency via Getty Images", "photo credit"),
        ("Credit: J. Smith/Flickr", "photo credit"),
        ("A boat on the lake at dawn \u00a9 Jane Doe / Shutterstock", "credit or copyright"),
        ("\u00a92023 Example Media Group. All rights reserved.", "credit or copyright"),
        ("To contact the reporter on this story: Ann Lee in Oslo at alee@example.com", "contact line"),
        ("--With assistance from Bo Chen.", "contact line"),
        ("Sign up for our morning newsletter", "promotion"),
        ("Before it's here, it's on the Example Terminal.", "promotion"),
        ("This spring, please donate to keep our reporters in the field:", "donation appeal"),
        ("Like it? Share with your friends!", "share widget"),
        ("What's Your Reaction?", "reaction widget"),
        ("wow wow", "reaction widget"),
        ("Your email address will not be published. Required fields are marked *", "comment form"),
        ("Leave a Reply", "comment form"),
    ],
)
def test_pattern_rules(line: str, reason: str):
    assert pattern_reason(line) == reason


@pytest.mark.parametrize("line", [PROSE, "Reuters reported that the talks had stalled, citing two officials.", "He said the newsletter of the club, long out of print, had been revived by volunteers who met every week in the old library."])
def test_prose_matches_no_rule(line: str):
    assert pattern_reason(line) is None


def test_long_paragraphs_are_never_dropped_by_a_pattern():
    long = "Subscribe to nothing: " + " ".join(["the council debated the budget at length"] * 6) + "."
    assert pattern_reason(long) is None


def test_donation_appeal_runs_through_the_short_lines_after_it():
    body = "\n".join([PROSE, "This holiday season, give to:", "Truth and courage", "Our reporters are everywhere.", "We see it.", PROSE2])
    assert texts(body) == [PROSE, PROSE2]


def test_reaction_widget_swallows_its_buttons():
    body = f"{PROSE}\n\nWhat's Your Reaction?\n\nangry angry\nhappy happy\nsad sad\n"
    assert texts(body) == [PROSE]


def test_repeated_headlines_and_title_are_dropped():
    title = "Rivers Rise Across the North"
    body = f"{title}\n\n{title}\n\n{PROSE}\n\n{PROSE2}"
    result = chunk(body, title=title)
    assert [p.text for p in result.passages] == [PROSE, PROSE2]
    assert [d.reason for d in result.dropped] == ["repeated headline", "repeated headline"]


def test_a_file_without_front_matter_keeps_its_first_sentence_as_prose():
    # The title falls back to the first line; when that line is a sentence it is the article's text, not a headline.
    one, _ = parse_article(Path("note.txt"), f"{PROSE}\n", "note")
    assert [p.text for p in chunk_article(one).passages] == [PROSE]
    headed, _ = parse_article(Path("note.txt"), f"Rivers Rise Across the North\n\n{PROSE}\n", "note")
    assert headed.title == "Rivers Rise Across the North"
    assert [p.text for p in chunk_article(headed).passages] == [PROSE]


def test_subheadings_become_sections_not_passages():
    body = f"{PROSE}\n\nFlood Defences\n\n{PROSE2}\n\n\u2018A Long Winter\u2019\n\n{PROSE3}"
    result = chunk(body)
    assert [(p.n, p.section) for p in result.passages] == [(1, None), (2, "Flood Defences"), (3, "A Long Winter")]
    assert [d.reason for d in result.boilerplate] == []


def test_short_labels_before_the_first_paragraph_are_page_chrome():
    body = f"World News\n\nEurope\n\n{PROSE}\n\n{PROSE2}"
    result = chunk(body)
    assert [p.text for p in result.passages] == [PROSE, PROSE2]
    assert {d.reason for d in result.dropped} == {"page header"}


def test_caption_above_a_credit_is_dropped_with_it():
    body = f"{PROSE}\n\nJane Doe\n\nPhotographer: John Roe/Example Images\n\n{PROSE2}"
    assert texts(body) == [PROSE, PROSE2]
    body = f"{PROSE}\n\nVolunteers fill sandbags near the river on Sunday morning\nVolunteers at work \u00a9 John Roe / AFP\n\n{PROSE2}"
    assert texts(body) == [PROSE, PROSE2]


def test_passage_ids_number_kept_paragraphs_from_one():
    result = chunk(f"ADVERTISEMENT\n\n{PROSE}\n\n{PROSE2}")
    assert [p.id for p in result.passages] == ["made-up:1", "made-up:2"]


def test_markdown_headings_are_sections():
    result = chunk(f"# Rivers Rise\n\n{PROSE}\n\n## Outlook\n\n{PROSE2}", title="Rivers Rise")
    assert [(p.text, p.section) for p in result.passages] == [(PROSE, None), (PROSE2, "Outlook")]


def test_heading_like():
    assert heading_like("Peace Talks")
    assert heading_like("\u2018It\u2019s a Risk\u2019")
    assert not heading_like("He left.")
    assert not heading_like("\u2022 Mayor backs plan")


def test_classify_is_pure_and_positional():
    assert classify([PROSE, "Outlook", PROSE2], "T") == [None, "section heading", None]
    assert classify(["Outlook", PROSE], "T") == ["page header", None]


def test_paragraphs_past_the_per_file_cap_are_counted_not_kept():
    lines = "\n".join(f"Reading {i}: the pump at station {i % 97} reported a pressure of {i % 13} bar." for i in range(1500))
    article, _ = parse_article(Path("log.txt"), f"Pump Log\n\n{lines}\n", "log")
    full = chunk_article(article)
    capped = chunk_article(article, max_passages=MAX_PASSAGES_PER_FILE)
    assert len(full.passages) == 1500 and full.left_out == 0
    assert len(capped.passages) == MAX_PASSAGES_PER_FILE and capped.left_out == 500
    assert capped.passages == full.passages[:MAX_PASSAGES_PER_FILE]  # the same numbers and spans as without a cap
