"""Asking for a recompute: a durable request in the caller's transaction, a worker nudged after commit.

Every change that can alter a month's scores (an import, an approved report, an upheld
appeal, a veto, a published scheme, a survey answer) calls `queue_recompute` inside the
transaction that makes the change. The request row commits or rolls back with it; once it
commits, `nudge` gets the period's waiting requests run.

Why this lives in the services and sends the task by name: the services of three apps
queue recomputes, and `assessments.tasks` is built on the services (its tasks are thin
wrappers around `services.recompute`). If the services imported the tasks module to reach
`recompute_period`, services and tasks would import each other, and `incentives.services`
(vetoes, appeals) would sit inside the same loop; until now that loop was hidden by imports
inside functions. So the dependency runs one way: tasks → services, and a service asks the
broker for the task by its registered name, as any Celery producer may without importing
the consumer. tests/assessments/test_task_registry.py checks that the name is a task a
worker registers; tests/test_import_cycles.py checks the import graph stays acyclic.
"""

from __future__ import annotations

import logging
from functools import partial

from celery import current_app
from django.conf import settings
from django.db import transaction

from config.delays import note_delay

from .recompute import period_recompute_pending, recompute_request

logger = logging.getLogger(__name__)

RECOMPUTE_TASK = "assessments.tasks.recompute_period"


def queue_recompute(periods: list[str], reason: str = "change") -> list[str]:
    """Ask for a recompute of these months: a durable request now, a worker nudged after commit.

    Call it inside the transaction that changes the data. Returns the months asked for
    (closed months are frozen and never recomputed).
    """
    wanted = recompute_request(periods, reason)
    for code in wanted:
        transaction.on_commit(partial(nudge, code))
    return wanted


def nudge(period_code: str) -> bool:
    """Get the period's waiting requests run: in-process without a broker, else by a worker.

    Never raises: with the broker down the requests wait in the database for the sweep,
    and the user is told the recompute is delayed. Returns whether the nudge went out.
    """
    if current_app.conf.task_always_eager:
        try:
            period_recompute_pending(period_code)
        except Exception:
            logger.exception("in-process recompute of %s failed; its requests wait", period_code)
            note_delay("recompute", period_code)
            return False
        return True
    try:
        current_app.send_task(
            RECOMPUTE_TASK, args=[period_code], countdown=settings.RECOMPUTE_COALESCE_SECONDS, retry=False
        )
    except Exception as exc:
        logger.warning("could not queue the recompute of %s (%s); the sweep will", period_code, exc)
        note_delay("recompute", period_code)
        return False
    return True
