"""Monthly submissions through the API: the same transitions and rules as the submission pages."""

from __future__ import annotations

from typing import Any

import pytest

from assessments.api.serializers import CERTIFIED_TOO_MANY, EQUIPMENT_OK_TOO_MANY, RETURN_NEEDS_COMMENT
from assessments.choices import SubmissionStatus
from assessments.models import MonthlySubmission, Period
from dealers.models import AuditEvent
from tests.factories import SubmissionFactory, local

from .conftest import api_client

LIST = "/api/v1/submissions/"
OCTOBER: dict[str, Any] = {
    "period": "2026-10",
    "technicians": 12,
    "certified_technicians": 10,
    "equipment_total": 30,
    "equipment_ok": 28,
    "training_hours": "64.50",
}


def act(client: Any, submission_id: int, name: str, body: dict[str, Any] | None = None) -> Any:
    return client.post(f"{LIST}{submission_id}/{name}/", body or {}, format="json")


def test_draft_submit_return_resubmit_approve(cast, dealer, monkeypatch):
    queued: list[list[str]] = []
    monkeypatch.setattr("assessments.services.submissions.queue_recompute", queued.append)
    dealer_client = api_client(cast["dealer_user"])
    manager = api_client(cast["regional_manager"])

    # given a dealer user's draft
    draft = dealer_client.post(LIST, OCTOBER, format="json")
    assert draft.status_code == 201, draft.content
    sid = draft.json()["id"]
    assert draft.json()["status"] == SubmissionStatus.DRAFT
    assert draft.json()["dealer"] == "GL0001"

    # when it is submitted, HQ returns it with a comment
    submitted = act(dealer_client, sid, "submit")
    returned = act(manager, sid, "return", {"comment": "持证技师人数与培训记录不符"})

    # then the dealer sees the comment, corrects and submits again
    assert submitted.json()["status"] == SubmissionStatus.SUBMITTED
    assert submitted.json()["submitted_at"]
    assert returned.json()["status"] == SubmissionStatus.RETURNED
    assert dealer_client.get(f"{LIST}{sid}/").json()["review_comment"] == "持证技师人数与培训记录不符"
    corrected = dealer_client.post(LIST, {**OCTOBER, "certified_technicians": 8}, format="json")
    assert corrected.status_code == 200
    assert corrected.json()["id"] == sid
    assert corrected.json()["certified_technicians"] == 8
    assert corrected.json()["status"] == SubmissionStatus.RETURNED  # still to be submitted
    assert act(dealer_client, sid, "submit").json()["status"] == SubmissionStatus.SUBMITTED

    # and the regional manager approves, which queues a recompute of the period
    approved = act(manager, sid, "approve", {"comment": "OK"})
    assert approved.status_code == 200
    assert approved.json()["status"] == SubmissionStatus.APPROVED
    assert approved.json()["reviewed_by"] == "east_manager"
    assert queued == [["2026-10"]]
    actions = AuditEvent.objects.filter(object_type="submission", object_id=str(sid)).values_list(
        "action", flat=True
    )
    assert sorted(actions) == sorted(
        [
            "submission.saved",
            "submission.submitted",
            "submission.returned",
            "submission.saved",
            "submission.submitted",
            "submission.approved",
        ]
    )


def test_saving_again_changes_the_same_draft(cast):
    client = api_client(cast["dealer_user"])

    first = client.post(LIST, OCTOBER, format="json")
    second = client.post(LIST, {**OCTOBER, "training_hours": "70"}, format="json")

    assert (first.status_code, second.status_code) == (201, 200)
    assert first.json()["id"] == second.json()["id"]
    assert MonthlySubmission.objects.get().training_hours == 70


def test_a_dealer_user_reports_for_its_own_dealer_only(cast, dealer, other_dealer):
    # A "dealer" in the body is not an input: the dealer is the user's.
    response = api_client(cast["dealer_user"]).post(LIST, {**OCTOBER, "dealer": "GL0002"}, format="json")

    assert response.json()["dealer"] == "GL0001"
    assert not MonthlySubmission.objects.filter(dealer=other_dealer).exists()


