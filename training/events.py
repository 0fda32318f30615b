"""Audit events of the technician roster: one typed function per event, called from services."""

from __future__ import annotations

from typing import Any

from dealers.events import record
from dealers.models import Dealer, User

from .models import Certification, Technician, TrainingRecord


def technician_saved(*, actor: User | None, technician: Technician, before: dict[str, Any] | None) -> None:
    record(
        "technician.created" if before is None else "technician.changed",
        actor=actor,
        object_type="technician",
        object_id=technician.pk,
        dealer=technician.dealer,
        before=before,
        after=technician_state(technician),
    )


def technician_left(*, actor: User | None, technician: Technician) -> None:
    record(
        "technician.left",
        actor=actor,
        object_type="technician",
        object_id=technician.pk,
        dealer=technician.dealer,
        before={"left_on": None},
        after={"left_on": str(technician.left_on)},
    )


def certification_added(*, actor: User | None, certification: Certification) -> None:
    record(
        "certification.added",
        actor=actor,
        object_type="technician",
        object_id=certification.technician_id,
        dealer=certification.technician.dealer,
        after={
            "name": certification.name,
            "level": certification.level,
            "number": certification.number,
            "expires_on": str(certification.expires_on),
        },
    )


def training_added(*, actor: User | None, training: TrainingRecord) -> None:
    record(
        "training.added",
        actor=actor,
        object_type="technician",
        object_id=training.technician_id,
        dealer=training.technician.dealer,
        after={"course": training.course, "hours": str(training.hours), "on": str(training.completed_on)},
    )


def roster_imported(*, actor: User | None, dealer: Dealer, file_name: str, counts: dict[str, int]) -> None:
    record(
        "roster.imported",
        actor=actor,
        object_type="dealer",
        object_id=dealer.pk,
        dealer=dealer,
        after=counts,
        comment=file_name,
    )


def technician_state(technician: Technician) -> dict[str, Any]:
    return {
        "name": technician.name,
        "role": technician.role,
        "hire_date": str(technician.hire_date),
        "left_on": str(technician.left_on) if technician.left_on else None,
    }
