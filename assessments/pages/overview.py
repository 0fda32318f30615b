"""The overview page: the month at a glance for the user's scope (three queries)."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from django.db.models import (
    Count,
    F,
    FloatField,
    Sum,
)
from django.db.models.functions import Cast

from ..choices import ScorecardStatus
from ..models import (
    Scorecard,
)
from .cache import cached
from .periods import PeriodRef, avg, change_between, grade_bands_for_period, period_id_of

SCORED = ScorecardStatus.SCORED
CITY_TIERS = (1, 2, 3, 4, 5)


@dataclass
class GroupStats:
    """Averages of one group of dealers (a region, a city tier) for the overview."""

    key: Any
    label: str
    dealers: int = 0
    scored: int = 0
    total_sum: float = 0.0
    grades: dict[str, int] = field(default_factory=dict)
    previous_average: float | None = None
    last_year_average: float | None = None

    @property
    def average(self) -> float | None:
        return self.total_sum / self.scored if self.scored else None

    @property
    def change(self) -> float | None:
        return change_between(self.average, self.previous_average)

    @property
    def change_last_year(self) -> float | None:
        return change_between(self.average, self.last_year_average)

    @property
    def insufficient(self) -> int:
        return self.dealers - self.scored


@dataclass
class Overview:
    period: PeriodRef
    grades: list[str]
    dealers: int
    scored: int
    average: float | None
    previous_average: float | None
    last_year_average: float | None
    grade_counts: dict[str, int]
    top: list[Any]  # named rows: dealer__code, dealer__name, region_name, total, grade, rank, veto …
    bottom: list[Any]
    regions: list[GroupStats]
    city_tiers: list[GroupStats]

    @property
    def insufficient(self) -> int:
        return self.dealers - self.scored

    @property
    def insufficient_share(self) -> float | None:
        return 100.0 * self.insufficient / self.dealers if self.dealers else None

    @property
    def change(self) -> float | None:
        return change_between(self.average, self.previous_average)

    @property
    def change_last_year(self) -> float | None:
        return change_between(self.average, self.last_year_average)


class OverviewRow(NamedTuple):
    """One scorecard of the overview (a module-level type, so that a cached page unpickles)."""

    dealer__code: str
    dealer__name: str
    region_name: str
    dealer__city_tier: int
    status: str
    total: float | None
    grade: str
    rank: int | None
    veto: bool


def overview_page(user: Any, period: PeriodRef, periods: list[PeriodRef]) -> Overview:
    """The month at a glance for the user's scope: three queries whatever the dealer count,
    none when cached (pages/cache.py: keyed by the scorecards version, scope and language)."""
    months = tuple((p.id, p.code) for p in periods)
    return cached(user, "overview", (period, months), lambda: _overview_page(user, period, periods))


def _overview_page(user: Any, period: PeriodRef, periods: list[PeriodRef]) -> Overview:
    grades = grade_bands_for_period(user, period.id)
    # One row per scorecard, as light named tuples (2,000 of them at most): the total as a
    # float, so that no Decimal is built per row.
    rows = [
        OverviewRow(*row)
        for row in Scorecard.objects.for_user(user)
        .filter(period_id=period.id)
        .annotate(total=Cast("total_score", FloatField()))
        .order_by(F("rank").asc(nulls_last=True), "dealer__code")
        .values_list(
            "dealer__code",
            "dealer__name",
            "region_name",
            "dealer__city_tier",
            "status",
            "total",
            "grade",
            "rank",
            "veto",
        )
    ]
    regions: dict[str, GroupStats] = {}
    tiers: dict[int, GroupStats] = {t: GroupStats(t, str(t)) for t in CITY_TIERS}
    grade_counts = dict.fromkeys(grades, 0)
    scored_rows = []
    for row in rows:
        region = regions.get(row.region_name)
        if region is None:
            region = regions[row.region_name] = GroupStats(row.region_name, row.region_name)
        tier = tiers.get(row.dealer__city_tier)
        if tier is None:
            tier = tiers[row.dealer__city_tier] = GroupStats(
                row.dealer__city_tier, str(row.dealer__city_tier)
            )
        region.dealers += 1
        tier.dealers += 1
        if row.status != SCORED or row.total is None:
            continue
        scored_rows.append(row)
        grade_counts[row.grade] = grade_counts.get(row.grade, 0) + 1
        for group in (region, tier):
            group.scored += 1
            group.total_sum += row.total
            group.grades[row.grade] = group.grades.get(row.grade, 0) + 1

    # The same groups a month and a year before, as sums and counts in one grouped query.
    previous_id = period_id_of(periods, period.month.shift(-1))
    last_year_id = period_id_of(periods, period.month.shift(-12))
    earlier: dict[int, dict[str, Any]] = {}
    compare_ids = [pk for pk in (previous_id, last_year_id) if pk is not None]
    if compare_ids:
        for row in (
            Scorecard.objects.for_user(user)
            .filter(period_id__in=compare_ids, status=SCORED, total_score__isnull=False)
            .values("period_id", "region_name", "dealer__city_tier")
            .annotate(n=Count("id"), total=Sum("total_score"))
            .order_by()
        ):
            sums = earlier.setdefault(
                row["period_id"],
                {
                    "all": [0.0, 0],
                    "region": defaultdict(lambda: [0.0, 0]),
                    "tier": defaultdict(lambda: [0.0, 0]),
                },
            )
            for bucket in (
                sums["all"],
                sums["region"][row["region_name"]],
                sums["tier"][row["dealer__city_tier"]],
            ):
                bucket[0] += float(row["total"] or 0)
                bucket[1] += row["n"]

    def average_in(period_id: int | None, kind: str, key: Any = None) -> float | None:
        sums = earlier.get(period_id) if period_id is not None else None
        if sums is None:
            return None
        bucket = sums["all"] if kind == "all" else sums[kind].get(key)
        return avg(bucket[0], bucket[1]) if bucket else None

    for name, group in regions.items():
        group.previous_average = average_in(previous_id, "region", name)
        group.last_year_average = average_in(last_year_id, "region", name)
    for key, group in tiers.items():
        group.previous_average = average_in(previous_id, "tier", key)
        group.last_year_average = average_in(last_year_id, "tier", key)

    scored = len(scored_rows)
    total_sum = sum(r.total for r in scored_rows)
    return Overview(
        period=period,
        grades=grades,
        dealers=len(rows),
        scored=scored,
        average=total_sum / scored if scored else None,
        previous_average=average_in(previous_id, "all"),
        last_year_average=average_in(last_year_id, "all"),
        grade_counts=grade_counts,
        top=scored_rows[:10],
        bottom=list(reversed(scored_rows[-10:])) if scored > 10 else [],
        regions=sorted(regions.values(), key=lambda g: g.label),
        city_tiers=[tiers[t] for t in sorted(tiers)],
    )


# --- ranking -----------------------------------------------------------------------------
