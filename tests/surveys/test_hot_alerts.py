"""Hot alerts: overall ≤ 2 or NPS ≤ 6 opens exactly one case at once; closing needs a resolution."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from dealers.models import AuditEvent, Notice
from surveys import messages as msg
from surveys.models import HotAlertCase
from surveys.services import (
    SurveyError,
    hot_alert_close,
    hot_alert_contact,
    hot_alerts_open_for,
    hot_alerts_open_recent,
)
from tests.conftest import client_for
from tests.factories import SurveyResponseFactory

from .conftest import GOOD_ANSWERS

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(
    ("overall", "nps", "opens"),
    [
        (1, None, True),
        (2, 10, True),
        (3, 6, True),
        (5, 0, True),
        (3, 7, False),
        (3, None, False),
        (5, 10, False),
    ],
)
def test_a_response_opens_a_case_when_overall_is_two_or_less_or_nps_six_or_less(dealer, overall, nps, opens):
    response = SurveyResponseFactory(dealer=dealer, overall=overall, nps=nps, responded_at=timezone.now())

    cases = hot_alerts_open_for([response])

    assert len(cases) == (1 if opens else 0)
    assert HotAlertCase.objects.filter(response=response).count() == (1 if opens else 0)


def test_a_low_score_in_the_form_opens_exactly_one_case_for_the_dealer_at_once(
    invitation, dealer, dealer_user, monkeypatch, django_capture_on_commit_callbacks
):
    _stored, token = invitation
    monkeypatch.setattr("surveys.services.queue_recompute", lambda periods: None)

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(reverse("survey_answer", args=[token]), {**GOOD_ANSWERS, "overall": "2", "nps": "3"})

    case = HotAlertCase.objects.get()
    assert case.dealer == dealer and case.is_open
    assert case.response.response_id.startswith("WEB-")
    assert Notice.objects.filter(
        user=dealer_user, url=reverse("surveys:alert_detail", args=[case.pk])
    ).exists()


def test_opening_twice_for_the_same_response_keeps_one_case(dealer):
    response = SurveyResponseFactory(dealer=dealer, overall=1, responded_at=timezone.now())

    first = hot_alerts_open_for([response])
    second = hot_alerts_open_for([response])

    assert len(first) == 1 and second == []
    assert HotAlertCase.objects.count() == 1


def test_imported_hot_responses_get_a_case_from_the_sweep_once(dealer):
    now = timezone.now()
    SurveyResponseFactory(dealer=dealer, overall=2, responded_at=now - timedelta(hours=3))
    SurveyResponseFactory(dealer=dealer, overall=4, nps=5, responded_at=now - timedelta(days=1))
    SurveyResponseFactory(dealer=dealer, overall=4, nps=8, responded_at=now - timedelta(days=1))

    assert hot_alerts_open_recent(now=now) == 2
    assert hot_alerts_open_recent(now=now) == 0
    assert HotAlertCase.objects.count() == 2


def test_the_sweep_leaves_old_and_excluded_responses_alone(dealer):
    now = timezone.now()
    SurveyResponseFactory(dealer=dealer, overall=1, responded_at=now - timedelta(days=15))
    SurveyResponseFactory(dealer=dealer, overall=1, responded_at=now, excluded=True, excluded_reason="test")

    assert hot_alerts_open_recent(now=now) == 0


@pytest.fixture
def case(dealer) -> HotAlertCase:
    response = SurveyResponseFactory(dealer=dealer, overall=1, nps=2, responded_at=timezone.now())
    return hot_alerts_open_for([response], notify=False)[0]


@pytest.mark.parametrize("resolution", ["", "   "])
def test_a_case_cannot_be_closed_without_a_resolution(case, dealer_user, resolution):
    with pytest.raises(SurveyError) as refused:
        hot_alert_close(case, actor=dealer_user, resolution=resolution)

    assert refused.value.message == str(msg.RESOLUTION_REQUIRED)
    case.refresh_from_db()
    assert case.is_open


def test_the_database_also_refuses_a_closed_case_without_resolution(case):
    from django.db import IntegrityError, transaction

    with pytest.raises(IntegrityError), transaction.atomic():
        HotAlertCase.objects.filter(pk=case.pk).update(closed_at=timezone.now())


def test_the_dealer_records_contact_then_closes_with_a_resolution_audited(case, dealer_user):
    contacted = timezone.now() - timedelta(minutes=30)

    hot_alert_contact(
        case, actor=dealer_user, contacted_at=contacted, note="Called, apologised, booked a re-check."
    )
    closed = hot_alert_close(case, actor=dealer_user, resolution="Re-checked the brakes free of charge.")

    assert closed.contacted_at == contacted and closed.contacted_by == dealer_user
    assert not closed.is_open and closed.closed_by == dealer_user
    actions = list(AuditEvent.objects.filter(object_type="hot_alert_case").values_list("action", flat=True))
    assert sorted(actions) == ["hot_alert.closed", "hot_alert.contacted"]


def test_a_closed_case_cannot_be_closed_again(case, dealer_user):
    hot_alert_close(case, actor=dealer_user, resolution="Done.")

    with pytest.raises(SurveyError):
        hot_alert_close(case, actor=dealer_user, resolution="Again.")


def test_the_close_form_shows_the_resolution_error_and_keeps_the_case_open(case, dealer_user):
    page = client_for(dealer_user).post(reverse("surveys:alert_close", args=[case.pk]), {"resolution": ""})

    assert page.status_code == 200
    assert str(msg.RESOLUTION_REQUIRED) in page.content.decode()
    case.refresh_from_db()
    assert case.is_open


def test_the_dealer_closes_the_case_from_its_page(case, dealer_user):
    client = client_for(dealer_user)
    client.post(
        reverse("surveys:alert_contact", args=[case.pk]),
        {"contacted_at": timezone.localtime().strftime("%Y-%m-%dT%H:%M"), "note": "Reached the customer."},
    )

    page = client.post(
        reverse("surveys:alert_close", args=[case.pk]), {"resolution": "Refunded the labour."}, follow=True
    )

    case.refresh_from_db()
    assert not case.is_open and case.resolution == "Refunded the labour."
    assert case.contact_note == "Reached the customer."
    assert b'data-testid="resolution"' in page.content


def test_a_contact_in_the_future_is_refused(case, dealer_user):
    later = timezone.localtime() + timedelta(days=1)

    page = client_for(dealer_user).post(
        reverse("surveys:alert_contact", args=[case.pk]),
        {"contacted_at": later.strftime("%Y-%m-%dT%H:%M"), "note": "Will call."},
    )

    assert str(msg.CONTACT_IN_FUTURE) in page.content.decode()
    case.refresh_from_db()
    assert case.contacted_at is None


def test_hq_sees_open_cases_oldest_first_with_their_age(dealer, far_dealer, hq_manager):
    now = timezone.now()
    young = hot_alerts_open_for(
        [SurveyResponseFactory(dealer=dealer, overall=1, responded_at=now)],
        now=now - timedelta(hours=2),
        notify=False,
    )[0]
    old = hot_alerts_open_for(
        [SurveyResponseFactory(dealer=far_dealer, overall=1, responded_at=now)],
        now=now - timedelta(hours=80),
        notify=False,
    )[0]
    middle = hot_alerts_open_for(
        [SurveyResponseFactory(dealer=dealer, overall=2, responded_at=now)],
        now=now - timedelta(hours=30),
        notify=False,
    )[0]

    page = client_for(hq_manager).get(reverse("surveys:alerts"))

    assert [c.pk for c in page.context["page"].object_list] == [old.pk, middle.pk, young.pk]
    assert [c.age_hours for c in page.context["page"].object_list] == [80, 30, 2]
    assert page.context["buckets"] == {"under_24h": 1, "from_24_to_72h": 1, "over_72h": 1}
