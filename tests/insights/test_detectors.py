"""The nine detectors on constructed data where the answer is known: a planted signal is found
with the right dealer, subject, figures and evidence; the same data without the plant finds
nothing. Then the statistics against hand-computed values, the re-measure, the words."""

from __future__ import annotations

import itertools
import math
import random
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.core.exceptions import ImproperlyConfigured
from django.db import connection
from django.test.utils import CaptureQueriesContext
from django.utils.translation import override

from assessments.models import GroupMember, Period, RepairOrder
from assessments.periods import SHANGHAI, Month
from dealers.models import Dealer
from insights import conf
from insights.choices import FindingKind
from insights.detectors import DETECTORS
from insights.detectors.stats import (
    beyond_limit,
    binomial_log_sf,
    binomial_sf,
    control_chart,
    group_spread,
    modified_z,
    quantile_disc,
    robust_scale,
    run_on_bad_side,
    severity_of,
)
from insights.drafts import Draft
from insights.explain import FIGURE_LABELS, VALUE_LABELS, explain, method
from insights.remeasure import remeasure
from surveys.choices import FlagKind, FlagStatus
from surveys.models import ResponseFlag, SurveyResponse
from tests.factories import RegionFactory

MONTH = Month(2026, 10)
_numbers = itertools.count(1)


# --- building the data -------------------------------------------------------------------------


def make_dealers(count: int, tier: int = 3) -> list[int]:
    region = RegionFactory(name="华东")
    start = next(_numbers) * 1000
    dealers = Dealer.objects.bulk_create(
        Dealer(
            code=f"T{start + i}", name=f"测试{i}", region=region, province="江苏", city="南京", city_tier=tier
        )
        for i in range(count)
    )
    return [d.pk for d in dealers]


def at(month: Month, day: int, hour: int = 10, minute: int = 7, second: int = 17) -> datetime:
    return datetime(month.year, month.month, day, hour, minute, second, tzinfo=SHANGHAI)


def order(
    dealer_id: int,
    closed: datetime,
    *,
    opened: datetime | None = None,
    repair_type: str = "repair",
    fault: str = "F001",
    vin: str = "",
    cost: float = 0,
) -> RepairOrder:
    number = next(_numbers)
    return RepairOrder(
        dealer_id=dealer_id,
        ro_number=f"R{number:08d}",
        vin=vin or f"LTEST{number:012d}",
        repair_type=repair_type,
        opened_at=opened or closed - timedelta(hours=26, minutes=13),
        closed_at=closed,
        fault_code=fault,
        warranty_cost=Decimal(str(cost)),
    )


def save(orders: list[RepairOrder]) -> None:
    RepairOrder.objects.bulk_create(orders, batch_size=2000)


def claim(dealer_id: int, closed: datetime, cost: float = 1200, **extra: Any) -> RepairOrder:
    return order(dealer_id, closed, repair_type="warranty", cost=cost, **extra)


def run(kind: str, month: Month = MONTH) -> tuple[list[Draft], int]:
    """The detector's drafts and the number of queries it took."""
    with CaptureQueriesContext(connection) as queries:
        drafts = DETECTORS[kind](month)
    return drafts, len(queries)


def only(drafts: list[Draft]) -> Draft:
    assert len(drafts) == 1, drafts
    return drafts[0]


def assert_readable(draft: Draft) -> None:
    """Every figure has a name, the explanation reads with its value, the re-measure of the
    same month gives the stored value back."""
    assert set(draft.figures) <= set(FIGURE_LABELS)
    assert draft.kind in VALUE_LABELS
    with override("en"):
        text = explain(draft.kind, draft.subject, draft.figures)
    assert text and "%(" not in text
    with override("zh-hans"):
        assert explain(draft.kind, draft.subject, draft.figures)
    again = remeasure(draft.kind, draft.subject, draft.dealer_id, draft.month)
    assert again == pytest.approx(draft.figures["value"], rel=1e-9)


# --- fault code rising -------------------------------------------------------------------------


