"""Fixtures of the customer-voice tests: recently closed repair orders and their invitations."""

from __future__ import annotations

from collections.abc import Callable
from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import RepairOrder
from dealers.models import Dealer
from surveys.models import SurveyInvitation
from surveys.services import invitations_create_for_closed
from tests.factories import RepairOrderFactory


@pytest.fixture
def closed_ro(dealer: Dealer) -> RepairOrder:
    """A repair order of `dealer` delivered two hours ago."""
    closed = timezone.now() - timedelta(hours=2)
    return RepairOrderFactory(dealer=dealer, opened_at=closed - timedelta(hours=6), closed_at=closed)


@pytest.fixture
def invite() -> Callable[[RepairOrder], tuple[SurveyInvitation, str]]:
    """Invite the customer of a closed repair order; returns the invitation and its token."""

    def make(ro: RepairOrder) -> tuple[SurveyInvitation, str]:
        invitations_create_for_closed(since=ro.closed_at - timedelta(seconds=1))
        invitation = SurveyInvitation.objects.get(repair_order=ro)
        return invitation, invitation.token

    return make


@pytest.fixture
def invitation(closed_ro: RepairOrder, invite) -> tuple[SurveyInvitation, str]:
    return invite(closed_ro)


GOOD_ANSWERS = {
    "reception": "5",
    "diagnosis": "4",
    "repair_quality": "5",
    "attitude": "5",
    "timeliness": "4",
    "overall": "5",
    "nps": "9",
    "comment": "Quick and friendly.",
}
