"""The ledger's "Totals per month" and "Totals per region" tables export (issue #20): money as a
number to the fen (never float noise), the month filter the page shows, the reader's language,
the user's scope."""

from __future__ import annotations

import csv
import io
from decimal import Decimal

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealers.models import Region
from incentives.models import LedgerEntry
from tests.api.conftest import make_ledger_entry
from tests.conftest import client_for

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(table: str, fmt: str) -> str:
    return reverse(f"incentives:ledger_{table}_export", args=[fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def _entry(dealer, period: str, amount: str, origin: str) -> LedgerEntry:
    entry = make_ledger_entry(dealer, period=period, origin=origin)
    LedgerEntry.objects.filter(pk=entry.pk).update(amount=Decimal(amount))
    return entry


@pytest.fixture
def ledger(dealer, other_dealer, far_dealer) -> None:
    """Two months of bonuses: 华东 (this dealer and the other), 华南 (the far dealer)."""
    _entry(dealer, "2026-09", "0.10", "a")
    _entry(other_dealer, "2026-09", "0.20", "b")
    _entry(dealer, "2026-10", "12500.50", "c")
    _entry(far_dealer, "2026-10", "8000.00", "d")


def test_the_totals_per_month_export_in_the_readers_language_to_the_fen(ledger, hq_manager):
    client = client_for(hq_manager)

    chinese = _csv(client.get(_url("months", "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url("months", "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0] == ["月份", "金额（元）"]
    assert chinese[1:] == [["2026-10", "20500.50"], ["2026-09", "0.30"]]  # as shown, no float noise
    assert english == [["Month", "Amount (CNY)"], ["2026-10", 20500.5], ["2026-09", 0.3]]
    page = client.get(reverse("incentives:ledger")).content.decode()
    assert 'href="/incentives/ledger/months/export.xlsx?period="' in page


def test_the_totals_per_region_export_in_the_readers_language_to_the_fen(ledger, dealer, hq_manager):
    client = client_for(hq_manager)

    chinese = _csv(client.get(_url("regions", "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url("regions", "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:2] == ["月份", "大区"]
    assert english[0] == ["Month", "Region", "Amount (CNY)"]
    assert english[1:] == [["2026-10", "华南", 8000], ["2026-10", "华东", 12500.5], ["2026-09", "华东", 0.3]]
    assert ["2026-09", "华东", "0.30"] in chinese
    page = client.get(reverse("incentives:ledger"), {"period": "2026-10"}).content.decode()
    assert 'href="/incentives/ledger/regions/export.csv?period=2026-10"' in page


def test_the_totals_export_the_month_the_page_shows(ledger, hq_manager):
    client = client_for(hq_manager)

    months = _csv(client.get(_url("months", "csv"), {"period": "2026-09"}))
    regions = _csv(client.get(_url("regions", "csv"), {"period": "2026-09"}))

    assert months[1:] == [["2026-09", "0.30"]] and regions[1:] == [["2026-09", "华东", "0.30"]]


@pytest.mark.parametrize(
    ("role", "months", "regions"),
    [
        ("dealer_user", [["2026-10", "12500.50"], ["2026-09", "0.10"]], {"华东"}),
        ("regional_manager", [["2026-10", "12500.50"], ["2026-09", "0.30"]], {"华东"}),
        ("other_regional_manager", [["2026-10", "8000.00"]], {"华南"}),
    ],
)
def test_the_totals_hold_only_the_users_scope(ledger, cast, role, months, regions):
    client = client_for(cast[role])

    assert _csv(client.get(_url("months", "csv")))[1:] == months
    assert {r[1] for r in _csv(client.get(_url("regions", "csv")))[1:]} == regions


def test_the_totals_per_region_export_neutralises_a_region_named_like_a_formula(ledger, dealer, hq_manager):
    Region.objects.filter(pk=dealer.region_id).update(name=FORMULA)

    rows = _csv(client_for(hq_manager).get(_url("regions", "csv")))

    assert "'" + FORMULA in {r[1] for r in rows[1:]}


@pytest.mark.parametrize(("table", "most"), [("months", 3), ("regions", 3)])
def test_the_totals_exports_cost_the_same_queries_for_many_entries(
    dealer, other_dealer, far_dealer, hq_manager, django_assert_max_num_queries, table, most
):
    for i in range(12):
        make_ledger_entry(
            (dealer, other_dealer, far_dealer)[i % 3], period=f"2026-{1 + i // 3:02d}", origin=f"r{i}"
        )
    client = client_for(hq_manager)

    with django_assert_max_num_queries(most):  # session, user, the totals (or the entries with regions)
        assert client.get(_url(table, "xlsx")).status_code == 200
