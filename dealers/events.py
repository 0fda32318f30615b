"""Audit events of the dealers app: one typed function per event."""

from __future__ import annotations

from typing import Any

from .models import AuditEvent, Dealer, GroupRobot, User


def record(
    action: str,
    *,
    actor: User | None,
    object_type: str,
    object_id: Any,
    dealer: Dealer | None = None,
    before: Any = None,
    after: Any = None,
    comment: str = "",
) -> AuditEvent:
    """Write one audit event. Services call the typed helpers below or this one directly."""
    return AuditEvent.objects.create(
        action=action,
        actor=actor if actor is not None and actor.pk else None,
        object_type=object_type,
        object_id=str(object_id),
        dealer=dealer,
        before=before,
        after=after,
        comment=comment,
    )


def dealer_status_changed(
    *, actor: User | None, dealer: Dealer, before: str, after: str, comment: str = ""
) -> None:
    record(
        "dealer.status_changed",
        actor=actor,
        object_type="dealer",
        object_id=dealer.pk,
        dealer=dealer,
        before={"status": before},
        after={"status": after},
        comment=comment,
    )


def group_robot_added(*, actor: User | None, robot: GroupRobot, after: dict[str, Any]) -> None:
    record(
        "group_robot.added",
        actor=actor,
        object_type="group_robot",
        object_id=robot.pk,
        dealer=robot.dealer,
        after=after,
        comment=robot.region.name if robot.region else "",
    )


def group_robot_changed(
    *, actor: User | None, robot: GroupRobot, before: dict[str, Any], after: dict[str, Any]
) -> None:
    record(
        "group_robot.changed",
        actor=actor,
        object_type="group_robot",
        object_id=robot.pk,
        dealer=robot.dealer,
        before=before,
        after=after,
        comment=robot.region.name if robot.region else "",
    )
