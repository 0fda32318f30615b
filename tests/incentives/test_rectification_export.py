"""The rectification orders export as listed (issue #20): the tab shown, every page, the
reader's language, the user's scope, no cell a live formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealers.models import Dealer
from incentives.choices import RectificationStatus
from tests.api.conftest import make_rectification
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _url(fmt: str, status: str = "all") -> str:
    return reverse("incentives:rectifications_export", args=[fmt]) + f"?status={status}"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_orders_export_in_the_readers_language_with_dates_as_dates(dealer, hq_manager):
    order = make_rectification(dealer, evidence=False)
    order.deadline = timezone.localdate() - timedelta(days=1)
    order.save()
    client = client_for(hq_manager)

    chinese = _csv(client.get(_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    xlsx = client.get(_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][1:3] == ["经销商代码", "经销商"] and chinese[1][0] == f"RO-{order.pk}"
    row = dict(zip(english[0], english[1], strict=True))
    assert row["Dealer code"] == "GL0001" and row["Month"] == "2026-10" and row["Overdue"] == "Yes"
    assert isinstance(row["Deadline"], datetime) and row["Deadline"].date() == order.deadline
    page = client.get(reverse("incentives:rectifications") + "?status=all").content.decode()
    assert 'data-testid="rectifications-xlsx"' in page


def test_the_export_holds_the_tab_shown_only(dealer, other_dealer, hq_manager):
    make_rectification(dealer, evidence=False)
    make_rectification(other_dealer, evidence=False, status=RectificationStatus.PASSED)

    rows = _csv(client_for(hq_manager).get(_url("csv", "closed")))

    assert [r[1] for r in rows[1:]] == ["GL0002"]


def test_a_dealer_user_exports_only_their_dealers_orders(dealer, other_dealer, dealer_user):
    make_rectification(dealer, evidence=False)
    make_rectification(other_dealer, evidence=False)

    rows = _csv(client_for(dealer_user).get(_url("csv")))

    assert [r[1] for r in rows[1:]] == ["GL0001"]


def test_the_export_neutralises_a_dealer_named_like_a_formula(dealer, hq_manager):
    make_rectification(dealer, evidence=False)
    Dealer.objects.filter(pk=dealer.pk).update(name="=1+2")

    rows = _csv(client_for(hq_manager).get(_url("csv")))

    assert rows[1][2] == "'=1+2"


def test_the_export_costs_the_same_queries_for_many_orders(
    dealer, other_dealer, hq_manager, django_assert_max_num_queries
):
    for i in range(10):
        make_rectification(dealer, period=f"2026-{i + 1:02d}", origin=f"rule:r{i}", evidence=False)
    client = client_for(hq_manager)

    with django_assert_max_num_queries(4):  # session, user, the orders with their dealers, actions, owners
        assert client.get(_url("xlsx")).status_code == 200