def fault_network(planted: bool) -> tuple[list[int], list[int]]:
    """30 dealers, 7 months (the baseline and October), 10 repair orders a month for each of
    four fault codes; with the plant, 10 dealers repair F003 30 more times in October."""
    dealers = make_dealers(30)
    orders = []
    for month in (MONTH.shift(-i) for i in range(7)):
        for dealer_id in dealers:
            for code in ("F001", "F002", "F003", "F004"):
                for i in range(10):
                    kind = "warranty" if i % 2 else "repair"
                    orders.append(order(dealer_id, at(month, 1 + i * 2), fault=code, repair_type=kind))
    rising = dealers[:10] if planted else []
    for dealer_id in rising:
        orders.extend(order(dealer_id, at(MONTH, 1 + i % 28), fault="F003") for i in range(30))
    save(orders)
    return dealers, rising


@pytest.mark.django_db
def test_a_fault_code_planted_at_ten_dealers_is_found_as_one_network_finding():
    _dealers, rising = fault_network(planted=True)

    drafts, queries = run(FindingKind.FAULT_RISING)

    draft = only(drafts)
    assert (draft.subject, draft.dealer_id, draft.month) == ("F003", None, "2026-10")
    f = draft.figures
    assert (f["observed"], f["expected"], f["ratio"]) == (600, 375.0, 1.6)
    assert (f["dealers_rising"], f["dealers_tested"], f["baseline_months"]) == (10, 30, 6)
    assert f["value"] == 400.0 and f["baseline_value"] == 250.0  # per 1,000 repair orders
    assert f["p"] == pytest.approx(binomial_sf(10, 30, 0.01)) and f["alpha"] == 0.01 / 4
    assert sorted(draft.evidence["dealers"]) == sorted(rising)
    assert draft.evidence["months"] == [str(MONTH.shift(-i)) for i in range(6, -1, -1)]
    behind = RepairOrder.objects.filter(pk__in=draft.evidence["repair_orders"])
    assert behind.count() == len(draft.evidence["repair_orders"]) == 200
    assert set(behind.values_list("fault_code", flat=True)) == {"F003"}
    assert set(behind.values_list("dealer_id", flat=True)) == set(rising)
    assert draft.severity == pytest.approx(-math.log10(f["p"]))
    assert queries == 2  # the counts, then the orders of the one code found
    assert_readable(draft)


@pytest.mark.django_db
def test_the_same_network_without_the_plant_has_no_rising_fault_code():
    fault_network(planted=False)

    assert run(FindingKind.FAULT_RISING)[0] == []


@pytest.mark.django_db
def test_a_busier_month_raises_every_code_alike_and_no_code_is_found():
    dealers = make_dealers(30)
    orders = []
    for month in (MONTH.shift(-i) for i in range(7)):
        per_code = 30 if month == MONTH else 10  # three times the work in October, same mix
        for dealer_id in dealers:
            for code in ("F001", "F002", "F003"):
                orders.extend(order(dealer_id, at(month, 1 + i % 28), fault=code) for i in range(per_code))
    save(orders)

    assert run(FindingKind.FAULT_RISING)[0] == []


# --- far from peers ----------------------------------------------------------------------------

NOISE = (-2.0, -1.1, 0.0, 0.9, 1.8, -0.6, 0.4, 1.3, -1.5, 0.2, -0.3, 1.0)


def store_members(month: Month, figures_of: dict[int, dict[str, list[Any]]], peer_key: str = "3-M") -> None:
    period, _ = Period.objects.get_or_create(code=str(month))
    GroupMember.objects.bulk_create(
        GroupMember(period=period, dealer_id=d, city_tier=3, peer_key=peer_key, figures=f)
        for d, f in figures_of.items()
    )


