"""The demo's goals: met, missed and at risk by construction, whatever the random data."""

from __future__ import annotations

import pytest
from django.utils import timezone

from assessments.models import RepairOrder
from assessments.periods import Month
from dealers.models import User
from goals.choices import GoalKind, MonthStatus
from goals.models import Goal
from goals.selectors import goal_months
from tests.dealers.test_seed_demo import SMALL, seed
from workbench.selectors import workbench_todos


@pytest.mark.django_db
def test_the_demo_has_goals_met_missed_and_at_risk():
    seed(*SMALL)
    current = Month.of(timezone.now())

    level = Goal.objects.get(kpi_code="first_time_fix_rate")
    statuses = {row.status for row in goal_months(level)}
    assert {MonthStatus.MET, MonthStatus.MISSED} <= statuses
    assert level.version == 2  # revised once: the history shows it
    assert Goal.objects.filter(kind=GoalKind.CHANGE, kpi_code="complaint_rate", change_pct=-50).exists()
    if RepairOrder.objects.filter(closed_at__gte=current.start).exists():  # the month has begun
        at_risk = Goal.objects.get(
            current_month=str(current),
            current_status=MonthStatus.AT_RISK,
            kpi_code="complaint_rate",
            group_kind="network",
        )
        hq = User.objects.get(username="hq")
        assert at_risk.owner == hq
        assert any(t.key == "goal_at_risk" for t in workbench_todos(hq))
