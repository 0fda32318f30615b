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


def rectification_task_changed(*, actor: User | None, task: Any, what: str) -> None:
    """A task of a rectification order was added, edited, done or opened again."""
    record(
        "rectification.task_" + what,
        actor=actor,
        object_type="rectification",
        object_id=task.order_id,
        dealer=task.order.dealer,
        after={
            "task": task.pk,
            "title": task.title,
            "owner": task.owner,
            "due": str(task.due_date),
            "status": task.status,
        },
    )


def rectification_evidence_added(*, actor: User | None, evidence: Any) -> None:
    record(
        "rectification.evidence_added",
        actor=actor,
        object_type="rectification",
        object_id=evidence.order_id,
        dealer=evidence.order.dealer,
        after={
            "evidence": evidence.pk,
            "name": evidence.original_name,
            "size": evidence.size,
            "task": evidence.task_id,
        },
    )


def interview_changed(
    *, actor: User | None, interview: Any, what: str, before: dict[str, Any] | None = None
) -> None:
    """An interview record (约谈) was opened by an approval, or recorded by a manager."""
    record(
        "interview." + what,
        actor=actor,
        object_type="interview",
        object_id=interview.pk,
        dealer=interview.dealer,
        before=before,
        after={
            "action": interview.action_id,
            "held_on": str(interview.held_on or ""),
            "attendees": interview.attendees,
            "minutes": interview.minutes,
        },
    )


def rectification_evidence_opened(*, actor: User | None, evidence: Any) -> None:
    """A manager opened an evidence file: the trail shows what was looked at before a verdict."""
    record(
        "rectification.evidence_opened",
        actor=actor,
        object_type="rectification",
        object_id=evidence.order_id,
        dealer=evidence.order.dealer,
        after={"evidence": evidence.pk, "name": evidence.original_name},
    )


def veto_recorded(*, actor: User | None, incident: Any, files: int) -> None:
    record(
        "veto.recorded",
        actor=actor,
        object_type="veto_incident",
        object_id=incident.pk,
        dealer=incident.dealer,
        after={"period": incident.period, "title": incident.title, "evidence_files": files},
        comment=incident.description,
    )
