"""The demo's goals: network goals that are met, missed and at risk by construction.

Targets are set from the figures the demo produced, so each status holds whatever the
random data: a level goal at the median of six ended months (met about half the time,
missed the rest), "complaint_rate −50 % against last year" over the last months (needs a
year of history before them), an at-risk goal and an on-track goal for the month in
progress, a goal of the 华东 region owned by its regional manager, and one of dealer1's
dealer. The month in progress needs month-to-date data: the demo's months are complete
ones, so the days of the month in progress that have passed get a copy of the same days
of the month before (repair orders and the complaints closed by now), bulk-written.
"""

from __future__ import annotations

import statistics
from dataclasses import replace
from datetime import datetime
from typing import Any

from django.db.models import Model
from django.utils import timezone

from assessments.importing.writing import bulk_insert
from assessments.models import Complaint, RepairOrder, Scorecard
from assessments.periods import Month
from dealers.models import Region, User

from .choices import GoalKind, GroupKind
from .models import Goal
from .projection import project
from .selectors import FigureCache, goal_actuals, month_to_date
from .services import GoalTerms, goal_create, goal_revise, goals_check_current

# The month-to-date copies' numbers start with it (real ones start with the dealer code).
COPY_PREFIX = "M"


def _copy_rows(model: type[Model], rows: list[dict[str, Any]], shift: Any, prefix: str, key: str) -> int:
    objs = []
    for row in rows:
        for name, value in list(row.items()):
            if isinstance(value, datetime):
                row[name] = value + shift
        row[key] = f"{prefix}{row[key]}"[:40]
        objs.append(model(**row))
    bulk_insert(model, objs)
    return len(objs)


def seed_month_to_date(now: datetime) -> dict[str, int]:
    """Copy the elapsed days of last month into the month in progress (none if copied before).

    The month in progress may already hold a few repair orders (last month's comebacks), so
    what marks an earlier copy is the copies' own prefix."""
    current = Month.of(now)
    last = current.shift(-1)
    if RepairOrder.objects.filter(closed_at__gte=current.start, ro_number__startswith=COPY_PREFIX).exists():
        return {"repair_orders": 0, "complaints": 0}
    shift = current.start - last.start
    until = now - shift  # the same moment, a month earlier
    ro_fields = [f.attname for f in RepairOrder._meta.concrete_fields if not f.primary_key]
    ros = list(RepairOrder.objects.filter(closed_at__gte=last.start, closed_at__lt=until).values(*ro_fields))
    for row in ros:
        row["vin"] = "M" + row["vin"][1:]  # another car: the copy is no comeback of the original
    c_fields = [f.attname for f in Complaint._meta.concrete_fields if not f.primary_key]
    complaints = list(
        Complaint.objects.filter(
            received_at__gte=last.start, received_at__lt=until, closed_at__lt=until
        ).values(*c_fields)
    )
    for row in complaints:
        row["repair_order_id"] = None
        row["owner_id"] = None
    return {
        "repair_orders": _copy_rows(RepairOrder, ros, shift, COPY_PREFIX, "ro_number"),
        "complaints": _copy_rows(Complaint, complaints, shift, COPY_PREFIX, "complaint_id"),
    }


def _network(kpi: str, months: list[Month], cache: FigureCache, now: datetime) -> dict[Month, Any]:
    probe = Goal(kpi_code=kpi, group_kind=GroupKind.NETWORK)
    return goal_actuals(probe, months, now=now, cache=cache)


