"""Monthly submissions: draft → submit → return → resubmit → approve, with scope, audit and reminders."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.core import mail
from django.urls import reverse

from assessments.choices import SubmissionStatus
from assessments.models import MonthlySubmission, Scorecard
from assessments.services.recompute import period_close, period_recompute
from assessments.services.submissions import (
    SubmissionData,
    SubmissionError,
    submission_approve,
    submission_return,
    submission_save_draft,
    submission_submit,
)
from assessments.tasks_submissions import send_submission_reminders
from dealers.models import AuditEvent, Notice

from ..conftest import client_for
from ..factories import RepairOrderFactory

GOOD = {
    "technicians": "10",
    "certified_technicians": "8",
    "equipment_total": "20",
    "equipment_ok": "19",
    "training_hours": "40",
}
DATA = SubmissionData(10, 8, 20, 19, Decimal("40"))


def detail(dealer, period="2026-10"):
    return reverse("submissions:detail", args=[period, dealer.code])


@pytest.mark.django_db
def test_the_whole_round_trip_changes_the_base_tier_once_approved(
    dealer, dealer_user, regional_manager, django_capture_on_commit_callbacks
):
    RepairOrderFactory(dealer=dealer)
    period_recompute("2026-10")
    assert Scorecard.objects.get(dealer=dealer).tier_base is None
    dealer_client, manager_client = client_for(dealer_user), client_for(regional_manager)
    # The dealer saves a draft, then submits
    assert (
        dealer_client.post(
            detail(dealer), {**GOOD, "technicians": "14", "certified_technicians": "12", "action": "save"}
        ).status_code
        == 302
    )
    assert (
        dealer_client.post(
            detail(dealer), {**GOOD, "technicians": "14", "certified_technicians": "12", "action": "submit"}
        ).status_code
        == 302
    )
    # The regional manager returns it with a comment; the dealer sees the comment
    manager_client.post(detail(dealer), {"action": "return", "comment": "持证人数与名单不符"})
    page = dealer_client.get(detail(dealer)).content.decode()
    assert "持证人数与名单不符" in page
    # The dealer corrects and resubmits; the manager approves
    dealer_client.post(detail(dealer), {**GOOD, "action": "submit"})
    with django_capture_on_commit_callbacks(execute=True):
        manager_client.post(detail(dealer), {"action": "approve", "comment": ""})
    submission = MonthlySubmission.objects.get(dealer=dealer, period="2026-10")
    assert submission.status == SubmissionStatus.APPROVED and submission.certified_technicians == 8
    # The approval recomputed the period: the base tier now has a score
    assert Scorecard.objects.get(dealer=dealer).tier_base is not None
    actions = list(AuditEvent.objects.filter(object_type="submission").values_list("action", flat=True))
    assert {"submission.saved", "submission.submitted", "submission.returned", "submission.approved"} <= set(
        actions
    )


@pytest.mark.django_db
def test_only_submitted_data_can_be_approved_and_approved_data_is_frozen(dealer, dealer_user, hq_manager):
    draft = submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user)
    with pytest.raises(SubmissionError):
        submission_approve(submission=draft, actor=hq_manager)
    submitted = submission_submit(submission=draft, actor=dealer_user)
    submission_approve(submission=submitted, actor=hq_manager)
    with pytest.raises(SubmissionError):
        submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user)


@pytest.mark.django_db
def test_returning_needs_a_comment(dealer, dealer_user, hq_manager):
    submitted = submission_submit(
        submission=submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user),
        actor=dealer_user,
    )
    with pytest.raises(SubmissionError):
        submission_return(submission=submitted, actor=hq_manager, comment="  ")


@pytest.mark.django_db
def test_a_closed_period_accepts_no_submission(dealer, dealer_user):
    period_close("2026-10")
    with pytest.raises(SubmissionError):
        submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user)
    response = client_for(dealer_user).post(detail(dealer), {**GOOD, "action": "submit"})
    assert response.status_code == 403 and not MonthlySubmission.objects.exists()


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("field", "value"),
    [
        ("certified_technicians", "11"),
        ("equipment_ok", "21"),
        ("technicians", "-1"),
        ("training_hours", "abc"),
    ],
)
def test_the_form_shows_the_error_next_to_the_field_and_saves_nothing(dealer, dealer_user, field, value):
    response = client_for(dealer_user).post(detail(dealer), {**GOOD, field: value, "action": "save"})
    assert response.status_code == 200
    assert "field-error" in response.content.decode()
    assert not MonthlySubmission.objects.exists()


@pytest.mark.django_db
def test_dealer_users_cannot_reach_another_dealers_submission_and_regions_stay_apart(
    cast, other_dealer, far_dealer
):
    assert client_for(cast["dealer_user"]).get(detail(other_dealer)).status_code == 404
    assert (
        client_for(cast["dealer_user"]).post(detail(other_dealer), {**GOOD, "action": "submit"}).status_code
        == 404
    )
    assert client_for(cast["regional_manager"]).get(detail(far_dealer)).status_code == 404
    assert client_for(cast["hq_manager"]).get(detail(far_dealer)).status_code == 200


@pytest.mark.django_db
def test_a_dealer_user_cannot_approve_their_own_submission(dealer, dealer_user):
    submission_submit(
        submission=submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user),
        actor=dealer_user,
    )
    response = client_for(dealer_user).post(detail(dealer), {"action": "approve"})
    assert response.status_code == 403
    assert MonthlySubmission.objects.get().status == SubmissionStatus.SUBMITTED


@pytest.mark.django_db
def test_the_queue_lists_submitted_missing_and_late_within_scope(cast, dealer, dealer_user):
    submission_submit(
        submission=submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user),
        actor=dealer_user,
    )
    url = reverse("submissions:queue") + "?period=2026-10"
    east = client_for(cast["regional_manager"]).get(url)
    assert east.status_code == 200
    codes = [row.dealer.code for row in east.context["rows"]]
    assert codes == ["GL0001", "GL0002"]  # not the 华南 dealer
    assert east.context["counts"]["submitted"] == 1 and east.context["counts"]["missing"] == 1
    assert client_for(cast["hq_manager"]).get(url).context["counts"]["missing"] == 2


@pytest.mark.django_db
def test_reminders_go_to_missing_dealers_before_the_deadline_and_to_hq_the_day_after(
    cast, dealer, dealer_user, other_dealer_user, settings
):
    settings.SUBMISSION_DEADLINE_DAY = 5
    settings.SUBMISSION_REMINDER_DAYS_BEFORE = 2
    dealer_user.email = "d1@example.com"
    dealer_user.save()
    submission_submit(
        submission=submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user),
        actor=dealer_user,
    )
    # Three days before: nothing; two days before: only the dealer that has not submitted
    assert send_submission_reminders("2026-11-02") == 0
    send_submission_reminders("2026-11-03")
    assert list(Notice.objects.values_list("user__username", flat=True)) == ["other_dealer_user"]
    assert mail.outbox == []  # the reminded user has no e-mail address
    # The day after the deadline HQ and the regional managers get a summary
    send_submission_reminders("2026-11-06")
    told = set(Notice.objects.values_list("user__username", flat=True))
    assert {"hq_manager", "hq_admin", "east_manager"} <= told
    assert "south_manager" in told  # 华南's dealer has not submitted either


@pytest.mark.django_db
def test_the_services_check_who_acts_not_only_the_pages(
    dealer, dealer_user, other_dealer_user, other_regional_manager
):
    with pytest.raises(SubmissionError):
        submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=other_dealer_user)
    draft = submission_save_draft(dealer=dealer, period_code="2026-10", data=DATA, actor=dealer_user)
    with pytest.raises(SubmissionError):
        submission_submit(submission=draft, actor=other_dealer_user)
    submitted = submission_submit(submission=draft, actor=dealer_user)
    with pytest.raises(SubmissionError):
        submission_approve(submission=submitted, actor=other_regional_manager)
    with pytest.raises(SubmissionError):
        submission_approve(submission=submitted, actor=dealer_user)


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["9999-12", "1899-01", "2026-13"])
def test_a_month_out_of_range_is_not_found_rather_than_an_error(dealer, dealer_user, hq_manager, period):
    assert (
        client_for(dealer_user).get(reverse("submissions:detail", args=[period, dealer.code])).status_code
        == 404
    )
    assert client_for(hq_manager).get(reverse("submissions:queue") + f"?period={period}").status_code == 404
