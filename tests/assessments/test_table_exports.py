"""Every table exports (issue #20): the overview's tables, a scorecard's KPIs, the imports, the
ranking's KPI columns — headers in the reader's language, numbers as numbers, the user's scope,
no cell a live formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from openpyxl import load_workbook

from assessments.choices import ImportKind, ImportStatus
from assessments.models import ImportJob, Kpi, KpiResult, Scorecard
from dealers.models import Dealer, Region

from ..conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _sheet(response):
    assert response.status_code == 200, response.status_code
    return load_workbook(io.BytesIO(response.content)).active


def _values(sheet) -> list[list]:
    return [list(row) for row in sheet.iter_rows(values_only=True)]


# --- the overview's tables ------------------------------------------------------------------


def test_the_overview_regions_table_exports_in_chinese_and_english_with_numbers(scored_months, hq_manager):
    client = client_for(hq_manager)
    url = "/assessments/overview/export.{}?period=2026-10&table=regions"

    chinese = _csv(client.get(url.format("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _sheet(client.get(url.format("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:4] == ["月份", "大区", "经销商", "已排名"]
    rows = _values(english)
    assert rows[0][:5] == ["Month", "Region", "Dealers", "Ranked", "Average"]
    by_region = {row[1]: row for row in rows[1:]}
    assert set(by_region) == {"华东", "华南"}
    east = by_region["华东"]
    assert east[2] == 2 and isinstance(east[4], float) and round(east[4], 2) == east[4]
    page = client.get("/assessments/overview/?period=2026-10").content.decode()
    assert 'data-testid="regions-xlsx"' in page and 'data-testid="tiers-csv"' in page


@pytest.mark.parametrize("table", ["tiers", "top", "bottom"])
def test_each_overview_table_exports(scored_months, hq_manager, table):
    rows = _csv(client_for(hq_manager).get(f"/assessments/overview/export.csv?period=2026-10&table={table}"))

    assert rows[0][0] == "月份"
    if table == "top":
        assert [r[2] for r in rows[1:]] and all(r[0] == "2026-10" for r in rows[1:])


def test_the_overview_export_holds_the_regional_managers_region_only(scored_months, regional_manager):
    client = client_for(regional_manager)

    regions = _csv(client.get("/assessments/overview/export.csv?period=2026-10&table=regions"))
    top = _csv(client.get("/assessments/overview/export.csv?period=2026-10&table=top"))

    assert [r[1] for r in regions[1:]] == ["华东"]
    assert {r[2] for r in top[1:]} <= {"GL0001", "GL0002"}


@pytest.mark.parametrize(
    ("role", "query", "status"),
    [
        ("dealer_user", "period=2026-10&table=regions", 403),
        ("hq_manager", "period=2030-01&table=regions", 404),
        ("hq_manager", "period=2026-10&table=nope", 404),
    ],
)
def test_the_overview_export_answers_only_managers_and_known_tables(scored_months, cast, role, query, status):
    assert client_for(cast[role]).get(f"/assessments/overview/export.csv?{query}").status_code == status


def test_the_overview_export_neutralises_a_region_named_like_a_formula(scored_months, hq_manager, dealer):
    Region.objects.filter(pk=dealer.region_id).update(name=FORMULA)

    Scorecard.objects.filter(dealer=dealer).update(region_name=FORMULA)

    rows = _values(
        _sheet(client_for(hq_manager).get("/assessments/overview/export.xlsx?period=2026-10&table=regions"))
    )

    assert "'" + FORMULA in [r[1] for r in rows]


# --- a scorecard's KPI table ------------------------------------------------------------------


def test_a_scorecards_kpis_export_as_shown_in_chinese_and_english(scored_months, dealer_user):
    client = client_for(dealer_user)
    url = "/assessments/dealers/GL0001/2026-10/export.{}"

    chinese = _csv(client.get(url.format("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _values(_sheet(client.get(url.format("xlsx"), HTTP_ACCEPT_LANGUAGE="en")))

    assert chinese[0][:3] == ["月份", "经销商代码", "经销商"] and "权重" in chinese[0]
    header = english[0]
    assert header[5:8] == ["KPI", "Direction", "Value"]
    by_code = {row[4]: dict(zip(header, row, strict=True)) for row in english[1:]}
    shown = KpiResult.objects.filter(scorecard__dealer__code="GL0001", scorecard__period__code="2026-10")
    assert set(by_code) == set(shown.values_list("kpi_code", flat=True))
    csat = by_code["csat"]
    assert csat["KPI"] == Kpi.objects.get(code="csat").name_en
    chinese_names = {row[4]: row[5] for row in chinese[1:]}
    assert chinese_names["csat"] == Kpi.objects.get(code="csat").name_zh
    result = shown.get(kpi_code="csat")
    assert csat["Score"] == float(result.score) and isinstance(csat["Weight"], int | float)
    assert csat["Value"] == round(result.value, 2) and csat["Sample size"] == result.sample_size
    repairs = by_code["repair_count"]
    assert repairs["Value"] == int(repairs["Value"])  # a count is shown without decimals


def test_a_scorecard_export_is_404_out_of_scope(scored_months, dealer_user, regional_manager, hq_manager):
    assert client_for(dealer_user).get("/assessments/dealers/GL0002/2026-10/export.csv").status_code == 404
    assert (
        client_for(regional_manager).get("/assessments/dealers/GL0003/2026-10/export.xlsx").status_code == 404
    )
    assert client_for(hq_manager).get("/assessments/dealers/GL0003/2026-10/export.csv").status_code == 200
    assert client_for(hq_manager).get("/assessments/dealers/GL0001/2030-01/export.csv").status_code == 404


def test_the_scorecard_and_my_scorecard_link_to_the_export(scored_months, dealer_user):
    client = client_for(dealer_user)

    for page in ("/assessments/dealers/GL0001/2026-10/", "/assessments/my/?period=2026-10"):
        text = client.get(page).content.decode()
        assert 'href="/assessments/dealers/GL0001/2026-10/export.xlsx"' in text, page


def test_a_scorecard_export_costs_a_fixed_number_of_queries(
    scored_months, hq_manager, django_assert_max_num_queries
):
    client = client_for(hq_manager)

    with django_assert_max_num_queries(12):
        assert client.get("/assessments/dealers/GL0001/2026-10/export.xlsx").status_code == 200


def test_a_scorecard_export_neutralises_a_dealer_named_like_a_formula(scored_months, hq_manager, dealer):
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _values(_sheet(client_for(hq_manager).get("/assessments/dealers/GL0001/2026-10/export.xlsx")))

    assert {row[2] for row in rows[1:]} == {"'" + FORMULA}


# --- the imports list -------------------------------------------------------------------------


def _import(dealer, user, file_name: str, **counts) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportKind.REPAIR_ORDERS,
        user=user,
        dealer=dealer,
        file_name=file_name,
        status=ImportStatus.SUCCEEDED,
        **counts,
    )


def test_the_imports_export_as_listed_in_the_readers_language(dealer, dealer_user, hq_manager):
    _import(dealer, dealer_user, "gl0001.csv", rows_total=40, created=38, rejected=2)
    client = client_for(hq_manager)

    chinese = _csv(client.get("/assessments/imports/export.csv", HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _values(_sheet(client.get("/assessments/imports/export.xlsx", HTTP_ACCEPT_LANGUAGE="en")))

    assert chinese[0][:4] == ["开始", "完成", "类型", "文件"] or chinese[0][0] != "Started"
    assert english[0][:4] == ["Started", "Finished", "Kind", "File"]
    row = dict(zip(english[0], english[1], strict=True))
    assert row["File"] == "gl0001.csv" and row["Rows"] == 40 and row["Rejected"] == 2
    assert isinstance(row["Started"], datetime) and row["Dealer code"] == "GL0001"
    assert 'data-testid="imports-xlsx"' in client.get("/assessments/imports/").content.decode()


def test_a_dealer_user_exports_only_their_dealers_imports(
    dealer, other_dealer, dealer_user, other_dealer_user
):
    _import(dealer, dealer_user, "mine.csv")
    _import(other_dealer, other_dealer_user, "theirs.csv")

    rows = _csv(client_for(dealer_user).get("/assessments/imports/export.csv"))

    assert [r[3] for r in rows[1:]] == ["mine.csv"]


def test_the_imports_export_neutralises_a_file_named_like_a_formula(dealer, dealer_user):
    _import(dealer, dealer_user, FORMULA)

    rows = _values(_sheet(client_for(dealer_user).get("/assessments/imports/export.xlsx")))

    assert rows[1][3] == "'" + FORMULA


def test_the_imports_export_costs_the_same_queries_for_many_imports(
    dealer, dealer_user, hq_manager, django_assert_max_num_queries
):
    for i in range(30):
        _import(dealer, dealer_user, f"file{i}.csv")
    client = client_for(hq_manager)

    with django_assert_max_num_queries(4):  # session, user, the imports with their users and dealers
        assert client.get("/assessments/imports/export.csv").status_code == 200


# --- the ranking's KPI columns ----------------------------------------------------------------


def test_the_ranking_export_has_each_kpis_value_and_score_after_its_own_columns(scored_months, hq_manager):
    client = client_for(hq_manager)

    english = _values(
        _sheet(client.get("/assessments/ranking/export.xlsx?period=2026-10", HTTP_ACCEPT_LANGUAGE="en"))
    )
    wide = _values(
        _sheet(client.get("/assessments/ranking/kpis/export.xlsx?period=2026-10", HTTP_ACCEPT_LANGUAGE="en"))
    )
    chinese = _csv(
        client.get("/assessments/ranking/export.csv?period=2026-10", HTTP_ACCEPT_LANGUAGE="zh-hans")
    )

    header = english[0]
    assert header[:2] == ["Period", "Rank"] and header[16] == "Veto"
    csat = Kpi.objects.get(code="csat")
    assert f"{csat.name_en} · Score" in header and f"{csat.name_zh} · 得分" in chinese[0]
    # The same KPI cells as the wide sheet, dealer by dealer.
    assert [row[17:] for row in english[1:]] == [row[7:] for row in wide[1:]]
    row = dict(zip(header, english[1], strict=True))
    result = KpiResult.objects.get(
        scorecard__period__code="2026-10", scorecard__dealer__code=row["Dealer code"], kpi_code="csat"
    )
    assert row[f"{csat.name_en} · Score"] == float(result.score)
    assert row[f"{csat.name_en} · Value (pts)"] == round(result.value, 2)


def test_the_ranking_exports_write_kpi_cells_as_shown_never_float_noise(scored_months, hq_manager):
    rows = _csv(client_for(hq_manager).get("/assessments/ranking/export.csv?period=2026-10"))

    for row in rows[1:]:
        for cell in row[17:]:
            assert "." not in cell or len(cell.split(".")[1]) <= 2, row


def test_the_ranking_export_of_a_regional_manager_has_their_dealers_kpis_only(
    scored_months, regional_manager
):
    rows = _csv(client_for(regional_manager).get("/assessments/ranking/export.csv?period=2026-10"))

    assert [r[3] for r in rows[1:]] == ["GL0001", "GL0002"] and len(rows[0]) > 17


@pytest.mark.parametrize("dealers", [5, 40])
def test_the_ranking_export_costs_a_fixed_number_of_queries(
    make_network, hq_manager, django_assert_num_queries, dealers
):
    make_network(dealers, kpis=True)
    client = client_for(hq_manager)

    # session, user, the months in scope (two), then the rows, their KPI results and the catalogue
    with django_assert_num_queries(7):
        assert client.get("/assessments/ranking/export.csv").status_code == 200
