"""Celery tasks of the assessments app. Thin: they take periods or ids and call one service.

A recompute is asked for durably: `services.queueing.queue_recompute` writes a request row
in the caller's transaction (the import, the approval, the upheld appeal) and, once that
commits, nudges a worker by this module's task name (the services never import the tasks).
The worker's run claims every waiting request of its period, fans out as a chord (one task
per slice of dealers computes KPI values, one task scores, ranks and swaps the scorecards
in) and deletes the requests when its cards are in. Nothing is lost
when the broker is down or a worker dies: `sweep_background_work` (every minute) expires
runs whose lease ran out and queues every period whose requests wait, and fails imports
whose worker was lost.

Every task of the app lives in this module or is imported by it, because a worker's
autodiscovery loads `<app>.tasks` only (tests/assessments/test_task_registry.py checks).
"""

from __future__ import annotations

import logging
import time
from datetime import timedelta

from celery import chord, shared_task
from django.conf import settings
from django.db import transaction

from dealers.services import robot_deliveries_sweep

from .models import RecomputeRequest, ScoreRun
from .services.queueing import nudge
from .services.recompute import (
    RecomputeBusy,
    RecomputeRefused,
    RecomputeSuperseded,
    months_with_data_without_period,
    open_period_codes,
    periods_waiting,
    recompute_fail,
    recompute_finish,
    recompute_part,
    recompute_request,
    recompute_start,
    requests_pending,
    runs_expire,
)
from .tasks_imports import imports_sweep, run_import  # noqa: F401 - registered for the workers
from .tasks_submissions import send_submission_reminders  # noqa: F401 - registered for the workers

logger = logging.getLogger(__name__)


@shared_task
def recompute_period(period_code: str) -> int | None:
    """Run a period's waiting recompute requests, fanned out over the workers; returns the run id.

    Several nudges for one period coalesce: the first claims every waiting request, the
    others find none, or find the period busy — and the busy run picks up what arrived
    meanwhile when it finishes.
    """
    if not requests_pending(period_code):
        return None
    # Until its first part starts, the run's parts may wait behind other work in the queue.
    hold = timedelta(
        seconds=max(
            settings.RECOMPUTE_LEASE_SECONDS, settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"]
        )
    )
    try:
        run, parts = recompute_start(period_code, hold=hold)
    except RecomputeBusy:
        return None
    except RecomputeRefused as exc:
        logger.warning("recompute of %s refused: %s", period_code, exc)
        RecomputeRequest.objects.filter(period_code=period_code, run__isnull=True).delete()
        return None
    header = [compute_part.si(run.pk, index, ids) for index, ids in enumerate(parts)]
    callback = finish_run.si(run.pk).on_error(fail_run.si(run.pk))
    chord(header)(callback)
    return run.pk


@shared_task
def compute_part(run_id: int, index: int, dealer_ids: list[int]) -> int:
    recompute_part(run_id, index, dealer_ids)
    return index


@shared_task
def finish_run(run_id: int) -> int:
    period_code = ScoreRun.objects.values_list("period__code", flat=True).get(pk=run_id)
    try:
        scorecards = recompute_finish(run_id).scorecards
    except RecomputeSuperseded:
        scorecards = 0
    if requests_pending(period_code):
        nudge(period_code)  # what arrived while it ran
    return scorecards


@shared_task
def fail_run(run_id: int) -> None:
    recompute_fail(run_id, "a part of the recompute failed")


@shared_task
def recompute_open_periods() -> list[str]:
    """Nightly (02:00 Asia/Shanghai): recompute every open period, and every month with data but no period."""
    codes = sorted(set(open_period_codes()) | set(months_with_data_without_period()))
    with transaction.atomic():
        wanted = recompute_request(codes, "nightly")
    for code in wanted:
        nudge(code)
    return wanted


@shared_task
def sweep_background_work() -> dict[str, int]:
    """Every minute: nothing stays stuck for more than minutes.

    Runs whose worker was lost give their requests back; periods with waiting requests
    (a nudge lost with the broker, a busy period, a superseded run) are queued; imports
    whose worker was lost are failed, imports never queued are queued; group-robot messages
    whose task was lost are queued again.
    """
    expired = runs_expire()
    queued = 0
    for code in periods_waiting():
        queued += nudge(code)
    imports = imports_sweep()
    robots = robot_deliveries_sweep()
    return {"runs_expired": expired, "periods_queued": queued, **imports, "robot_messages_queued": robots}


_last_sweep = 0.0


def sweep_if_due() -> None:
    """Without a broker there is no beat: pages people wait on sweep at most once a minute."""
    global _last_sweep
    if not recompute_period.app.conf.task_always_eager:
        return
    now = time.monotonic()
    if now - _last_sweep < 60:
        return
    _last_sweep = now
    try:
        sweep_background_work()
    except Exception:
        logger.exception("in-process sweep failed")
