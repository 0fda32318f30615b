"""The network page, its drill and exports: who sees which group, the comparisons (last month,
the same month a year earlier, the best month on record), and a constant number of queries.
The stored figures are written straight here (their arithmetic is tested in test_group_figures)."""

from __future__ import annotations

import csv
import io

import pytest
from django.urls import reverse

from assessments.kpis import CATALOGUE
from assessments.models import AVERAGE_TOTAL, GroupFigure, GroupMember, Period
from assessments.pages.network import best_of, yoy_percent
from assessments.periods import Month
from tests.conftest import client_for
from tests.factories import DealerFactory, RegionFactory

pytestmark = pytest.mark.django_db

URL = "/assessments/network/"
OCT = Month(2026, 10)
DRILL = "/assessments/network/drill/"


def store_figures(months: int, dealers: list, last: Month = OCT) -> None:
    """Stored figures for `months` months up to `last`: every KPI of the network, each region and
    city tier of these dealers, and their members. The complaint rate falls by 1 a month from
    40; the repair count is 100 per dealer in the last month, 90 before."""
    codes = [str(last.shift(-i)) for i in range(months - 1, -1, -1)]
    figures, members = [], []
    for index, code in enumerate(codes):
        period, _created = Period.objects.get_or_create(code=code)
        groups = {("network", ""): dealers}
        for d in dealers:
            groups.setdefault(("region", str(d.region_id)), []).append(d)
            groups.setdefault(("city_tier", str(d.city_tier)), []).append(d)
        for (grouping, key), mine in groups.items():
            for kpi in CATALOGUE:
                value = {
                    "complaint_rate": 40.0 - index,
                    "repair_count": (100 if code == codes[-1] else 90),
                }.get(kpi.code, 50.0)
                if kpi.code == "repair_count":
                    value *= len(mine)
                figures.append(
                    GroupFigure(period=period, grouping=grouping, group_key=key, kpi_code=kpi.code, value=value,
                                n=100 * len(mine), dealers=len(mine))
                )  # fmt: skip
            figures.append(GroupFigure(period=period, grouping=grouping, group_key=key, kpi_code=AVERAGE_TOTAL,
                                       value=80.0, n=len(mine), dealers=len(mine)))  # fmt: skip
        for i, d in enumerate(dealers):
            members.append(
                GroupMember(period=period, dealer=d, region_id=d.region_id, city_tier=d.city_tier, peer_key="2-M",
                            figures={"complaint_rate": [40.0 - index + 10 * i, 100], "repair_count": [100.0, 100]})
            )  # fmt: skip
    GroupFigure.objects.bulk_create(figures)
    GroupMember.objects.bulk_create(members)


def test_the_year_on_year_change_is_empty_where_last_year_is_empty_or_zero():
    assert yoy_percent(30.0, 40.0) == -25.0
    assert yoy_percent(30.0, 0.0) is None
    assert yoy_percent(None, 40.0) is None
    assert yoy_percent(30.0, None) is None


def test_the_best_month_follows_the_kpis_direction_and_volumes_are_record_highs():
    values = {"2026-01": 5.0, "2026-02": 3.0, "2026-03": 4.0}
    assert best_of("complaint_rate", values) == "2026-02"  # lower is better
    assert best_of("csat", values) == "2026-01"
    assert best_of("repair_count", values) == "2026-01"  # a record high


def test_hq_sees_the_network_complaint_rate_with_last_year_and_its_best_month(cast, dealer, far_dealer):
    store_figures(24, [dealer, far_dealer])
    response = client_for(cast["hq_manager"]).get(URL, {"kpi": "complaint_rate"})
    assert response.status_code == 200
    page = response.context["page"]
    assert page.group.grouping == "network" and page.month == "2026-10"
    trend = page.chosen
    assert len(trend.months) == 24
    now = trend.current
    # 40 − 23 in October 2026, 40 − 11 in October 2025, 40 − 22 in September
    assert (now.value, now.last_year, now.previous) == (17.0, 29.0, 18.0)
    assert now.change == -1.0
    assert now.yoy_percent == pytest.approx(100 * (17 - 29) / 29)
    assert now.best and trend.best_month == "2026-10"  # the lowest complaint rate on record
    assert trend.months[0].last_year is None  # no figures before November 2024
    repairs = next(t for t in page.trends if t.code == "repair_count")
    assert repairs.best_month == "2026-10"  # a record high
    labels = {row.group.label for row in page.side}
    assert {"华东", "华南", "City tier 1", "City tier 2"} <= labels or {"华东", "华南"} <= labels


def test_a_regional_manager_sees_only_their_regions_not_the_network(cast, dealer, far_dealer, east, south):
    store_figures(3, [dealer, far_dealer])
    client = client_for(cast["regional_manager"])
    response = client.get(URL)
    assert response.status_code == 200
    page = response.context["page"]
    assert [g.param for g in page.groups] == [f"region:{east.pk}"]
    assert [row.group.key for row in page.side] == [str(east.pk)]
    assert client.get(URL, {"group": "network"}).status_code == 404
    assert client.get(URL, {"group": f"region:{south.pk}"}).status_code == 404
    assert client.get(URL, {"group": "city_tier:2"}).status_code == 404
    drill = client.get(DRILL, {"group": "network", "month": "2026-10", "kpi": "complaint_rate"})
    assert drill.status_code == 404


@pytest.mark.parametrize("role", ["dealer_user", "other_dealer_user"])
def test_dealer_users_cannot_open_the_network_page_or_its_drill(cast, role):
    client = client_for(cast[role])
    assert client.get(URL).status_code == 403
    assert client.get(DRILL).status_code == 403
    assert client.get(URL + "export.csv").status_code == 403


