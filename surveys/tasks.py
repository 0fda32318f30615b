"""Celery tasks of customer voice. Thin and idempotent: each calls services and reports counts.

- `sweep_customer_voice` (every 10 minutes): invitations for newly closed repair orders,
  hot-alert cases for hot responses that came in by import, and integrity flags on
  responses that arrived since the last sweeps (the portal form does all three at once
  for its own answers).
- `send_daily_clearing_reminders` (08:30 Asia/Shanghai): the 日清 reminders.
"""

from __future__ import annotations

from datetime import timedelta

from celery import shared_task
from django.utils import timezone

from .models import SurveyResponse
from .services import (
    daily_clearing_remind,
    hot_alerts_open_recent,
    invitations_create_for_closed,
    responses_flag,
)

FLAG_LOOKBACK = timedelta(hours=2)  # several sweeps' worth: a late or missed run loses nothing
FLAG_BATCH = 5000


@shared_task
def sweep_customer_voice() -> dict[str, int]:
    now = timezone.now()
    invited = invitations_create_for_closed(now=now)
    opened = hot_alerts_open_recent(now=now)
    flagged = 0
    arrived = SurveyResponse.objects.filter(imported_at__gte=now - FLAG_LOOKBACK, excluded=False).order_by(
        "pk"
    )
    last_pk = 0
    while True:
        batch = list(arrived.filter(pk__gt=last_pk)[:FLAG_BATCH])
        if not batch:
            break
        flagged += responses_flag(batch, now=now)
        last_pk = batch[-1].pk
    return {"invitations": invited, "hot_alerts": opened, "flags": flagged}


@shared_task
def send_daily_clearing_reminders() -> dict[str, int]:
    return daily_clearing_remind()
