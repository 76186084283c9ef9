"""Question sets: a malformed line is reported with its number, unknown fields are ignored, modes are checked."""

from __future__ import annotations

import pytest
from helpers import write

from qa import UserError
from qa.bench import runner
from qa.bench.queries import load_queries, parse_queries


# --- query files ----------------------------------------------------------------------------------------------
@pytest.mark.parametrize("line, words", [
    ('{"id": "q3", "question": "Why?"', "not valid JSON"),
    ('["q3", "Why?"]', "JSON object"),
    ('{"id": "q3", "gold": ["x"]}', "question"),
    ('{"question": "Why?"}', "id"),
    ('{"id": "q3", "question": "Why?", "gold": "one snippet"}', "'gold' must be a list"),
    ('{"id": "q3", "question": "Why?", "gold_ids": [""]}', "'gold_ids' must be a list"),
    ('{"id": "q1", "question": "Again?"}', "used twice"),
])
def test_a_malformed_query_line_is_reported_with_its_number(line, words):
    lines = ['{"id": "q1", "question": "Why?", "gold": ["a"]}', "", line]
    with pytest.raises(UserError) as err:
        parse_queries(lines, "set.jsonl")
    assert "set.jsonl line 3" in str(err.value) and words in str(err.value)


def test_query_files_ignore_unknown_fields_and_mark_off_topic_questions(tmp_path):
    path = write(tmp_path, "q.jsonl", '{"id": 1, "question": " Why? ", "gold": [], "lang": "en"}\n'
                                      '{"id": "q2", "question": "Who?", "gold_ids": ["a:1"]}\n')
    first, second = load_queries(path)
    assert (first.id, first.question, first.answerable) == ("1", "Why?", False)
    assert second.answerable and second.gold_ids == ("a:1",)
    with pytest.raises(UserError, match="--queries"):
        load_queries(tmp_path / "missing.jsonl")


def test_modes_flag_is_checked():
    assert runner.parse_modes("hybrid, bm25,hybrid") == ("hybrid", "bm25")
    with pytest.raises(UserError, match="--modes"):
        runner.parse_modes("bm25,rerank")
