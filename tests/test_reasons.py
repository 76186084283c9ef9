"""Distinct reasons: lists the articles announce, grouping by reason, and why-answers on real corpora."""

from __future__ import annotations

from dataclasses import dataclass, replace

import pytest
from helpers import WHY, assert_well_formed, write

from qa import Settings, UserError, open_engine
from qa.answer.lists import NEXT, continues, item_number, lists_in
from qa.answer.reasons import group, shared_weight

# --- pure parts ---------------------------------------------------------------------------------------------


@pytest.mark.parametrize("sentence, number", [
    ("First, by maintaining ties with the Taliban, Russia reminds the West.", 1),
    ("Secondly, the town could not hire lifeguards.", 2),
    ("The third reason is the cost of heating.", 3),
    ("Fourth: Afghan opium is another headache for Moscow.", 4),
    ("First of all, the pumps failed.", 1),
    ("One reason is the price of steel.", 1),
    ("The main reason was the struggle to hire teachers.", 1),
    ("Another reason is the shortage of pilots.", NEXT),
    ("Finally, the budget was cut.", NEXT),
    ("2. The rents rose by a third.", 2),
    ("The first time they met was in 1995.", None),
    ("Russia's first-ever joint exercise was held in 2016.", None),
    ("He said the second phase would begin in May.", None),
])
def test_item_number_reads_how_a_list_item_opens(sentence, number):
    assert item_number(sentence) == number


def test_lists_need_two_items_in_order_and_remember_their_announcer():
    rows = [(10, None, True), (11, 1, False), (12, None, False), (13, 2, False), (14, 3, False), (15, None, False)]
    assert lists_in(rows) == [(10, [11, 13, 14])]
    assert lists_in([(1, 1, False), (2, None, False)]) == []  # "First, …" alone lists nothing
    assert lists_in([(1, 1, False), (2, 3, False)]) == []  # a gap: not one list
    assert lists_in([(1, 1, False), (2, NEXT, False), (3, NEXT, False)]) == [(None, [1, 2, 3])]  # "One…", "Another…"
    # A second "First" starts a new list; the announcer is the latest before it.
    rows = [(1, None, True), (2, 1, False), (3, 2, False), (4, None, True), (5, 1, False), (6, 2, False)]
    assert lists_in(rows) == [(1, [2, 3]), (4, [5, 6])]


def test_a_sentence_that_adds_to_the_one_before():
    assert continues("But it also “views American bases in Afghanistan as a threat to its interests,” he said.")
    assert continues("They also said the rents were too high.")
    assert not continues("The airline said the route lost money.")


@dataclass(frozen=True)
class Fake:
    """What grouping reads of a candidate sentence."""

    name: str
    reason: str


def test_group_keeps_order_joins_the_same_reason_and_keeps_list_items_apart():
    ranked = [Fake("a", "IS"), Fake("b", "West"), Fake("c", "IS"), Fake("d", "IS")]
    groups = group(ranked, lambda x, y: x.reason == y.reason, lambda x, y: {x.name, y.name} == {"a", "d"})
    assert [[f.name for f in g] for g in groups] == [["a", "c"], ["b"], ["d"]]


def test_shared_weight_leaves_out_the_question_words():
    idf = {"islam": 2.0, "state": 1.5, "russia": 0.5, "threat": 3.0, "west": 3.5}
    a, b = frozenset({"russia", "islam", "state", "threat"}), frozenset({"russia", "islam", "state", "west"})
    weight, share = shared_weight(a, b, frozenset({"russia"}), idf, 4.0)
    assert weight == pytest.approx(3.5) and share == pytest.approx(3.5 / 6.5)


