"""Per-KPI year on year and peer position on the scorecard (issue 17, Must 4), and the wide
sheet of all dealers × all KPIs from the ranking (Must 5).

The hand-made month: GL0001 (tier 2, 150 repair orders: peer group 2-M) in October 2026 and
October 2025, three peers in 2-M, and dealers that are not its peers for one reason each.
"""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from assessments.models import KpiResult, Period, Scheme, Scorecard
from assessments.periods import Month
from assessments.scoring.comparisons import (
    MIN_PEERS,
    change_of,
    change_percent,
    peer_position,
    percentile_among,
)
from dealers.models import Dealer

from ..conftest import client_for
from ..factories import DealerFactory
from .conftest import OCT

LAST_OCT = Month(2025, 10)

# --- the pure comparisons -----------------------------------------------------------------


@pytest.mark.parametrize(
    ("value", "last_year", "change", "percent"),
    [
        (2.0, 4.0, -2.0, -50.0),
        (150.0, 100.0, 50.0, 50.0),
        (150.0, 0.0, 150.0, None),  # last year's is 0: no %
        (None, 4.0, None, None),
        (2.0, None, None, None),
        (3.0, 3.0, 0.0, 0.0),
    ],
)
def test_year_on_year_change_and_percent_follow_scoring_md(value, last_year, change, percent):
    assert change_of(value, last_year) == change
    assert change_percent(value, last_year) == percent


@pytest.mark.parametrize(
    ("own", "peers", "direction", "percentile"),
    [
        (2.0, [1.0, 2.0, 4.0], "lower", 50.0),  # beats 4, ties 2 (half), loses to 1
        (2.0, [1.0, 2.0, 4.0], "higher", 50.0),  # beats 1, ties 2 (half), loses to 4
        (0.5, [1.0, 2.0, 4.0], "lower", 100.0),
        (0.5, [1.0, 2.0, 4.0], "higher", 0.0),
        (5.0, [5.0, 5.0, 5.0], "higher", 50.0),  # all tied: the middle
        (92.0, [95.0, 90.0, 80.0, 99.0], "higher", 50.0),
        (92.0, [95.0, 90.0, 80.0, 99.0], "lower", 50.0),
        (91.0, [95.0, 90.0, 80.0], "higher", 100.0 * 2 / 3),
    ],
)
def test_percentile_is_the_share_of_peers_beaten_by_direction_ties_counting_half(
    own, peers, direction, percentile
):
    assert percentile_among(own, peers, direction) == pytest.approx(percentile)


@pytest.mark.parametrize(
    ("own", "own_counts", "peers", "median"),
    [
        (2.0, True, [1.0, 2.0, 4.0], 2.0),  # 1, 2, 2, 4
        (10.0, True, [1.0, 2.0, 4.0], 3.0),  # 1, 2, 4, 10
        (10.0, False, [1.0, 2.0, 4.0], 2.0),  # an unscored card stays out of the median
        (None, True, [1.0, 2.0, 4.0, 5.0], 3.0),
    ],
)
def test_peer_median_is_the_groups_median_with_the_dealer_when_it_counts(own, own_counts, peers, median):
    position = peer_position(own, peers, "higher", own_counts=own_counts)
    assert position.median == median
    assert position.peers == len(peers)
    assert (position.percentile is None) == (own is None)


def test_too_few_peers_give_neither_median_nor_percentile():
    position = peer_position(2.0, [1.0] * (MIN_PEERS - 1), "lower")
    assert position.too_few
    assert position.median is None and position.percentile is None


# --- the hand-made month ------------------------------------------------------------------

KPIS = {  # code: (tier, weight)
    "repair_count": ("result", 0.0),
    "complaint_rate": ("result", 10.0),
    "csat": ("result", 15.0),
}


def card_of(
    dealer: Dealer,
    month: Month,
    values: dict[str, float | None],
    *,
    status: str = "scored",
    invalid: tuple[str, ...] = (),
) -> Scorecard:
    """A scorecard written directly, with these KPI values (valid unless listed in `invalid`)."""
    period, _ = Period.objects.get_or_create(code=str(month))
    card = Scorecard.objects.create(
        period=period,
        dealer=dealer,
        region_name=dealer.region.name,
        scheme=Scheme.objects.get(code="STD-2026", status="published"),
        status=status,
        total_score=Decimal("80.00") if status == "scored" else None,
        grade="B" if status == "scored" else "",
        rank=1 if status == "scored" else None,
        coverage=Decimal("1.0"),
        computed_at=month.end,
    )
    for order, (code, value) in enumerate(values.items()):
        tier, weight = KPIS[code]
        KpiResult.objects.create(
            scorecard=card,
            kpi_code=code,
            tier=tier,
            value=value,
            sample_size=0 if value is None else 100,
            valid=value is not None and code not in invalid,
            weight=weight,
            method="threshold",
            min_sample=1,
            score=Decimal("50.00"),
            contribution=Decimal("5.00"),
            sort_order=order,
        )
    return card


