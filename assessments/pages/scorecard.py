"""The scorecard page of one dealer and month, its KPI rows and the drill-down behind each row."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any

from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer

from ..choices import ScorecardStatus
from ..kpis import BY_CODE
from ..kpis.peers import VOLUME_BANDS, peer_key, volume_band
from ..models import (
    Kpi,
    KpiResult,
    Scorecard,
)
from ..periods import Month
from ..scoring.catalogue import TIERS
from ..scoring.comparisons import MIN_PEERS, PeerPosition, change_of, change_percent, peer_position
from .cache import cached
from .periods import change_between, default_period, visible_periods

SCORED = ScorecardStatus.SCORED


@dataclass
class KpiLine:
    """One KPI row of a scorecard, with its catalogue label."""

    result: KpiResult
    kpi: Kpi | None
    # The same dealer's value of this KPI in the same month a year earlier (stored KpiResult).
    last_year: float | None = None
    # Where the value stands in the dealer's peer group (None: no peer group this month).
    peer: PeerPosition | None = None

    @property
    def code(self) -> str:
        return self.result.kpi_code

    @property
    def change_last_year(self) -> float | None:
        """value − last year's value (scoring.md → Comparisons)."""
        return change_of(self.result.value, self.last_year)

    @property
    def change_last_year_percent(self) -> float | None:
        """The change in % of last year's value; None where either is empty or last year's is 0."""
        return change_percent(self.result.value, self.last_year)

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
class PeerGroup:
    """The dealer's peer group in the month (kpis/peers.py): its key, what it means, and how
    many other scored dealers are in it. No dealer of it is named."""

    key: str
    city_tier: int
    band_label: str
    others: int

    @property
    def min_peers(self) -> int:
        return MIN_PEERS


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
    peer_group: PeerGroup | None = None

    @property
    def change(self) -> float | None:
        return change_between(
            _float(self.card.total_score), _float(self.previous.total_score) if self.previous else None
        )

    @property
    def change_last_year(self) -> float | None:
        return change_between(
            _float(self.card.total_score), _float(self.last_year.total_score) if self.last_year else None
        )

    @property
    def rankchange_between(self) -> int | None:
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


def last_year_values(user: Any, card: Scorecard) -> dict[str, float | None]:
    """The same dealer's KPI values in the same month a year earlier, by KPI code (one query;
    the card of that month read through `for_user`, like every card of the dealer)."""
    month = card.period.month.shift(-12)
    cards = Scorecard.objects.for_user(user).filter(dealer_id=card.dealer_id, period__code=str(month))
    return dict(KpiResult.objects.filter(scorecard__in=cards).values_list("kpi_code", "value"))


def _band_range(band: str) -> tuple[int, int | None]:
    """The lowest repair count of a volume band and the lowest of the next one (None: no next)."""
    codes = [code for code, _lowest, _label in VOLUME_BANDS]
    index = codes.index(band)
    upper = VOLUME_BANDS[index + 1][1] if index + 1 < len(VOLUME_BANDS) else None
    return VOLUME_BANDS[index][1], upper


def peer_values(
    card: Scorecard, repair_count: float | None
) -> tuple[PeerGroup | None, dict[str, list[float]]]:
    """The dealer's peer group in the card's month and, per KPI, the valid values of the
    group's other scored dealers (one query; none without a repair count).

    Like `network_size`, this read does not go through `for_user`: a dealer user may see no
    other dealer, yet its peer position needs theirs. Only the values leave the query, with
    no dealer attached; the page shows counts, the median and the percentile
    (scoring/comparisons.py), never a peer's name, code or value of its own.
    """
    band = volume_band(repair_count)
    key = peer_key(card.dealer.city_tier, repair_count)
    if band is None or key is None:
        return None, {}
    lowest, upper = _band_range(band)
    in_band = KpiResult.objects.filter(
        scorecard=OuterRef("scorecard"), kpi_code="repair_count", value__gte=lowest
    )
    if upper is not None:
        in_band = in_band.filter(value__lt=upper)
    rows = (
        KpiResult.objects.filter(
            Exists(in_band),
            scorecard__period_id=card.period_id,
            scorecard__status=SCORED,
            scorecard__dealer__city_tier=card.dealer.city_tier,
            valid=True,
            value__isnull=False,
        )
        .exclude(scorecard__dealer_id=card.dealer_id)
        .values_list("scorecard_id", "kpi_code", "value")
    )
    values: dict[str, list[float]] = defaultdict(list)
    dealers = set()
    for scorecard_id, kpi_code, value in rows:
        if value is not None:  # never: the query leaves empty values out
            values[kpi_code].append(value)
        dealers.add(scorecard_id)
    label = next(str(text) for code, _lowest, text in VOLUME_BANDS if code == band)
    return PeerGroup(key, card.dealer.city_tier, label, len(dealers)), dict(values)


def compare_lines(
    lines: list[KpiLine],
    card: Scorecard,
    last_year: dict[str, float | None],
    peers: dict[str, list[float]] | None,
) -> None:
    """Give each line last year's value and its peer position (`peers` None: no peer group)."""
    scored = card.status == SCORED
    for line in lines:
        line.last_year = last_year.get(line.code)
        if peers is not None:
            own = line.result.value if line.result.valid else None
            line.peer = peer_position(own, peers.get(line.code, []), line.direction, own_counts=scored)


def scorecard_page(user: Any, card: Scorecard) -> ScorecardPage:
    """Everything the scorecard page shows beyond the card itself (seven queries: six without
    a repair count, which leaves the dealer without a peer group)."""
    lines = kpi_lines(card)
    repair_count = next((line.result.value for line in lines if line.code == "repair_count"), None)
    group, peers = peer_values(card, repair_count)
    compare_lines(lines, card, last_year_values(user, card), peers if group is not None else None)
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
        peer_group=group,
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


# --- drill-downs -------------------------------------------------------------------------


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


def scorecard_with_page(user: Any, code: str, period_code: str) -> tuple[Scorecard, ScorecardPage] | None:
    """A dealer's scorecard of a month in the user's scope and what its page shows beyond it
    (eight queries), or None; none when cached (pages/cache.py: keyed by the scorecards
    version, scope and language). Appeals and whether they may be filed are not in it."""

    def compute() -> tuple[Scorecard, ScorecardPage] | None:
        card = scorecard_for(user, code, period_code)
        return None if card is None else (card, scorecard_page(user, card))

    return cached(user, "scorecard", (code, period_code), compute)
