"""The lessons told to me export (issue #20): every lesson the user was told of, whole texts,
the closing day as a date, the reader's language — and, like the page, never whose finding it was."""

from __future__ import annotations

import csv
import io
from collections.abc import Sequence
from datetime import date, datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealers.models import Dealer, Region
from insights.models import Finding, Review
from tests.conftest import client_for
from tests.factories import local

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _lesson(
    about: Dealer,
    *,
    told: Sequence[Dealer] = (),
    regions: Sequence[Region] = (),
    lesson: str = "检查新学徒的签字规则",
) -> Review:
    """A closed finding about `about` whose lesson went to these dealers and regions."""
    at = local("2026-10-21 07:00")  # the 21st in Shanghai, still the 20th in UTC
    finding = Finding.objects.create(
        kind="peer_outlier",
        subject="first_time_fix_rate",
        dealer=about,
        month="2026-10",
        fingerprint=f"lesson-{about.code}-{Finding.objects.count()}",
        found_at=at,
        last_seen_at=at,
        status="closed",
    )
    review = Review.objects.create(
        finding=finding,
        root_cause="学徒独立诊断",
        countermeasure="资深技师复核每次返修",
        lesson=lesson,
        closed_at=at,
    )
    review.notified_dealers.set(told)
    review.notified_regions.set(regions)
    return review


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_lessons_export_in_the_readers_language_with_the_day_as_a_date(
    dealer, other_dealer, other_dealer_user
):
    _lesson(dealer, told=[other_dealer])
    client = client_for(other_dealer_user)

    chinese = _csv(
        client.get(reverse("insights:lessons_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    xlsx = client.get(reverse("insights:lessons_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][0] != "Closed" and chinese[1][0] == "2026-10-21"
    assert english[0] == ["Closed", "Finding", "Where else it applies", "Countermeasure"]
    closed, kind, lesson, countermeasure = english[1]
    assert isinstance(closed, datetime) and closed.date() == date(2026, 10, 21)
    assert kind == "Far from its peers on a KPI" and lesson == "检查新学徒的签字规则"
    assert countermeasure == "资深技师复核每次返修"
    assert 'data-testid="lessons-xlsx"' in client.get(reverse("insights:lessons")).content.decode()


def test_the_lessons_export_holds_what_the_user_was_told_and_never_names_whose_finding(
    dealer, other_dealer, far_dealer, south, other_dealer_user, other_regional_manager, dealer_user
):
    _lesson(dealer, told=[other_dealer], lesson="告诉苏州店")
    _lesson(dealer, regions=[south], lesson="告诉华南")

    dealers = _csv(client_for(other_dealer_user).get(reverse("insights:lessons_export", args=["csv"])))
    managers = _csv(client_for(other_regional_manager).get(reverse("insights:lessons_export", args=["csv"])))
    nobody = _csv(client_for(dealer_user).get(reverse("insights:lessons_export", args=["csv"])))

    assert [r[2] for r in dealers[1:]] == ["告诉苏州店"] and [r[2] for r in managers[1:]] == ["告诉华南"]
    assert nobody[1:] == []
    for rows in (dealers, managers):
        text = repr(rows)
        assert dealer.code not in text and dealer.name not in text


def test_the_lessons_export_neutralises_a_lesson_written_like_a_formula(
    dealer, other_dealer, other_dealer_user
):
    _lesson(dealer, told=[other_dealer], lesson=FORMULA)

    rows = _csv(client_for(other_dealer_user).get(reverse("insights:lessons_export", args=["csv"])))

    assert rows[1][2] == "'" + FORMULA


def test_the_lessons_export_costs_the_same_queries_for_many_lessons(
    dealer, other_dealer, other_dealer_user, django_assert_max_num_queries
):
    for i in range(12):
        _lesson(dealer, told=[other_dealer], lesson=f"教训 {i}")
    client = client_for(other_dealer_user)

    with django_assert_max_num_queries(3):  # session, user, the lessons with their findings
        assert client.get(reverse("insights:lessons_export", args=["xlsx"])).status_code == 200
