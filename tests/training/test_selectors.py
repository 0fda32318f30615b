"""Roster reads: the monthly report's figures and HQ's skill picture, checked against a hand count."""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from django.utils import timezone

from assessments.periods import Month
from tests.factories import CertificationFactory, TechnicianFactory, TrainingRecordFactory
from training.selectors import expiring_certifications, roster_figures, skill_picture


def test_the_roster_figures_count_who_was_employed_and_certified_at_month_end(
    dealer, other_dealer, dealer_user
):
    # Given: in October 2026 — one hired in, one left on the 31st (still employed that day),
    # one left on the 15th, one hired in November; certificates valid / expired / of the leaver.
    staying = TechnicianFactory(dealer=dealer, hire_date=date(2019, 1, 1))
    last_day = TechnicianFactory(dealer=dealer, hire_date=date(2020, 1, 1), left_on=date(2026, 10, 31))
    gone = TechnicianFactory(dealer=dealer, hire_date=date(2020, 1, 1), left_on=date(2026, 10, 15))
    TechnicianFactory(dealer=dealer, hire_date=date(2026, 11, 2))
    CertificationFactory(technician=staying, expires_on=date(2027, 1, 1))
    CertificationFactory(technician=staying, expires_on=date(2028, 1, 1))  # counted once
    CertificationFactory(technician=last_day, expires_on=date(2026, 10, 30))  # expired on the 31st
    CertificationFactory(technician=gone, expires_on=date(2028, 1, 1))
    TrainingRecordFactory(technician=staying, hours=Decimal("8"), completed_on=date(2026, 10, 1))
    TrainingRecordFactory(technician=gone, hours=Decimal("4.5"), completed_on=date(2026, 10, 10))
    TrainingRecordFactory(technician=staying, hours=Decimal("40"), completed_on=date(2026, 9, 30))
    TrainingRecordFactory(
        technician__dealer=other_dealer, hours=Decimal("99"), completed_on=date(2026, 10, 5)
    )

    figures = roster_figures(dealer_user, dealer, Month.parse("2026-10"))

    assert (figures.technicians, figures.certified_technicians) == (2, 1)
    assert figures.training_hours == Decimal("12.5")


def test_the_skill_picture_matches_a_hand_count_by_region_and_city_tier(
    cast, dealer, other_dealer, far_dealer
):
    today = timezone.localdate()
    # 华东: GL0001 (tier of the factory default) 3 technicians, 2 certified; GL0002 1 technician, 0 certified.
    # 华南: GL0003 (tier 1) 2 technicians, 1 certified.
    a = TechnicianFactory(dealer=dealer)
    b = TechnicianFactory(dealer=dealer)
    c = TechnicianFactory(dealer=dealer)
    d = TechnicianFactory(dealer=other_dealer)
    e = TechnicianFactory(dealer=far_dealer)
    TechnicianFactory(dealer=far_dealer)
    TechnicianFactory(dealer=far_dealer, left_on=today - timedelta(days=1))  # not counted
    CertificationFactory(technician=a, expires_on=today)
    CertificationFactory(technician=b, expires_on=today + timedelta(days=400))
    CertificationFactory(technician=c, expires_on=today - timedelta(days=1))  # lapsed
    CertificationFactory(
        technician=d, issued_on=today + timedelta(days=1), expires_on=today + timedelta(days=900)
    )
    CertificationFactory(technician=e)
    TrainingRecordFactory(technician=a, hours=Decimal("10"), completed_on=today - timedelta(days=10))
    TrainingRecordFactory(technician=d, hours=Decimal("20"), completed_on=today - timedelta(days=364))
    TrainingRecordFactory(
        technician=d, hours=Decimal("500"), completed_on=today - timedelta(days=366)
    )  # too old
    TrainingRecordFactory(technician=e, hours=Decimal("6"), completed_on=today)

    picture = skill_picture(cast["hq_manager"], today)

    east, south = picture.by_region
    assert (east.label, east.dealer_count, east.technicians, east.certified) == ("华东", 2, 4, 2)
    assert east.certified_share == Decimal("50.0")
    assert east.hours_per_technician == Decimal("7.5")  # (10 + 20) / 4
    assert (south.label, south.technicians, south.certified, south.hours_per_technician) == (
        "华南",
        2,
        1,
        Decimal("3.0"),
    )
    tiers = {row.label: row for row in picture.by_tier}
    assert tiers["1"].technicians == 2 + (4 if dealer.city_tier == 1 else 0)
    assert picture.total.technicians == 6 and picture.total.certified == 3


def test_a_regional_manager_sees_only_the_skill_picture_of_their_regions(cast, dealer, far_dealer):
    TechnicianFactory(dealer=dealer)
    TechnicianFactory(dealer=far_dealer)

    picture = skill_picture(cast["other_regional_manager"], timezone.localdate())

    assert [row.label for row in picture.by_region] == ["华南"]
    assert picture.total.technicians == 1


def test_expiring_certificates_are_those_of_the_next_60_days_of_employed_technicians(
    cast, dealer, far_dealer
):
    today = timezone.localdate()
    soon = CertificationFactory(technician__dealer=dealer, expires_on=today + timedelta(days=60))
    CertificationFactory(technician__dealer=dealer, expires_on=today + timedelta(days=61))
    CertificationFactory(technician__dealer=dealer, expires_on=today - timedelta(days=1))
    CertificationFactory(
        technician__dealer=dealer,
        technician__left_on=today - timedelta(days=2),
        expires_on=today + timedelta(days=5),
    )
    far = CertificationFactory(technician__dealer=far_dealer, expires_on=today + timedelta(days=3))

    assert list(expiring_certifications(cast["hq_manager"], today)) == [far, soon]
    assert list(expiring_certifications(cast["regional_manager"], today)) == [soon]


def test_service_advisors_are_on_the_roster_but_not_counted_as_technicians(dealer, dealer_user, hq_manager):
    # Given a technician and a certified service advisor who trained in October
    TechnicianFactory(dealer=dealer, hire_date=date(2020, 1, 1))
    advisor = TechnicianFactory(dealer=dealer, hire_date=date(2020, 1, 1), role="service_advisor")
    CertificationFactory(technician=advisor, expires_on=date(2028, 1, 1))
    TrainingRecordFactory(technician=advisor, hours=Decimal("16"), completed_on=date(2026, 10, 5))
    # When the report's figures and the skill picture are read
    figures = roster_figures(dealer_user, dealer, Month.parse("2026-10"))
    picture = skill_picture(hq_manager, date(2026, 10, 31))
    # Then only the technician counts
    assert (figures.technicians, figures.certified_technicians, figures.training_hours) == (
        1,
        0,
        Decimal("0"),
    )
    assert (picture.total.technicians, picture.total.certified) == (1, 0)
