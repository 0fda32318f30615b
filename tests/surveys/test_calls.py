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


# --- the export of the calls made (issue #20) -----------------------------------------------


def _calls_csv(client, **headers) -> list[list[str]]:
    import csv
    import io

    response = client.get(reverse("surveys:calls_export", args=["csv"]), **headers)
    assert response.status_code == 200
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_calls_made_export_in_the_readers_language(closed_ro, hq_manager, hq_admin):
    import io
    from datetime import datetime

    from openpyxl import load_workbook

    followup_call_record(
        closed_ro, actor=hq_manager, outcome=CallOutcome.PROBLEM_FOUND, note="异响", category="quality"
    )
    client = client_for(hq_admin)

    chinese = _calls_csv(client, HTTP_ACCEPT_LANGUAGE="zh-hans")
    xlsx = client.get(reverse("surveys:calls_export", args=["xlsx"]), HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][0] != "Called at" and chinese[1][2] == "GL0001" and chinese[1][6] == "异响"
    assert english[0][:3] == ["Called at", "Region", "Dealer code"]
    assert isinstance(english[1][0], datetime) and english[1][7].startswith("CALL-")
    assert 'data-testid="calls-xlsx"' in client.get(reverse("surveys:calls")).content.decode()


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_exports_the_calls(cast, role):
    assert client_for(cast[role]).get(reverse("surveys:calls_export", args=["csv"])).status_code == 403


def test_the_calls_export_neutralises_a_note_like_a_formula(closed_ro, hq_manager):
    followup_call_record(closed_ro, actor=hq_manager, outcome=CallOutcome.REACHED, note="=1+2")

    rows = _calls_csv(client_for(hq_manager))

    assert rows[1][6] == "'=1+2"


def test_the_calls_export_costs_the_same_queries_for_many_calls(
    dealer, hq_manager, django_assert_max_num_queries
):
    from tests.factories import RepairOrderFactory

    for _ in range(20):
        followup_call_record(
            RepairOrderFactory(dealer=dealer), actor=hq_manager, outcome=CallOutcome.REACHED, note=""
        )
    client = client_for(hq_manager)

    with django_assert_max_num_queries(4):  # session, user, the calls with what they name
        client.get(reverse("surveys:calls_export", args=["xlsx"]))
