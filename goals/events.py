"""Audit events of goals: one typed function per event, called from services."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User


def goal_created(*, actor: User | None, goal: Any, after: dict[str, Any]) -> None:
    record(
        "goal.created", actor=actor, object_type="goal", object_id=goal.pk, dealer=goal.dealer, after=after
    )


def goal_changed(*, actor: User | None, goal: Any, before: dict[str, Any], after: dict[str, Any]) -> None:
    record(
        "goal.changed",
        actor=actor,
        object_type="goal",
        object_id=goal.pk,
        dealer=goal.dealer,
        before=before,
        after={**after, "version": goal.version},
    )
