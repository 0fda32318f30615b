"""The arithmetic of goals: targets, met and missed, on track and at risk, the projection."""

from __future__ import annotations

import pytest

from assessments.kpis import CATALOGUE
from goals.choices import Comparator, MonthStatus
from goals.projection import (
    Projection,
    change_target,
    comparator_for,
    ended_status,
    in_progress_status,
    measure_of,
    poisson,
    pooled_spread,
    project,
    wilson,
)

LE, GE = Comparator.AT_MOST, Comparator.AT_LEAST


@pytest.mark.parametrize(
    ("actual", "target", "comparator", "expected"),
    [
        (1.9, 2.0, LE, MonthStatus.MET),
        (2.0, 2.0, LE, MonthStatus.MET),  # equal to the target meets it
        (2.1, 2.0, LE, MonthStatus.MISSED),
        (95.0, 90.0, GE, MonthStatus.MET),
        (90.0, 90.0, GE, MonthStatus.MET),
        (89.9, 90.0, GE, MonthStatus.MISSED),
        (None, 2.0, LE, MonthStatus.NO_DATA),
        (1.0, None, LE, MonthStatus.NO_DATA),  # a change goal without last year's value
    ],
)
def test_an_ended_month_is_met_missed_or_without_data(actual, target, comparator, expected):
    assert ended_status(actual, target, comparator) == expected


@pytest.mark.parametrize(
    ("last_year", "change", "expected"),
    [(4.0, -50, 2.0), (2.5, -40, 1.5), (100.0, 10, 110.0), (0.0, -50, 0.0), (None, -50, None)],
)
def test_a_change_goal_targets_last_years_value_times_one_plus_the_change(last_year, change, expected):
    result = change_target(last_year, change)

    assert result == (None if expected is None else pytest.approx(expected))


@pytest.mark.parametrize(
    ("projection", "target", "comparator", "expected"),
    [
        (Projection(1.5, 1.2, 1.8), 2.0, LE, MonthStatus.ON_TRACK),  # the whole interval below
        (Projection(1.5, 1.2, 1.8), 1.8, LE, MonthStatus.ON_TRACK),  # upper end on the target
        (Projection(1.5, 1.2, 1.8), 1.7, LE, MonthStatus.AT_RISK),  # target inside the interval
        (Projection(1.5, 1.2, 1.8), 1.4, LE, MonthStatus.AT_RISK),  # projection on the wrong side
        (Projection(95.0, 93.0, 97.0), 90.0, GE, MonthStatus.ON_TRACK),
        (Projection(95.0, 93.0, 97.0), 93.0, GE, MonthStatus.ON_TRACK),
        (Projection(95.0, 93.0, 97.0), 94.0, GE, MonthStatus.AT_RISK),
        (Projection(95.0, 93.0, 97.0), 96.0, GE, MonthStatus.AT_RISK),
        (None, 2.0, LE, MonthStatus.NO_DATA),  # nothing measured yet
        (Projection(1.5, 1.2, 1.8), None, LE, MonthStatus.NO_DATA),
    ],
)
def test_the_month_in_progress_is_on_track_or_at_risk(projection, target, comparator, expected):
    assert in_progress_status(projection, target, comparator) == expected


def test_counts_are_paced_by_elapsed_days():
    # 300 ROs in the first 10 days of a 30-day month: 900 by its end.
    projection = project("count", 300, 300, elapsed_days=10, days_in_month=30)

    assert projection.value == pytest.approx(900)
    assert projection.low < 900 < projection.high
    assert projection.low == pytest.approx(poisson(300)[0] * 3)


def test_sums_are_paced_with_the_relative_error_of_their_count():
    projection = project("sum", 1_000_000.0, 400, elapsed_days=15, days_in_month=30)

    assert projection.value == pytest.approx(2_000_000)
    assert projection.high == pytest.approx(2_000_000 * (1 + 1.959964 / 20))


def test_percentages_stand_with_a_wilson_interval():
    projection = project("proportion", 50.0, 100, elapsed_days=3, days_in_month=31)

    assert projection.value == 50.0
    assert projection.low == pytest.approx(40.38, abs=0.01)
    assert projection.high == pytest.approx(59.62, abs=0.01)


def test_the_complaint_rate_stands_with_a_poisson_interval_of_its_complaints():
    # 4 complaints over 2,000 ROs: 2 ‰.
    projection = project("per_mille", 2.0, 2000, elapsed_days=3, days_in_month=31)

    low, high = poisson(4)
    assert projection.value == 2.0
    assert projection.low == pytest.approx(low / 2)
    assert projection.high == pytest.approx(high / 2)


def test_no_complaint_yet_still_leaves_an_upper_bound():
    assert poisson(0) == (0.0, pytest.approx(3.69, abs=0.03))


def test_means_stand_with_a_normal_interval_from_the_spread():
    projection = project("mean", 90.0, 100, elapsed_days=3, days_in_month=31, spread=10.0)

    assert projection.low == pytest.approx(90 - 1.959964)
    assert projection.high == pytest.approx(90 + 1.959964)


def test_a_mean_without_spread_is_its_own_interval():
    assert project("mean", 90.0, 100, elapsed_days=3, days_in_month=31) == Projection(90.0, 90.0, 90.0)


def test_wilson_stays_within_zero_and_one():
    assert wilson(0.0, 10)[0] == 0.0
    assert wilson(1.0, 10)[1] == pytest.approx(1.0)


def test_the_spread_of_one_record_from_dealers_means():
    # Two dealers of 4 records, means 8 and 12: pooled mean 10, s² = (4·4 + 4·4) / 1 = 32.
    assert pooled_spread([(8.0, 4), (12.0, 4)]) == pytest.approx(32**0.5)
    assert pooled_spread([(8.0, 4)]) is None


def test_every_catalogue_kpi_has_a_measure_and_a_comparator():
    measures = {k.code: measure_of(k.code, k.unit) for k in CATALOGUE}

    assert measures["repair_count"] == "count"
    assert measures["repair_output_value"] == "sum"
    assert measures["complaint_rate"] == "per_mille"
    assert measures["first_time_fix_rate"] == "proportion"
    assert measures["repair_cycle_hours"] == "median"
    assert measures["csat"] == "mean"
    assert comparator_for("lower") == LE
    assert comparator_for("higher") == GE
