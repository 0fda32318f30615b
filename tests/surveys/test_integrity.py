"""Integrity: duplicates and suspicious patterns are flagged for HQ; an exclusion is audited and stops counting."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from assessments.choices import PeriodStatus
from assessments.kpis import kpi_measurements
from assessments.periods import Month
from dealers.models import AuditEvent
from surveys import messages as msg
from surveys.choices import FlagKind, FlagStatus
from surveys.models import ResponseFlag, SurveyResponse
from surveys.services import SurveyError, flag_keep, response_exclude, responses_flag
from tests.conftest import client_for
from tests.factories import PeriodFactory, RepairOrderFactory, SurveyResponseFactory, local

from .conftest import GOOD_ANSWERS

pytestmark = pytest.mark.django_db


def kinds(response: SurveyResponse) -> set[str]:
    return set(ResponseFlag.objects.filter(response=response).values_list("kind", flat=True))


def test_a_repair_order_answered_by_import_and_in_the_portal_flags_both(invitation, closed_ro):
    _stored, token = invitation
    imported = SurveyResponseFactory(
        dealer=closed_ro.dealer, repair_order=closed_ro, responded_at=timezone.now()
    )

    Client().post(reverse("survey_answer", args=[token]), GOOD_ANSWERS)

    portal = SurveyResponse.objects.get(source=SurveyResponse.Source.PORTAL)
    assert kinds(imported) == {FlagKind.DUPLICATE} and kinds(portal) == {FlagKind.DUPLICATE}
    flag = ResponseFlag.objects.get(response=portal)
    with override("en"):
        assert flag.describe() == f"Same repair order as {imported.response_id}"


def test_an_import_after_the_portal_answer_is_caught_by_the_check_of_new_responses(dealer):
    ro = RepairOrderFactory(dealer=dealer)
    first = SurveyResponseFactory(dealer=dealer, repair_order=ro)
    second = SurveyResponseFactory(dealer=dealer, repair_order=ro)

    responses_flag([second])
    responses_flag([second])  # idempotent

    assert ResponseFlag.objects.filter(kind=FlagKind.DUPLICATE).count() == 2
    assert kinds(first) == kinds(second) == {FlagKind.DUPLICATE}


def test_five_top_scores_within_ten_minutes_at_one_dealer_are_flagged(dealer, other_dealer):
    start = local("2026-10-12 10:00")
    burst = [
        SurveyResponseFactory(dealer=dealer, overall=5, nps=10, responded_at=start + timedelta(minutes=m))
        for m in (0, 2, 5, 8, 10)
    ]
    elsewhere = SurveyResponseFactory(dealer=other_dealer, overall=5, responded_at=start)
    later = SurveyResponseFactory(dealer=dealer, overall=5, responded_at=start + timedelta(minutes=21))

    responses_flag([*burst, elsewhere, later])

    assert all(kinds(r) == {FlagKind.BURST} for r in burst)
    assert kinds(elsewhere) == set() and kinds(later) == set()


def test_four_top_scores_within_ten_minutes_or_five_over_eleven_are_not_a_burst(dealer):
    start = local("2026-10-12 10:00")
    spread = [
        SurveyResponseFactory(dealer=dealer, overall=5, responded_at=start + timedelta(minutes=m))
        for m in (0, 3, 6, 9, 11)
    ]
    mixed = SurveyResponseFactory(dealer=dealer, overall=5, nps=8, responded_at=start + timedelta(minutes=1))

    responses_flag([*spread, mixed])

    assert not ResponseFlag.objects.exists()


def test_five_top_scores_from_one_device_are_flagged(dealer, invite):
    now = timezone.now()
    client = Client(HTTP_USER_AGENT="advisor-tablet", REMOTE_ADDR="10.0.0.7")
    tokens = []
    for hours in (60, 50, 40, 30, 20):
        ro = RepairOrderFactory(
            dealer=dealer, opened_at=now - timedelta(hours=hours + 5), closed_at=now - timedelta(hours=hours)
        )
        tokens.append(invite(ro)[1])

    for index, token in enumerate(tokens):
        client.post(reverse("survey_answer", args=[token]), GOOD_ANSWERS)
        flagged = ResponseFlag.objects.filter(kind=FlagKind.SAME_DEVICE).count()
        assert flagged == (0 if index < 4 else 5)


def test_top_scores_from_different_devices_are_not_flagged(dealer, invite):
    now = timezone.now()
    for n, hours in enumerate((60, 50, 40, 30, 20)):
        ro = RepairOrderFactory(
            dealer=dealer, opened_at=now - timedelta(hours=hours + 5), closed_at=now - timedelta(hours=hours)
        )
        token = invite(ro)[1]
        Client(HTTP_USER_AGENT=f"phone-{n}").post(reverse("survey_answer", args=[token]), GOOD_ANSWERS)

    assert not ResponseFlag.objects.filter(kind=FlagKind.SAME_DEVICE).exists()


def test_an_exclusion_is_audited_and_removes_the_response_from_csat(dealer, hq_manager):
    PeriodFactory(code="2026-10")
    kept = SurveyResponseFactory(dealer=dealer, overall=5, nps=10)
    doubtful = SurveyResponseFactory(dealer=dealer, overall=1, nps=0)
    month = Month.parse("2026-10")
    assert kpi_measurements(month, [dealer.pk])[dealer.pk].values["csat"] == (50.0, 2)

    response_exclude(doubtful, actor=hq_manager, reason="Filled in by the service advisor.")

    values = kpi_measurements(month, [dealer.pk])[dealer.pk].values
    assert values["csat"] == (100.0, 1) and values["nps"] == (100.0, 1)
    doubtful.refresh_from_db()
    assert doubtful.excluded and doubtful.excluded_by == hq_manager
    event = AuditEvent.objects.get(action="survey_response.excluded")
    assert event.actor == hq_manager and event.object_id == doubtful.response_id and event.dealer == dealer
    assert event.comment == "Filled in by the service advisor."
    assert kept.excluded is False


def test_an_exclusion_queues_a_recompute_of_the_responses_month(
    dealer, hq_manager, monkeypatch, django_capture_on_commit_callbacks
):
    PeriodFactory(code="2026-10")
    queued = []
    monkeypatch.setattr("surveys.services.queue_recompute", lambda periods: queued.append(periods))
    response = SurveyResponseFactory(dealer=dealer)

    with django_capture_on_commit_callbacks(execute=True):
        response_exclude(response, actor=hq_manager, reason="Test drive staff.")

    assert queued == [["2026-10"]]


@pytest.mark.parametrize("reason", ["", "  "])
def test_an_exclusion_needs_a_reason(dealer, hq_manager, reason):
    response = SurveyResponseFactory(dealer=dealer)

    with pytest.raises(SurveyError) as refused:
        response_exclude(response, actor=hq_manager, reason=reason)

    assert refused.value.message == str(msg.REASON_REQUIRED)
    assert not AuditEvent.objects.exists()


def test_a_response_of_a_closed_month_cannot_be_excluded(dealer, hq_manager):
    PeriodFactory(code="2026-10", status=PeriodStatus.CLOSED)
    response = SurveyResponseFactory(dealer=dealer)

    with pytest.raises(SurveyError) as refused:
        response_exclude(response, actor=hq_manager, reason="Too late.")

    assert refused.value.message == str(msg.PERIOD_CLOSED)


def test_excluding_resolves_the_open_flags_and_keeping_a_flag_is_audited(dealer, hq_manager):
    ro = RepairOrderFactory(dealer=dealer)
    first = SurveyResponseFactory(dealer=dealer, repair_order=ro)
    second = SurveyResponseFactory(dealer=dealer, repair_order=ro)
    responses_flag([second])

    response_exclude(second, actor=hq_manager, reason="Duplicate of the vendor's answer.")
    flag_keep(ResponseFlag.objects.get(response=first), actor=hq_manager, note="The genuine one.")

    assert ResponseFlag.objects.get(response=second).status == FlagStatus.EXCLUDED
    assert ResponseFlag.objects.get(response=first).status == FlagStatus.KEPT
    assert AuditEvent.objects.filter(action="survey_flag.kept", actor=hq_manager).count() == 1


def test_hq_excludes_from_the_review_page(dealer, hq_manager):
    ro = RepairOrderFactory(dealer=dealer)
    SurveyResponseFactory(dealer=dealer, repair_order=ro)
    second = SurveyResponseFactory(dealer=dealer, repair_order=ro)
    responses_flag([second])
    client = client_for(hq_manager)
    assert second.response_id.encode() in client.get(reverse("surveys:review")).content

    page = client.post(
        reverse("surveys:response_exclude", args=[second.pk]), {"reason": "Duplicate."}, follow=True
    )

    second.refresh_from_db()
    assert second.excluded and second.excluded_reason == "Duplicate."
    assert str(msg.EXCLUDED_OK % {"response": second.response_id}) in page.content.decode()


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_may_exclude_a_response(cast, dealer, role):
    response = SurveyResponseFactory(dealer=dealer)

    page = client_for(cast[role]).post(
        reverse("surveys:response_exclude", args=[response.pk]), {"reason": "Mine."}
    )

    assert page.status_code == 403
    response.refresh_from_db()
    assert not response.excluded
