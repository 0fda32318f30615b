"""A dealer page's scorecards table exports (issue #20): the months shown, the total as a number
to 2 decimals, the reader's language, the user's scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealers.models import Dealer
from tests.api.conftest import make_scorecard
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(fmt: str, code: str = "GL0001") -> str:
    return reverse("dealers:detail_export", args=[code, fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_dealers_scorecards_export_as_shown_in_the_readers_language(dealer, dealer_user):
    make_scorecard(dealer, "2026-09", total_score=Decimal("81.50"), grade="B", rank=3, region_rank=2)
    make_scorecard(
        dealer, "2026-10", status="insufficient_data", total_score=None, grade="", rank=None, region_rank=None
    )
    client = client_for(dealer_user)

    chinese = _csv(client.get(_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    xlsx = client.get(_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][:3] == ["月份", "经销商代码", "经销商"]
    assert english[0] == ["Month", "Dealer code", "Dealer", "Total", "Grade", "Rank", "Region rank"]
    assert english[1] == ["2026-10", "GL0001", dealer.name, None, "Insufficient data", None, None]
    assert english[2] == ["2026-09", "GL0001", dealer.name, 81.5, "B", 3, 2]
    assert chinese[2][3] == "81.50"  # as shown: 2 decimals, no float noise
    page = client.get(reverse("dealers:detail", args=["GL0001"])).content.decode()
    assert 'data-testid="scorecards-xlsx"' in page


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0002", 404),
        ("regional_manager", "GL0003", 404),
        ("other_dealer_user", "GL0002", 200),
        ("hq_manager", "GL0003", 200),
    ],
)
def test_another_dealers_scorecards_export_is_not_found(cast, role, code, status):
    assert client_for(cast[role]).get(_url("csv", code)).status_code == status


def test_the_scorecards_export_neutralises_a_dealer_named_like_a_formula(dealer, hq_manager):
    make_scorecard(dealer, "2026-10")
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _csv(client_for(hq_manager).get(_url("csv")))

    assert rows[1][2] == "'" + FORMULA


def test_the_scorecards_export_costs_the_same_queries_for_many_months(
    dealer, hq_manager, django_assert_max_num_queries
):
    for month in range(1, 13):
        make_scorecard(dealer, f"2026-{month:02d}")
    client = client_for(hq_manager)

    with django_assert_max_num_queries(4):  # session, user, the dealer, its scorecards with their months
        assert client.get(_url("xlsx")).status_code == 200
