"""Page-level reads for the portal: overview, ranking, scorecard, KPI drill-downs, dealer home.

Every function that returns dealer-owned rows takes the user and starts from
`Model.objects.for_user(user)` (dealers.scoping): that is the only way these pages reach
data. Each page costs a fixed number of queries, whatever the number of dealers: lists
are read set-wise with `values()`, and totals are computed in Python from one read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass, field, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FilteredRelation,
    FloatField,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
    Value,
)
from django.db.models.functions import Cast
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer, Region
from surveys.models import SurveyResponse

from .choices import REPAIR_TYPES_FOR_REPAIR_KPIS, RepairType, ScorecardStatus, SubmissionStatus
from .db_functions import EpochSeconds
from .models import (
    ComebackSnapshot,
    Complaint,
    FrozenComeback,
    ImportJob,
    Kpi,
    KpiResult,
    MonthlySubmission,
    PartsOrder,
    Provenance,
    RepairOrder,
    Scheme,
    Scorecard,
)
from .periods import Month
from .scoring.catalogue import BY_CODE, TIERS
from .selectors import COMEBACK_WINDOW, comeback_exists
from .services.submissions import deadline_for

SCORED = ScorecardStatus.SCORED
HOUR = 3600.0
DAY = 86400.0
CITY_TIERS = (1, 2, 3, 4, 5)
DEFAULT_GRADES = ("A", "B", "C", "D")


# --- periods -------------------------------------------------------------------------------
#
# Which month a page opens on when none is asked for (one rule for every page, see README →
# "Which month a page opens on"): the newest month that has ended and is *mostly scored* —
# at least `settings.DEFAULT_PERIOD_MIN_SCORED_SHARE` (0.5) of its scorecards in the user's
# scope are `scored`, not `insufficient_data`. For a dealer user the scope is their dealer,
# so their pages open on their newest ended month with a score. If no month qualifies, the
# newest month with at least one scored card; a month of only insufficient data never.
# The month in progress (it has not ended) and every month after the default are labelled
# "in progress", with the date their monthly reports are due.


@dataclass(frozen=True)
class PeriodRef:
    """A period the user can see scorecards of, with how much of it is scored in their scope."""

    id: int
    code: str
    scorecards: int = 0
    scored: int = 0
    ended: bool = True
    in_progress: bool = False
    reports_overdue: bool = False  # its monthly reports were due before today

    @property
    def month(self) -> Month:
        return Month.parse(self.code)

    @property
    def first_day(self) -> Any:
        return self.month.first_day

    @property
    def scored_share(self) -> float | None:
        return self.scored / self.scorecards if self.scorecards else None

    @property
    def mostly_scored(self) -> bool:
        share = self.scored_share
        return share is not None and share >= settings.DEFAULT_PERIOD_MIN_SCORED_SHARE

    @property
    def due(self) -> date:
        """The day the month's monthly reports are due (SUBMISSION_DEADLINE_DAY of the next month)."""
        return deadline_for(self.code)


def default_period(periods: Sequence[PeriodRef]) -> PeriodRef | None:
    """The month a page opens on when none is asked for (the rule above); None if none qualifies."""
    for qualifies in (lambda p: p.ended and p.mostly_scored, lambda p: p.scored > 0):
        found = next((p for p in periods if qualifies(p)), None)
        if found is not None:
            return found
    return None


def _period_ref(pk: int, month: Month, today: date, scorecards: int = 0, scored: int = 0) -> PeriodRef:
    return PeriodRef(
        pk,
        str(month),
        scorecards,
        scored,
        ended=month < Month.of(today),
        reports_overdue=deadline_for(str(month)) < today,
    )


def visible_periods(user: Any, today: date | None = None, dealer_code: str | None = None) -> list[PeriodRef]:
    """The periods with at least one scorecard in the user's scope, newest first (one query).

    Each comes with its count of scorecards and of scored ones in the scope, and whether it
    is in progress (not ended, or newer than the default month). With `dealer_code`, the
    scope is narrowed to that one dealer.
    """
    today = today or timezone.localdate()
    cards = Scorecard.objects.for_user(user)
    if dealer_code is not None:
        cards = cards.filter(dealer__code=dealer_code)
    rows = (
        cards.values("period_id", "period__code")
        .annotate(n=Count("id"), scored=Count("id", filter=Q(status=SCORED)))
        .order_by("-period__code")
        .values_list("period_id", "period__code", "n", "scored")
    )
    periods = [_period_ref(pk, Month.parse(code), today, n, scored) for pk, code, n, scored in rows]
    default = default_period(periods)
    return [replace(p, in_progress=not p.ended or default is None or p.code > default.code) for p in periods]


