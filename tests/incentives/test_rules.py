"""Each rule condition, on plain scorecard facts (no database)."""

from __future__ import annotations

from decimal import Decimal

from incentives.rules import CardFacts, bonus_amount, evaluate, top_count


def card(
    dealer_id: int,
    total: float | None = 80,
    grade: str = "B",
    rank: int | None = 1,
    region: str = "华东",
    region_rank: int | None = 1,
    veto: bool = False,
    **kpis: float,
) -> CardFacts:
    status = "scored" if total is not None else "insufficient_data"
    return CardFacts(
        dealer_id,
        dealer_id,
        region,
        status,
        None if total is None else Decimal(str(total)),
        grade,
        rank,
        region_rank,
        veto,
        kpi_values=kpis,
        kpi_scores={k: v for k, v in kpis.items()},
    )


def month(*cards: CardFacts) -> dict[int, CardFacts]:
    return {c.dealer_id: c for c in cards}


def test_top_percent_nationally_takes_the_top_ranks_with_ties():
    current = month(*(card(i, rank=i) for i in range(1, 21)), card(99, rank=2))
    chosen = evaluate("top_percent", {"percent": 10, "scope": "national"}, [current])
    assert set(chosen) == {1, 2, 99}  # 21 scored → top 2 ranks; a tie at rank 2 is in


def test_top_percent_by_region_ranks_within_each_region():
    current = month(
        *(card(i, region="华东", region_rank=i) for i in range(1, 11)),
        *(card(100 + i, region="西北", region_rank=i) for i in range(1, 4)),
    )
    chosen = evaluate("top_percent", {"percent": 10, "scope": "region"}, [current])
    assert set(chosen) == {1, 101}


def test_top_count_is_at_least_one_and_none_without_scored_dealers():
    assert (top_count(5, 10), top_count(120, 10), top_count(0, 10)) == (1, 12, 0)


def test_rank_at_most_ignores_insufficient_data_cards():
    current = month(card(1, rank=1), card(2, total=None, rank=None))
    assert set(evaluate("rank_at_most", {"rank": 3}, [current])) == {1}


def test_grade_n_months_running_needs_every_month_across_a_year_boundary():
    # history[0] is 2026-01, then 2025-12, then 2025-11
    jan = month(card(1, grade="D"), card(2, grade="D"), card(3, grade="D"))
    dec = month(card(1, grade="D"), card(2, grade="C"), card(3, grade="D"))
    nov = month(card(1, grade="D"), card(3, grade="B"))
    assert set(evaluate("grade", {"grades": ["D"], "months": 3}, [jan, dec, nov])) == {1}
    assert set(evaluate("grade", {"grades": ["D"], "months": 2}, [jan, dec, nov])) == {1, 3}
    causes = evaluate("grade", {"grades": ["D"], "months": 3}, [jan, dec, nov])[1]
    assert len(causes) == 3


def test_a_missing_month_breaks_the_run():
    assert evaluate("grade", {"grades": ["D"], "months": 2}, [month(card(1, grade="D")), month()]) == {}


def test_kpi_value_beyond_a_limit_months_running():
    history = [
        month(card(1, complaint_rate=9.0), card(2, complaint_rate=12.0)),
        month(card(1, complaint_rate=8.5), card(2, complaint_rate=7.0)),
        month(card(1, complaint_rate=10.0), card(2, complaint_rate=20.0)),
    ]
    assert set(
        evaluate("kpi_value", {"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3}, history)
    ) == {1}


def test_kpi_score_condition_reads_scores():
    history = [month(card(1, csat=40.0), card(2, csat=90.0))]
    assert set(evaluate("kpi_score", {"kpi": "csat", "op": "<", "value": 50}, history)) == {1}


def test_veto_selects_vetoed_cards_even_without_a_total():
    current = month(card(1, veto=True), card(2, total=None, veto=True), card(3))
    assert set(evaluate("veto", {}, [current])) == {1, 2}


def test_bonus_is_a_base_plus_points_above_the_threshold():
    assert bonus_amount(Decimal(20000), Decimal(1000), Decimal(90), Decimal("95.5")) == Decimal("25500.00")
    assert bonus_amount(Decimal(20000), Decimal(1000), Decimal(90), Decimal("85")) == Decimal("20000.00")