def test_the_drill_lists_the_dealers_by_what_they_add_and_links_their_scorecards(cast, dealer, other_dealer):
    store_figures(2, [dealer, other_dealer])
    response = client_for(cast["hq_admin"]).get(
        DRILL, {"group": "network", "month": "2026-10", "kpi": "complaint_rate"}
    )
    assert response.status_code == 200
    drill = response.context["drill"]
    # the group's 39 over n = 200; the second dealer's 49 over 100 adds 100 × (49 − 39) / 100 = 10
    assert [r.code for r in drill.rows] == [other_dealer.code, dealer.code]
    assert drill.rows[0].adds == pytest.approx(10.0)
    assert drill.rows[1].adds == pytest.approx(0.0)
    assert drill.rows[0].share == 50.0
    assert reverse("assessments:scorecard", args=[other_dealer.code, "2026-10"]) in response.content.decode()


def test_a_sums_drill_shows_each_dealers_own_value(cast, dealer, other_dealer):
    store_figures(1, [dealer, other_dealer])
    drill = client_for(cast["hq_admin"]).get(
        DRILL, {"group": "network", "month": "2026-10", "kpi": "repair_count"}
    )
    assert [r.adds for r in drill.context["drill"].rows] == [100.0, 100.0]


def test_a_regional_managers_drill_of_their_region_lists_only_its_dealers(cast, dealer, far_dealer, east):
    store_figures(1, [dealer, far_dealer])
    response = client_for(cast["regional_manager"]).get(
        DRILL, {"group": f"region:{east.pk}", "month": "2026-10", "kpi": "complaint_rate"}
    )
    assert [r.code for r in response.context["drill"].rows] == [dealer.code]


@pytest.mark.parametrize("table", ["kpis", "trends", "groups"])
def test_every_table_exports_with_numbers_as_numbers(cast, dealer, far_dealer, table):
    store_figures(13, [dealer, far_dealer])
    response = client_for(cast["hq_manager"]).get(
        URL + "export.csv", {"table": table, "kpi": "complaint_rate"}
    )
    assert response.status_code == 200
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) > 1
    xlsx = client_for(cast["hq_manager"]).get(URL + "export.xlsx", {"table": table})
    assert xlsx.status_code == 200 and xlsx["Content-Type"].startswith("application/vnd.openxml")


def test_the_export_headers_are_in_the_readers_language(cast, dealer):
    store_figures(1, [dealer])
    client = client_for(cast["hq_manager"])
    client.cookies["django_language"] = "zh-hans"
    response = client.get(URL + "export.csv", {"table": "kpis"}, HTTP_ACCEPT_LANGUAGE="zh-hans")
    header = response.content.decode("utf-8-sig").splitlines()[0]
    assert "Value" not in header


def test_the_drill_exports(cast, dealer):
    store_figures(1, [dealer])
    response = client_for(cast["hq_manager"]).get(
        DRILL + "export.xlsx", {"group": "network", "month": "2026-10", "kpi": "complaint_rate"}
    )
    assert response.status_code == 200


def test_the_page_works_in_english_and_chinese(cast, dealer):
    store_figures(2, [dealer])
    client = client_for(cast["hq_manager"])
    for language, word in (("en", "Network figures"), ("zh-hans", "网络指标")):
        client.cookies["django_language"] = language
        assert word in client.get(URL).content.decode()


def test_without_figures_the_page_says_so(cast):
    response = client_for(cast["hq_manager"]).get(URL)
    assert response.status_code == 200
    assert 'data-testid="network-empty"' in response.content.decode()


def test_the_menu_and_the_overview_link_to_the_network_page(cast, dealer):
    store_figures(1, [dealer])
    client = client_for(cast["regional_manager"])
    assert f'href="{URL}"' in client.get("/workbench/").content.decode()
    assert 'data-testid="network-link"' in client.get("/assessments/overview/").content.decode()


@pytest.mark.parametrize(("months", "dealers"), [(2, 3), (12, 30)])
def test_the_network_page_runs_a_constant_number_of_queries(cast, django_assert_num_queries, months, dealers):
    regions = [RegionFactory(name=name) for name in ("华东", "华南", "华北")]
    found = [DealerFactory(region=regions[i % 3], city_tier=1 + i % 4) for i in range(dealers)]
    store_figures(months, found)
    client = client_for(cast["hq_manager"])
    client.get(URL)  # the session and the user warm up
    with django_assert_num_queries(QUERIES):
        response = client.get(URL, {"kpi": "csat"})
    assert response.status_code == 200


# the session, the user, the regions, the group's figures of every month, the side-by-side rows
QUERIES = 5


def test_the_drill_shows_a_page_of_dealers_and_exports_them_all(cast, east):
    from assessments.views_network import DRILL_PAGE_SIZE

    found = [DealerFactory(region=east) for _ in range(DRILL_PAGE_SIZE + 1)]
    store_figures(1, found)
    client = client_for(cast["hq_manager"])
    params = {"group": "network", "month": "2026-10", "kpi": "complaint_rate"}
    response = client.get(DRILL, params)
    assert len(response.context["page"].object_list) == DRILL_PAGE_SIZE
    assert len(client.get(DRILL, {**params, "page": 2}).context["page"].object_list) == 1
    exported = client.get(DRILL + "export.csv", params).content.decode("utf-8-sig").splitlines()
    assert len(exported) == DRILL_PAGE_SIZE + 2