def month_choices(chosen: Month, periods: Sequence[PeriodRef], today: date | None = None) -> list[PeriodRef]:
    """Thirteen months for the picker of a page not about scorecards (survey results): back
    from the newer of the chosen month and this one, labelled "in progress" like the
    scorecard months (not ended, or newer than the default month of `periods`)."""
    today = today or timezone.localdate()
    default = default_period(periods)
    newest = max(Month.of(today), chosen)
    choices = [_period_ref(0, newest.shift(-i), today) for i in range(13)]
    return [
        replace(p, in_progress=not p.ended or (default is not None and p.code > default.code))
        for p in choices
    ]


def calendar_periods(codes: Iterable[str], today: date | None = None) -> list[PeriodRef]:
    """Months of one dealer's scorecard picker: only the month not yet ended is "in progress"
    (a dealer's month without a score after that is insufficient data, which the card says)."""
    today = today or timezone.localdate()
    return [
        replace(p, in_progress=not p.ended) for p in (_period_ref(0, Month.parse(c), today) for c in codes)
    ]


def pick_period(periods: list[PeriodRef], code: str | None) -> PeriodRef | None:
    """The requested period, or the default one (see above) when none was asked for.

    None when the requested one is unknown, or when nothing was asked for and no month has
    a scored scorecard in the scope.
    """
    if not code:
        return default_period(periods)
    return next((p for p in periods if p.code == code), None)


def period_id_of(periods: list[PeriodRef], month: Month) -> int | None:
    code = str(month)
    return next((p.id for p in periods if p.code == code), None)


def grade_bands_for_period(user: Any, period_id: int) -> list[str]:
    """The grades of the scheme the period was scored under, best first (one query)."""
    scheme_ids = Scorecard.objects.for_user(user).filter(period_id=period_id).values("scheme_id")
    scheme = Scheme.objects.filter(pk__in=scheme_ids).order_by("-version").only("grade_bands").first()
    if scheme is None or not scheme.grade_bands:
        return list(DEFAULT_GRADES)
    return [str(band[0]) for band in scheme.grade_bands]


def visible_regions(user: Any) -> list[str]:
    """Names of the regions that hold at least one dealer the user may see (one query)."""
    dealers = Dealer.objects.for_user(user).filter(region_id=OuterRef("pk"))
    return list(Region.objects.filter(Exists(dealers)).order_by("name").values_list("name", flat=True))


# --- small arithmetic helpers ------------------------------------------------------------


def _avg(total: Decimal | float | None, n: int) -> float | None:
    return float(total) / n if n and total is not None else None


def _change(current: float | None, before: float | None) -> float | None:
    if current is None or before is None:
        return None
    return round(current - before, 2)


# --- overview ----------------------------------------------------------------------------


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
        return _change(self.average, self.previous_average)

    @property
    def change_last_year(self) -> float | None:
        return _change(self.average, self.last_year_average)

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
        return _change(self.average, self.previous_average)

    @property
    def change_last_year(self) -> float | None:
        return _change(self.average, self.last_year_average)


def overview(user: Any, period: PeriodRef, periods: list[PeriodRef]) -> Overview:
    """The month at a glance for the user's scope: three queries whatever the dealer count."""
    grades = grade_bands_for_period(user, period.id)
    # One row per scorecard, as light named tuples (2,000 of them at most): the total as a
    # float, so that no Decimal is built per row.
    rows = list(
        Scorecard.objects.for_user(user)
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
            named=True,
        )
    )
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
        return _avg(bucket[0], bucket[1]) if bucket else None

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

# The columns the ranking can be sorted by, and the expression each sorts on. A sort key
# that is not here is ignored: user input never reaches order_by().
RANKING_SORTS: dict[str, str] = {
    "rank": "rank",
    "region_rank": "region_rank",
    "code": "dealer__code",
    "name": "dealer__name",
    "region": "region_name",
    "city_tier": "dealer__city_tier",
    "total": "total_score",
    "grade": "grade",
    "base": "tier_base",
    "process": "tier_process",
    "result": "tier_result",
    "change": "change",
}
DEFAULT_SORT = "rank"

RANKING_FIELDS = (
    "dealer__code",
    "dealer__name",
    "dealer__city_tier",
    "dealer__status",
    "region_name",
    "status",
    "total_score",
    "grade",
    "rank",
    "region_rank",
    "tier_base",
    "tier_process",
    "tier_result",
    "veto",
    "previous_total",
    "change",
)


def parse_sort(raw: str | None) -> tuple[str, bool]:
    """('total', True) for '-total'. Unknown keys fall back to the default sort."""
    raw = (raw or "").strip()
    descending = raw.startswith("-")
    key = raw[1:] if descending else raw
    if key not in RANKING_SORTS:
        return DEFAULT_SORT, False
    return key, descending