def seed_goals(now: datetime | None = None) -> dict[str, int]:
    """The demo's goals (see the module docstring); the month in progress checked at the end."""
    now = now or timezone.now()
    copied = seed_month_to_date(now)
    admin, hq, east = (User.objects.get(username=name) for name in ("admin", "hq", "east"))
    scored = sorted(
        {Month.parse(c) for c in Scorecard.objects.values_list("period__code", flat=True).distinct()}
    )
    current = Month.of(now)
    ended = [m for m in scored if m < current][-6:]
    cache = FigureCache()
    made = []

    # Met about half the months, missed the rest: the target is the median of the six actuals.
    fix = _network("first_time_fix_rate", ended, cache, now)
    values = [v for v, _n in fix.values() if v is not None]
    if values:
        target = round(statistics.median(values), 2)
        first = GoalTerms(
            kpi_code="first_time_fix_rate",
            group_kind=GroupKind.NETWORK,
            month_from=str(ended[0]),
            month_to=str(ended[-1]),
            kind=GoalKind.LEVEL,
            target=target - 1,
            owner=hq,
            note="一次性修复率：全网目标（演示）",
        )
        goal = goal_create(terms=first, actor=admin)
        # Revised once: the version history shows who raised the target, and when.
        raised = replace(first, target=target, note="一次性修复率：全网目标，按上半年中位数上调（演示）")
        goal = goal_revise(goal=goal, terms=raised, actor=admin)
        made.append(goal)

    # Complaints down 50 % against the same months a year earlier (the head of after-sales' goal).
    made.append(
        goal_create(
            terms=GoalTerms(
                kpi_code="complaint_rate",
                group_kind=GroupKind.NETWORK,
                month_from=str(ended[0]),
                month_to=str(current),
                kind=GoalKind.CHANGE,
                change_pct=-50,
                owner=hq,
                note="客诉率同比下降 50%",
            ),
            actor=admin,
        )
    )

    # The month in progress: one goal at risk (target below the projection), one on track.
    probe = Goal(kpi_code="complaint_rate", group_kind=GroupKind.NETWORK)
    (rate, n), _spread = month_to_date(probe, current, cache)
    if rate is not None and n > 0:
        # At risk by construction: the target (no worse than the last ended month, at most 90 %
        # of the interval's upper end) lies below the upper end of the projection's interval.
        projected = project("per_mille", rate, n, elapsed_days=1, days_in_month=1)
        last_month = (
            _network("complaint_rate", ended[-1:], cache, now).get(ended[-1], (None, 0))[0] if ended else None
        )
        ceiling = projected.high * 0.9 if last_month is None else min(last_month, projected.high * 0.9)
        made.append(
            goal_create(
                terms=GoalTerms(
                    kpi_code="complaint_rate",
                    group_kind=GroupKind.NETWORK,
                    month_from=str(current),
                    month_to=str(current.shift(2)),
                    kind=GoalKind.LEVEL,
                    target=round(ceiling, 2),
                    owner=hq,
                    note="本季度客诉率上限（演示：本月有超标风险）",
                ),
                actor=admin,
            )
        )
    probe = Goal(kpi_code="repair_count", group_kind=GroupKind.NETWORK)
    (count, n), _spread = month_to_date(probe, current, cache)
    if count:
        elapsed = max((now - current.start).total_seconds() / 86400, 1e-9)
        days = (current.end - current.start).days
        made.append(
            goal_create(
                terms=GoalTerms(
                    kpi_code="repair_count",
                    group_kind=GroupKind.NETWORK,
                    month_from=str(current),
                    month_to=str(current),
                    kind=GoalKind.LEVEL,
                    target=float(int(count * days / elapsed * 0.8)),
                    owner=hq,
                    note="本月维修台次（演示：按进度可达成）",
                ),
                actor=admin,
            )
        )

    # A region's goal, owned by its regional manager; and one dealer's goal, which its users see.
    region = Region.objects.filter(name="华东").first()
    if region is not None and ended:
        region_probe = Goal(kpi_code="csat", group_kind=GroupKind.REGION, region=region)
        csat = [
            v
            for v, _n in goal_actuals(region_probe, ended[-3:], now=now, cache=cache).values()
            if v is not None
        ]
        if csat:
            made.append(
                goal_create(
                    terms=GoalTerms(
                        kpi_code="csat",
                        group_kind=GroupKind.REGION,
                        region=region,
                        month_from=str(ended[-3:][0]),
                        month_to=str(current),
                        kind=GoalKind.LEVEL,
                        target=round(min(csat) - 1, 1),
                        owner=east,
                        note="华东客户满意度底线",
                    ),
                    actor=admin,
                )
            )
    dealer_user = User.objects.filter(username="dealer1").select_related("dealer").first()
    if dealer_user is not None and dealer_user.dealer is not None and ended:
        made.append(
            goal_create(
                terms=GoalTerms(
                    kpi_code="complaint_rate",
                    group_kind=GroupKind.DEALER,
                    dealer=dealer_user.dealer,
                    month_from=str(ended[-3:][0]),
                    month_to=str(current),
                    kind=GoalKind.LEVEL,
                    target=3.0,
                    owner=hq,
                    note="该店客诉率上限",
                ),
                actor=admin,
            )
        )
    at_risk = goals_check_current(now=now)
    return {"goals": len(made), "at_risk": len(at_risk), **{f"mtd_{k}": v for k, v in copied.items()}}
