"""Reads for the submission queue: who submitted, who is missing, who is late — within the user's scope."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.db.models import Q
from django.utils import timezone

from dealers.choices import DealerStatus
from dealers.models import AuditEvent, Dealer

from ..models import MonthlySubmission
from ..periods import Month
from ..services.submissions import deadline_for, is_late


@dataclass
class QueueRow:
    dealer: Dealer
    submission: MonthlySubmission | None
    late: bool

    @property
    def state(self) -> str:
        return self.submission.status if self.submission else "missing"


def submission_queue(user: Any, period_code: str) -> list[QueueRow]:
    """One row per dealer in scope that should report for the month, with its submission if any."""
    month = Month.parse(period_code)
    dealers = (
        Dealer.objects.for_user(user)
        .exclude(status=DealerStatus.TERMINATED)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=month.last_day))
        .select_related("region")
        .order_by("code")
    )
    submissions = {
        s.dealer_id: s
        for s in MonthlySubmission.objects.for_user(user)
        .filter(period=str(month))
        .select_related("reviewed_by")
    }
    rows = []
    for dealer in dealers:
        s = submissions.get(dealer.pk)
        late = is_late(s) if s else deadline_for(str(month)) < timezone.localdate()
        rows.append(QueueRow(dealer=dealer, submission=s, late=late))
    return rows


def submission_history(submission: MonthlySubmission) -> list[AuditEvent]:
    return list(
        AuditEvent.objects.filter(object_type="submission", object_id=str(submission.pk))
        .select_related("actor")
        .order_by("at", "id")
    )
