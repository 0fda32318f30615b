"""A dealer's own monthly submissions export (issue #20): the same URL as HQ's queue export,
as the page is the same URL — a dealer user gets their own reports (the figures as numbers,
the submitted time as a time, the reader's language), never another dealer's."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from assessments.choices import SubmissionStatus
from assessments.models import MonthlySubmission
from tests.conftest import client_for
from tests.factories import SubmissionFactory, local

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(fmt: str) -> str:
    return reverse("submissions:queue_export", args=[fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_a_dealer_exports_their_own_submissions_in_the_readers_language(dealer, other_dealer, dealer_user):
    SubmissionFactory(dealer=dealer, period="2026-09", submitted_at=local("2026-10-03 09:30"))
    SubmissionFactory(
        dealer=dealer, period="2026-10", status=SubmissionStatus.RETURNED, review_comment="培训时长请附证明"
    )
    SubmissionFactory(dealer=other_dealer, period="2026-10")
    client = client_for(dealer_user)

    chinese = _csv(client.get(_url("csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    xlsx = client.get(_url("xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][:3] == ["月份", "经销商代码", "经销商"] and chinese[0][4] != "Comment from HQ"
    header = english[0]
    assert header[:5] == ["Month", "Dealer code", "Dealer", "State", "Comment from HQ"]
    rows = [dict(zip(header, row, strict=True)) for row in english[1:]]
    assert [(r["Month"], r["Dealer code"]) for r in rows] == [("2026-10", "GL0001"), ("2026-09", "GL0001")]
    assert rows[0]["State"] == "Returned" and rows[0]["Comment from HQ"] == "培训时长请附证明"
    september = rows[1]
    assert september["Technicians"] == 10 and september["Training hours"] == 60
    assert isinstance(september["Submitted at"], datetime) and september["Submitted at"].hour == 9
    page = client.get(reverse("submissions:queue")).content.decode()
    assert 'data-testid="submissions-xlsx"' in page


def test_a_manager_still_gets_the_queue_from_the_same_url(dealer, other_dealer, regional_manager):
    SubmissionFactory(dealer=dealer, period="2026-10")

    rows = _csv(client_for(regional_manager).get(_url("csv") + "?period=2026-10"))

    assert rows[0][3] == "大区" and {r[1] for r in rows[1:]} == {"GL0001", "GL0002"}


def test_the_own_submissions_export_neutralises_a_comment_like_a_formula(dealer, dealer_user):
    SubmissionFactory(dealer=dealer, period="2026-10")
    MonthlySubmission.objects.update(review_comment=FORMULA)

    rows = _csv(client_for(dealer_user).get(_url("csv")))

    assert rows[1][4] == "'" + FORMULA


def test_the_own_submissions_export_costs_the_same_queries_for_many_months(
    dealer, dealer_user, django_assert_max_num_queries
):
    for month in range(1, 13):
        SubmissionFactory(dealer=dealer, period=f"2026-{month:02d}")
    client = client_for(dealer_user)

    with django_assert_max_num_queries(3):  # session, user, the reports with their dealer
        assert client.get(_url("xlsx")).status_code == 200