OTHERS = {  # code: (name, city tier, status, values, invalid KPIs)
    "PEER01": ("同组一店", 2, "scored", {"repair_count": 120, "complaint_rate": 1.0, "csat": 95.0}, ()),
    "PEER02": ("同组二店", 2, "scored", {"repair_count": 200, "complaint_rate": 2.0, "csat": 90.0}, ()),
    "PEER03": ("同组三店", 2, "scored", {"repair_count": 299, "complaint_rate": 4.0, "csat": 80.0}, ()),
    # In the group, but its complaint rate is not valid: it counts for csat only.
    "PEER04": (
        "同组四店",
        2,
        "scored",
        {"repair_count": 150, "complaint_rate": 8.0, "csat": 99.0},
        ("complaint_rate",),
    ),
    # Not peers: another volume band, another city tier, no score.
    "BIGGER": ("大店", 2, "scored", {"repair_count": 300, "complaint_rate": 0.5, "csat": 40.0}, ()),
    "TIERONE": ("一线店", 1, "scored", {"repair_count": 150, "complaint_rate": 0.1, "csat": 40.0}, ()),
    "NOSCORE": (
        "无分店",
        2,
        "insufficient_data",
        {"repair_count": 150, "complaint_rate": 9.0, "csat": 40.0},
        (),
    ),
}


@pytest.fixture
def peer_month(dealer, east) -> dict[str, Dealer]:
    """GL0001 in October 2026 and 2025, and the other dealers of OTHERS in October 2026."""
    card_of(dealer, OCT, {"repair_count": 150, "complaint_rate": 2.0, "csat": 92.0})
    card_of(dealer, LAST_OCT, {"repair_count": 0, "complaint_rate": 4.0})  # no csat a year ago
    others = {}
    for code, (name, tier, status, values, invalid) in OTHERS.items():
        others[code] = DealerFactory(code=code, name=name, region=east, city_tier=tier)
        card_of(others[code], OCT, values, status=status, invalid=invalid)
    return others


def _lines(response) -> dict:
    return {line.code: line for line in response.context["sc"].lines}


def test_every_kpi_row_shows_last_years_value_and_the_change(peer_month, dealer_user):
    response = client_for(dealer_user).get("/assessments/dealers/GL0001/2026-10/")
    lines = _lines(response)

    assert lines["complaint_rate"].last_year == 4.0
    assert lines["complaint_rate"].change_last_year == -2.0
    assert lines["complaint_rate"].change_last_year_percent == -50.0
    # Last year's repair count was 0: a change, but no %.
    assert lines["repair_count"].change_last_year == 150.0
    assert lines["repair_count"].change_last_year_percent is None
    # No csat a year ago: nothing to compare.
    assert lines["csat"].last_year is None and lines["csat"].change_last_year is None
    body = response.content.decode()
    assert body.count('data-testid="kpi-last-year"') == 3
    assert "−50.0%" in body


def test_the_peer_group_is_the_city_tier_and_volume_band_of_scored_dealers(peer_month, dealer_user):
    response = client_for(dealer_user).get("/assessments/dealers/GL0001/2026-10/")
    group = response.context["sc"].peer_group
    assert group.key == "2-M"
    assert group.others == 4  # PEER01–04; not BIGGER (L), TIERONE (tier 1) or NOSCORE

    lines = _lines(response)
    # complaint_rate (lower is better): peers 1, 2, 4 (PEER04's is not valid); with GL0001's 2.
    assert lines["complaint_rate"].peer.peers == 3
    assert lines["complaint_rate"].peer.median == 2.0
    assert lines["complaint_rate"].peer.percentile == pytest.approx(50.0)
    # csat (higher is better): peers 95, 90, 80, 99; GL0001's 92 beats two of four.
    assert lines["csat"].peer.peers == 4
    assert lines["csat"].peer.median == 92.0
    assert lines["csat"].peer.percentile == pytest.approx(50.0)


def test_the_scorecard_names_no_other_dealer(peer_month, dealer_user):
    for url in ("/assessments/dealers/GL0001/2026-10/", "/assessments/my/?period=2026-10"):
        response = client_for(dealer_user).get(url)
        assert response.status_code == 200
        body = response.content.decode()
        assert 'data-testid="kpi-peers"' in body
        for code, (name, *_rest) in OTHERS.items():
            assert code not in body
            assert name not in body


def test_the_dealers_own_page_shows_the_comparisons(peer_month, dealer_user):
    response = client_for(dealer_user).get("/assessments/my/?period=2026-10", HTTP_ACCEPT_LANGUAGE="en")
    body = response.content.decode()
    assert 'data-testid="kpi-comparisons"' in body
    assert 'class="table phone-cards"' in body  # one card per KPI on a phone
    assert 'data-label="Last year"' in body and 'data-label="Peer median"' in body
    assert "Peer group 2-M" in body


