"""Celery task of the import: thin, takes a job id, calls the service."""

from __future__ import annotations

from celery import shared_task
from django.utils import translation

from .importing.service import run_stored_job
from .models import ImportJob


@shared_task(acks_late=True)
def run_import(job_id: int, language: str | None = None) -> str:
    """Run (or preview) a stored upload. Idempotent: a finished job is not run again."""
    job = ImportJob.objects.select_related("user").get(pk=job_id)
    with translation.override(language):
        job = run_stored_job(job, report_progress=True)
    return job.status