def ranking_queryset(user: Any, period: PeriodRef, periods: list[PeriodRef]) -> QuerySet:
    """The period's scorecards in scope, with last month's total and the change.

    Last month's card is joined through the dealer (a LEFT JOIN on the same dealer and the
    previous period), not looked up row by row: sorting 2,000 dealers by their change stays
    one cheap query. The join reaches only the scoped row's own dealer.
    """
    score = DecimalField(max_digits=7, decimal_places=2)
    previous_id = period_id_of(periods, period.month.shift(-1))
    qs = Scorecard.objects.for_user(user).filter(period_id=period.id)
    if previous_id is None:
        qs = qs.annotate(previous_total=Value(None, output_field=score))
    else:
        qs = qs.annotate(
            previous=FilteredRelation(
                "dealer__scorecards",
                condition=Q(dealer__scorecards__period_id=previous_id, dealer__scorecards__status=SCORED),
            ),
            previous_total=F("previous__total_score"),
        )
    return qs.annotate(change=ExpressionWrapper(F("total_score") - F("previous_total"), output_field=score))


def order_ranking(qs: QuerySet, key: str, descending: bool) -> QuerySet:
    expression = F(RANKING_SORTS[key])
    ordered = expression.desc(nulls_last=True) if descending else expression.asc(nulls_last=True)
    return qs.order_by(ordered, "dealer__code")


def ranking_rows(qs: QuerySet) -> QuerySet:
    return qs.values(*RANKING_FIELDS)


# --- scorecard ---------------------------------------------------------------------------


@dataclass
class KpiLine:
    """One KPI row of a scorecard, with its catalogue label."""

    result: KpiResult
    kpi: Kpi | None

    @property
    def code(self) -> str:
        return self.result.kpi_code

    @property
    def name(self) -> str:
        if self.kpi is not None:
            return self.kpi.name
        return self.result.kpi_code

    @property
    def unit(self) -> str:
        return unit_label(self.unit_code)

    @property
    def direction(self) -> str:
        if self.kpi is not None:
            return self.kpi.direction
        return BY_CODE[self.code].direction if self.code in BY_CODE else "higher"

    @property
    def definition(self) -> str:
        return self.kpi.definition if self.kpi is not None else ""

    @property
    def invalid_reason(self) -> str:
        """'' when valid, else 'no_data' or 'small_sample' (scoring.md → min_sample)."""
        if self.result.valid:
            return ""
        if self.result.value is None or self.result.sample_size == 0:
            return "no_data"
        return "small_sample"

    @property
    def weighted(self) -> bool:
        return self.result.weight > 0

    @property
    def decimals(self) -> int:
        return value_decimals(self.unit_code)

    @property
    def unit_code(self) -> str:
        if self.kpi is not None:
            return self.kpi.unit
        return BY_CODE[self.code].unit if self.code in BY_CODE else ""


UNIT_LABELS = {
    "%": "%",
    "‰": "‰",
    "h": _("h"),
    "days": _("days"),
    "pts": _("pts"),
    "CNY": _("CNY"),
    "ROs": _("ROs"),
}


def unit_label(code: str) -> str:
    return str(UNIT_LABELS.get(code, code))


def value_decimals(unit: str) -> int:
    return 0 if unit in ("ROs",) else 2


@dataclass
class TierGroup:
    tier: str
    label: str
    score: Decimal | None
    weight: float
    lines: list[KpiLine]


@dataclass
class HistoryPoint:
    code: str
    status: str
    total_score: Decimal | None
    grade: str
    rank: int | None
    region_rank: int | None
    tier_base: Decimal | None
    tier_process: Decimal | None
    tier_result: Decimal | None

    @property
    def month(self) -> Month:
        return Month.parse(self.code)


@dataclass
class ScorecardPage:
    card: Scorecard
    tiers: list[TierGroup]
    history: list[HistoryPoint]
    previous: HistoryPoint | None
    last_year: HistoryPoint | None
    network_scored: int
    region_scored: int
    dimensions: list[tuple[str, str, float | None]]
    period_codes: list[str] = field(default_factory=list)

    @property
    def change(self) -> float | None:
        return _change(
            _float(self.card.total_score), _float(self.previous.total_score) if self.previous else None
        )

    @property
    def change_last_year(self) -> float | None:
        return _change(
            _float(self.card.total_score), _float(self.last_year.total_score) if self.last_year else None
        )

    @property
    def rank_change(self) -> int | None:
        """Places gained since last month (positive is better)."""
        if self.card.rank is None or self.previous is None or self.previous.rank is None:
            return None
        return self.previous.rank - self.card.rank

    @property
    def lines(self) -> list[KpiLine]:
        return [line for group in self.tiers for line in group.lines]

    @property
    def deduction_raw(self) -> float:
        return self.card.major_complaints * self.card.scheme.deduction_per_item

    @property
    def deduction_capped(self) -> bool:
        return self.deduction_raw > self.card.scheme.deduction_cap


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


