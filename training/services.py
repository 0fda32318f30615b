"""Writes to the technician roster. Views and the import call these; each records an audit event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.db import transaction
from django.db.models import F
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, User

from . import events
from .models import Certification, Technician, TrainingRecord

LEFT_BEFORE_HIRED = _("The leaving date cannot be before the hire date.")
EXPIRES_BEFORE_ISSUED = _("The expiry date cannot be before the issue date.")
ALREADY_LEFT = _("This technician has already left.")


class RosterError(Exception):
    """A roster change the rules refuse; the message is shown to the user."""


def technician_create(
    *, dealer: Dealer, name: str, role: str, hire_date: date, actor: User | None
) -> Technician:
    """Add a technician to the dealer's roster."""
    technician = Technician.objects.create(dealer=dealer, name=name.strip(), role=role, hire_date=hire_date)
    events.technician_saved(actor=actor, technician=technician, before=None)
    return technician


def technician_update(
    *, technician: Technician, name: str, role: str, hire_date: date, actor: User | None
) -> Technician:
    """Correct a technician's name, role or hire date."""
    if technician.left_on and technician.left_on < hire_date:
        raise RosterError(str(LEFT_BEFORE_HIRED))
    before = events.technician_state(technician)
    technician.name, technician.role, technician.hire_date = name.strip(), role, hire_date
    technician.save(update_fields=["name", "role", "hire_date"])
    events.technician_saved(actor=actor, technician=technician, before=before)
    return technician


def technician_mark_left(*, technician: Technician, left_on: date, actor: User | None) -> Technician:
    """Record that a technician left; the record stays for the months they worked."""
    if technician.left_on is not None:
        raise RosterError(str(ALREADY_LEFT))
    if left_on < technician.hire_date:
        raise RosterError(str(LEFT_BEFORE_HIRED))
    technician.left_on = left_on
    technician.save(update_fields=["left_on"])
    events.technician_left(actor=actor, technician=technician)
    return technician


def certification_add(
    *,
    technician: Technician,
    name: str,
    level: str,
    number: str,
    issued_on: date,
    expires_on: date,
    actor: User | None,
) -> Certification:
    """Record a certificate a technician holds."""
    if expires_on < issued_on:
        raise RosterError(str(EXPIRES_BEFORE_ISSUED))
    certification = Certification.objects.create(
        technician=technician,
        name=name.strip(),
        level=level,
        number=number.strip(),
        issued_on=issued_on,
        expires_on=expires_on,
    )
    events.certification_added(actor=actor, certification=certification)
    return certification


def training_add(
    *, technician: Technician, course: str, hours: Decimal, completed_on: date, actor: User | None
) -> TrainingRecord:
    """Record hours a technician spent on a course."""
    training = TrainingRecord.objects.create(
        technician=technician, course=course.strip(), hours=hours, completed_on=completed_on
    )
    events.training_added(actor=actor, training=training)
    return training


@transaction.atomic
def roster_import(*, dealer: Dealer, rows: list, file_name: str, actor: User | None) -> dict[str, int]:
    """Write parsed roster rows (training.importing.RosterRow) for one dealer, all or nothing.

    A technician is found by name on the dealer's roster, else added. A certificate already
    recorded (same technician, name, number, issue date) or a course already recorded (same
    technician, course, completion date) is not added twice, so re-importing an export is harmless.
    """
    counts = {"technicians": 0, "certifications": 0, "training": 0}
    # One technician per name: the one still employed wins over a namesake who left (the
    # departed first, so the employed one, written last, is kept — on every database).
    by_name = {
        t.name: t
        for t in Technician.objects.filter(dealer=dealer).order_by(F("left_on").desc(nulls_last=True), "pk")
    }
    for row in rows:
        technician = by_name.get(row.name)
        if technician is None:
            technician = Technician.objects.create(
                dealer=dealer, name=row.name, role=row.role, hire_date=row.hire_date, left_on=row.left_on
            )
            by_name[row.name] = technician
            counts["technicians"] += 1
        if row.certificate:
            _, created = Certification.objects.get_or_create(
                technician=technician,
                name=row.certificate,
                number=row.certificate_number,
                issued_on=row.issued_on,
                defaults={"level": row.level, "expires_on": row.expires_on},
            )
            counts["certifications"] += int(created)
        if row.course:
            _, created = TrainingRecord.objects.get_or_create(
                technician=technician,
                course=row.course,
                completed_on=row.completed_on,
                defaults={"hours": row.hours},
            )
            counts["training"] += int(created)
    events.roster_imported(actor=actor, dealer=dealer, file_name=file_name, counts=counts)
    return counts
