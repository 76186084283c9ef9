"""Fusion, ordering and filters as pure functions."""

from __future__ import annotations

import numpy as np
import pytest

from qa import UserError
from qa.search.filters import Filters, article_matches, date_bounds, parse_date
from qa.search.retrieve import fuse, minmax, order


def test_minmax_scales_and_flat_vectors_count_for_nothing():
    assert np.allclose(minmax(np.array([2.0, 4.0, 3.0])), [0.0, 1.0, 0.5])
    assert np.allclose(minmax(np.array([5.0, 5.0])), [0.0, 0.0])
    assert len(minmax(np.array([]))) == 0


def test_fuse_weights_normalised_signals():
    fused = fuse({"bm25": np.array([10.0, 0.0, 5.0]), "dense": np.array([0.2, 0.8, 0.5])}, {"bm25": 0.5, "dense": 0.5})
    assert np.allclose(fused, [0.5, 0.5, 0.5])
    fused = fuse({"bm25": np.array([10.0, 0.0]), "dense": np.array([0.2, 0.8])}, {"bm25": 0.25, "dense": 0.75})
    assert fused[1] > fused[0]


def test_order_breaks_ties_by_passage_id():
    ids = ["b:2", "a:1", "c:3", "a:10"]
    assert list(order(np.array([1.0, 1.0, 2.0, 1.0]), ids)) == [2, 1, 3, 0]


def test_partial_dates_cover_their_whole_period():
    assert date_bounds("2017", False) == "2017-01-01" and date_bounds("2017", True) == "2017-12-31"
    assert date_bounds("2020-03", True) == "2020-03-31"
    assert date_bounds("2020-03-05", False) == "2020-03-05"


def test_article_filters():
    assert article_matches("x", "2017", Filters(date_from="2017-06", date_to="2017-06"))
    assert not article_matches("x", "2017-01", Filters(date_from="2017-06"))
    assert not article_matches("x", None, Filters(date_to="2030"))
    assert article_matches("x", None, Filters())
    assert not article_matches("x", "2017", Filters(doc_ids=("y",)))


def test_checked_filters_take_user_input_and_refuse_bad_dates():
    assert Filters.checked(["a", ""], " 2017 ", "") == Filters(("a",), "2017", None)
    assert not Filters.checked([], None, "  ").active
    assert Filters.checked(date_from="2017", date_to="2017-01").date_to == "2017-01"
    assert parse_date("2020-03-05") == "2020-03-05"
    for bad in ("17", "2017-13", "2017-1", "2017/03", "last year", "2017-02-32"):
        with pytest.raises(UserError, match="YYYY"):
            parse_date(bad)
    with pytest.raises(UserError, match="reversed"):
        Filters.checked(date_from="2021", date_to="2020-12")
