"""Follow-up calls (回访): the call centre records outcomes; a problem found opens a complaint."""

from __future__ import annotations

import pytest
from django.urls import reverse

from assessments.models import Complaint
from dealers.models import AuditEvent
from surveys import messages as msg
from surveys.choices import CallOutcome
from surveys.models import FollowUpCall
from surveys.services import SurveyError, followup_call_record
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize("outcome", [CallOutcome.REACHED, CallOutcome.NOT_REACHED, CallOutcome.SATISFIED])
def test_a_call_without_a_problem_opens_no_complaint(closed_ro, hq_manager, outcome):
    call = followup_call_record(closed_ro, actor=hq_manager, outcome=outcome, note="ok")

    assert call.complaint is None and call.dealer == closed_ro.dealer
    assert not Complaint.objects.exists()
    assert AuditEvent.objects.get().action == "followup_call.recorded"


def test_a_call_that_finds_a_problem_opens_a_complaint_for_the_ros_dealer_now(closed_ro, hq_manager):
    call = followup_call_record(
        closed_ro,
        actor=hq_manager,
        outcome=CallOutcome.PROBLEM_FOUND,
        note="Noise is back.",
        category="quality",
    )

    complaint = Complaint.objects.get()
    assert call.complaint == complaint
    assert complaint.complaint_id == f"CALL-{call.pk}"
    assert complaint.dealer == closed_ro.dealer and complaint.repair_order == closed_ro
    assert complaint.category == "quality" and complaint.description == "Noise is back."
    assert complaint.received_at == call.called_at and complaint.closed_at is None


def test_a_problem_needs_a_complaint_category(closed_ro, hq_manager):
    with pytest.raises(SurveyError) as refused:
        followup_call_record(closed_ro, actor=hq_manager, outcome=CallOutcome.PROBLEM_FOUND, note="?")

    assert refused.value.message == str(msg.CATEGORY_REQUIRED)
    assert not FollowUpCall.objects.exists() and not Complaint.objects.exists()


def test_the_call_centre_finds_the_repair_order_and_records_the_call(closed_ro, hq_admin):
    client = client_for(hq_admin)

    found = client.get(reverse("surveys:calls"), {"dealer": "GL0001", "ro_number": closed_ro.ro_number})
    assert found.status_code == 302 and found["Location"] == reverse(
        "surveys:call_record", args=[closed_ro.pk]
    )

    page = client.post(
        found["Location"], {"outcome": "problem_found", "category": "attitude", "note": "Rude."}, follow=True
    )

    assert "CALL-" in page.content.decode()
    assert FollowUpCall.objects.get().called_by == hq_admin


def test_the_call_form_asks_for_a_category_when_a_problem_was_found(closed_ro, hq_admin):
    page = client_for(hq_admin).post(
        reverse("surveys:call_record", args=[closed_ro.pk]), {"outcome": "problem_found"}
    )

    assert page.status_code == 200
    assert str(msg.CATEGORY_REQUIRED) in page.content.decode()
    assert not FollowUpCall.objects.exists()


def test_an_unknown_repair_order_is_said_plainly(closed_ro, hq_admin):
    page = client_for(hq_admin).get(reverse("surveys:calls"), {"dealer": "GL0001", "ro_number": "NOPE"})

    assert str(msg.RO_NOT_FOUND) in page.content.decode()


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_call_centre_records_calls(cast, closed_ro, role):
    page = client_for(cast[role]).post(
        reverse("surveys:call_record", args=[closed_ro.pk]), {"outcome": "reached"}
    )

    assert page.status_code == 403
    assert not FollowUpCall.objects.exists()
