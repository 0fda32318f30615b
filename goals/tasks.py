"""Goal jobs: thin, idempotent, one service each."""

from __future__ import annotations

from celery import shared_task

from .services import goals_remind_at_risk


@shared_task
def remind_goals_at_risk() -> dict[str, int]:
    return goals_remind_at_risk()