@pytest.mark.parametrize(
    ("status", "name"),
    [
        (SubmissionStatus.SUBMITTED, "submit"),
        (SubmissionStatus.APPROVED, "submit"),
        (SubmissionStatus.DRAFT, "approve"),
        (SubmissionStatus.RETURNED, "approve"),
        (SubmissionStatus.APPROVED, "approve"),
        (SubmissionStatus.DRAFT, "return"),
    ],
)
def test_a_transition_from_the_wrong_state_is_a_409(cast, dealer, status, name):
    submission = SubmissionFactory(dealer=dealer, status=status)
    role = "dealer_user" if name == "submit" else "hq_manager"

    response = act(api_client(cast[role]), submission.pk, name, {"comment": "请核对"})

    assert response.status_code == 409
    assert set(response.json()) == {"detail", "errors"}
    assert MonthlySubmission.objects.get(pk=submission.pk).status == status


def test_a_submitted_or_approved_submission_can_no_longer_be_changed(cast, dealer):
    SubmissionFactory(dealer=dealer, period="2026-10", status=SubmissionStatus.SUBMITTED)

    response = api_client(cast["dealer_user"]).post(LIST, OCTOBER, format="json")

    assert response.status_code == 409
    assert MonthlySubmission.objects.get().technicians == 10


def test_a_closed_period_accepts_no_submission_and_no_review(cast, dealer):
    Period.objects.create(code="2026-10", status="closed")
    waiting = SubmissionFactory(dealer=dealer, period="2026-10", status=SubmissionStatus.SUBMITTED)
    dealer_client = api_client(cast["dealer_user"])
    hq = api_client(cast["hq_admin"])

    assert dealer_client.post(LIST, {**OCTOBER}, format="json").status_code == 409
    assert act(hq, waiting.pk, "approve").status_code == 409
    assert act(hq, waiting.pk, "return", {"comment": "x"}).status_code == 409
    assert MonthlySubmission.objects.get(pk=waiting.pk).status == SubmissionStatus.SUBMITTED


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("hq_admin", "submit"),
        ("regional_manager", "submit"),
        ("dealer_user", "approve"),
        ("dealer_user", "return"),
    ],
)
def test_each_role_does_only_its_part(cast, dealer, role, name):
    status = SubmissionStatus.DRAFT if name == "submit" else SubmissionStatus.SUBMITTED
    submission = SubmissionFactory(dealer=dealer, status=status)

    response = act(api_client(cast[role]), submission.pk, name, {"comment": "x"})

    assert response.status_code == 403
    assert MonthlySubmission.objects.get(pk=submission.pk).status == status


@pytest.mark.parametrize("role", ["hq_manager", "hq_admin", "regional_manager"])
def test_managers_do_not_report_for_a_dealer(cast, role):
    assert api_client(cast[role]).post(LIST, OCTOBER, format="json").status_code == 403


@pytest.mark.parametrize(
    ("role", "name"),
    [
        ("other_dealer_user", "submit"),
        ("other_regional_manager", "approve"),
        ("other_regional_manager", "return"),
    ],
)
def test_a_submission_outside_scope_is_404(cast, dealer, role, name):
    status = SubmissionStatus.DRAFT if name == "submit" else SubmissionStatus.SUBMITTED
    submission = SubmissionFactory(dealer=dealer, status=status)

    response = act(api_client(cast[role]), submission.pk, name, {"comment": "x"})

    assert response.status_code == 404
    assert MonthlySubmission.objects.get(pk=submission.pk).status == status


