"""Celery tasks of the assessments app. Thin: they take periods or ids and call one service.

Recompute of a period fans out as a chord: one task per slice of dealers computes KPI
values, then one task scores, ranks and swaps the scorecards in. Requests for the same
period are coalesced: a queued request within the debounce window is not queued twice.
"""

from __future__ import annotations

import logging

from celery import chord, shared_task
from django.core.cache import cache
from django.db import transaction

from .services.recompute import (
    RecomputeBusy,
    RecomputeError,
    open_period_codes,
    recompute_fail,
    recompute_finish,
    recompute_part,
    recompute_start,
)

logger = logging.getLogger(__name__)
COALESCE_SECONDS = 60


def queue_recompute(periods: list[str]) -> None:
    """Ask for a recompute of these periods once the current transaction commits.

    Several imports or approvals within a minute lead to one recompute per period.
    """
    for code in sorted(set(periods)):
        transaction.on_commit(lambda code=code: _enqueue(code))


def _enqueue(period_code: str) -> None:
    if recompute_period.app.conf.task_always_eager:
        recompute_period.apply(args=[period_code])
        return
    # cache.add is atomic: only the first request in the window queues a task.
    if cache.add(f"recompute-queued:{period_code}", 1, timeout=COALESCE_SECONDS):
        recompute_period.apply_async(args=[period_code], countdown=COALESCE_SECONDS)


@shared_task(bind=True, max_retries=20, default_retry_delay=60)
def recompute_period(self, period_code: str) -> int | None:  # type: ignore[no-untyped-def]
    """Fan out one period's recompute over the workers; returns the run id."""
    cache.delete(f"recompute-queued:{period_code}")
    try:
        run, parts = recompute_start(period_code)
    except RecomputeBusy as exc:
        raise self.retry(exc=exc) from exc
    except RecomputeError as exc:
        logger.warning("recompute of %s refused: %s", period_code, exc)
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
    return recompute_finish(run_id).scorecards


@shared_task
def fail_run(run_id: int) -> None:
    recompute_fail(run_id, "a part of the recompute failed")


@shared_task
def recompute_open_periods() -> list[str]:
    """Nightly (02:00 Asia/Shanghai): recompute every open period."""
    codes = open_period_codes()
    for code in codes:
        recompute_period.delay(code)
    return codes