TIER_LABELS = {"base": _("Base tier"), "process": _("Process tier"), "result": _("Result tier")}
DIMENSION_LABELS = {
    "quality": _("Service quality"),
    "efficiency": _("Service efficiency"),
    "satisfaction": _("Customer satisfaction"),
    "cost": _("Cost control"),
}


def scorecard_for(user: Any, code: str, period_code: str) -> Scorecard | None:
    return (
        Scorecard.objects.for_user(user)
        .select_related("dealer__region", "period", "scheme", "veto_incident")
        .filter(dealer__code=code, period__code=period_code)
        .first()
    )


def default_period_code(user: Any, code: str) -> str | None:
    """The month a dealer's scorecard opens on: the default month over its own cards in the
    user's scope (its newest ended month with a score), else its newest card; None if none."""
    periods = visible_periods(user, dealer_code=code)
    period = default_period(periods) or (periods[0] if periods else None)
    return period.code if period else None


def dealer_history(user: Any, dealer_id: int) -> list[HistoryPoint]:
    """Every scorecard of the dealer, oldest first, as plain points (one query)."""
    rows = (
        Scorecard.objects.for_user(user)
        .filter(dealer_id=dealer_id)
        .order_by("period__code")
        .values_list(
            "period__code",
            "status",
            "total_score",
            "grade",
            "rank",
            "region_rank",
            "tier_base",
            "tier_process",
            "tier_result",
        )
    )
    return [HistoryPoint(*row) for row in rows]


def network_size(period_id: int, region_name: str) -> tuple[int, int]:
    """How many dealers were ranked in the period, nationally and in the region.

    The one read here that does not go through `for_user`: it returns two counts and no
    row, so that a dealer sees "rank 12 of 1,480" (product.md) without any other dealer
    being named. It reveals nothing that the rank itself does not.
    """
    counts = Scorecard.objects.filter(period_id=period_id, status=SCORED).aggregate(
        network=Count("id"), region=Count("id", filter=Q(region_name=region_name))
    )
    return counts["network"], counts["region"]


def kpi_lines(card: Scorecard) -> list[KpiLine]:
    """The card's KPI results with their catalogue entries (two queries)."""
    catalogue = {kpi.code: kpi for kpi in Kpi.objects.all()}
    return [KpiLine(result, catalogue.get(result.kpi_code)) for result in card.kpi_results.all()]


def group_by_tier(lines: Iterable[KpiLine], card: Scorecard) -> list[TierGroup]:
    by_tier: dict[str, list[KpiLine]] = defaultdict(list)
    for line in lines:
        by_tier[line.result.tier].append(line)
    return [
        TierGroup(
            tier=tier,
            label=str(TIER_LABELS[tier]),
            score=card.tier_score(tier),  # type: ignore[arg-type]
            weight=sum(line.result.weight for line in by_tier[tier]),
            lines=by_tier[tier],
        )
        for tier in TIERS
        if by_tier.get(tier)
    ]


def dimension_scores(lines: Iterable[KpiLine]) -> list[tuple[str, str, float | None]]:
    """Weighted mean score per dimension over the valid weighted KPIs, for the radar."""
    sums: dict[str, list[float]] = {key: [0.0, 0.0] for key in DIMENSION_LABELS}
    for line in lines:
        result = line.result
        dimension = line.kpi.dimension if line.kpi is not None else ""
        if dimension in sums and result.valid and result.weight > 0 and result.score is not None:
            sums[dimension][0] += result.weight * float(result.score)
            sums[dimension][1] += result.weight
    return [
        (key, str(label), round(sums[key][0] / sums[key][1], 2) if sums[key][1] else None)
        for key, label in DIMENSION_LABELS.items()
    ]


def scorecard_page(user: Any, card: Scorecard) -> ScorecardPage:
    """Everything the scorecard page shows beyond the card itself (five queries)."""
    lines = kpi_lines(card)
    history = dealer_history(user, card.dealer_id)
    by_code = {point.code: point for point in history}
    month = card.period.month
    recent = [point for point in history if str(month.shift(-11)) <= point.code <= str(month)]
    network, region = network_size(card.period_id, card.region_name)
    return ScorecardPage(
        card=card,
        tiers=group_by_tier(lines, card),
        history=recent,
        previous=by_code.get(str(month.shift(-1))),
        last_year=by_code.get(str(month.shift(-12))),
        network_scored=network,
        region_scored=region,
        dimensions=dimension_scores(lines),
        period_codes=[point.code for point in reversed(history)],
    )


