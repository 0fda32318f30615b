"""Audit events of the incentives app."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import User


def action_changed(*, actor: User | None, action: Any, before: str, comment: str = "") -> None:
    record(
        "incentive.action_" + action.status,
        actor=actor,
        object_type="incentive_action",
        object_id=action.pk,
        dealer=action.dealer,
        before={"status": before},
        after={"status": action.status, "type": action.action_type, "amount": str(action.amount)},
        comment=comment,
    )


def rectification_changed(*, actor: User | None, order: Any, before: str, comment: str = "") -> None:
    record(
        "rectification." + order.status,
        actor=actor,
        object_type="rectification",
        object_id=order.pk,
        dealer=order.dealer,
        before={"status": before},
        after={"status": order.status},
        comment=comment,
    )


def appeal_changed(*, actor: User | None, appeal: Any, before: str | None, comment: str = "") -> None:
    record(
        "appeal." + appeal.status,
        actor=actor,
        object_type="appeal",
        object_id=appeal.pk,
        dealer=appeal.dealer,
        before={"status": before} if before else None,
        after={
            "status": appeal.status,
            "kpi": appeal.kpi_code,
            "correction": appeal.correction,
            "target": appeal.correction_target,
        },
        comment=comment,
    )


def appeal_record_corrected(*, actor: User | None, appeal: Any, contested: Any, comment: str = "") -> None:
    """HQ corrected a record contested by an appeal: which record, before and after."""
    record(
        "appeal.record_corrected",
        actor=actor,
        object_type="appeal",
        object_id=appeal.pk,
        dealer=appeal.dealer,
        before={"record": contested.record_key, "kind": contested.kind, **(contested.before or {})},
        after={
            "record": contested.record_key,
            "kind": contested.kind,
            "correction": contested.correction,
            **(contested.after or {}),
        },
        comment=comment,
    )
