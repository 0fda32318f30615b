"""Stored uploads: what the upload page and the API share.

An upload is kept on its ImportJob (the untouched original, downloadable by its uploader
only), then run inline when it is small, or by the Celery task `run_import` after commit
when its estimated rows exceed IMPORT_BACKGROUND_ROWS, with progress on the job. Each user
may start at most IMPORT_UPLOADS_PER_HOUR imports an hour.
"""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from django.conf import settings
from django.utils import timezone, translation

from assessments.choices import ImportStatus
from assessments.models import ImportJob
from dealers.choices import Role

from . import messages as msg
from .service import run_stored_job


def import_job_store(
    *, user: Any, kind: str, upload: Any, dry_run: bool, partial: bool = False, through_api: bool = False
) -> ImportJob:
    """Record an upload and keep its file on the job; a file over the size limit is refused
    with a record, before it is stored."""
    job = ImportJob(
        kind=kind,
        user=user,
        dealer_id=user.dealer_id if user.role == Role.DEALER_USER else None,
        file_name=Path(upload.name).name[:255],
        file_size=upload.size,
        dry_run=dry_run,
        partial=partial,
        through_api=through_api,  # a dealer user's rows then come from its DMS (RecordChannel.DMS_API)
    )
    limit = settings.IMPORT_MAX_FILE_BYTES
    if upload.size > limit:
        job.status = ImportStatus.REJECTED
        job.message = str(msg.FILE_TOO_LARGE) % {"size": f"{upload.size:,}", "limit": f"{limit:,}"}
        job.finished_at = timezone.now()
        job.save()
        return job
    job.upload.save(job.file_name, upload, save=False)
    job.save()
    return job


def import_job_start(job: ImportJob, *, estimated_rows: int | None = None) -> bool:
    """Run a stored job: inline when small, else queue `run_import` after commit.

    Returns True when the job was queued to run in the background.
    """
    if job.status != ImportStatus.PENDING:
        return False  # refused when stored
    if estimated_rows is None:
        estimated_rows = estimate_rows(Path(job.upload.path))
    if estimated_rows <= settings.IMPORT_BACKGROUND_ROWS:
        run_stored_job(job)
        return False
    from assessments.tasks_imports import enqueue_import

    job.rows_total = estimated_rows
    job.save(update_fields=["rows_total"])
    enqueue_import(job, translation.get_language())  # after commit; the sweep if the broker is down
    return True


def estimate_rows(path: Path) -> int:
    """Lines of a CSV (cheap, an upper bound); for XLSX, a rough figure from its size."""
    with path.open("rb") as handle:
        head = handle.read(4)
        if head.startswith(b"PK"):
            return path.stat().st_size // 25
        handle.seek(0)
        return sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 20), b""))


def upload_limit_reached(user: Any) -> bool:
    """Whether `user` has started IMPORT_UPLOADS_PER_HOUR imports in the last hour.

    Counted on the import records themselves, so the limit holds across processes and
    restarts without a shared cache.
    """
    since = timezone.now() - timedelta(hours=1)
    started = ImportJob.objects.filter(user=user, started_at__gte=since).count()
    return started >= settings.IMPORT_UPLOADS_PER_HOUR
