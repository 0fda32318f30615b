"""A scorecard's "Tier scores" table exports (issue #20), a file of its own (the export helper
writes one sheet): each tier's score to 2 decimals as shown, beside last month's and last
year's as the page's radar compares them, in the reader's language and the user's scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.models import Scorecard
from dealers.models import Dealer
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(fmt: str, code: str = "GL0001", period: str = "2026-10") -> str:
    return reverse("assessments:scorecard_tiers_export", args=[code, period, fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def test_the_tier_scores_export_as_shown_in_chinese_and_english(scored_months, dealer_user):
    Scorecard.objects.filter(dealer__code="GL0001", period__code="2026-10").update(
        tier_base=Decimal("81.456")
    )
    client = client_for(dealer_user)

    chinese = _csv(client.get(_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:3] == ["月份", "经销商代码", "经销商"] and chinese[0][4] != "Score"
    header = english[0]
    assert header == ["Month", "Dealer code", "Dealer", "Tier", "Score", "Weight", "Last month", "Last year"]
    rows = {row[3]: dict(zip(header, row, strict=True)) for row in english[1:]}
    assert set(rows) == {"Base tier", "Process tier", "Result tier"}
    september = Scorecard.objects.get(dealer__code="GL0001", period__code="2026-09")
    base = rows["Base tier"]
    assert base["Month"] == "2026-10" and base["Dealer code"] == "GL0001"
    assert base["Score"] == 81.46  # 2 decimals as shown, a number
    assert base["Last month"] == float(september.tier_base.quantize(Decimal("0.01")))
    assert base["Last year"] is None  # no scorecard a year earlier
    assert isinstance(base["Weight"], int | float)
    assert "81.46" in [cell for row in chinese for cell in row]  # never float noise
    page = client.get(reverse("assessments:scorecard", args=["GL0001", "2026-10"])).content.decode()
    assert 'href="/assessments/dealers/GL0001/2026-10/tiers/export.xlsx"' in page


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0002", 404),
        ("other_dealer_user", "GL0001", 404),
        ("regional_manager", "GL0003", 404),
        ("regional_manager", "GL0002", 200),
        ("hq_manager", "GL0003", 200),
    ],
)
def test_another_dealers_tier_scores_export_is_not_found(scored_months, cast, role, code, status):
    assert client_for(cast[role]).get(_url("csv", code)).status_code == status


def test_a_month_without_a_scorecard_is_not_found(scored_months, hq_manager):
    assert client_for(hq_manager).get(_url("csv", period="2030-01")).status_code == 404


def test_the_tier_scores_export_neutralises_a_dealer_named_like_a_formula(scored_months, hq_manager, dealer):
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _csv(client_for(hq_manager).get(_url("csv")))

    assert {r[2] for r in rows[1:]} == {"'" + FORMULA}


def test_the_tier_scores_export_costs_a_fixed_number_of_queries(
    scored_months, hq_manager, django_assert_max_num_queries
):
    client = client_for(hq_manager)

    with django_assert_max_num_queries(12):  # as the scorecard's KPI export: it reads the same page data
        assert client.get(_url("xlsx")).status_code == 200