def test_returning_needs_a_comment(cast, dealer):
    submission = SubmissionFactory(dealer=dealer, status=SubmissionStatus.SUBMITTED)

    response = act(api_client(cast["hq_manager"]), submission.pk, "return", {"comment": "   "})

    assert response.status_code == 400
    assert response.json()["errors"]["comment"] == [str(RETURN_NEEDS_COMMENT)]
    assert MonthlySubmission.objects.get(pk=submission.pk).status == SubmissionStatus.SUBMITTED


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"certified_technicians": 13}, "certified_technicians", CERTIFIED_TOO_MANY),
        ({"equipment_ok": 31}, "equipment_ok", EQUIPMENT_OK_TOO_MANY),
        ({"technicians": -1}, "technicians", None),
        ({"technicians": 10**12}, "technicians", None),
        ({"training_hours": "1e400"}, "training_hours", None),
        ({"training_hours": "12.345"}, "training_hours", None),
        ({"period": "2026-13"}, "period", None),
        ({"period": "October"}, "period", None),
        ({"equipment_total": None}, "equipment_total", None),
    ],
)
def test_a_bad_report_is_a_400_next_to_the_field(cast, change, field, message):
    response = api_client(cast["dealer_user"]).post(LIST, {**OCTOBER, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    if message:
        assert response.json()["errors"][field] == [str(message)]
    assert not MonthlySubmission.objects.exists()


def test_a_form_encoded_report_works_too(cast):
    response = api_client(cast["dealer_user"]).post(LIST, OCTOBER)

    assert response.status_code == 201, response.content


def test_the_list_filters_by_period_and_status(cast, dealer, other_dealer):
    SubmissionFactory(dealer=dealer, period="2026-10", status=SubmissionStatus.SUBMITTED)
    SubmissionFactory(dealer=other_dealer, period="2026-10", status=SubmissionStatus.APPROVED)
    SubmissionFactory(dealer=dealer, period="2026-09", status=SubmissionStatus.APPROVED)
    client = api_client(cast["regional_manager"])

    waiting = client.get(LIST, {"period": "2026-10", "status": "submitted"}).json()["results"]

    assert [(s["dealer"], s["period"]) for s in waiting] == [("GL0001", "2026-10")]


# --- the queue -------------------------------------------------------------------------------


@pytest.fixture
def queue_world(dealer, other_dealer, far_dealer):
    """October 2025, due 5 November 2025: GL0001 submitted on time, GL0002 missing, GL0003 approved late."""
    SubmissionFactory(
        dealer=dealer,
        period="2025-10",
        status=SubmissionStatus.SUBMITTED,
        submitted_at=local("2025-11-03 10:00"),
    )
    SubmissionFactory(
        dealer=far_dealer,
        period="2025-10",
        status=SubmissionStatus.APPROVED,
        submitted_at=local("2025-11-09 10:00"),
    )


def queue(client: Any, **params: str) -> list[tuple[str, str, bool]]:
    body = client.get(f"{LIST}queue/", {"period": "2025-10", **params}).json()
    return [(r["dealer"], r["state"], r["late"]) for r in body["results"]]


def test_the_queue_shows_submitted_missing_and_late_in_scope(cast, queue_world, django_assert_num_queries):
    hq = api_client(cast["hq_manager"])

    with django_assert_num_queries(2):  # dealers, their submissions
        everything = queue(hq)

    assert everything == [
        ("GL0001", SubmissionStatus.SUBMITTED, False),
        ("GL0002", "missing", True),
        ("GL0003", SubmissionStatus.APPROVED, True),
    ]
    assert queue(hq, state="missing") == [("GL0002", "missing", True)]
    assert queue(hq, state="late") == [("GL0002", "missing", True)]  # an approved one is no longer waited for
    assert queue(api_client(cast["regional_manager"])) == everything[:2]
    assert queue(api_client(cast["dealer_user"])) == everything[:1]


@pytest.mark.parametrize(
    "params", [{}, {"period": "2026-13"}, {"period": "9999-12"}, {"period": "2026-10", "state": "x"}]
)
def test_the_queue_needs_a_month_and_a_known_state(cast, params):
    response = api_client(cast["hq_admin"]).get(f"{LIST}queue/", params)

    assert response.status_code == 400
    assert set(response.json()["errors"]) <= {"period", "state"}
