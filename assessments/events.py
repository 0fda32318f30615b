"""Audit events of the assessments app: one typed function per event."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User


def scheme_created(*, actor: User | None, scheme: Any, after: dict[str, Any]) -> None:
    record("scheme.created", actor=actor, object_type="scheme", object_id=scheme.pk, after=after)


def scheme_changed(*, actor: User | None, scheme: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    record(
        "scheme.changed", actor=actor, object_type="scheme", object_id=scheme.pk, before=before, after=after
    )


def scheme_deleted(*, actor: User | None, scheme: Any, before: dict[str, Any]) -> None:
    record("scheme.deleted", actor=actor, object_type="scheme", object_id=scheme.pk, before=before)


def scheme_published(*, actor: User | None, scheme: Any) -> None:
    record(
        "scheme.published",
        actor=actor,
        object_type="scheme",
        object_id=scheme.pk,
        before={"status": "draft"},
        after={"status": "published", "effective_from": scheme.effective_from},
    )


def period_closed(*, actor: User | None, period: Any) -> None:
    record(
        "period.closed",
        actor=actor,
        object_type="period",
        object_id=period.code,
        before={"status": "open"},
        after={"status": "closed"},
    )


def period_recomputed(*, actor: User | None, period: Any, scorecards: int, run_id: int) -> None:
    record(
        "period.recomputed",
        actor=actor,
        object_type="period",
        object_id=period.code,
        after={"scorecards": scorecards, "run": run_id},
    )


def import_finished(*, actor: User | None, job: Any) -> None:
    record(
        "import.finished",
        actor=actor,
        object_type="import",
        object_id=job.pk,
        dealer=job.dealer,
        after={
            "kind": job.kind,
            "file": job.file_name,
            "status": job.status,
            "created": job.created,
            "updated": job.updated,
            "unchanged": job.unchanged,
            "rejected": job.rejected,
        },
    )