# --- a list on a corpus the test writes ------------------------------------------------------------------------
POOL = """---
title: Millford closes its public pool for the summer
publisher: Millford Courier
date: 2025-06-03
---
Millford closes its public pool for the summer

Millford closed its public swimming pool on Monday, and the town council said it would stay shut until September.

The council gave three reasons for closing the pool at the start of the season.

First, the pool's filtration pumps failed a state inspection in May and cannot be replaced before August. Inspectors said the pumps were more than 40 years old.

The pool opened in 1971 and was last renovated in 1998.

Second, the town could not hire enough lifeguards, filling only four of the twelve posts it advertised in April.

Third, the cost of heating the water has doubled since 2022, and the council cut the pool's budget by a quarter in March.

Families who used the pool said they would now drive to the lake at Ashford instead.
"""
LIBRARY_HOURS = """---
title: Millford library extends its evening hours
publisher: Millford Courier
date: 2025-05-20
---
Millford library extends its evening hours

The Millford public library will stay open until 9 p.m. on weekdays from June, the town council said.

The longer hours are paid for by a state grant of $40,000, which also buys new computers for the reading room.

Librarian Ada Moss said students had asked for a quiet place to study in the evenings.
"""
LAKE = """---
title: Ashford lake beach opens early after warm spring
publisher: Valley News
date: 2025-05-28
---
Ashford lake beach opens early after warm spring

The beach at Ashford Lake opened two weeks early this year because the water warmed quickly in May.

The county parks department said the beach would be staffed every day from 10 a.m. to 6 p.m.

Parking costs $5 a car, and swimming is free.
"""
ITEMS = ("First, the pool's filtration pumps", "Second, the town could not hire", "Third, the cost of heating")


@pytest.fixture(scope="module")
def pool_settings(tmp_path_factory) -> Settings:
    """A corpus of three articles, one of which announces three reasons and gives them as "First, … Second, …"."""
    folder = tmp_path_factory.mktemp("pool")
    write(folder, "millford-2025-pool-closed.txt", POOL)
    write(folder, "millford-2025-library-hours.txt", LIBRARY_HOURS)
    write(folder, "ashford-2025-lake-beach.txt", LAKE)
    return Settings.load(corpus=folder, index_dir=tmp_path_factory.mktemp("pool-index"))


def test_a_listed_why_answer_gives_each_item_once_in_order_after_its_announcer(pool_settings, encoder):
    answer = open_engine(pool_settings, encoder=encoder).ask("Why did Millford close its swimming pool?")
    assert_well_formed(answer)
    said = [s.text for s in answer.sentences]
    assert said[0].startswith("The council gave three reasons")
    found = [next(i for i, s in enumerate(said) if s.startswith(item)) for item in ITEMS]
    assert found == sorted(found)  # the list's order
    for item in ITEMS:
        assert sum(s.startswith(item) for s in said) == 1
    # No two sentences give one item's reason: the pumps' inspection and their age are one reason.
    assert not any("40 years old" in s for s in said if not s.startswith(ITEMS[0]))
    assert not answer.more


def test_the_reasons_setting_lists_the_rest_below_the_answer(pool_settings, encoder):
    answer = open_engine(replace(pool_settings, reasons=2), encoder=encoder).ask("Why did Millford close its swimming pool?")
    assert_well_formed(answer)
    said = [s.text for s in answer.sentences]
    assert [any(s.startswith(item) for s in said) for item in ITEMS] == [True, True, False]
    assert answer.more and answer.more[0].text.startswith(ITEMS[2])
    assert answer.more_heading == f"{len(answer.more)} more reason{'s' if len(answer.more) > 1 else ''} in the sources"
    assert f"{answer.more_heading}:" in answer.text and f"{answer.more[0].text} [{answer.more[0].marker}]" in answer.text
    assert answer.to_dict()["more"][0]["text"] == answer.more[0].text


def test_the_reasons_setting_is_checked():
    with pytest.raises(UserError, match=r"reasons must be between 1 and 10.*--reasons / SOURCEQA_REASONS"):
        Settings.load({"SOURCEQA_REASONS": "0"})
    assert Settings.load({"SOURCEQA_REASONS": "3"}).reasons == 3


# --- the mission's question ------------------------------------------------------------------------------------
REASONS = {  # the Diplomat's four, in words any sentence giving them uses
    "the West": ("the West",), "U.S. and NATO": ("NATO", "American bases", "American influence"),
    "Islamic State": ("Islamic State", "ISIS", "jihadist"), "narcotics": ("narcotics", "opium", "opiates"),
}


def test_why_does_russia_engage_the_taliban_gives_distinct_reasons_from_several_articles(engine):
    answer = engine.ask(WHY)
    assert_well_formed(answer)
    said = [s.text for s in answer.sentences]
    given = {name: [s for s in said if any(w in s for w in words)] for name, words in REASONS.items()}
    assert all(given.values()), given  # each of the four reasons
    assert len(given["Islamic State"]) == 1, given["Islamic State"]  # and Islamic State once, not four times
    assert len(set(said)) == len(said)
    assert len({c.doc_id for c in answer.citations if any(s.marker == c.marker for s in answer.sentences)}) >= 3
