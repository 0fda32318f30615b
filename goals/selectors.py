"""Reads of goals: actual figures per month, and each month's target, variance and status.

`goal_actuals` is the one place goals read KPI figures: ended months from the group figures
stored with the month's scorecards (`GroupFigure`, read in `_ended_group_figure`) or, for a
dealer goal, the dealer's KPI result; the month in progress month to date over the dealers
eligible that month (no scorecard exists yet).
"""

from __future__ import annotations

from calendar import monthrange
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db.models import QuerySet
from django.utils import timezone

from assessments.choices import Grouping
from assessments.kpis import BY_CODE, kpi_measurements
from assessments.kpis.groups import group_figures
from assessments.models import GroupFigure, KpiResult
from assessments.periods import SHANGHAI, Month
from assessments.scoring.rounding import round_half_up
from assessments.services.recompute import eligible_dealers

from .choices import GoalKind, GroupKind, MonthStatus
from .models import Goal
from .projection import (
    Projection,
    change_target,
    ended_status,
    in_progress_status,
    measure_of,
    pooled_spread,
    project,
)

Actual = tuple[float | None, int]


@dataclass(frozen=True)
class GoalMonth:
    """One month of a goal: target, actual (month to date for the month in progress) and status."""

    month: Month
    target: float | None
    actual: float | None
    n: int
    status: str
    last_year: float | None = None
    projection: Projection | None = None

    @property
    def variance(self) -> float | None:
        """Actual − target (for the month in progress: projection − target)."""
        value = self.projection.value if self.projection is not None else self.actual
        if value is None or self.target is None:
            return None
        return round(value - self.target, 4)


class FigureCache:
    """Figures already read in this request, so a page of goals reads each month once."""

    def __init__(self) -> None:
        self.groups: dict[tuple[Month, str], dict[Any, Any]] = {}
        self.stored: dict[tuple[str, str, str], dict[str, Actual]] = {}
        self.eligible: dict[Month, list[Any]] = {}
        # Month-to-date measurements by (month, dealer ids, grouping): goals of the same
        # group (the network's several KPIs) measure the month once.
        self.measured: dict[tuple[Month, tuple[int, ...], str | None], dict[Any, Any]] = {}

    def measure(self, month: Month, ids: list[int], by: str | None) -> dict[Any, Any]:
        key = (month, tuple(ids), by)
        if key not in self.measured:
            self.measured[key] = kpi_measurements(month, ids, by=by)
        return self.measured[key]


def months_of(goal: Goal) -> list[Month]:
    first, last = Month.parse(goal.month_from), Month.parse(goal.month_to)
    months, month = [], first
    while month <= last:
        months.append(month)
        month = month.shift(1)
    return months


def _round(value: float | None) -> float | None:
    rounded = round_half_up(value, 4)
    return None if rounded is None else float(rounded)


def _group_key(goal: Goal) -> tuple[str, Any]:
    if goal.group_kind == GroupKind.REGION:
        return "region", goal.region_id
    if goal.group_kind == GroupKind.CITY_TIER:
        return "city_tier", goal.city_tier
    return "network", 0


def _ended_group_figure(goal: Goal, month: Month, cache: FigureCache) -> Actual:
    """A group's pooled figure of an ended month (scoring.md → group figures), as stored with
    the month's scorecards (GroupFigure): one query per group and KPI for all months. A month
    scored before figures were stored (an older installation, until its next recompute) is
    pooled from the records."""
    grouping, key = _group_key(goal)
    stored_key = (grouping, "" if grouping == Grouping.NETWORK else str(key), goal.kpi_code)
    if stored_key not in cache.stored:
        rows = GroupFigure.objects.filter(
            grouping=stored_key[0], group_key=stored_key[1], kpi_code=goal.kpi_code
        ).values_list("period__code", "value", "n")
        cache.stored[stored_key] = {code: (value, n) for code, value, n in rows}
    found = cache.stored[stored_key].get(str(month))
    if found is not None:
        return found
    if (month, grouping) not in cache.groups:
        cache.groups[(month, grouping)] = group_figures(month, grouping)
    figure = cache.groups[(month, grouping)].get(key, {}).get(goal.kpi_code)
    return (None, 0) if figure is None else (figure.value, figure.n)


def _ended_dealer_figures(goal: Goal, months: list[Month]) -> dict[Month, Actual]:
    rows = KpiResult.objects.filter(
        scorecard__dealer_id=goal.dealer_id,
        scorecard__period__code__in=[str(m) for m in months],
        kpi_code=goal.kpi_code,
    ).values_list("scorecard__period__code", "value", "sample_size")
    return {Month.parse(code): (_round(value), n) for code, value, n in rows}


def _group_dealers(goal: Goal, month: Month, cache: FigureCache) -> list[Any]:
    if month not in cache.eligible:
        cache.eligible[month] = eligible_dealers(month)
    dealers = cache.eligible[month]
    if goal.group_kind == GroupKind.REGION:
        return [d for d in dealers if d.region_id == goal.region_id]
    if goal.group_kind == GroupKind.CITY_TIER:
        return [d for d in dealers if d.city_tier == goal.city_tier]
    if goal.group_kind == GroupKind.DEALER:
        return [d for d in dealers if d.pk == goal.dealer_id]
    return dealers