@dataclass
class LostPoints:
    line: KpiLine
    points: float


def points_lost(lines: Iterable[KpiLine], limit: int = 3) -> list[LostPoints]:
    """The KPIs that cost the most points: weight share × (100 − score), over valid weighted KPIs."""
    counted = [
        line
        for line in lines
        if line.result.valid and line.result.weight > 0 and line.result.score is not None
    ]
    total_weight = sum(line.result.weight for line in counted)
    if not total_weight:
        return []
    lost = [
        LostPoints(line, line.result.weight / total_weight * (100.0 - float(line.result.score)))
        for line in counted
    ]
    lost = [item for item in lost if item.points > 0.005]
    return sorted(lost, key=lambda item: item.points, reverse=True)[:limit]


@dataclass
class MonthState:
    """Why a dealer's month has no score, or what still lacks in it, in plain facts.

    `reasons` names each case that applies: "in_progress" (the month has not ended),
    "report" (its monthly report is not approved: the base tier is not counted),
    "records" (weighted KPIs outside the base tier lack records: `thin` lists them).
    """

    period: PeriodRef
    card: Scorecard
    report_status: str | None  # the monthly report's status; None when none was started
    thin: list[KpiLine]
    today: date

    @property
    def scored(self) -> bool:
        return self.card.status == SCORED

    @property
    def due(self) -> date:
        return self.period.due

    @property
    def overdue(self) -> bool:
        return self.today > self.due

    @property
    def report_approved(self) -> bool:
        return self.report_status == SubmissionStatus.APPROVED

    @property
    def min_coverage(self) -> float:
        return self.card.scheme.min_coverage

    @property
    def reasons(self) -> list[str]:
        found = []
        if not self.period.ended:
            found.append("in_progress")
        if not self.report_approved:
            found.append("report")
        if self.thin:
            found.append("records")
        return found


def month_states(user: Any, dealer: Dealer, periods: Sequence[PeriodRef], today: date) -> list[MonthState]:
    """For each of these months (newest first), why the dealer has no score or what it lacks
    (four queries: the cards, their KPI results, the KPI names, the monthly reports)."""
    codes = [p.code for p in periods]
    if not codes:
        return []
    cards = {
        card.period.code: card
        for card in Scorecard.objects.for_user(user)
        .filter(dealer_id=dealer.pk, period__code__in=codes)
        .select_related("period", "scheme")
        .prefetch_related("kpi_results")
    }
    reports = dict(
        MonthlySubmission.objects.for_user(user)
        .filter(dealer_id=dealer.pk, period__in=codes)
        .values_list("period", "status")
    )
    catalogue = {kpi.code: kpi for kpi in Kpi.objects.all()} if cards else {}
    states = []
    for period in periods:
        card = cards.get(period.code)
        if card is None:
            continue
        thin = [
            KpiLine(result, catalogue.get(result.kpi_code))
            for result in card.kpi_results.all()
            if result.weight > 0 and not result.valid and result.tier != "base"
        ]
        states.append(MonthState(period, card, reports.get(period.code), thin, today))
    return states


def recent_imports(user: Any, limit: int = 5) -> list[ImportJob]:
    return list(ImportJob.objects.for_user(user).select_related("user")[:limit])


# --- drill-downs -------------------------------------------------------------------------


@dataclass(frozen=True)
class Column:
    """A column of a drill-down table: the row key, its header and how to show it."""

    key: str
    label: Any
    kind: str = "text"  # text | datetime | number | hours | days | money | flag | choice | changed


@dataclass(frozen=True)
class DrillDown:
    """The records behind one KPI: a queryset of dicts, its columns and what is flagged."""

    title: Any
    rows: QuerySet
    columns: tuple[Column, ...]
    flag_key: str | None = None
    flag_label: Any = ""
    flag_filter: Q | None = None


