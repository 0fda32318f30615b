"""The survey response tables export (issue #20): a dealer's responses of the month and HQ's
integrity review queue — headers in the reader's language, scores and times as such, the
user's scope, no cell a live formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealers.models import Dealer
from surveys.services import hot_alerts_open_for, responses_flag
from tests.conftest import client_for
from tests.factories import RepairOrderFactory, SurveyResponseFactory, local

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _responses_url(fmt: str, code: str = "GL0001") -> str:
    return reverse("surveys:dealer_results_export", args=[code, fmt]) + "?period=2026-10"


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


# --- a dealer's responses of the month ----------------------------------------------------------


def test_a_dealers_responses_export_in_the_readers_language_with_scores_as_numbers(dealer, dealer_user):
    ro = RepairOrderFactory(dealer=dealer, ro_number="RO-2026-0001")
    SurveyResponseFactory(
        dealer=dealer, response_id="R-1", repair_order=ro, overall=4, nps=9, reception=5, comment="很满意"
    )
    SurveyResponseFactory(
        dealer=dealer, response_id="R-OUT", overall=1, excluded=True, excluded_reason="重复"
    )
    client = client_for(dealer_user)

    chinese = _csv(client.get(_responses_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_responses_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:3] == ["月份", "经销商代码", "经销商"] and chinese[0][3] != "Response"
    header = english[0]
    assert header[:5] == ["Month", "Dealer code", "Dealer", "Response", "Answered at"]
    rows = {row[3]: dict(zip(header, row, strict=True)) for row in english[1:]}
    counted, excluded = rows["R-1"], rows["R-OUT"]
    assert counted["Overall"] == 4 and counted["NPS"] == 9 and counted["Reception"] == 5
    assert counted["Diagnosis"] is None and counted["RO number"] == "RO-2026-0001"
    assert isinstance(counted["Answered at"], datetime) and counted["Month"] == "2026-10"
    assert counted["Comment"] == "很满意" and counted["Excluded"] is None
    assert excluded["Excluded"] == "Yes" and excluded["Reason"] == "重复"
    page = client.get(reverse("surveys:dealer_results", args=["GL0001"]), {"period": "2026-10"})
    assert 'data-testid="responses-xlsx"' in page.content.decode()


def test_the_responses_export_holds_the_month_asked_for(dealer, hq_manager):
    SurveyResponseFactory(dealer=dealer, response_id="R-OCT")
    SurveyResponseFactory(dealer=dealer, response_id="R-SEP", responded_at=local("2026-09-20 10:00"))

    rows = _csv(client_for(hq_manager).get(_responses_url("csv")))

    assert [r[3] for r in rows[1:]] == ["R-OCT"]


def test_the_responses_export_marks_a_hot_alert(dealer, hq_manager):
    unhappy = SurveyResponseFactory(dealer=dealer, response_id="R-HOT", overall=1)
    hot_alerts_open_for([unhappy], now=local("2026-10-12 11:00"), notify=False)

    rows = _rows(client_for(hq_manager).get(_responses_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert dict(zip(rows[0], rows[1], strict=True))["Hot alert"] == "Yes"


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0002", 404),
        ("other_dealer_user", "GL0001", 404),
        ("other_regional_manager", "GL0001", 404),
        ("regional_manager", "GL0001", 200),
        ("dealer_user", "GL0001", 200),
    ],
)
def test_another_dealers_responses_export_is_not_found(cast, role, code, status):
    assert client_for(cast[role]).get(_responses_url("csv", code)).status_code == status


def test_the_responses_export_neutralises_a_comment_like_a_formula(dealer, dealer_user):
    SurveyResponseFactory(dealer=dealer, comment=FORMULA)

    rows = _rows(client_for(dealer_user).get(_responses_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert dict(zip(rows[0], rows[1], strict=True))["Comment"] == "'" + FORMULA


def test_the_responses_export_costs_the_same_queries_for_many_responses(
    dealer, hq_manager, django_assert_max_num_queries
):
    for i in range(20):
        SurveyResponseFactory(
            dealer=dealer, repair_order=RepairOrderFactory(dealer=dealer), overall=1 + i % 5
        )
    client = client_for(hq_manager)

    # session, user, the dealer, the months in scope, the responses with their orders and alerts
    with django_assert_max_num_queries(7):
        assert client.get(_responses_url("xlsx")).status_code == 200


# --- the integrity review queue -------------------------------------------------------------------


def _duplicate(dealer: Dealer, *ids: str) -> None:
    """Responses answering one repair order, flagged as duplicates."""
    ro = RepairOrderFactory(dealer=dealer)
    responses = [SurveyResponseFactory(dealer=dealer, repair_order=ro, response_id=i, nps=8) for i in ids]
    responses_flag(responses)


def test_the_review_queue_exports_a_row_per_flagged_response_in_the_readers_language(dealer, hq_admin):
    _duplicate(dealer, "R-A", "R-B")
    client = client_for(hq_admin)

    chinese = _csv(client.get(reverse("surveys:review_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(reverse("surveys:review_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][3:5] == ["经销商代码", "经销商"] and chinese[0][0] != "Response"
    header = english[0]
    assert header[:3] == ["Response", "Source", "RO number"]
    rows = {row[0]: dict(zip(header, row, strict=True)) for row in english[1:]}
    assert set(rows) == {"R-A", "R-B"}
    row = rows["R-A"]
    assert row["Dealer code"] == "GL0001" and row["Overall"] == 5 and row["NPS"] == 8
    assert isinstance(row["Answered at"], datetime)
    assert (
        row["Flags"] == "Repair order answered more than once" and row["Detail"] == "Same repair order as R-B"
    )
    page = client.get(reverse("surveys:review")).content.decode()
    assert 'data-testid="review-xlsx"' in page


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_exports_the_review_queue(cast, role):
    assert client_for(cast[role]).get(reverse("surveys:review_export", args=["csv"])).status_code == 403


def test_the_review_export_neutralises_a_dealer_named_like_a_formula(dealer, hq_manager):
    _duplicate(dealer, "R-A", "R-B")
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)

    rows = _csv(client_for(hq_manager).get(reverse("surveys:review_export", args=["csv"])))

    assert {r[4] for r in rows[1:]} == {"'" + FORMULA}


def test_the_review_export_costs_the_same_queries_for_many_flags(
    dealer, other_dealer, hq_manager, django_assert_max_num_queries
):
    for i in range(10):
        _duplicate(dealer if i % 2 else other_dealer, f"R-{i}-1", f"R-{i}-2")
    client = client_for(hq_manager)

    with django_assert_max_num_queries(3):  # session, user, the flags with their responses
        assert client.get(reverse("surveys:review_export", args=["xlsx"])).status_code == 200