def test_the_comparisons_are_in_chinese_and_english(peer_month, dealer_user):
    client = client_for(dealer_user)
    english = client.get("/assessments/dealers/GL0001/2026-10/", HTTP_ACCEPT_LANGUAGE="en").content.decode()
    chinese = client.get(
        "/assessments/dealers/GL0001/2026-10/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    ).content.decode()
    assert "Peer median" in english and "better than" in english
    assert "同组中位数" in chinese and "优于" in chinese
    assert "Peer median" not in chinese


def test_a_dealer_with_too_few_peers_gets_no_median(dealer, east, dealer_user):
    card_of(dealer, OCT, {"repair_count": 150, "complaint_rate": 2.0, "csat": 92.0})
    for i in range(MIN_PEERS - 1):
        peer = DealerFactory(code=f"FEW{i}", region=east, city_tier=2)
        card_of(peer, OCT, {"repair_count": 150, "complaint_rate": 1.0 + i, "csat": 90.0})
    response = client_for(dealer_user).get("/assessments/dealers/GL0001/2026-10/")
    lines = _lines(response)
    assert lines["complaint_rate"].peer.too_few
    assert lines["complaint_rate"].peer.median is None
    assert "FEW0" not in response.content.decode()


def test_a_card_without_a_repair_count_has_no_peer_group(dealer, dealer_user):
    card_of(dealer, OCT, {"complaint_rate": 2.0})
    response = client_for(dealer_user).get("/assessments/dealers/GL0001/2026-10/")
    assert response.context["sc"].peer_group is None
    assert _lines(response)["complaint_rate"].peer is None


# --- the wide sheet -----------------------------------------------------------------------

FIXED = ["Dealer code", "Dealer", "Region", "City tier", "Total", "Grade", "Rank"]


def _csv(response) -> list[list[str]]:
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_wide_sheet_has_a_value_and_a_score_column_per_kpi(scored_months, hq_manager):
    response = client_for(hq_manager).get(
        "/assessments/ranking/kpis/export.csv?period=2026-10", HTTP_ACCEPT_LANGUAGE="en"
    )
    assert response.status_code == 200
    header, *rows = _csv(response)
    assert header[:7] == FIXED
    codes = set(
        KpiResult.objects.filter(scorecard__period__code="2026-10").values_list("kpi_code", flat=True)
    )
    assert len(header) == 7 + 2 * len(codes)
    assert "Complaint rate · Value (‰)" in header
    assert "Complaint rate · Score" in header
    assert {row[0] for row in rows} == {"GL0001", "GL0002", "GL0003"}


def test_the_wide_sheet_gives_numbers_rounded_as_displayed(scored_months, hq_manager):
    response = client_for(hq_manager).get(
        "/assessments/ranking/kpis/export.xlsx?period=2026-10", HTTP_ACCEPT_LANGUAGE="en"
    )
    sheet = load_workbook(io.BytesIO(response.content)).active
    header = [cell.value for cell in sheet[1]]
    rows = {row[0]: row for row in sheet.iter_rows(min_row=2, values_only=True)}
    result = KpiResult.objects.get(
        scorecard__period__code="2026-10", scorecard__dealer__code="GL0001", kpi_code="repair_cycle_hours"
    )
    value_column = next(
        i for i, title in enumerate(header) if title.startswith("Repair cycle") and "Value" in title
    )
    assert rows["GL0001"][value_column] == round(result.value, 2)
    assert rows["GL0001"][value_column + 1] == float(result.score)
    assert isinstance(rows["GL0001"][4], float)  # the total, a number


def test_the_wide_sheet_headers_follow_the_readers_language(scored_months, hq_manager):
    response = client_for(hq_manager).get(
        "/assessments/ranking/kpis/export.csv?period=2026-10", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    header = _csv(response)[0]
    assert header[0] == "经销商代码"
    assert any(title.startswith("客诉率") for title in header)


def test_a_regional_manager_gets_only_the_dealers_of_his_regions(scored_months, regional_manager):
    response = client_for(regional_manager).get("/assessments/ranking/kpis/export.csv?period=2026-10")
    assert {row[0] for row in _csv(response)[1:]} == {"GL0001", "GL0002"}


def test_a_dealer_user_may_not_export_the_wide_sheet(scored_months, dealer_user):
    response = client_for(dealer_user).get("/assessments/ranking/kpis/export.csv?period=2026-10")
    assert response.status_code == 403


def test_the_wide_sheet_follows_the_rankings_filters(scored_months, hq_manager):
    response = client_for(hq_manager).get("/assessments/ranking/kpis/export.csv?period=2026-10&q=GL0003")
    assert [row[0] for row in _csv(response)[1:]] == ["GL0003"]


@pytest.mark.parametrize("dealers", [5, 60])
def test_the_wide_sheet_costs_a_fixed_number_of_queries(
    make_network, hq_manager, django_assert_num_queries, dealers
):
    make_network(dealers, kpis=True)
    client = client_for(hq_manager)
    # session, user, the months in scope and their counts, the rows, the month's KPI results,
    # the catalogue
    with django_assert_num_queries(7):
        assert client.get("/assessments/ranking/kpis/export.xlsx").status_code == 200


def test_the_ranking_page_links_the_wide_sheet(scored_months, hq_manager):
    body = client_for(hq_manager).get("/assessments/ranking/?period=2026-10").content.decode()
    assert 'data-testid="export-kpis-xlsx"' in body and 'data-testid="export-kpis-csv"' in body
