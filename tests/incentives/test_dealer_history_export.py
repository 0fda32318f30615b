"""A dealer's incentives page exports (issue #20): its actions table as CSV/XLSX (the amount a
number, the reader's language, the user's scope), and its rectification orders and appeals
through their own lists' exports, filtered to the dealer."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from incentives.choices import ActionStatus, ActionType
from incentives.models import Appeal, IncentiveAction
from tests.api.conftest import make_action, make_rectification
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(fmt: str, code: str = "GL0001") -> str:
    return reverse("incentives:dealer_export", args=[code, fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_dealers_actions_export_in_the_readers_language_with_amounts_as_numbers(
    dealer, other_dealer, dealer_user
):
    make_action(dealer, period="2026-09", origin="rule:a", amount=Decimal("12500.50"))
    make_action(dealer, origin="rule:b", action_type=ActionType.HONOUR, status=ActionStatus.APPROVED)
    make_action(other_dealer, origin="rule:c")
    client = client_for(dealer_user)

    chinese = _csv(client.get(_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    xlsx = client.get(_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][1:3] == ["经销商代码", "经销商"] and chinese[0][0] != "Period"
    header = english[0]
    assert header[:3] == ["Period", "Dealer code", "Dealer"] and "Amount (CNY)" in header
    rows = [dict(zip(header, row, strict=True)) for row in english[1:]]
    assert [(r["Period"], r["Dealer code"]) for r in rows] == [("2026-10", "GL0001"), ("2026-09", "GL0001")]
    assert rows[1]["Amount (CNY)"] == 12500.5 and rows[1]["Status"] == "Proposed"
    assert rows[0]["Action"] == "Honour" and rows[0]["Amount (CNY)"] == 0
    assert "12500.50" in chinese[2]  # as shown: to the fen, no float noise


def test_the_dealer_page_links_each_table_to_its_export_filtered_to_the_dealer(dealer, dealer_user):
    make_action(dealer, origin="rule:a")
    make_rectification(dealer, evidence=False)
    Appeal.objects.create(dealer=dealer, period="2026-10", kpi_code="csat", reason="抽样有误")

    page = client_for(dealer_user).get(reverse("incentives:dealer", args=["GL0001"])).content.decode()

    assert 'href="/incentives/dealers/GL0001/export.xlsx"' in page
    assert 'href="/incentives/rectifications/export.xlsx?status=all&amp;dealer=GL0001"' in page
    assert 'href="/incentives/appeals/export.csv?dealer=GL0001"' in page


def test_the_rectification_and_appeal_exports_filtered_to_a_dealer_hold_its_rows_only(
    dealer, other_dealer, hq_manager
):
    make_rectification(dealer, evidence=False)
    make_rectification(other_dealer, evidence=False)
    Appeal.objects.create(dealer=dealer, period="2026-10", kpi_code="csat", reason="抽样有误")
    Appeal.objects.create(dealer=other_dealer, period="2026-10", kpi_code="csat", reason="其他店")
    client = client_for(hq_manager)

    orders = _csv(
        client.get(reverse("incentives:rectifications_export", args=["csv"]) + "?status=all&dealer=GL0002")
    )
    appeals = _csv(client.get(reverse("incentives:appeals_export", args=["csv"]) + "?dealer=GL0002"))

    assert [r[1] for r in orders[1:]] == ["GL0002"] and [r[1] for r in appeals[1:]] == ["GL0002"]


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0002", 404),
        ("other_regional_manager", "GL0001", 404),
        ("regional_manager", "GL0002", 200),
        ("hq_admin", "GL0003", 200),
    ],
)
def test_another_dealers_actions_export_is_not_found(cast, role, code, status):
    assert client_for(cast[role]).get(_url("csv", code)).status_code == status


def test_the_actions_export_neutralises_a_reason_written_like_a_formula(dealer, hq_manager):
    make_action(dealer, origin="rule:a")
    IncentiveAction.objects.update(reason=FORMULA)

    rows = _csv(client_for(hq_manager).get(_url("csv")))

    assert rows[1][7] == "'" + FORMULA


def test_the_actions_export_costs_the_same_queries_for_many_actions(
    dealer, hq_manager, django_assert_max_num_queries
):
    for month in range(1, 11):
        make_action(dealer, period=f"2026-{month:02d}", origin=f"rule:{month}")
    client = client_for(hq_manager)

    with django_assert_max_num_queries(4):  # session, user, the dealer, the actions with what they name
        assert client.get(_url("xlsx")).status_code == 200
