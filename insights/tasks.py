"""Finding jobs: the nightly analysis fans out one task per detector; thin and idempotent."""

from __future__ import annotations

from typing import Any

from celery import group, shared_task
from django.utils import timezone

from assessments.periods import Month

from .services import analysis_run, reviews_remeasure


def default_month() -> str:
    """The month the nightly run analyses: the last month that has ended."""
    return str(Month.of(timezone.now()).shift(-1))


@shared_task(bind=True)
def analyse_month(self: Any, month: str | None = None) -> dict[str, object]:
    """Fan out: one `run_detector` per kind over the month (each stores its own findings, so
    two workers share the night), and the re-measure of closed findings. The parts go to the
    queue this job came on (a deployment may give the night's work its own queue)."""
    from .detectors import DETECTORS

    month = month or default_month()
    kinds = sorted(DETECTORS)
    parts = [run_detector.si(kind, month) for kind in kinds] + [remeasure_reviews.si()]
    queue = (getattr(self.request, "delivery_info", None) or {}).get("routing_key")
    if queue and not self.request.is_eager:
        parts = [part.set(queue=queue) for part in parts]
    group(parts).apply_async()
    return {"month": month, "detectors": len(kinds)}


@shared_task
def run_detector(kind: str, month: str) -> dict[str, object]:
    from .detectors import DETECTORS

    run = analysis_run(month=month, kind=kind, detect=DETECTORS[kind])
    return {"kind": kind, "month": month, "found": run.found, "new": run.new, "seconds": run.seconds}


@shared_task
def remeasure_reviews() -> int:
    return reviews_remeasure()