def month_to_date(goal: Goal, month: Month, cache: FigureCache) -> tuple[Actual, float | None]:
    """The month in progress so far over the group's eligible dealers: (value, n) pooled, and
    the spread of one record estimated from the dealers' values (for means; see projection)."""
    ids = [d.pk for d in _group_dealers(goal, month, cache)]
    if not ids:
        return (None, 0), None
    pooled = cache.measure(month, ids, None)
    value, n = next(iter(pooled.values())).values.get(goal.kpi_code, (None, 0)) if pooled else (None, 0)
    spread = None
    kpi = BY_CODE[goal.kpi_code]
    if measure_of(kpi.code, kpi.unit) in ("mean", "median") and len(ids) > 1:
        per_dealer = cache.measure(month, ids, "dealer_id")
        spread = pooled_spread(
            [
                m.values[goal.kpi_code]
                for m in per_dealer.values()
                if m.values.get(goal.kpi_code, (None, 0))[0] is not None
            ]  # type: ignore[misc]
        )
    return (_round(value), n), spread


def goal_actuals(
    goal: Goal, months: list[Month], *, now: datetime | None = None, cache: FigureCache | None = None
) -> dict[Month, Actual]:
    """{month: (value, n)} of the goal's KPI and group: ended months as recomputed, the month
    in progress month to date, months not started left out."""
    cache = cache or FigureCache()
    current = Month.of(now or timezone.now())
    ended = [m for m in months if m < current]
    out: dict[Month, Actual] = {}
    if goal.group_kind == GroupKind.DEALER:
        found = _ended_dealer_figures(goal, ended)
        out.update({m: found.get(m, (None, 0)) for m in ended})
    else:
        out.update({m: _ended_group_figure(goal, m, cache) for m in ended})
    if current in months:
        out[current] = month_to_date(goal, current, cache)[0]
    return out


def _elapsed_days(month: Month, now: datetime) -> float:
    return (now.astimezone(SHANGHAI) - month.start).total_seconds() / 86400


def goal_months(
    goal: Goal,
    *,
    now: datetime | None = None,
    cache: FigureCache | None = None,
    only: list[Month] | None = None,
) -> list[GoalMonth]:
    """Every month of the goal (or `only` those of them) with its target, actual, variance and status."""
    now = now or timezone.now()
    cache = cache or FigureCache()
    current = Month.of(now)
    months = [m for m in months_of(goal) if only is None or m in only]
    actuals = goal_actuals(goal, [m for m in months if m != current], now=now, cache=cache)
    spread = None
    if current in months:
        actuals[current], spread = month_to_date(goal, current, cache)
    last_year: dict[Month, Actual] = {}
    if goal.kind == GoalKind.CHANGE:
        earlier = goal_actuals(goal, [m.shift(-12) for m in months], now=now, cache=cache)
        last_year = {m.shift(12): v for m, v in earlier.items()}
    kpi = BY_CODE[goal.kpi_code]
    rows = []
    for month in months:
        before = last_year.get(month, (None, 0))[0]
        target = change_target(before, goal.change_pct or 0) if goal.kind == GoalKind.CHANGE else goal.target
        if month > current:
            rows.append(GoalMonth(month, target, None, 0, MonthStatus.UPCOMING, before))
            continue
        value, n = actuals.get(month, (None, 0))
        if month < current:
            rows.append(
                GoalMonth(month, target, value, n, ended_status(value, target, goal.comparator), before)
            )
            continue
        projection = None
        if value is not None and n > 0:
            projection = project(
                measure_of(kpi.code, kpi.unit),
                value,
                n,
                elapsed_days=_elapsed_days(month, now),
                days_in_month=monthrange(month.year, month.month)[1],
                spread=spread,
            )
        status = in_progress_status(projection, target, goal.comparator)
        rows.append(GoalMonth(month, target, value, n, status, before, projection))
    return rows


def current_month_status(goal: Goal, *, now: datetime | None = None, cache: FigureCache | None = None) -> str:
    """The status of the month in progress, or "" when the goal does not cover it."""
    current = Month.of(now or timezone.now())
    rows = goal_months(goal, now=now, cache=cache, only=[current])
    return rows[0].status if rows else ""


def status_counts(rows: list[GoalMonth]) -> dict[str, int]:
    counts = {status: 0 for status in MonthStatus.values}
    for row in rows:
        counts[row.status] += 1
    return counts


def goals_for(user: Any) -> QuerySet[Goal]:
    """The goals the user may see, with what their list shows."""
    return Goal.objects.for_user(user).select_related("region", "dealer", "owner")


def owned_at_risk(user: Any, now: datetime | None = None) -> QuerySet[Goal]:
    """Goals the user owns whose month in progress was last found at risk (the workbench)."""
    current = str(Month.of(now or timezone.now()))
    return goals_for(user).filter(owner=user, current_month=current, current_status=MonthStatus.AT_RISK)
