"""Audit events of findings: one typed function per event, called from services."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User


def _record(action: str, actor: User | None, finding: Any, after: dict[str, Any], before: Any = None) -> None:
    record(
        action,
        actor=actor,
        object_type="finding",
        object_id=finding.pk,
        dealer=finding.dealer,
        before=before,
        after=after,
    )


def finding_dismissed(*, actor: User, finding: Any, reason: str) -> None:
    _record("finding.dismissed", actor, finding, {"status": finding.status, "reason": reason})


def finding_opened(*, actor: User, finding: Any, before: dict[str, Any]) -> None:
    _record(
        "finding.opened",
        actor,
        finding,
        {"status": finding.status, "owner": finding.owner_id, "due": str(finding.due_date)},
        before,
    )


def finding_closed(*, actor: User, finding: Any, review: Any) -> None:
    _record(
        "finding.closed",
        actor,
        finding,
        {
            "status": finding.status,
            "root_cause": review.root_cause,
            "countermeasure": review.countermeasure,
            "lesson": review.lesson,
            "dealers_told": sorted(review.notified_dealers.values_list("code", flat=True)),
            "regions_told": sorted(review.notified_regions.values_list("name", flat=True)),
        },
    )