def _hours(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper((EpochSeconds(end) - EpochSeconds(start)) / HOUR, output_field=FloatField())


def _days(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper((EpochSeconds(end) - EpochSeconds(start)) / DAY, output_field=FloatField())


RO_COLUMNS = (
    Column("ro_number", _("RO number")),
    Column("vin", _("VIN")),
    Column("repair_type", _("Repair type"), "choice"),
    Column("fault_code", _("Fault code")),
    Column("opened_at", _("Opened"), "datetime"),
    Column("closed_at", _("Delivered"), "datetime"),
)


def _repair_orders(user: Any, dealer: Dealer) -> QuerySet:
    return RepairOrder.objects.for_user(user).filter(dealer_id=dealer.pk)


def _closed_in(qs: QuerySet, month: Month) -> QuerySet:
    return qs.filter(closed_at__gte=month.start, closed_at__lt=month.end)


def first_time_fix_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Repair ROs delivered in the period; a comeback is flagged with the repair that followed.

    Whether there was a comeback is the engine's own rule (`comeback_exists`, any dealer).
    The repair that followed is named only where the user may see it; a comeback at a
    dealer outside the user's scope is shown as such, without its number.
    A closed month reads the comebacks recorded when it closed (services/freeze.py), so
    repairs imported later for the following month do not change what it counted.
    """
    snapshot_id = (
        ComebackSnapshot.objects.filter(period__code=str(month)).values_list("pk", flat=True).first()
    )
    if snapshot_id is not None:
        frozen = FrozenComeback.objects.filter(snapshot_id=snapshot_id, repair_order_id=OuterRef("pk"))
        seen = frozen.filter(following_dealer__in=Dealer.objects.for_user(user)).order_by(
            "following_opened_at", "following_ro_number"
        )
        comeback = {
            "comeback": Exists(frozen),
            "next_ro": Subquery(seen.values("following_ro_number")[:1]),
            "next_dealer": Subquery(seen.values("following_dealer__code")[:1]),
            "next_opened_at": Subquery(seen.values("following_opened_at")[:1]),
        }
    else:
        following = (
            RepairOrder.objects.for_user(user)
            .filter(
                vin=OuterRef("vin"),
                fault_code=OuterRef("fault_code"),
                repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS,
                opened_at__gt=OuterRef("closed_at"),
                opened_at__lte=OuterRef("closed_at") + COMEBACK_WINDOW,
            )
            .exclude(pk=OuterRef("pk"))
            .order_by("opened_at", "pk")
        )
        comeback = {
            # A comeback waived by an upheld appeal is not one.
            "comeback": ExpressionWrapper(
                comeback_exists() & Q(comeback_waived=False), output_field=BooleanField()
            ),
            "next_ro": Subquery(following.values("ro_number")[:1]),
            "next_dealer": Subquery(following.values("dealer__code")[:1]),
            "next_opened_at": Subquery(following.values("opened_at")[:1]),
        }
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
        .annotate(**comeback)
        .order_by("-comeback", "closed_at", "ro_number")
        .values(
            "ro_number",
            "vin",
            "repair_type",
            "fault_code",
            "opened_at",
            "closed_at",
            "comeback",
            "next_ro",
            "next_dealer",
            "next_opened_at",
        )
    )
    return DrillDown(
        title=_("Repair orders delivered in the month; comebacks within 30 days flagged"),
        rows=rows,
        columns=(
            *RO_COLUMNS,
            Column("comeback", _("Comeback"), "flag"),
            Column("next_ro", _("Repair that followed")),
            Column("next_dealer", _("At dealer")),
            Column("next_opened_at", _("Comeback opened"), "datetime"),
        ),
        flag_key="comeback",
        flag_label=_("Comeback"),
        flag_filter=Q(comeback=True),
    )


def repair_cycle_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
        .annotate(cycle_hours=_hours("closed_at", "opened_at"))
        .order_by("-cycle_hours", "ro_number")
        .values("ro_number", "vin", "repair_type", "fault_code", "opened_at", "closed_at", "cycle_hours")
    )
    return DrillDown(
        title=_("Repair and warranty orders delivered in the month, longest first"),
        rows=rows,
        columns=(*RO_COLUMNS, Column("cycle_hours", _("Repair cycle (h)"), "hours")),
    )


def on_time_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    late = Q(closed_at__gt=F("promised_at"))
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(promised_at__isnull=False)
        .annotate(late=ExpressionWrapper(late, output_field=BooleanField()))
        .annotate(late_hours=_hours("closed_at", "promised_at"))
        .order_by("-late", "closed_at", "ro_number")
        .values(
            "ro_number", "vin", "repair_type", "opened_at", "promised_at", "closed_at", "late", "late_hours"
        )
    )
    return DrillDown(
        title=_("Orders delivered in the month with a promised time; late ones flagged"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("promised_at", _("Promised"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("late", _("Late"), "flag"),
            Column("late_hours", _("Hours past promise"), "hours"),
        ),
        flag_key="late",
        flag_label=_("Late"),
        flag_filter=late,
    )


def appointment_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _repair_orders(user, dealer)
        .filter(opened_at__gte=month.start, opened_at__lt=month.end, booked_at__isnull=False)
        .annotate(lead_days=_days("opened_at", "booked_at"))
        .order_by("-lead_days", "ro_number")
        .values("ro_number", "vin", "repair_type", "booked_at", "opened_at", "lead_days")
    )
    return DrillDown(
        title=_("Booked orders opened in the month"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("booked_at", _("Booked"), "datetime"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("lead_days", _("Lead time (days)"), "days"),
        ),
    )


def complaint_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    overnight = Q(closed_at__isnull=True) | Q(hours_to_close__gt=24)
    rows = (
        Complaint.objects.for_user(user)
        # Complaints voided by an upheld appeal do not count, so they are not listed either.
        .filter(dealer_id=dealer.pk, received_at__gte=month.start, received_at__lt=month.end, excluded=False)
        .annotate(hours_to_close=_hours("closed_at", "received_at"))
        .annotate(overnight=ExpressionWrapper(overnight, output_field=BooleanField()))
        .order_by("-overnight", "received_at", "complaint_id")
        .values(
            "complaint_id",
            "received_at",
            "closed_at",
            "hours_to_close",
            "category",
            "severity",
            "repair_order__ro_number",
            "overnight",
        )
    )
    return DrillDown(
        title=_("Complaints received in the month; those not closed within 24 hours flagged"),
        rows=rows,
        columns=(
            Column("complaint_id", _("Complaint")),
            Column("received_at", _("Received"), "datetime"),
            Column("closed_at", _("Closed"), "datetime"),
            Column("hours_to_close", _("Hours to close"), "hours"),
            Column("category", _("Category"), "choice"),
            Column("severity", _("Severity"), "choice"),
            Column("repair_order__ro_number", _("RO number")),
            Column("overnight", _("Not closed in 24 h"), "flag"),
        ),
        flag_key="overnight",
        flag_label=_("Not closed in 24 h"),
        flag_filter=overnight,
    )


def _survey_records(user: Any, dealer: Dealer, month: Month, flag: Q, flag_label: Any) -> DrillDown:
    rows = (
        SurveyResponse.objects.for_user(user)
        .filter(
            dealer_id=dealer.pk, responded_at__gte=month.start, responded_at__lt=month.end, excluded=False
        )
        .annotate(csat_points=ExpressionWrapper((F("overall") - 1) * 25.0, output_field=FloatField()))
        .annotate(flagged=ExpressionWrapper(flag, output_field=BooleanField()))
        .order_by(F("flagged").desc(nulls_last=True), "responded_at", "response_id")
        .values(
            "response_id",
            "responded_at",
            "overall",
            "csat_points",
            "nps",
            "flagged",
            "repair_order__ro_number",
            "comment",
        )
    )
    return DrillDown(
        title=_("Survey responses received in the month (excluded responses are not counted)"),
        rows=rows,
        columns=(
            Column("response_id", _("Response")),
            Column("responded_at", _("Answered"), "datetime"),
            Column("overall", _("Overall (1–5)"), "number"),
            Column("csat_points", _("CSAT points"), "number"),
            Column("nps", _("Likelihood to recommend (0–10)"), "number"),
            Column("flagged", flag_label, "flag"),
            Column("repair_order__ro_number", _("RO number")),
            Column("comment", _("Comment")),
        ),
        flag_key="flagged",
        flag_label=flag_label,
        flag_filter=flag,
    )


def csat_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Survey responses; the dissatisfied ones (overall 1 or 2) flagged."""
    return _survey_records(user, dealer, month, Q(overall__lte=2), _("Dissatisfied (1–2)"))


def nps_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Survey responses; detractors (0–6) flagged."""
    return _survey_records(user, dealer, month, Q(nps__lte=6), _("Detractor (0–6)"))


def parts_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        PartsOrder.objects.for_user(user)
        .filter(dealer_id=dealer.pk, fulfilled_at__gte=month.start, fulfilled_at__lt=month.end)
        .annotate(supply_hours=_hours("fulfilled_at", "ordered_at"))
        .order_by("-supply_hours", "order_id")
        .values("order_id", "part_number", "quantity", "ordered_at", "fulfilled_at", "supply_hours")
    )
    return DrillDown(
        title=_("Parts orders fulfilled in the month, slowest first"),
        rows=rows,
        columns=(
            Column("order_id", _("Order")),
            Column("part_number", _("Part number")),
            Column("quantity", _("Quantity"), "number"),
            Column("ordered_at", _("Ordered"), "datetime"),
            Column("fulfilled_at", _("Fulfilled"), "datetime"),
            Column("supply_hours", _("Supply time (h)"), "hours"),
        ),
    )


def warranty_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type=RepairType.WARRANTY)
        .order_by("-warranty_cost", "ro_number")
        .values("ro_number", "vin", "fault_code", "opened_at", "closed_at", "warranty_cost")
    )
    return DrillDown(
        title=_("Warranty orders delivered in the month, most expensive first"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("fault_code", _("Fault code")),
            Column("opened_at", _("Opened"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("warranty_cost", _("Warranty cost (CNY)"), "money"),
        ),
    )


def delivered_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .annotate(
            output=ExpressionWrapper(
                F("labor_amount") + F("parts_amount"),
                output_field=DecimalField(max_digits=15, decimal_places=2),
            )
        )
        .order_by("closed_at", "ro_number")
        .values(
            "ro_number",
            "vin",
            "repair_type",
            "opened_at",
            "closed_at",
            "labor_amount",
            "parts_amount",
            "output",
        )
    )
    return DrillDown(
        title=_("All orders delivered in the month"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("labor_amount", _("Labour (CNY)"), "money"),
            Column("parts_amount", _("Parts (CNY)"), "money"),
            Column("output", _("Output (CNY)"), "money"),
        ),
    )


def submission_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        MonthlySubmission.objects.for_user(user)
        .filter(dealer_id=dealer.pk, period=str(month), status=SubmissionStatus.APPROVED)
        .annotate(
            certified_rate=ExpressionWrapper(
                100.0 * Cast("certified_technicians", FloatField()) / F("technicians"),
                output_field=FloatField(),
            ),
            equipment_rate=ExpressionWrapper(
                100.0 * Cast("equipment_ok", FloatField()) / F("equipment_total"), output_field=FloatField()
            ),
            training_per_technician=ExpressionWrapper(
                Cast("training_hours", FloatField()) / F("technicians"), output_field=FloatField()
            ),
        )
        .order_by("period")
        .values(
            "period",
            "technicians",
            "certified_technicians",
            "certified_rate",
            "equipment_total",
            "equipment_ok",
            "equipment_rate",
            "training_hours",
            "training_per_technician",
            "submitted_at",
            "reviewed_at",
        )
    )
    return DrillDown(
        title=_("The approved monthly submission"),
        rows=rows,
        columns=(
            Column("period", _("Period")),
            Column("technicians", _("Technicians"), "number"),
            Column("certified_technicians", _("Certified technicians"), "number"),
            Column("certified_rate", _("Certified staff rate (%)"), "number"),
            Column("equipment_total", _("Equipment total"), "number"),
            Column("equipment_ok", _("Equipment in working order"), "number"),
            Column("equipment_rate", _("Equipment availability (%)"), "number"),
            Column("training_hours", _("Training hours"), "number"),
            Column("training_per_technician", _("Training hours per technician"), "number"),
            Column("submitted_at", _("Submitted"), "datetime"),
            Column("reviewed_at", _("Approved"), "datetime"),
        ),
    )


DRILL_DOWNS: dict[str, Callable[[Any, Dealer, Month], DrillDown]] = {
    "certified_staff_rate": submission_records,
    "equipment_availability_rate": submission_records,
    "training_hours_per_technician": submission_records,
    "appointment_lead_days": appointment_records,
    "repair_cycle_hours": repair_cycle_records,
    "on_time_delivery_rate": on_time_records,
    "parts_supply_hours": parts_records,
    "complaint_closure_24h_rate": complaint_records,
    "complaint_rate": complaint_records,
    "csat": csat_records,
    "nps": nps_records,
    "first_time_fix_rate": first_time_fix_records,
    "warranty_cost_per_claim": warranty_records,
    "repair_count": delivered_records,
    "repair_output_value": delivered_records,
}


def drill_down(user: Any, dealer: Dealer, month: Month, kpi_code: str) -> DrillDown:
    """The records behind a KPI of a dealer for a month. The caller checked the dealer's scope."""
    return _with_changes(DRILL_DOWNS[kpi_code](user, dealer, month))


CHANGED_COLUMNS = (
    Column("changed_at", _("Changed"), "changed"),
    Column("changed_by__username", _("Changed by")),
)


def _with_changes(found: DrillDown) -> DrillDown:
    """Service records show whether they were changed since they arrived, by whom and when.

    Read from the record's own provenance in the same query (a join for the user's name);
    the before and after of each change are in RecordChange.
    """
    if not issubclass(found.rows.model, Provenance):
        return found
    rows = found.rows.values(*found.rows._fields, "changed_at", "changed_by__username")
    return replace(found, rows=rows, columns=(*found.columns, *CHANGED_COLUMNS))


def kpi_result_for(user: Any, dealer: Dealer, period_code: str, kpi_code: str) -> KpiResult | None:
    return (
        KpiResult.objects.filter(
            scorecard__in=Scorecard.objects.for_user(user).filter(
                dealer_id=dealer.pk, period__code=period_code
            ),
            kpi_code=kpi_code,
        )
        .select_related("scorecard")
        .first()
    )
