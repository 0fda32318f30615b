"""Audit events of the workbench: one typed function per event."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User


def owner_assigned(
    *, actor: User | None, kind: str, item: Any, before: User | None, after: User | None
) -> None:
    record(
        "owner.assigned",
        actor=actor,
        object_type=kind,
        object_id=item.pk,
        dealer=getattr(item, "dealer", None),
        before={"owner": before.username if before else None, "owner_id": before.pk if before else None},
        after={"owner": after.username if after else None, "owner_id": after.pk if after else None},
    )