def peer_network(planted: bool) -> list[int]:
    """24 peers around 90 % first-time fix and 30 h repair cycle on 100–330 orders each; with
    the plant, dealer 0 is at 70 % on 200 orders, dealer 1 at 70 % on 3 orders only, dealer 2
    takes 60 h per repair, dealer 3 only 10 h (better, not a problem), dealer 4 repairs six
    times as many cars (volume: not compared)."""
    dealers = make_dealers(24)
    figures = {
        d: {
            "first_time_fix_rate": [90 + NOISE[i % 12] * (1 + i // 12), 100 + 10 * i],
            "repair_cycle_hours": [30 + NOISE[-1 - i % 12], 100 + 10 * i],
            "repair_count": [150 + 10 * i, 150 + 10 * i],
        }
        for i, d in enumerate(dealers)
    }
    if planted:
        figures[dealers[0]]["first_time_fix_rate"] = [70.0, 200]
        figures[dealers[1]]["first_time_fix_rate"] = [70.0, 3]
        figures[dealers[2]]["repair_cycle_hours"] = [60.0, 200]
        figures[dealers[3]]["repair_cycle_hours"] = [10.0, 200]
        figures[dealers[4]]["repair_count"] = [900, 900]
    store_members(MONTH, figures)
    return dealers


@pytest.mark.django_db
def test_a_dealer_far_below_its_peers_is_found_but_not_one_resting_on_three_orders():
    dealers = peer_network(planted=True)

    drafts, queries = run(FindingKind.PEER_OUTLIER)

    found = {(d.subject, d.dealer_id) for d in drafts}
    assert found == {("first_time_fix_rate", dealers[0]), ("repair_cycle_hours", dealers[2])}
    ftf = next(d for d in drafts if d.subject == "first_time_fix_rate")
    f = ftf.figures
    assert f["value"] == 70.0 and f["n"] == 200 and f["peers"] == 24 and f["peer_key"] == "3-M"
    sd = math.sqrt(f["between_sd"] ** 2 + f["within_sd"] ** 2 / 200)
    assert f["sd"] == pytest.approx(sd, abs=1e-3)
    assert f["z"] == pytest.approx((70 - f["peer_median"]) / sd, abs=0.01) and f["z"] < -4
    assert f["weight"] == pytest.approx(f["between_sd"] ** 2 / sd**2, abs=1e-3)
    assert f["shrunk"] == pytest.approx(f["peer_median"] + f["weight"] * (70 - f["peer_median"]), abs=1e-3)
    assert ftf.severity == pytest.approx(abs(f["z"]), abs=0.01)
    assert sorted(ftf.evidence["dealers"]) == sorted(dealers[1:]) and ftf.evidence["months"] == ["2026-10"]
    assert queries == 1
    assert_readable(ftf)


@pytest.mark.django_db
def test_peers_without_a_plant_have_no_outlier():
    peer_network(planted=False)

    assert run(FindingKind.PEER_OUTLIER)[0] == []


@pytest.mark.django_db
def test_a_peer_group_smaller_than_the_minimum_is_not_compared(settings):
    peer_network(planted=True)
    settings.INSIGHTS = {"peer_min_dealers": 25}

    assert run(FindingKind.PEER_OUTLIER)[0] == []


# --- breaking its own trend --------------------------------------------------------------------

STEADY = [90, 91, 89, 90.5, 89.5, 90, 91, 89, 90, 90.5, 89.5]  # mean 90, mean moving range 1.15


def trend_network(series: list[float]) -> int:
    dealers = make_dealers(3)
    for i, value in enumerate(series):
        month = MONTH.shift(i - len(series) + 1)
        store_members(
            month,
            {d: {"first_time_fix_rate": [value if d == dealers[0] else 90 + NOISE[i], 150]} for d in dealers},
        )
    return dealers[0]


@pytest.mark.django_db
def test_a_kpi_falling_below_its_control_limit_is_found():
    dealer_id = trend_network([*STEADY, 80])

    drafts, queries = run(FindingKind.TREND_BREAK)

    draft = only(drafts)
    assert (draft.subject, draft.dealer_id) == ("first_time_fix_rate", dealer_id)
    f = draft.figures
    assert f["centre"] == 90.0 and f["mr_bar"] == 1.15 and f["rule"] == "limit"
    assert f["limit"] == pytest.approx(90 - 5 * 1.15 / 1.128, abs=1e-4) == f["lower"]
    assert f["z"] == pytest.approx((80 - 90) / (1.15 / 1.128), abs=0.01)
    assert f["baseline_months"] == 11 and len(draft.evidence["months"]) == 12
    assert queries == 1
    assert_readable(draft)


@pytest.mark.django_db
def test_a_kpi_within_its_limits_is_no_finding():
    trend_network([*STEADY, 86])  # lower than ever, but within 5 σ̂ (84.9)

    assert run(FindingKind.TREND_BREAK)[0] == []


@pytest.mark.django_db
def test_a_move_beyond_the_limit_too_small_to_act_on_is_no_finding(settings):
    # Mean moving range 0.15: the 5 σ̂ limit is at 98.85; 96.9 is far beyond it, yet only 2.6 %
    # below the centre line (the default margin is 10 %).
    steady = [99.5, 99.6, 99.4, 99.5, 99.6, 99.4, 99.5, 99.6, 99.4, 99.5, 99.5]
    dealer_id = trend_network([*steady, 96.9])
    assert run(FindingKind.TREND_BREAK)[0] == []

    settings.INSIGHTS = {"trend_min_change": 0.02}
    assert only(run(FindingKind.TREND_BREAK)[0]).dealer_id == dealer_id


@pytest.mark.django_db
def test_a_run_of_eight_bad_months_is_found_only_when_the_run_rule_is_on(settings):
    series = [92, 93, 92, 93, 89, 88, 89, 88, 89, 88, 89, 88.5]  # centre 90, limits far
    dealer_id = trend_network(series)
    assert run(FindingKind.TREND_BREAK)[0] == []

    settings.INSIGHTS = {"trend_run_length": 8}
    draft = only(run(FindingKind.TREND_BREAK)[0])

    assert draft.dealer_id == dealer_id and draft.figures["rule"] == "run"


# --- warranty: repeated claims -----------------------------------------------------------------


def warranty_network(dealers: list[int], cost_of: Any = None) -> list[RepairOrder]:
    """30 claims per dealer in October, one vehicle each, spread over days 1–30."""
    return [
        claim(d, at(MONTH, 1 + i), cost=cost_of(d, i) if cost_of else 1200, vin=f"V{d:05d}{i:06d}")
        for d in dealers
        for i in range(30)
    ]


@pytest.mark.django_db
def test_claims_repeating_the_same_vehicle_and_fault_within_90_days_are_found():
    dealers = make_dealers(40)
    orders = warranty_network(dealers)
    september, july = MONTH.shift(-1), MONTH.shift(-3)
    # dealer 0 claimed 10 of its October vehicles already in September (≤ 30 days before);
    # dealer 1 claimed 10 of its vehicles in July (more than 90 days before): not repeats.
    orders += [
        claim(dealers[0], at(september, 20 + i % 5), vin=f"V{dealers[0]:05d}{i:06d}") for i in range(10)
    ]
    orders += [claim(dealers[1], at(july, 1 + i), vin=f"V{dealers[1]:05d}{i:06d}") for i in range(10)]
    save(orders)

    drafts, queries = run(FindingKind.WARRANTY_REPEAT)

    draft = only(drafts)
    assert draft.dealer_id == dealers[0]
    f = draft.figures
    assert (f["claims"], f["repeats"], f["window_days"]) == (30, 10, 90)
    assert f["value"] == pytest.approx(100 * 10 / 30, abs=1e-4)
    assert f["network_share"] == pytest.approx(100 * 10 / 1200, abs=1e-4)
    assert f["expected"] == 0.25 and f["alpha"] == 0.05 / 40
    assert f["p"] == pytest.approx(binomial_sf(10, 30, 10 / 1200))
    repeated = RepairOrder.objects.filter(pk__in=draft.evidence["repair_orders"])
    assert repeated.count() == 10
    assert all(o.closed_at >= MONTH.start and o.dealer_id == dealers[0] for o in repeated)
    assert queries == 2
    assert_readable(draft)


@pytest.mark.django_db
def test_claims_without_repeats_find_nothing():
    save(warranty_network(make_dealers(40)))

    assert run(FindingKind.WARRANTY_REPEAT)[0] == []


# --- warranty: expensive claims ----------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("planted", [True, False])
def test_a_dealer_whose_claims_all_cost_above_the_fault_codes_90th_percentile_is_found(planted):
    dealers = make_dealers(40)
    expensive = dealers[0] if planted else None
    save(warranty_network(dealers, lambda d, i: 5000 if d == expensive else 1000 + 10 * i))

    drafts, queries = run(FindingKind.WARRANTY_COST)

    if not planted:
        assert drafts == []
        return
    draft = only(drafts)
    assert draft.dealer_id == expensive
    f = draft.figures
    # 1,200 claims of F001: each of 1,000…1,290 CNY 39 times, then 30 × 5,000; the 90th
    # percentile is the 1,080th cost, 1,270 CNY; 108 claims (9 %) lie above it.
    assert (f["claims"], f["above"], f["quantile"]) == (30, 30, 0.9)
    assert f["expected"] == pytest.approx(30 * 0.09) and f["network_share"] == 9.0
    assert f["mean_cost"] == 5000.0 and f["expected_cost"] == pytest.approx(1_489_650 / 1200, abs=0.01)
    assert f["p"] == pytest.approx(0.09**30)
    assert (
        RepairOrder.objects.filter(pk__in=draft.evidence["repair_orders"], warranty_cost=5000).count() == 30
    )
    assert queries == 2
    assert_readable(draft)


# --- warranty: bunched at month end ------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("planted", [True, False])
def test_a_dealer_closing_most_claims_in_the_last_three_days_is_found(planted):
    dealers = make_dealers(40)
    orders = warranty_network(dealers[1:])  # days 1–30: two of 30 in the last three days
    bunched = [at(MONTH, 30, 9 + i % 8) for i in range(20)] if planted else []
    days = bunched + [at(MONTH, 1 + i) for i in range(30 - len(bunched))]
    orders += [claim(dealers[0], moment) for moment in days]
    save(orders)

    drafts, queries = run(FindingKind.WARRANTY_BUNCHING)

    if not planted:
        assert drafts == []
        return
    draft = only(drafts)
    assert draft.dealer_id == dealers[0]
    f = draft.figures
    assert (f["claims"], f["late"], f["days"]) == (30, 20, 3)
    assert f["network_share"] == pytest.approx(100 * 98 / 1200, abs=1e-4)
    assert f["expected"] == pytest.approx(30 * 98 / 1200, abs=0.01)
    late = RepairOrder.objects.filter(pk__in=draft.evidence["repair_orders"])
    assert late.count() == 20 and all(o.closed_at >= datetime(2026, 10, 29, tzinfo=SHANGHAI) for o in late)
    assert queries == 2
    assert_readable(draft)


# --- data integrity: round timestamps ----------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("planted", [True, False])
def test_a_dealer_whose_times_are_all_on_the_quarter_hour_is_found(planted):
    dealers = make_dealers(30)
    orders = []
    for d in dealers:
        for i in range(60):
            opened = at(MONTH, 1 + i % 25, 8, (7 * i + 3) % 60, 17)  # every minute once
            closed = at(MONTH, 1 + i % 25, 15, (11 * i + 5) % 60, 41)
            if planted and d == dealers[0]:
                opened, closed = opened.replace(minute=0, second=0), closed.replace(minute=30, second=0)
            orders.append(order(d, closed, opened=opened))
    save(orders)

    drafts, queries = run(FindingKind.ROUND_TIMES)

    if not planted:
        assert drafts == []
        return
    draft = only(drafts)
    assert draft.dealer_id == dealers[0]
    f = draft.figures
    assert (f["round"], f["timestamps"], f["value"], f["step"]) == (120, 120, 100.0, 15)
    assert f["expected_share"] == pytest.approx(100 / 15, abs=1e-4)
    assert f["p"] == pytest.approx((1 / 15) ** 120)
    assert len(draft.evidence["repair_orders"]) == 60
    assert queries == 2
    assert_readable(draft)


# --- data integrity: flat repair cycles --------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("planted", [True, False])
def test_a_dealer_whose_repairs_all_take_exactly_a_day_is_found(planted):
    dealers = make_dealers(30)
    rng = random.Random(5)
    orders = []
    for d in dealers:
        for i in range(40):
            closed = at(MONTH, 5 + i % 20, 16, i % 60)
            hours = 24.0 if planted and d == dealers[0] else 30 * math.exp(rng.gauss(0, 0.6))
            orders.append(order(d, closed, opened=closed - timedelta(hours=hours)))
    save(orders)

    drafts, queries = run(FindingKind.FLAT_CYCLE)

    if not planted:
        assert drafts == []
        return
    draft = only(drafts)
    assert draft.dealer_id == dealers[0]
    f = draft.figures
    assert (f["value"], f["n"], f["mean_hours"], f["sd_hours"], f["distinct"]) == (0.0, 40, 24.0, 0.0, 1)
    assert f["z"] < -3.5 and f["network_cv"] > 0.4
    assert len(draft.evidence["repair_orders"]) == 40
    assert queries == 2
    assert_readable(draft)


# --- data integrity: survey bursts -------------------------------------------------------------


def responses(dealer_id: int, count: int, flagged: int, status: str = FlagStatus.OPEN) -> list[int]:
    made = SurveyResponse.objects.bulk_create(
        SurveyResponse(
            response_id=f"S{next(_numbers)}",
            dealer_id=dealer_id,
            responded_at=at(MONTH, 12, 10, i),
            overall=5,
            nps=10,
        )
        for i in range(count)
    )
    ResponseFlag.objects.bulk_create(
        ResponseFlag(response=r, kind=FlagKind.BURST, detail=str(flagged), status=status)
        for r in made[:flagged]
    )
    return [r.pk for r in made[:flagged]]


@pytest.mark.django_db
def test_a_dealer_with_six_burst_flagged_responses_is_found_but_not_when_hq_kept_them():
    dealers = make_dealers(4)
    burst = responses(dealers[0], 20, 6)
    responses(dealers[1], 20, 6, FlagStatus.KEPT)  # reviewed: genuine
    responses(dealers[2], 20, 3)  # below the minimum
    responses(dealers[3], 20, 0)

    drafts, queries = run(FindingKind.SURVEY_BURST)

    draft = only(drafts)
    assert draft.dealer_id == dealers[0]
    assert (draft.figures["flagged"], draft.figures["responses"], draft.figures["value"]) == (6, 20, 30.0)
    assert sorted(draft.evidence["responses"]) == sorted(burst)
    assert queries == 3
    assert_readable(draft)


@pytest.mark.django_db
def test_every_detector_runs_on_an_empty_database_and_finds_nothing():
    for kind in FindingKind.values:
        assert DETECTORS[kind](MONTH) == []


# --- the statistics against hand-computed values -----------------------------------------------


def test_the_binomial_upper_tail_is_exact():
    # P(X ≥ 3), X ~ Bin(5, ½) = (10 + 5 + 1) / 32
    assert binomial_sf(3, 5, 0.5) == pytest.approx(0.5, rel=1e-12)
    # P(X ≥ 8), X ~ Bin(10, 0.2) = 45·0.2⁸·0.8² + 10·0.2⁹·0.8 + 0.2¹⁰
    assert binomial_sf(8, 10, 0.2) == pytest.approx(7.79264e-5, rel=1e-12)
    # below the mean the complement of the lower tail: P(X ≥ 1) = 1 − 0.8¹⁰
    assert binomial_sf(1, 10, 0.2) == pytest.approx(1 - 0.8**10, rel=1e-12)
    assert binomial_sf(0, 10, 0.2) == 1.0 and binomial_sf(11, 10, 0.2) == 0.0


def test_a_tail_too_small_for_a_float_keeps_its_logarithm_and_caps_the_severity():
    log_p = binomial_log_sf(900, 1000, 0.01)

    assert math.exp(log_p) == 0.0 and math.isfinite(log_p)
    # the first term dominates: log C(1000, 900) + 900 log 0.01 + 100 log 0.99
    first = (
        math.lgamma(1001) - math.lgamma(901) - math.lgamma(101) + 900 * math.log(0.01) + 100 * math.log(0.99)
    )
    assert log_p == pytest.approx(first, rel=1e-6)
    assert severity_of(log_p) == 300.0 and severity_of(math.log(0.001)) == pytest.approx(3.0)


def test_a_group_spread_splits_into_differences_between_dealers_and_noise_of_small_samples():
    # 4 dealers on 25 records at −3 −1 1 3, 4 on 100 records at −2 −1 1 2: median 0;
    # robust variances (2/0.6745)² and (1.5/0.6745)², median 1/n 0.04 and 0.01
    points = [(x, 25) for x in (-3, -1, 1, 3)] + [(x, 100) for x in (-2, -1, 1, 2)]

    spread = group_spread(points)

    small, large = (2 / 0.6745) ** 2, (1.5 / 0.6745) ** 2
    within = (small - large) / (0.04 - 0.01)
    assert spread is not None and spread.median == 0
    assert spread.within == pytest.approx(within) and spread.between == pytest.approx(large - within * 0.01)
    # a value on n records: sd √(τ² + σ²/n), weight τ²/(τ² + σ²/n) = n/(n + k), k = σ²/τ²
    n = 50
    assert spread.sd(n) == pytest.approx(math.sqrt(spread.between + within / n))
    assert spread.weight(n) == pytest.approx(n / (n + within / spread.between))
    assert spread.z(-10, n) == pytest.approx(-10 / spread.sd(n))
    assert spread.shrunk(-10, n) == pytest.approx(-10 * spread.weight(n))


def test_a_group_of_equal_samples_is_judged_by_the_plain_modified_z_score():
    spread = group_spread([(x, 40) for x in (1, 2, 3, 4, 100)])

    assert spread is not None and spread.within == 0 and spread.weight(40) == 1
    assert spread.z(100, 40) == pytest.approx(modified_z(100, [1, 2, 3, 4, 100]))


def test_the_modified_z_score_uses_the_median_absolute_deviation():
    # median 3, deviations 2 1 0 1 97, MAD 1: z(100) = 0.6745 · 97
    assert modified_z(100, [1, 2, 3, 4, 100]) == pytest.approx(0.6745 * 97)


def test_without_a_median_absolute_deviation_the_mean_absolute_deviation_scales_the_z_score():
    # median 5, MAD 0, mean absolute deviation 0.8: z(9) = 4 / (1.253314 · 0.8)
    assert modified_z(9, [5, 5, 5, 5, 9]) == pytest.approx(4 / (1.253314 * 0.8))
    assert robust_scale([7, 7, 7]) is None


def test_the_control_chart_limits_are_the_mean_plus_minus_sigma_times_the_moving_range_over_d2():
    chart = control_chart([10, 12, 11, 13, 12], sigma=3)

    assert chart is not None
    assert (chart.centre, chart.mr_bar) == (11.6, 1.5)  # ranges 2 1 2 1
    assert chart.upper == pytest.approx(11.6 + 2.6596 * 1.5, abs=1e-3)  # the textbook 2.66 · MR̄
    assert beyond_limit(16, chart, higher_is_better=False) and not beyond_limit(
        16, chart, higher_is_better=True
    )
    assert run_on_bad_side([11, 10, 9], 11.6, higher_is_better=True, length=3)
    assert control_chart([5, 5, 5], sigma=3) is None


def test_the_quantile_is_sqls_percentile_disc_over_counted_values():
    assert quantile_disc([(v, 1) for v in range(1, 11)], 0.9) == 9
    assert quantile_disc([(Decimal("5"), 3), (Decimal("1"), 7)], 0.7) == Decimal("1")
    assert quantile_disc([(Decimal("5"), 3), (Decimal("1"), 7)], 0.71) == Decimal("5")


# --- settings and words ------------------------------------------------------------------------


def test_a_setting_overrides_one_default_and_a_misspelt_one_is_an_error(settings):
    settings.INSIGHTS = {"peer_z": 4.0}
    assert conf.setting("peer_z") == 4.0 and conf.setting("trend_sigma") == conf.DEFAULTS["trend_sigma"]

    settings.INSIGHTS = {"peer_zz": 4.0}
    with pytest.raises(ImproperlyConfigured):
        conf.current()


def test_every_kind_has_a_method_in_words_with_the_thresholds_in_force(settings):
    settings.INSIGHTS = {"bunching_days": 5}
    with override("en"):
        texts = {kind: method(kind) for kind in FindingKind.values}

    assert all(texts.values()) and not any("%(" in t for t in texts.values())
    assert "last 5 days" in texts[FindingKind.WARRANTY_BUNCHING]
    assert "about 0.1 % of months" in texts[FindingKind.TREND_BREAK]


def test_an_explanation_reads_the_numbers_with_separators_and_the_kpi_name():
    figures = {
        "value": 70.0,
        "n": 1234,
        "shrunk": 72.61,
        "peer_median": 90.06,
        "sd": 2.0,
        "z": -9.87,
        "threshold": 3.5,
        "peers": 12,
        "peer_key": "3-M",
    }
    with override("en"):
        text = explain(FindingKind.PEER_OUTLIER, "first_time_fix_rate", figures)

    assert text.startswith("First-time fix rate 70.0 % (n = 1,234) against a median of 90.1 %")
    assert "City tier 3, 100–299 repair orders a month" in text and "-9.9" in text
