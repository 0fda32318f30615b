"""The monthly report takes its technician counts from the roster; HQ sees where they differ."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.urls import reverse

from assessments.choices import SubmissionStatus
from tests.conftest import client_for
from tests.factories import CertificationFactory, SubmissionFactory, TechnicianFactory, TrainingRecordFactory


def roster_of_three(dealer):
    """Three employed at the end of October 2026, two certified, 12.5 hours in October."""
    first, second, _third = (TechnicianFactory(dealer=dealer, hire_date=date(2020, 1, 1)) for _ in range(3))
    CertificationFactory(technician=first, expires_on=date(2027, 1, 1))
    CertificationFactory(technician=second, expires_on=date(2026, 12, 31))
    TrainingRecordFactory(technician=first, hours=Decimal("8"), completed_on=date(2026, 10, 3))
    TrainingRecordFactory(technician=second, hours=Decimal("4.5"), completed_on=date(2026, 10, 30))


def test_a_new_report_is_prefilled_from_the_roster_with_a_note(dealer, dealer_user):
    roster_of_three(dealer)

    response = client_for(dealer_user).get(reverse("submissions:detail", args=["2026-10", dealer.code]))

    form = response.context["form"]
    assert form.initial["technicians"] == 3
    assert form.initial["certified_technicians"] == 2
    assert form.initial["training_hours"] == Decimal("12.5")
    assert 'data-testid="roster-prefill"' in response.content.decode()


def test_a_saved_report_keeps_its_own_figures(dealer, dealer_user):
    roster_of_three(dealer)
    SubmissionFactory(
        dealer=dealer, period="2026-10", status=SubmissionStatus.DRAFT, technicians=7, certified_technicians=6
    )

    response = client_for(dealer_user).get(reverse("submissions:detail", args=["2026-10", dealer.code]))

    assert response.context["form"].initial["technicians"] == 7
    assert 'data-testid="roster-prefill"' not in response.content.decode()


def test_hq_sees_the_roster_beside_each_count_and_a_flag_where_they_differ(cast, dealer):
    roster_of_three(dealer)
    SubmissionFactory(
        dealer=dealer,
        period="2026-10",
        status=SubmissionStatus.SUBMITTED,
        technicians=5,
        certified_technicians=2,
        training_hours=Decimal("12.50"),
    )

    response = client_for(cast["hq_manager"]).get(
        reverse("submissions:detail", args=["2026-10", dealer.code])
    )

    page = response.content.decode()
    checks = response.context["roster"]
    assert (checks["technicians"].roster, checks["technicians"].differs) == (3, True)
    assert checks["certified_technicians"].differs is False
    assert checks["training_hours"].differs is False
    assert 'data-testid="roster-differs-technicians"' in page
    assert 'data-testid="roster-differs-certified_technicians"' not in page
    assert 'data-testid="roster-training_hours"' in page


def test_a_regional_manager_of_another_region_cannot_open_the_report(cast, dealer):
    SubmissionFactory(dealer=dealer, period="2026-10", status=SubmissionStatus.SUBMITTED)

    response = client_for(cast["other_regional_manager"]).get(
        reverse("submissions:detail", args=["2026-10", dealer.code])
    )

    assert response.status_code == 404


def test_a_dealer_without_a_roster_gets_an_empty_report_not_one_of_zeros(dealer, dealer_user):
    response = client_for(dealer_user).get(reverse("submissions:detail", args=["2026-10", dealer.code]))

    assert response.context["form"].initial.get("technicians") in (None, "")
    assert 'data-testid="roster-prefill"' not in response.content.decode()
