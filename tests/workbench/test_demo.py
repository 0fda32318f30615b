"""The workbench's demo seed: service managers flagged, some items owned and some left unowned."""

from __future__ import annotations

import pytest

from dealers.choices import Role
from dealers.models import User
from surveys.models import HotAlertCase
from tests.factories import UserFactory
from workbench.demo import seed_workbench
from workbench.selectors import workbench_todos

from .helpers import hot_alert, proposal

pytestmark = pytest.mark.django_db


def test_seed_workbench_flags_one_manager_per_dealer_and_owns_part_of_the_items(
    dealer, other_dealer, dealer_user, other_dealer_user, hq_manager
):
    UserFactory(username="zz_second", role=Role.DEALER_USER, dealer=dealer)
    for _ in range(20):
        hot_alert(dealer, hours=30)
        proposal(other_dealer)
    counts = seed_workbench(share=0.5)
    assert User.objects.filter(is_dealer_manager=True).count() == 2
    assert 0 < counts["hot_alert"] < 20 and 0 < counts["proposal"] < 20
    assert not HotAlertCase.objects.filter(owner=other_dealer_user).exists()  # owners can see their items
    boss = User.objects.get(dealer=dealer, is_dealer_manager=True)
    assert "unowned_hot_alert" in [t.key for t in workbench_todos(boss)]
    assert seed_workbench(share=0.5)["hot_alert"] <= 20 - counts["hot_alert"]  # owners already set stay
