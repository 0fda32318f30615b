"""Celery tasks of the import: thin, take a job id, call the service; and the imports' share of the sweep."""

from __future__ import annotations

import logging
import threading
from datetime import timedelta

from celery import shared_task
from django.conf import settings
from django.db import connection, transaction
from django.db.models import Q
from django.utils import timezone, translation

from .choices import ImportStatus
from .importing import messages as msg
from .importing.service import run_stored_job, runner_gone
from .models import ImportJob

logger = logging.getLogger(__name__)


@shared_task(acks_late=True)
def run_import(job_id: int, language: str | None = None) -> str:
    """Run (or preview) a stored upload. Idempotent: a finished or live job is not run again."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    with translation.override(language):
        job = run_stored_job(job, report_progress=True)
    return job.status


def enqueue_import(job: ImportJob, language: str | None) -> None:
    """Queue a stored job for a worker once the current transaction commits.

    With the broker down the job stays pending with no `queued_at`; the sweep queues it
    later and the page says it waits for the background service.
    """

    def send() -> None:
        if not run_import.app.conf.task_always_eager:
            try:
                run_import.apply_async(args=[job.pk, language], retry=False)
            except Exception as exc:
                logger.warning("could not queue import %s (%s); the sweep will", job.pk, exc)
                from config.delays import note_delay

                note_delay("import", str(job.pk))
                return
            ImportJob.objects.filter(pk=job.pk, queued_at__isnull=True).update(queued_at=timezone.now())
            return
        ImportJob.objects.filter(pk=job.pk).update(queued_at=timezone.now())
        if settings.IMPORT_IN_PROCESS_THREAD:
            # No broker (the laptop default): a thread of the web process is the worker, so the
            # request answers at once and the page follows the progress like with Celery.
            _start_thread(job.pk, language)
        else:
            run_import.apply(args=[job.pk, language])

    transaction.on_commit(send)


def _start_thread(job_id: int, language: str | None) -> None:
    threading.Thread(
        target=_run_in_thread, args=(job_id, language), name=f"import-{job_id}", daemon=True
    ).start()


def _run_in_thread(job_id: int, language: str | None) -> None:
    try:
        run_import.apply(args=[job_id, language])
    except Exception:
        logger.exception("background import %s failed", job_id)
    finally:
        connection.close()


def stale_after() -> timedelta:
    """A running import shows a sign of life every few seconds (PostgreSQL). SQLite has one
    writer, so there the heartbeat cannot be written while the import's transaction is open:
    the bound is the longest an import may take."""
    if connection.vendor == "postgresql":
        return timedelta(seconds=settings.IMPORT_STALE_SECONDS)
    return timedelta(seconds=settings.CELERY_TASK_TIME_LIMIT)


def imports_sweep() -> dict[str, int]:
    """Fail imports whose worker was lost; queue the ones the broker never got."""
    now = timezone.now()
    stale = now - stale_after()
    running = ImportJob.objects.filter(status=ImportStatus.RUNNING)
    dead = [
        pk for pk, runner in running.exclude(runner="").values_list("pk", "runner") if runner_gone(runner)
    ]
    failed = running.filter(
        Q(heartbeat_at__lt=stale) | Q(heartbeat_at__isnull=True, started_at__lt=stale) | Q(pk__in=dead)
    )
    # PostgreSQL imports in one transaction, which died with its process; SQLite writes chunk by chunk.
    lost = msg.IMPORT_LOST if connection.vendor == "postgresql" else msg.IMPORT_LOST_CHUNKS
    failed_count = failed.update(
        status=ImportStatus.FAILED,
        message=str(lost),
        finished_at=now,
    )
    queued = 0
    pending = ImportJob.objects.filter(status=ImportStatus.PENDING).exclude(upload="")
    if not run_import.app.conf.task_always_eager:
        # Never reached the broker, or reached it and was lost there (Redis restarted without
        # its data): sent again. A job claims itself, so a second delivery does nothing.
        lost_after = settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] + 60
        waiting = pending.filter(
            Q(queued_at__isnull=True, started_at__lt=now - timedelta(seconds=30))
            | Q(queued_at__lt=now - timedelta(seconds=lost_after))
        )
        for job_id in waiting.values_list("pk", flat=True)[:100]:
            try:
                run_import.apply_async(args=[job_id, None], retry=False)
            except Exception as exc:
                logger.warning("could not queue import %s (%s)", job_id, exc)
                break
            ImportJob.objects.filter(pk=job_id).update(queued_at=timezone.now())
            queued += 1
    elif settings.IMPORT_IN_PROCESS_THREAD:
        # The web process that was to run it died before its thread claimed it: another thread.
        for job_id in pending.filter(queued_at__lt=now - timedelta(seconds=60)).values_list("pk", flat=True)[
            :10
        ]:
            ImportJob.objects.filter(pk=job_id).update(queued_at=timezone.now())
            _start_thread(job_id, None)
            queued += 1
    return {"imports_failed": failed_count, "imports_queued": queued}
