"""Goals for the cast's dealers and regions."""

from __future__ import annotations

from typing import Any

import pytest

from dealers.models import User
from goals.choices import GoalKind, GroupKind
from goals.models import Goal
from goals.services import GoalTerms, goal_create


def make_goal(owner: User, actor: User | None = None, **terms: Any) -> Goal:
    """A saved goal; by default the network's complaint rate ≤ 2.0 over 2026."""
    values: dict[str, Any] = {
        "kpi_code": "complaint_rate",
        "group_kind": GroupKind.NETWORK,
        "month_from": "2026-01",
        "month_to": "2026-12",
        "kind": GoalKind.LEVEL,
        "target": 2.0,
        "owner": owner,
        **terms,
    }
    return goal_create(terms=GoalTerms(**values), actor=actor)


@pytest.fixture
def goals(cast: dict[str, User], dealer, other_dealer, far_dealer, east, south) -> dict[str, Goal]:
    """One goal of each group the scope rules tell apart, by name."""
    hq = cast["hq_manager"]
    return {
        "network": make_goal(hq),
        "east": make_goal(hq, group_kind=GroupKind.REGION, region=east),
        "south": make_goal(hq, group_kind=GroupKind.REGION, region=south),
        "tier2": make_goal(hq, group_kind=GroupKind.CITY_TIER, city_tier=2),
        "GL0001": make_goal(hq, group_kind=GroupKind.DEALER, dealer=dealer),
        "GL0002": make_goal(hq, group_kind=GroupKind.DEALER, dealer=other_dealer),
        "GL0003": make_goal(hq, group_kind=GroupKind.DEALER, dealer=far_dealer),
    }
