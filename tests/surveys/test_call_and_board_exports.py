"""The call centre's "To call" table and the daily clearing board export (issue #20): headers in
the reader's language, times as times, hours as numbers, the user's scope, no cell a live formula.

The board export holds both of the board's tables in one sheet, the items open after 24 hours
then those due today, a Status column saying which: one list of what is open to filter in Excel."""

from __future__ import annotations

import csv
import io
from datetime import datetime, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealers.models import Dealer
from surveys.models import FollowUpCall
from tests.conftest import client_for
from tests.factories import ComplaintFactory, RepairOrderFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


# --- whom to call -------------------------------------------------------------------------------


def _candidates_url(fmt: str) -> str:
    return reverse("surveys:candidates_export", args=[fmt])


def _closed(dealer: Dealer, hours_ago: int, **fields):
    now = timezone.now()
    closed = now - timedelta(hours=hours_ago)
    return RepairOrderFactory(
        dealer=dealer, opened_at=closed - timedelta(hours=5), closed_at=closed, **fields
    )


def test_the_to_call_table_exports_as_listed_in_the_readers_language(dealer, hq_manager):
    first = _closed(dealer, 30, ro_number="RO-CALL-1")
    _closed(dealer, 3, ro_number="RO-CALL-2")
    answered = _closed(dealer, 4, ro_number="RO-ANSWERED")
    SurveyResponseFactory(dealer=dealer, repair_order=answered)
    called = _closed(dealer, 5, ro_number="RO-CALLED")
    FollowUpCall.objects.create(
        repair_order=called, dealer=dealer, called_at=timezone.now(), called_by=hq_manager, outcome="reached"
    )
    client = client_for(hq_manager)

    chinese = _csv(client.get(_candidates_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_candidates_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][1:3] == ["经销商代码", "经销商"] and chinese[0][4] != "Closed at"
    assert english[0] == ["Region", "Dealer code", "Dealer", "RO number", "Closed at"]
    assert [r[3] for r in english[1:]] == ["RO-CALL-1", "RO-CALL-2"]  # oldest closed first, as listed
    row = english[1]
    assert row[:3] == [dealer.region.name, "GL0001", dealer.name]
    closed_here = timezone.localtime(first.closed_at).replace(tzinfo=None)  # Shanghai wall time
    assert isinstance(row[4], datetime) and abs(row[4] - closed_here) < timedelta(seconds=1)
    page = client.get(reverse("surveys:calls")).content.decode()
    assert 'data-testid="candidates-xlsx"' in page and 'href="/surveys/calls/candidates/export.csv"' in page


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_exports_whom_to_call(cast, role):
    assert client_for(cast[role]).get(_candidates_url("csv")).status_code == 403


def test_the_to_call_export_neutralises_a_dealer_named_like_a_formula(dealer, hq_manager):
    _closed(dealer, 3)
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _csv(client_for(hq_manager).get(_candidates_url("csv")))

    assert rows[1][2] == "'" + FORMULA


def test_the_to_call_export_costs_the_same_queries_for_many_orders(
    dealer, other_dealer, far_dealer, hq_manager, django_assert_max_num_queries
):
    for i in range(15):
        _closed((dealer, other_dealer, far_dealer)[i % 3], 2 + i)
    client = client_for(hq_manager)

    with django_assert_max_num_queries(3):  # session, user, the orders with their dealers and regions
        assert client.get(_candidates_url("xlsx")).status_code == 200


# --- the daily clearing board: open after 24 hours, and due today ----------------------------------


def _board_url(fmt: str) -> str:
    return reverse("surveys:board_export", args=[fmt])


def test_the_board_export_holds_both_tables_with_a_status_saying_which(dealer, dealer_user):
    now = timezone.now()
    ComplaintFactory(dealer=dealer, complaint_id="C-OVERNIGHT", received_at=now - timedelta(hours=30))
    ComplaintFactory(
        dealer=dealer, complaint_id="C-DUE", received_at=now - timedelta(hours=3), description="等待配件"
    )
    ComplaintFactory(
        dealer=dealer, complaint_id="C-CLOSED", received_at=now - timedelta(hours=2), closed_at=now
    )
    client = client_for(dealer_user)

    chinese = _csv(client.get(_board_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_board_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:4] == ["状态", "大区", "经销商代码", "经销商"]
    assert [r[0] for r in chinese[1:]] == ["超过 24 小时未关闭", "今天到期"]
    header = english[0]
    assert header == [
        "Status",
        "Region",
        "Dealer code",
        "Dealer",
        "Kind",
        "Reference",
        "Open since",
        "Due by",
        "Hours open",
        "Summary",
        "Owners",
    ]
    rows = {row[5]: dict(zip(header, row, strict=True)) for row in english[1:]}
    assert set(rows) == {"C-OVERNIGHT", "C-DUE"}
    overnight, due = rows["C-OVERNIGHT"], rows["C-DUE"]
    assert overnight["Status"] == "Open after 24 hours" and overnight["Hours open"] == 30
    assert due["Status"] == "Due today" and due["Hours open"] == 3 and due["Kind"] == "Complaint"
    assert isinstance(due["Open since"], datetime) and isinstance(due["Due by"], datetime)
    assert due["Due by"] - due["Open since"] == timedelta(hours=24)
    assert "等待配件" in due["Summary"]


def test_the_board_export_holds_nothing_of_another_dealer(dealer, other_dealer_user, other_regional_manager):
    ComplaintFactory(dealer=dealer, complaint_id="C-MINE", received_at=timezone.now() - timedelta(hours=2))

    for user in (other_dealer_user, other_regional_manager):
        rows = _csv(client_for(user).get(_board_url("csv")))
        assert len(rows) == 1, user  # the header only


def test_the_board_export_neutralises_a_dealer_named_like_a_formula(dealer, hq_manager):
    ComplaintFactory(dealer=dealer, received_at=timezone.now() - timedelta(hours=2))
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _rows(client_for(hq_manager).get(_board_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert dict(zip(rows[0], rows[1], strict=True))["Dealer"] == "'" + FORMULA


def test_the_board_export_costs_the_same_queries_for_many_items(
    dealer, other_dealer, hq_manager, django_assert_max_num_queries
):
    now = timezone.now()
    for i in range(12):
        ComplaintFactory(dealer=(dealer, other_dealer)[i % 2], received_at=now - timedelta(hours=2 + 6 * i))
    client = client_for(hq_manager)

    # session, user; per table its complaints, hot alerts and dealers' contacts; the technical cases
    with django_assert_max_num_queries(9):
        assert client.get(_board_url("xlsx")).status_code == 200
