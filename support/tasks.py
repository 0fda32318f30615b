"""Technical support jobs: thin, idempotent, one service each."""

from __future__ import annotations

from celery import shared_task

from .services import cases_escalate_breached


@shared_task
def escalate_breached_cases() -> dict[str, int]:
    return cases_escalate_breached()
