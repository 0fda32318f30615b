"""Daily submission reminders (beat, 09:00 Asia/Shanghai)."""

from __future__ import annotations

from datetime import date, timedelta

from celery import shared_task
from django.conf import settings
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.choices import DealerStatus, Role
from dealers.models import Dealer, User
from dealers.services import notice_send

from .choices import SubmissionStatus
from .models import MonthlySubmission
from .periods import Month
from .services.submissions import deadline_for


def dealers_missing(period_code: str) -> list[Dealer]:
    """Dealers that should report for the month and have not submitted (or were returned)."""
    month = Month.parse(period_code)
    done = MonthlySubmission.objects.filter(
        period=period_code, status__in=[SubmissionStatus.SUBMITTED, SubmissionStatus.APPROVED]
    ).values("dealer_id")
    return list(
        Dealer.objects.exclude(status=DealerStatus.TERMINATED)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=month.last_day))
        .exclude(pk__in=done)
        .select_related("region")
    )


@shared_task
def send_submission_reminders(today_iso: str | None = None) -> int:
    """A few days before the deadline remind dealers; the day after, tell HQ and regions who is missing."""
    today = date.fromisoformat(today_iso) if today_iso else timezone.localdate()
    period = str(Month.of(today).shift(-1))
    deadline = deadline_for(period)
    sent = 0
    if today == deadline - timedelta(days=settings.SUBMISSION_REMINDER_DAYS_BEFORE):
        for dealer in dealers_missing(period):
            url = reverse("submissions:detail", args=[period, dealer.code])
            text = _("Your monthly submission for %(period)s is due by %(deadline)s.") % {
                "period": period,
                "deadline": deadline.isoformat(),
            }
            sent += notice_send(
                users=dealer.users.filter(is_active=True), text=text, url=url, email_subject=text
            )
    elif today == deadline + timedelta(days=1):
        missing = dealers_missing(period)
        url = reverse("submissions:queue") + f"?period={period}&state=missing"
        text = _("%(n)s dealers have not submitted for %(period)s.") % {"n": len(missing), "period": period}
        hq = User.objects.filter(is_active=True, role__in=[Role.HQ_ADMIN, Role.HQ_MANAGER])
        sent += notice_send(users=hq, text=text, url=url, email_subject=text)
        for manager in User.objects.filter(is_active=True, role=Role.REGIONAL_MANAGER).prefetch_related(
            "regions"
        ):
            regions = set(manager.regions.all())
            own = [d for d in missing if d.region in regions]
            if own:
                regional = _("%(n)s dealers in your regions have not submitted for %(period)s.") % {
                    "n": len(own),
                    "period": period,
                }
                sent += notice_send(users=[manager], text=regional, url=url, email_subject=regional)
    return sent
