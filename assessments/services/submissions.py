"""Monthly submissions: a dealer drafts and submits; HQ or the region's manager approves or returns.

draft → submitted → approved, or submitted → returned → (corrected) → submitted … Only an
approved submission feeds the base tier; approving one queues a recompute of its period.
Every transition is audited with who, when and the comment.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.events import record
from dealers.models import Dealer, User

from ..choices import PeriodStatus, SubmissionStatus
from ..models import MonthlySubmission, Period
from ..periods import Month
from .queueing import queue_recompute

EDITABLE = (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED)


class SubmissionError(Exception):
    """A transition that is not allowed; the message is for the user."""


@dataclass(frozen=True)
class SubmissionData:
    technicians: int
    certified_technicians: int
    equipment_total: int
    equipment_ok: int
    training_hours: Decimal


def deadline_for(period_code: str) -> date:
    """The day a period's submission is due: SUBMISSION_DEADLINE_DAY of the next month."""
    nxt = Month.parse(period_code).shift(1)
    return date(nxt.year, nxt.month, settings.SUBMISSION_DEADLINE_DAY)


def is_late(submission: MonthlySubmission) -> bool:
    if submission.submitted_at is None:
        return timezone.localdate() > deadline_for(submission.period)
    return timezone.localtime(submission.submitted_at).date() > deadline_for(submission.period)


def _ensure_open(period_code: str) -> None:
    if Period.objects.filter(code=period_code, status=PeriodStatus.CLOSED).exists():
        raise SubmissionError(
            _("Period %(period)s is closed; it accepts no submission.") % {"period": period_code}
        )


def _snapshot(s: MonthlySubmission) -> dict[str, Any]:
    return {
        "status": s.status,
        "technicians": s.technicians,
        "certified_technicians": s.certified_technicians,
        "equipment_total": s.equipment_total,
        "equipment_ok": s.equipment_ok,
        "training_hours": str(s.training_hours),
    }


def _audit(
    action: str, s: MonthlySubmission, actor: User | None, before: dict[str, Any] | None, comment: str = ""
) -> None:
    record(
        f"submission.{action}",
        actor=actor,
        object_type="submission",
        object_id=s.pk,
        dealer=s.dealer,
        before=before,
        after=_snapshot(s),
        comment=comment,
    )


def _ensure_dealer_user_of(actor: User, dealer_id: int) -> None:
    if not (actor.is_dealer_user and actor.dealer_id == dealer_id):
        raise SubmissionError(_("Only the dealer's own users report and submit its monthly data."))


def _ensure_reviewer_of(actor: User, submission: MonthlySubmission) -> None:
    if not (actor.is_manager and MonthlySubmission.objects.for_user(actor).filter(pk=submission.pk).exists()):
        raise SubmissionError(_("Only HQ or the region's manager reviews this submission."))


def submission_save_draft(
    *, dealer: Dealer, period_code: str, data: SubmissionData, actor: User
) -> MonthlySubmission:
    """Create or change the dealer's draft for a month (also after it was returned)."""
    _ensure_dealer_user_of(actor, dealer.pk)
    period_code = str(Month.parse(period_code))
    _ensure_open(period_code)
    with transaction.atomic():
        submission = (
            MonthlySubmission.objects.select_for_update().filter(dealer=dealer, period=period_code).first()
        )
        before = _snapshot(submission) if submission else None
        if submission is not None and submission.status not in EDITABLE:
            raise SubmissionError(
                _("This submission is %(status)s and can no longer be changed.")
                % {"status": submission.get_status_display()}
            )
        if submission is None:
            submission = MonthlySubmission(dealer=dealer, period=period_code, status=SubmissionStatus.DRAFT)
        for field, value in data.__dict__.items():
            setattr(submission, field, value)
        submission.save()
        _audit("saved", submission, actor, before)
    return submission


def submission_submit(*, submission: MonthlySubmission, actor: User) -> MonthlySubmission:
    _ensure_dealer_user_of(actor, submission.dealer_id)
    _ensure_open(submission.period)
    with transaction.atomic():
        locked = MonthlySubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status not in EDITABLE:
            raise SubmissionError(_("Only a draft or a returned submission can be submitted."))
        before = _snapshot(locked)
        locked.status = SubmissionStatus.SUBMITTED
        locked.submitted_at = timezone.now()
        locked.save(update_fields=["status", "submitted_at"])
        _audit("submitted", locked, actor, before)
    return locked


def submission_approve(*, submission: MonthlySubmission, actor: User, comment: str = "") -> MonthlySubmission:
    _ensure_reviewer_of(actor, submission)
    _ensure_open(submission.period)
    with transaction.atomic():
        locked = MonthlySubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != SubmissionStatus.SUBMITTED:
            raise SubmissionError(_("Only a submitted submission can be approved."))
        before = _snapshot(locked)
        locked.status = SubmissionStatus.APPROVED
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.review_comment = comment
        locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment"])
        _audit("approved", locked, actor, before, comment)
        queue_recompute([locked.period])
    return locked


def submission_return(*, submission: MonthlySubmission, actor: User, comment: str) -> MonthlySubmission:
    if not comment.strip():
        raise SubmissionError(_("Say what needs correcting when returning a submission."))
    _ensure_reviewer_of(actor, submission)
    _ensure_open(submission.period)
    with transaction.atomic():
        locked = MonthlySubmission.objects.select_for_update().get(pk=submission.pk)
        if locked.status != SubmissionStatus.SUBMITTED:
            raise SubmissionError(_("Only a submitted submission can be returned."))
        before = _snapshot(locked)
        locked.status = SubmissionStatus.RETURNED
        locked.reviewed_at = timezone.now()
        locked.reviewed_by = actor
        locked.review_comment = comment.strip()
        locked.save(update_fields=["status", "reviewed_at", "reviewed_by", "review_comment"])
        _audit("returned", locked, actor, before, comment)
    return locked
