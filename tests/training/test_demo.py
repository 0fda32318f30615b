"""The demo roster: every certificate it writes is issued before it expires, whatever the seed."""

from __future__ import annotations

import pytest
from django.db.models import F

from training.demo import seed_roster
from training.models import Certification

from ..factories import DealerFactory


@pytest.mark.django_db
@pytest.mark.parametrize("seed", range(4))
def test_the_demo_roster_writes_valid_certificates_for_any_seed(seed):
    # Given dealers without a monthly report (their rosters are sized at random)
    for _ in range(60):
        DealerFactory()
    # When the roster is seeded (recent hires with lapsed certificates included)
    written = seed_roster(seed=seed)
    # Then every certificate was written, each issued before it expires
    assert written and Certification.objects.exists()
    assert not Certification.objects.filter(issued_on__gte=F("expires_on")).exists()
