"""The portal pages: who may open what, what they show, how fast, and what they export."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.kpis import ENTRIES as DRILL_DOWNS
from assessments.models import KpiResult, Scorecard
from assessments.pages.ranking import RANKING_SORTS
from assessments.periods import Month

from ..conftest import client_for
from ..factories import RepairOrderFactory, local
from .conftest import OCT, SEP

pytestmark = pytest.mark.django_db

ROLES = [
    "dealer_user",
    "other_dealer_user",
    "regional_manager",
    "other_regional_manager",
    "hq_manager",
    "hq_admin",
]
MANAGERS_ONLY = {
    "dealer_user": 403,
    "other_dealer_user": 403,
    "regional_manager": 200,
    "other_regional_manager": 200,
    "hq_manager": 200,
    "hq_admin": 200,
}
# GL0001 is this dealer (华东); GL0003 the far dealer (华南).
GL0001_VISIBLE = {
    "dealer_user": 200,
    "other_dealer_user": 404,
    "regional_manager": 200,
    "other_regional_manager": 404,
    "hq_manager": 200,
    "hq_admin": 200,
}
GL0003_VISIBLE = {
    "dealer_user": 404,
    "other_dealer_user": 404,
    "regional_manager": 404,
    "other_regional_manager": 200,
    "hq_manager": 200,
    "hq_admin": 200,
}

PAGES = {
    "overview": ("/assessments/overview/", MANAGERS_ONLY),
    "ranking": ("/assessments/ranking/", MANAGERS_ONLY),
    "ranking_csv": ("/assessments/ranking/export.csv", MANAGERS_ONLY),
    "ranking_xlsx": ("/assessments/ranking/export.xlsx", MANAGERS_ONLY),
    "scorecard": ("/assessments/dealers/GL0001/2026-10/", GL0001_VISIBLE),
    "scorecard_far": ("/assessments/dealers/GL0003/2026-10/", GL0003_VISIBLE),
    "scorecard_csv": ("/assessments/dealers/GL0001/2026-10/export.csv", GL0001_VISIBLE),
    "scorecard_far_xlsx": ("/assessments/dealers/GL0003/2026-10/export.xlsx", GL0003_VISIBLE),
    "overview_csv": ("/assessments/overview/export.csv?period=2026-10&table=regions", MANAGERS_ONLY),
    "drilldown": ("/assessments/dealers/GL0001/2026-10/kpi/first_time_fix_rate/", GL0001_VISIBLE),
    "drilldown_far": ("/assessments/dealers/GL0003/2026-10/kpi/csat/", GL0003_VISIBLE),
    "drilldown_csv": (
        "/assessments/dealers/GL0001/2026-10/kpi/complaint_closure_24h_rate/export.csv",
        GL0001_VISIBLE,
    ),
    "drilldown_xlsx": ("/assessments/dealers/GL0003/2026-10/kpi/csat/export.xlsx", GL0003_VISIBLE),
}


def _text(response) -> str:
    return response.content.decode()


# --- who may open what -------------------------------------------------------------------


@pytest.mark.parametrize("page", PAGES)
@pytest.mark.parametrize("role", ROLES)
def test_each_role_opens_exactly_the_pages_of_its_scope(scored_months, cast, page, role):
    url, expected = PAGES[page]
    response = client_for(cast[role]).get(url)
    assert response.status_code == expected[role]


@pytest.mark.parametrize("page", PAGES)
def test_anonymous_visitors_are_sent_to_sign_in(scored_months, page):
    url, _expected = PAGES[page]
    response = client_for(None).get(url)
    assert response.status_code == 302
    assert response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    ("role", "expected"),
    [
        ("dealer_user", 302),
        ("other_dealer_user", 404),
        ("regional_manager", 302),
        ("other_regional_manager", 404),
        ("hq_manager", 302),
    ],
)
def test_latest_scorecard_redirects_to_the_newest_month_in_scope(scored_months, cast, role, expected):
    response = client_for(cast[role]).get("/assessments/dealers/GL0001/")
    assert response.status_code == expected
    if expected == 302:
        assert response["Location"] == "/assessments/dealers/GL0001/2026-10/"


def test_a_dealer_user_editing_the_url_to_another_dealer_gets_404_everywhere(scored_months, dealer_user):
    client = client_for(dealer_user)
    for url in (
        "/assessments/dealers/GL0002/",
        "/assessments/dealers/GL0002/2026-10/",
        "/assessments/dealers/GL0002/2026-09/",
        "/assessments/dealers/GL0002/2026-10/kpi/first_time_fix_rate/",
        "/assessments/dealers/GL0002/2026-10/kpi/first_time_fix_rate/export.csv",
        "/assessments/dealers/GL0002/2026-10/kpi/certified_staff_rate/export.xlsx",
    ):
        response = client.get(url)
        assert response.status_code == 404, url
        assert "吉利苏州02店" not in _text(response)


@pytest.mark.parametrize("role", ["dealer_user", "other_dealer_user"])
def test_dealer_home_opens_for_dealer_users(scored_months, cast, role):
    assert client_for(cast[role]).get("/assessments/my/").status_code == 200


@pytest.mark.parametrize("role", ["regional_manager", "other_regional_manager", "hq_manager", "hq_admin"])
def test_dealer_home_sends_managers_home(scored_months, cast, role):
    response = client_for(cast[role]).get("/assessments/my/")
    assert response.status_code == 302
    assert response["Location"] == reverse("home")


@pytest.mark.parametrize("role", ROLES)
def test_imports_page_opens_for_every_role(scored_months, cast, role):
    response = client_for(cast[role]).get(reverse("imports:list"))
    assert response.status_code == 200


def test_unknown_period_kpi_or_dealer_is_404(scored_months, hq_manager):
    client = client_for(hq_manager)
    assert client.get("/assessments/overview/?period=2030-01").status_code == 404
    assert client.get("/assessments/ranking/?period=2030-01").status_code == 404
    assert client.get("/assessments/dealers/GL0001/2030-01/").status_code == 404
    assert client.get("/assessments/dealers/NOPE/2026-10/").status_code == 404
    assert client.get("/assessments/dealers/GL0001/2026-10/kpi/no_such_kpi/").status_code == 404
    assert client.get("/assessments/dealers/GL0001/2026-13/kpi/csat/").status_code == 404
    assert client.get("/assessments/ranking/export.pdf").status_code == 404


# --- overview ----------------------------------------------------------------------------


def test_overview_defaults_to_the_latest_month_and_compares_with_the_one_before(scored_months, hq_manager):
    response = client_for(hq_manager).get("/assessments/overview/")
    ov = response.context["ov"]
    assert ov.period.code == "2026-10"
    october = Scorecard.objects.filter(period__code="2026-10", status="scored")
    september = Scorecard.objects.filter(period__code="2026-09", status="scored")
    expected = sum(float(c.total_score) for c in october) / october.count()
    before = sum(float(c.total_score) for c in september) / september.count()
    assert ov.average == pytest.approx(expected)
    assert ov.change == pytest.approx(round(expected - before, 2))
    assert ov.insufficient == 1
    assert ov.last_year_average is None
    assert [row.dealer__code for row in ov.top] == ["GL0001", "GL0002"]


def test_overview_of_a_regional_manager_covers_only_their_region(scored_months, regional_manager):
    response = client_for(regional_manager).get("/assessments/overview/")
    ov = response.context["ov"]
    assert [group.label for group in ov.regions] == ["华东"]
    assert ov.dealers == 2
    assert "吉利广州03店" not in _text(response)


def test_overview_charts_link_into_the_ranking(scored_months, hq_manager):
    charts = client_for(hq_manager).get("/assessments/overview/?period=2026-10").context["charts"]
    assert charts["grades"]["urls"][0] == "/assessments/ranking/?period=2026-10&grade=A"
    assert all(
        url.startswith("/assessments/ranking/?period=2026-10&region=") for url in charts["regions"]["urls"]
    )
    assert charts["tiers"]["urls"][0] == "/assessments/ranking/?period=2026-10&city_tier=1"


def test_overview_without_any_scorecard_says_so(hq_manager):
    response = client_for(hq_manager).get("/assessments/overview/")
    assert response.status_code == 200
    assert 'data-testid="no-scorecards"' in _text(response)


# --- ranking -----------------------------------------------------------------------------


def _codes(response) -> list[str]:
    return [row["dealer__code"] for row in response.context["page"].object_list]


def test_ranking_lists_every_dealer_of_the_month_best_first(scored_months, hq_manager):
    response = client_for(hq_manager).get("/assessments/ranking/")
    assert _codes(response) == ["GL0001", "GL0002", "GL0003"]
    first = response.context["page"].object_list[0]
    september = Scorecard.objects.get(period__code="2026-09", dealer__code="GL0001")
    assert float(first["change"]) == pytest.approx(float(first["total_score"] - september.total_score))


def test_ranking_of_a_regional_manager_lists_only_their_region(scored_months, regional_manager):
    response = client_for(regional_manager).get("/assessments/ranking/")
    assert _codes(response) == ["GL0001", "GL0002"]
    assert "GL0003" not in _text(response)


@pytest.mark.parametrize(
    ("query", "codes"),
    [
        ("region=华南", ["GL0003"]),
        ("region=华东", ["GL0001", "GL0002"]),
        ("city_tier=1", ["GL0003"]),
        ("grade=D", ["GL0002"]),
        ("status=insufficient_data", ["GL0003"]),
        ("status=scored", ["GL0001", "GL0002"]),
        ("q=苏州", ["GL0002"]),
        ("q=gl0003", ["GL0003"]),
        ("dealer_status=suspended", []),
        ("grade=D&region=华南", []),
        ("period=2026-09&grade=B", ["GL0002"]),
    ],
)
def test_ranking_filters(scored_months, hq_manager, query, codes):
    assert _codes(client_for(hq_manager).get(f"/assessments/ranking/?{query}")) == codes


@pytest.mark.parametrize("key", RANKING_SORTS)
@pytest.mark.parametrize("direction", ["", "-"])
def test_ranking_sorts_by_every_whitelisted_column(scored_months, hq_manager, key, direction):
    response = client_for(hq_manager).get(f"/assessments/ranking/?sort={direction}{key}")
    assert response.status_code == 200
    assert sorted(_codes(response)) == ["GL0001", "GL0002", "GL0003"]


def test_ranking_sort_descending_by_total_puts_unranked_last(scored_months, hq_manager):
    assert _codes(client_for(hq_manager).get("/assessments/ranking/?sort=-total")) == [
        "GL0001",
        "GL0002",
        "GL0003",
    ]
    assert _codes(client_for(hq_manager).get("/assessments/ranking/?sort=total")) == [
        "GL0002",
        "GL0001",
        "GL0003",
    ]


@pytest.mark.parametrize("sort", ["password", "dealer__users__password", "-id;drop", "__str__", "-"])
def test_ranking_ignores_sort_keys_outside_the_whitelist(scored_months, hq_manager, sort):
    response = client_for(hq_manager).get("/assessments/ranking/", {"sort": sort})
    assert response.status_code == 200
    assert _codes(response) == ["GL0001", "GL0002", "GL0003"]


def test_ranking_pages_through_fifty_at_a_time(make_network, hq_manager):
    make_network(120)
    client = client_for(hq_manager)
    first = client.get("/assessments/ranking/")
    third = client.get("/assessments/ranking/?page=3")
    assert len(first.context["page"].object_list) == 50
    assert len(third.context["page"].object_list) == 20
    assert first.context["page"].paginator.count == 120


# --- exports -----------------------------------------------------------------------------


def _csv_rows(response) -> list[list[str]]:
    body = b"".join(response.streaming_content) if response.streaming else response.content
    return list(csv.reader(io.StringIO(body.decode("utf-8-sig"))))


def test_ranking_export_holds_every_filtered_row_on_every_page(make_network, hq_manager):
    make_network(120)
    response = client_for(hq_manager).get("/assessments/ranking/export.csv?region=华东&sort=-total&page=2")
    rows = _csv_rows(response)
    shown = Scorecard.objects.filter(period__code="2026-10", region_name="华东").count()
    assert response["Content-Disposition"] == 'attachment; filename="ranking_2026-10.csv"'
    assert len(rows) == 1 + shown
    totals = [float(r[9]) for r in rows[1:] if r[9]]
    assert totals == sorted(totals, reverse=True)


def test_ranking_export_of_a_regional_manager_holds_only_their_region(scored_months, regional_manager):
    rows = _csv_rows(client_for(regional_manager).get("/assessments/ranking/export.csv"))
    assert [r[3] for r in rows[1:]] == ["GL0001", "GL0002"]


def test_exports_neutralise_formulas(scored_months, formula_dealer, hq_manager):
    Scorecard.objects.create(
        period=scored_months["oct"],
        dealer=formula_dealer,
        region_name="华东",
        scheme_id=Scorecard.objects.first().scheme_id,
        status="insufficient_data",
        coverage=0,
        computed_at=local("2026-11-01 02:00"),
    )
    client = client_for(hq_manager)
    rows = _csv_rows(client.get("/assessments/ranking/export.csv?q=GL0666"))
    assert rows[1][4] == '\'=HYPERLINK("http://x","x")'
    workbook = load_workbook(io.BytesIO(client.get("/assessments/ranking/export.xlsx?q=GL0666").content))
    sheet = workbook.active
    assert sheet.cell(row=2, column=5).value == '\'=HYPERLINK("http://x","x")'
    assert sheet.cell(row=2, column=5).data_type == "s"


def test_drilldown_export_neutralises_formulas_in_records(scored_months, dealer, hq_manager):
    RepairOrderFactory(dealer=dealer, ro_number="=1+2", closed_at=local("2026-10-15 10:00"))
    rows = _csv_rows(
        client_for(hq_manager).get("/assessments/dealers/GL0001/2026-10/kpi/repair_count/export.csv")
    )
    assert ["'=1+2"] == [r[0] for r in rows if r[0].endswith("=1+2")]


# --- scorecard ---------------------------------------------------------------------------


def test_scorecard_shows_every_kpi_grouped_by_tier(scored_months, hq_manager):
    response = client_for(hq_manager).get("/assessments/dealers/GL0001/2026-10/")
    sc = response.context["sc"]
    card = Scorecard.objects.get(period__code="2026-10", dealer__code="GL0001")
    assert [group.tier for group in sc.tiers] == ["base", "process", "result"]
    assert len(sc.lines) == KpiResult.objects.filter(scorecard=card).count() == 15
    assert sc.previous.code == "2026-09"
    assert sc.change == pytest.approx(round(float(card.total_score) - float(sc.previous.total_score), 2))
    assert sc.network_scored == 2
    body = _text(response)
    assert "STD-2026 v1" in body
    assert "一次性修复率" in body  # zh-hans by default
    for result in card.kpi_results.all():
        assert reverse("assessments:kpi_drilldown", args=["GL0001", "2026-10", result.kpi_code]) in body


def test_scorecard_explains_deduction_and_veto(scored_months, hq_manager):
    body = _text(client_for(hq_manager).get("/assessments/dealers/GL0002/2026-10/"))
    assert 'data-testid="veto-explained"' in body
    assert "伪造索赔单据 Fabricated warranty claim" in body
    assert 'data-testid="deduction-explained"' in body


def test_scorecard_explains_insufficient_data_and_invalid_kpis(scored_months, other_regional_manager):
    response = client_for(other_regional_manager).get("/assessments/dealers/GL0003/2026-10/")
    body = _text(response)
    assert 'data-testid="insufficient-explained"' in body
    reasons = {line.code: line.invalid_reason for line in response.context["sc"].lines}
    assert reasons["repair_cycle_hours"] == "small_sample"
    assert reasons["csat"] == ""


def test_scorecard_in_english_names_kpis_in_english(scored_months, hq_manager):
    client = client_for(hq_manager)
    client.post(reverse("set_language"), {"language": "en", "next": "/"})
    body = _text(client.get("/assessments/dealers/GL0001/2026-10/"))
    assert "First-time fix rate" in body
    assert "一次性修复率" not in body
    assert '<html lang="en">' in body


def test_scorecard_trend_points_link_to_their_month(scored_months, hq_manager):
    charts = client_for(hq_manager).get("/assessments/dealers/GL0001/2026-10/").context["charts"]
    assert charts["trend"]["urls"] == [
        "/assessments/dealers/GL0001/2026-09/",
        "/assessments/dealers/GL0001/2026-10/",
    ]
    assert charts["trend"]["series"][0]["values"][-1] == pytest.approx(74.97, abs=50)


# --- drill-down --------------------------------------------------------------------------


@pytest.mark.parametrize("kpi_code", DRILL_DOWNS)
def test_every_kpi_has_a_drilldown_that_renders_and_exports(scored_months, hq_manager, kpi_code):
    client = client_for(hq_manager)
    base = f"/assessments/dealers/GL0001/2026-10/kpi/{kpi_code}/"
    assert client.get(base).status_code == 200
    assert client.get(base + "?flagged=1").status_code == 200
    assert client.get(base + "export.csv").status_code == 200
    workbook = load_workbook(io.BytesIO(client.get(base + "export.xlsx").content))
    assert workbook.active.max_row >= 1


@pytest.mark.parametrize(
    "kpi_code",
    [
        "first_time_fix_rate",
        "repair_cycle_hours",
        "on_time_delivery_rate",
        "appointment_lead_days",
        "complaint_closure_24h_rate",
        "csat",
        "parts_supply_hours",
        "warranty_cost_per_claim",
        "repair_count",
        "repair_output_value",
    ],
)
def test_drilldown_lists_exactly_the_records_the_kpi_counted(scored_months, hq_manager, kpi_code):
    response = client_for(hq_manager).get(f"/assessments/dealers/GL0001/2026-10/kpi/{kpi_code}/")
    result = KpiResult.objects.get(
        scorecard__dealer__code="GL0001", scorecard__period__code="2026-10", kpi_code=kpi_code
    )
    assert response.context["page"].paginator.count == result.sample_size


def test_first_time_fix_drilldown_flags_the_comeback_and_names_the_repair_that_followed(
    scored_months, hq_manager
):
    client = client_for(hq_manager)
    response = client.get("/assessments/dealers/GL0001/2026-10/kpi/first_time_fix_rate/?flagged=1")
    rows = list(response.context["page"].object_list)
    assert [(r["ro_number"], r["comeback"], r["next_ro"]) for r in rows] == [
        ("GL0001-FIRST", True, "GL0001-AGAIN")
    ]
    assert "GL0001-AGAIN" in _text(response)


def test_a_comeback_at_a_dealer_out_of_scope_is_flagged_without_naming_it(
    scored_months, dealer, other_dealer, dealer_user
):
    first = RepairOrderFactory(
        dealer=dealer, ro_number="GL0001-X", vin="LB3E8MAL8RV777001", closed_at=local("2026-10-25 10:00")
    )
    RepairOrderFactory(
        dealer=other_dealer, ro_number="SECRET-RO", vin=first.vin, opened_at=local("2026-10-28 10:00")
    )
    response = client_for(dealer_user).get(
        "/assessments/dealers/GL0001/2026-10/kpi/first_time_fix_rate/?flagged=1"
    )
    rows = {r["ro_number"]: r for r in response.context["page"].object_list}
    assert rows["GL0001-X"]["comeback"] is True
    assert rows["GL0001-X"]["next_ro"] is None
    body = _text(response)
    assert "SECRET-RO" not in body and "GL0002" not in body


def test_complaint_drilldown_flags_complaints_open_past_24_hours(scored_months, dealer_user):
    response = client_for(dealer_user).get(
        "/assessments/dealers/GL0001/2026-10/kpi/complaint_closure_24h_rate/?flagged=1"
    )
    assert [r["complaint_id"] for r in response.context["page"].object_list] == ["GL0001-OVERNIGHT"]
    rows = _csv_rows(
        client_for(dealer_user).get(
            "/assessments/dealers/GL0001/2026-10/kpi/complaint_closure_24h_rate/export.csv"
        )
    )
    assert len(rows) == 1 + 2  # the header, then both complaints of the month
    overnight = next(r for r in rows if r[0] == "GL0001-OVERNIGHT")
    assert overnight[-3] != ""  # flagged (the last two columns say whether and by whom it was changed)


def test_base_tier_drilldown_shows_the_approved_submission(scored_months, hq_manager):
    response = client_for(hq_manager).get("/assessments/dealers/GL0001/2026-10/kpi/certified_staff_rate/")
    rows = list(response.context["page"].object_list)
    assert len(rows) == 1
    assert rows[0]["certified_rate"] == pytest.approx(90.0)


# --- dealer home -------------------------------------------------------------------------


def test_dealer_home_shows_rank_of_the_network_without_naming_another_dealer(
    scored_months, other_dealer_user
):
    response = client_for(other_dealer_user).get("/assessments/my/")
    body = _text(response)
    assert response.context["card"].dealer.code == "GL0002"
    assert response.context["sc"].network_scored == 2
    for other in ("GL0001", "GL0003", "吉利南京01店", "吉利广州03店"):
        assert other not in body


def test_dealer_home_names_the_kpis_that_cost_the_most_points(scored_months, dealer_user):
    response = client_for(dealer_user).get("/assessments/my/")
    lost = response.context["lost"]
    assert 1 <= len(lost) <= 3
    points = [item.points for item in lost]
    assert points == sorted(points, reverse=True)
    # complaint_rate (weight 10, score 0) costs the most: 10 / 100 × 100 points.
    assert lost[0].line.code == "complaint_rate"
    assert lost[0].points == pytest.approx(10.0)


def test_dealer_home_without_scorecards_says_so(dealer_user):
    response = client_for(dealer_user).get("/assessments/my/")
    assert response.status_code == 200
    assert 'data-testid="no-scorecards"' in _text(response)


# --- speed: a fixed number of queries, whatever the number of dealers --------------------

PINNED_QUERIES = {
    # session, user, then the page's own reads (the months in scope, then the newest months'
    # counts: two queries whatever the history)
    "/assessments/ranking/": 8,
    "/assessments/ranking/?region=华东&sort=-change&q=BK": 8,
    "/assessments/overview/": 8,  # one of them: is the month still open (HQ's "Close this month")
    # + the appeals filed against the scorecard, + last year's KPI values and the peers' values,
    # + the month's technical cases (tracked figures)
    "/assessments/dealers/BK00001/2026-10/": 11,
}


@pytest.mark.parametrize("url", PINNED_QUERIES)
@pytest.mark.parametrize("dealers", [5, 60])
def test_pages_cost_a_fixed_number_of_queries(
    make_network, hq_manager, django_assert_num_queries, url, dealers
):
    # A year of history before September: the scorecard reads October 2025's KPI values too.
    make_network(dealers, kpis=True, months=(Month(2025, 10), SEP, OCT))
    client = client_for(hq_manager)
    with django_assert_num_queries(PINNED_QUERIES[url]):
        assert client.get(url).status_code == 200


def test_regional_manager_pages_cost_the_same_queries_plus_their_regions(
    make_network, regional_manager, django_assert_num_queries
):
    make_network(30)
    client = client_for(regional_manager)
    # One more than HQ: the user menu names the manager's regions.
    with django_assert_num_queries(PINNED_QUERIES["/assessments/ranking/"] + 1):
        client.get("/assessments/ranking/")


def test_ranking_of_two_thousand_dealers_costs_the_same_queries_as_five(
    make_network, hq_manager, django_assert_num_queries
):
    """Timing belongs in bench/ (issue #21), never in a unit test; here 2,000 dealers cost the pinned queries."""
    make_network(2000)
    client = client_for(hq_manager)
    for url in ("/assessments/ranking/", "/assessments/overview/"):
        with django_assert_num_queries(PINNED_QUERIES[url]):
            assert client.get(url).status_code == 200


def test_ranking_export_writes_scores_as_shown_never_float_noise(make_network, hq_manager):
    from assessments.views import _score

    assert str(_score(1.18000000000001)) == "1.18" and str(_score(-0.005)) == "-0.01"
    make_network(30)
    rows = _csv_rows(client_for(hq_manager).get("/assessments/ranking/export.csv"))
    for row in rows[1:]:
        for cell in row[9:17]:
            if cell and cell[0] in "-0123456789":
                assert len(cell.split(".")[-1]) <= 2, row
