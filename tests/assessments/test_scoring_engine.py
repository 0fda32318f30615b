"""The arithmetic of scoring.md, clause by clause, on plain data (no database)."""

from __future__ import annotations

from decimal import Decimal

import pytest

from assessments.scoring.engine import (
    INSUFFICIENT_DATA,
    SCORED,
    DealerInput,
    KpiParams,
    Measurement,
    SchemeParams,
    competition_ranks,
    relative_scores,
    score_period,
    threshold_score,
)
from assessments.scoring.rounding import round_half_up

BANDS = (("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 0.0))


def scheme(*kpis: KpiParams, min_coverage: float = 0.6, per_item: float = 2, cap: float = 10) -> SchemeParams:
    return SchemeParams(
        min_coverage=min_coverage,
        grade_bands=BANDS,
        deduction_per_item=per_item,
        deduction_cap=cap,
        kpis=kpis,
    )


CSAT = KpiParams("csat", "result", "higher", 15, "threshold", 60, 95, 10)
CYCLE = KpiParams("repair_cycle_hours", "process", "lower", 8, "threshold", 96, 24, 10)
STAFF = KpiParams("certified_staff_rate", "base", "higher", 8, "threshold", 60, 100, 1)
COUNT = KpiParams("repair_count", "result", "higher", 0, "threshold", None, None, 1)


def dealer(
    dealer_id: int,
    region: str = "华东",
    majors: int = 0,
    veto: bool = False,
    **values: tuple[float | None, int],
) -> DealerInput:
    return DealerInput(dealer_id, region, {k: Measurement(*v) for k, v in values.items()}, majors, veto)


@pytest.mark.parametrize(
    ("value", "floor", "target", "expected"),
    [
        (60, 60, 95, 0.0),
        (95, 60, 95, 100.0),
        (77.5, 60, 95, 50.0),
        (40, 60, 95, 0.0),  # below the floor clamps to 0
        (99, 60, 95, 100.0),  # beyond the target clamps to 100
        (60, 96, 24, 50.0),  # lower is better: the floor is the larger number
        (20, 96, 24, 100.0),
        (120, 96, 24, 0.0),
    ],
)
def test_threshold_score_is_one_formula_for_both_directions(value, floor, target, expected):
    assert threshold_score(value, floor, target) == pytest.approx(expected)


def test_relative_score_ranks_worst_to_best_and_ties_share_the_mean_rank():
    # Given four dealers, two tied in the middle (higher is better)
    scores = relative_scores({1: 10.0, 2: 20.0, 3: 20.0, 4: 30.0}, "higher")
    # Then ranks are 1, 2.5, 2.5, 4 → s = 100 (r − 1) / (m − 1)
    assert scores == pytest.approx({1: 0.0, 2: 50.0, 3: 50.0, 4: 100.0})


def test_relative_score_for_lower_is_better_puts_the_largest_value_worst():
    scores = relative_scores({1: 10.0, 2: 40.0, 3: 25.0}, "lower")
    assert scores == pytest.approx({1: 100.0, 2: 0.0, 3: 50.0})


def test_relative_score_of_a_lone_dealer_is_100():
    assert relative_scores({7: 3.0}, "higher") == {7: 100.0}


def test_relative_scoring_counts_insufficient_data_cards_among_the_valid_dealers():
    # Given a relative KPI valid for three dealers, one of which lacks coverage overall
    rel = KpiParams("csat", "result", "higher", 50, "relative", None, None, 1)
    other = KpiParams("certified_staff_rate", "base", "higher", 50, "threshold", 60, 100, 1)
    cards = score_period(
        scheme(rel, other, min_coverage=0.6),
        [
            dealer(1, csat=(10.0, 5), certified_staff_rate=(100.0, 5)),
            dealer(2, csat=(20.0, 5), certified_staff_rate=(100.0, 5)),
            dealer(3, csat=(30.0, 5)),  # coverage 0.5 → insufficient_data
        ],
    )
    by_id = {c.dealer_id: c for c in cards}
    # Then m = 3: the insufficient card takes part in the ranking
    assert by_id[3].status == INSUFFICIENT_DATA
    assert by_id[3].kpis[0].score == Decimal("100.00")
    assert by_id[1].kpis[0].score == Decimal("0.00")
    assert by_id[2].kpis[0].score == Decimal("50.00")


def test_invalid_kpi_weight_is_shared_out_among_the_valid_ones():
    # Given csat (15) valid at 77.5 → 50 points, staff (8) valid at 100 → 100 points, cycle (8) too few ROs
    cards = score_period(
        scheme(CSAT, STAFF, CYCLE, min_coverage=0.5),
        [dealer(1, csat=(77.5, 20), certified_staff_rate=(100.0, 10), repair_cycle_hours=(30.0, 5))],
    )
    card = cards[0]
    # Then weighted = (15×50 + 8×100) / 23, and coverage = 23 / 31
    assert card.status == SCORED
    assert card.total == round_half_up((15 * 50 + 8 * 100) / 23, 2)
    assert float(round_half_up(card.coverage, 4)) == pytest.approx(0.7419)
    cycle = next(k for k in card.kpis if k.code == "repair_cycle_hours")
    assert (cycle.valid, cycle.score, cycle.contribution, cycle.invalid_reason) == (
        False,
        None,
        None,
        "small_sample",
    )
    csat = next(k for k in card.kpis if k.code == "csat")
    assert csat.contribution == round_half_up(15 * 50 / 23, 2)


def test_coverage_below_minimum_makes_insufficient_data_without_total_grade_rank_or_deduction():
    cards = score_period(
        scheme(CSAT, STAFF, CYCLE, min_coverage=0.6),
        [dealer(1, majors=3, certified_staff_rate=(80.0, 10), csat=(90.0, 3))],
    )
    card = cards[0]
    assert card.status == INSUFFICIENT_DATA
    assert (card.total, card.grade, card.rank, card.region_rank, card.deduction) == (
        None,
        "",
        None,
        None,
        None,
    )
    staff = next(k for k in card.kpis if k.code == "certified_staff_rate")
    # Valid KPIs still get a score, but no contribution
    assert staff.score == Decimal("50.00") and staff.contribution is None
    assert card.tier_scores["base"] == Decimal("50.00")


def test_coverage_is_compared_unrounded():
    # 2 / 3 = 0.6667 rounded, but 0.66666 < 0.66667 must still be insufficient
    a = KpiParams("csat", "result", "higher", 2, "threshold", 0, 100, 1)
    b = KpiParams("nps", "result", "higher", 1, "threshold", 0, 100, 1)
    cards = score_period(scheme(a, b, min_coverage=0.66667), [dealer(1, csat=(50.0, 1))])
    assert cards[0].status == INSUFFICIENT_DATA


def test_weight_zero_kpis_are_tracked_but_add_nothing():
    cards = score_period(
        scheme(STAFF, COUNT), [dealer(1, certified_staff_rate=(100.0, 1), repair_count=(80.0, 80))]
    )
    count = next(k for k in cards[0].kpis if k.code == "repair_count")
    assert count.valid and count.value == 80.0 and count.score is None and count.contribution is None
    assert cards[0].coverage == 1.0 and cards[0].total == Decimal("100.00")


def test_empty_value_is_never_valid_even_with_a_sample():
    cards = score_period(scheme(STAFF), [dealer(1, certified_staff_rate=(None, 0))])
    assert cards[0].kpis[0].valid is False and cards[0].kpis[0].invalid_reason == "no_data"


@pytest.mark.parametrize(("majors", "expected_deduction"), [(0, 0), (1, 2), (3, 6), (5, 10), (9, 10)])
def test_major_complaints_deduct_per_item_up_to_the_cap(majors, expected_deduction):
    cards = score_period(scheme(STAFF), [dealer(1, majors=majors, certified_staff_rate=(100.0, 1))])
    assert cards[0].deduction == Decimal(expected_deduction).quantize(Decimal("0.01"))
    assert cards[0].total == Decimal(100 - expected_deduction).quantize(Decimal("0.01"))


def test_total_never_goes_below_zero():
    cards = score_period(
        scheme(STAFF, cap=50, per_item=50), [dealer(1, majors=1, certified_staff_rate=(62.0, 1))]
    )
    assert cards[0].total == Decimal("0.00") and cards[0].grade == "D"


def test_grade_is_the_first_band_the_rounded_total_reaches():
    # 89.995 rounds half up to 90.00 → A
    k = KpiParams("csat", "result", "higher", 1, "threshold", 0, 100, 1)
    cards = score_period(scheme(k), [dealer(1, csat=(89.995, 1)), dealer(2, csat=(79.99, 1))])
    assert (cards[0].total, cards[0].grade) == (Decimal("90.00"), "A")
    assert (cards[1].total, cards[1].grade) == (Decimal("79.99"), "C")


def test_veto_sets_the_lowest_grade_but_keeps_total_and_rank():
    cards = score_period(
        scheme(STAFF),
        [dealer(1, veto=True, certified_staff_rate=(100.0, 1)), dealer(2, certified_staff_rate=(90.0, 1))],
    )
    vetoed = cards[0]
    assert vetoed.veto and vetoed.grade == "D" and vetoed.total == Decimal("100.00") and vetoed.rank == 1


def test_veto_on_an_insufficient_card_shows_but_gives_no_grade():
    cards = score_period(scheme(STAFF, CSAT), [dealer(1, veto=True, certified_staff_rate=(100.0, 1))])
    assert cards[0].status == INSUFFICIENT_DATA and cards[0].veto and cards[0].grade == ""


def test_competition_ranking_shares_ranks_and_skips():
    ranks = competition_ranks({1: Decimal("90"), 2: Decimal("85"), 3: Decimal("85"), 4: Decimal("80")})
    assert ranks == {1: 1, 2: 2, 3: 2, 4: 4}


def test_ranks_use_rounded_totals_and_region_rank_stays_within_the_region():
    k = KpiParams("csat", "result", "higher", 1, "threshold", 0, 100, 1)
    cards = score_period(
        scheme(k),
        [
            dealer(1, "华东", csat=(80.001, 1)),
            dealer(2, "华东", csat=(80.004, 1)),  # both round to 80.00: shared rank
            dealer(3, "华南", csat=(70.0, 1)),
            dealer(4, "华南", csat=(95.0, 1)),
        ],
    )
    by_id = {c.dealer_id: (c.rank, c.region_rank) for c in cards}
    assert by_id == {4: (1, 1), 1: (2, 1), 2: (2, 1), 3: (4, 2)}


def test_tier_scores_average_the_valid_weighted_kpis_of_each_tier():
    cards = score_period(
        scheme(CSAT, STAFF, CYCLE),
        [dealer(1, csat=(95.0, 10), certified_staff_rate=(80.0, 1), repair_cycle_hours=(60.0, 10))],
    )
    assert cards[0].tier_scores == {
        "base": Decimal("50.00"),
        "process": Decimal("50.00"),
        "result": Decimal("100.00"),
    }


@pytest.mark.parametrize(
    ("value", "places", "expected"),
    [(89.285, 2, "89.29"), (0.12345, 4, "0.1235"), (2.675, 2, "2.68"), (1.005, 2, "1.01"), (-0.5, 0, "-1")],
)
def test_reported_figures_round_half_up(value, places, expected):
    assert round_half_up(value, places) == Decimal(expected)
