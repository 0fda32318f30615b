"""The pure rules of customer voice: hot, top score, bursts, template questions."""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest

from surveys.rules import burst_members, hot_reasons, is_top_score, questions_problems

T0 = datetime(2026, 10, 12, 10, 0)


@pytest.mark.parametrize(
    ("overall", "nps", "reasons"),
    [(2, 7, ["overall"]), (3, 6, ["nps"]), (1, 0, ["overall", "nps"]), (3, None, []), (4, 7, [])],
)
def test_hot_reasons_name_the_thresholds_crossed(overall, nps, reasons):
    assert hot_reasons(overall, nps) == reasons


@pytest.mark.parametrize(
    ("overall", "nps", "top"), [(5, None, True), (5, 9, True), (5, 8, False), (4, 10, False)]
)
def test_a_top_score_is_overall_five_with_nps_nine_or_ten_if_answered(overall, nps, top):
    assert is_top_score(overall, nps) is top


def test_five_within_exactly_ten_minutes_is_a_burst_but_not_over_ten_minutes_and_one_second():
    inside = [(i, T0 + timedelta(minutes=m)) for i, m in enumerate([0, 1, 2, 3, 10])]
    outside = [
        (i, T0 + timedelta(minutes=m, seconds=s))
        for i, (m, s) in enumerate([(0, 0), (1, 0), (2, 0), (3, 0), (10, 1)])
    ]

    assert burst_members(inside) == {0, 1, 2, 3, 4}
    assert burst_members(outside) == set()


def test_a_burst_flags_every_member_of_every_dense_window_in_any_order():
    moments = [(i, T0 + timedelta(minutes=2 * i)) for i in range(8)]  # every 2 minutes for 14 minutes

    assert burst_members(list(reversed(moments))) == set(range(8))


def test_a_template_must_ask_overall_as_required_and_each_field_once():
    good = [{"field": "overall", "text_zh": "总体", "text_en": "Overall", "required": True}]

    assert questions_problems(good) == []
    assert questions_problems([]) != []
    assert any("overall must be required" in p for p in questions_problems([{**good[0], "required": False}]))
    assert any("asked twice" in p for p in questions_problems(good + good))
    assert any("text_en" in p for p in questions_problems([{**good[0], "text_en": ""}]))
    assert any("field must be one of" in p for p in questions_problems([{**good[0], "field": "price"}]))
