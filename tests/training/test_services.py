"""Roster writes: each goes through a service, keeps the rules and leaves an audit event."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

import pytest
from django.utils import translation

from dealers.models import AuditEvent
from tests.factories import TechnicianFactory
from training.models import Technician
from training.services import (
    ALREADY_LEFT,
    EXPIRES_BEFORE_ISSUED,
    LEFT_BEFORE_HIRED,
    RosterError,
    certification_add,
    technician_create,
    technician_mark_left,
    technician_update,
    training_add,
)


def test_adding_a_technician_puts_them_on_the_roster_and_in_the_audit_trail(dealer, dealer_user):
    technician = technician_create(
        dealer=dealer, name=" 李娜 ", role="senior_technician", hire_date=date(2021, 5, 1), actor=dealer_user
    )

    assert technician.name == "李娜"
    assert Technician.objects.for_user(dealer_user).get() == technician
    event = AuditEvent.objects.get(action="technician.created")
    assert event.dealer == dealer and event.actor == dealer_user


def test_correcting_a_technician_records_before_and_after(dealer, dealer_user):
    technician = TechnicianFactory(dealer=dealer, name="张伟")

    technician_update(
        technician=technician, name="张玮", role="technician", hire_date=date(2020, 3, 1), actor=dealer_user
    )

    event = AuditEvent.objects.get(action="technician.changed")
    assert (event.before["name"], event.after["name"]) == ("张伟", "张玮")


def test_a_technician_who_left_stays_on_record_with_the_date(dealer, dealer_user):
    technician = TechnicianFactory(dealer=dealer, hire_date=date(2020, 3, 1))

    technician_mark_left(technician=technician, left_on=date(2026, 9, 30), actor=dealer_user)

    technician.refresh_from_db()
    assert technician.left_on == date(2026, 9, 30)
    assert AuditEvent.objects.filter(action="technician.left").exists()


@pytest.mark.parametrize(
    ("left_on", "already_left", "message"),
    [(date(2019, 1, 1), None, LEFT_BEFORE_HIRED), (date(2026, 9, 30), date(2026, 8, 31), ALREADY_LEFT)],
)
def test_leaving_before_hire_or_twice_is_refused(dealer, dealer_user, left_on, already_left, message):
    technician = TechnicianFactory(dealer=dealer, hire_date=date(2020, 3, 1), left_on=already_left)

    with pytest.raises(RosterError, match=str(message)):
        technician_mark_left(technician=technician, left_on=left_on, actor=dealer_user)


def test_a_certificate_cannot_expire_before_it_was_issued(dealer, dealer_user):
    technician = TechnicianFactory(dealer=dealer)

    with pytest.raises(RosterError, match=str(EXPIRES_BEFORE_ISSUED)):
        certification_add(
            technician=technician,
            name="新能源高压电安全作业认证",
            level="senior",
            number="EV2026000001",
            issued_on=date(2026, 1, 1),
            expires_on=date(2025, 12, 31),
            actor=dealer_user,
        )


def test_certificates_and_training_hours_are_added_with_their_events(dealer, dealer_user):
    technician = TechnicianFactory(dealer=dealer)

    certification_add(
        technician=technician,
        name="车辆故障诊断技术认证",
        level="expert",
        number="DG2025000001",
        issued_on=date(2025, 1, 1),
        expires_on=date(2028, 1, 1),
        actor=dealer_user,
    )
    training_add(
        technician=technician,
        course="ADAS标定与检测",
        hours=Decimal("16"),
        completed_on=date(2026, 10, 9),
        actor=dealer_user,
    )

    with translation.override("zh-hans"):
        assert technician.certifications.get().get_level_display() == "专家"
    assert technician.total_training_hours == Decimal("16")
    assert set(AuditEvent.objects.values_list("action", flat=True)) == {
        "certification.added",
        "training.added",
    }
