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


@pytest.mark.django_db
def test_month_to_date_is_copied_even_when_last_months_comebacks_fall_into_it_and_only_once(dealer):
    """The demo's generator puts a few comebacks of last month's repairs into the month in
    progress; that is no reason to leave the month otherwise empty (its goals would be judged
    on a handful of orders). A second call copies nothing."""
    from datetime import timedelta

    from goals.demo import seed_month_to_date
    from tests.factories import RepairOrderFactory

    now = timezone.now()
    current = Month.of(now)
    last = current.shift(-1)
    for day in range(3):
        RepairOrderFactory(
            dealer=dealer,
            ro_number=f"GL-LAST-{day}",
            opened_at=last.start + timedelta(days=day, hours=9),
            closed_at=last.start + timedelta(days=day, hours=12),
        )
    RepairOrderFactory(  # a comeback already in the month in progress
        dealer=dealer,
        ro_number="GL-COMEBACK",
        opened_at=current.start + timedelta(minutes=30),
        closed_at=current.start + timedelta(hours=1),
    )
    copied = seed_month_to_date(now)
    elapsed_of_last = [
        d for d in range(3) if last.start + timedelta(days=d, hours=12) < now - (current.start - last.start)
    ]
    assert copied["repair_orders"] == len(elapsed_of_last)
    assert seed_month_to_date(now) == {"repair_orders": 0, "complaints": 0}
