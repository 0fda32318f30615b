"""From KPI values to scorecards, exactly as scoring.md → "From values to a total" and "Ranks".

Pure functions over plain data: a scheme's parameters and each dealer's KPI values in, the
scorecards out. Full precision throughout; only reported figures are rounded (half up).
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal

from .catalogue import TIERS
from .rounding import round_half_up

SCORED = "scored"
INSUFFICIENT_DATA = "insufficient_data"


@dataclass(frozen=True)
class KpiParams:
    """One KPI's entry in a scheme, with the catalogue facts the engine needs."""

    code: str
    tier: str
    direction: str  # "higher" or "lower"
    weight: float
    method: str = "threshold"
    floor: float | None = None
    target: float | None = None
    min_sample: int = 1


@dataclass(frozen=True)
class SchemeParams:
    min_coverage: float
    grade_bands: tuple[tuple[str, float], ...]
    deduction_per_item: float
    deduction_cap: float
    kpis: tuple[KpiParams, ...]


@dataclass(frozen=True)
class Measurement:
    """A KPI's value and sample size for a dealer and period. value is None where n = 0."""

    value: float | None
    sample_size: int


NO_MEASUREMENT = Measurement(None, 0)  # a KPI the dealer has no row for


@dataclass(frozen=True)
class DealerInput:
    dealer_id: int
    region: str
    measurements: Mapping[str, Measurement]
    major_complaints: int = 0
    veto: bool = False


@dataclass
class KpiOutcome:
    code: str
    tier: str
    value: float | None
    sample_size: int
    valid: bool
    weight: float
    raw_score: float | None  # full precision, None where not valid or weight 0
    score: Decimal | None
    contribution: Decimal | None
    invalid_reason: str = ""  # "no_data" or "small_sample" where not valid


@dataclass
class ScorecardOutcome:
    dealer_id: int
    region: str
    status: str
    coverage: float
    total: Decimal | None
    grade: str
    deduction: Decimal | None
    veto: bool
    major_complaints: int
    tier_scores: dict[str, Decimal | None]
    kpis: list[KpiOutcome]
    rank: int | None = None
    region_rank: int | None = None
    weighted: float | None = field(default=None, repr=False)


def is_valid(measurement: Measurement, min_sample: int) -> bool:
    """Valid where n ≥ min_sample and the value is not empty."""
    return measurement.value is not None and measurement.sample_size >= min_sample


def threshold_score(value: float, floor: float, target: float) -> float:
    """100 × clamp((v − floor) / (target − floor), 0, 1); one formula for both directions."""
    ratio = (value - floor) / (target - floor)
    return 100.0 * min(1.0, max(0.0, ratio))


def relative_scores(values: Mapping[int, float], direction: str) -> dict[int, float]:
    """Rank each dealer's value from worst (rank 1) to best, ties sharing the mean rank.

    s = 100 × (r − 1) / (m − 1), and 100 where m = 1.
    """
    m = len(values)
    if m == 0:
        return {}
    if m == 1:
        return {dealer_id: 100.0 for dealer_id in values}
    # Worst first: for higher-is-better the smallest value is worst; for lower, the largest.
    ordered = sorted(values.items(), key=lambda item: item[1], reverse=(direction == "lower"))
    scores: dict[int, float] = {}
    position = 0
    while position < m:
        end = position
        while end + 1 < m and ordered[end + 1][1] == ordered[position][1]:
            end += 1
        mean_rank = (position + 1 + end + 1) / 2.0
        for dealer_id, _value in ordered[position : end + 1]:
            scores[dealer_id] = 100.0 * (mean_rank - 1.0) / (m - 1.0)
        position = end + 1
    return scores


def competition_ranks(totals: Mapping[int, Decimal]) -> dict[int, int]:
    """Highest first; equal totals share a rank and the next rank skips (1, 2, 2, 4)."""
    ordered = sorted(totals.items(), key=lambda item: item[1], reverse=True)
    ranks: dict[int, int] = {}
    previous: Decimal | None = None
    current_rank = 0
    for index, (dealer_id, total) in enumerate(ordered, start=1):
        if total != previous:
            current_rank = index
            previous = total
        ranks[dealer_id] = current_rank
    return ranks


def grade_for(total: Decimal, bands: Sequence[tuple[str, float]], veto: bool) -> str:
    """The first band whose minimum the total reaches; a veto sets the last band."""
    if veto:
        return bands[-1][0]
    for grade, minimum in bands:
        if total >= Decimal(repr(float(minimum))):
            return grade
    return bands[-1][0]


def _kpi_scores(scheme: SchemeParams, dealers: Sequence[DealerInput]) -> dict[tuple[int, str], float]:
    """Full-precision score of every valid weighted KPI of every dealer."""
    scores: dict[tuple[int, str], float] = {}
    for kpi in scheme.kpis:
        if kpi.weight <= 0:
            continue
        valid_values: dict[int, float] = {}
        for dealer in dealers:
            measurement = dealer.measurements.get(kpi.code, NO_MEASUREMENT)
            if is_valid(measurement, kpi.min_sample):
                assert measurement.value is not None
                valid_values[dealer.dealer_id] = measurement.value
        if kpi.method == "relative":
            for dealer_id, score in relative_scores(valid_values, kpi.direction).items():
                scores[(dealer_id, kpi.code)] = score
        else:
            assert kpi.floor is not None and kpi.target is not None
            for dealer_id, value in valid_values.items():
                scores[(dealer_id, kpi.code)] = threshold_score(value, kpi.floor, kpi.target)
    return scores


def score_dealer(
    scheme: SchemeParams, dealer: DealerInput, kpi_scores: Mapping[tuple[int, str], float]
) -> ScorecardOutcome:
    """One dealer's scorecard, before ranks."""
    outcomes: list[KpiOutcome] = []
    weight_all = sum(k.weight for k in scheme.kpis if k.weight > 0)
    weight_valid = 0.0
    weighted_sum = 0.0
    tier_sums: dict[str, list[float]] = defaultdict(lambda: [0.0, 0.0])
    for kpi in scheme.kpis:
        measurement = dealer.measurements.get(kpi.code, NO_MEASUREMENT)
        valid = is_valid(measurement, kpi.min_sample)
        reason = "" if valid else ("no_data" if measurement.value is None else "small_sample")
        raw = kpi_scores.get((dealer.dealer_id, kpi.code)) if valid and kpi.weight > 0 else None
        if raw is not None:
            weight_valid += kpi.weight
            weighted_sum += kpi.weight * raw
            tier_sums[kpi.tier][0] += kpi.weight * raw
            tier_sums[kpi.tier][1] += kpi.weight
        outcomes.append(
            KpiOutcome(
                code=kpi.code,
                tier=kpi.tier,
                value=measurement.value,
                sample_size=measurement.sample_size,
                valid=valid,
                weight=float(kpi.weight),
                raw_score=raw,
                score=round_half_up(raw, 2),
                contribution=None,
                invalid_reason=reason,
            )
        )
    coverage = weight_valid / weight_all if weight_all > 0 else 0.0
    tier_scores: dict[str, Decimal | None] = {
        tier: round_half_up(tier_sums[tier][0] / tier_sums[tier][1], 2) if tier_sums[tier][1] > 0 else None
        for tier in TIERS
    }
    card = ScorecardOutcome(
        dealer_id=dealer.dealer_id,
        region=dealer.region,
        status=INSUFFICIENT_DATA,
        coverage=coverage,
        total=None,
        grade="",
        deduction=None,
        veto=dealer.veto,
        major_complaints=dealer.major_complaints,
        tier_scores=tier_scores,
        kpis=outcomes,
    )
    # With no valid weighted KPI there is nothing to share the weight out to: no total.
    if coverage < scheme.min_coverage or weight_valid <= 0:
        return card
    weighted = weighted_sum / weight_valid
    deduction = min(scheme.deduction_cap, scheme.deduction_per_item * dealer.major_complaints)
    total = round_half_up(max(0.0, weighted - deduction), 2)
    assert total is not None
    for outcome in outcomes:
        if outcome.raw_score is not None:
            outcome.contribution = round_half_up(outcome.weight * outcome.raw_score / weight_valid, 2)
    card.status = SCORED
    card.weighted = weighted
    card.deduction = round_half_up(deduction, 2)
    card.total = total
    card.grade = grade_for(total, scheme.grade_bands, dealer.veto)
    return card


def assign_ranks(cards: Iterable[ScorecardOutcome]) -> None:
    """Set rank and region_rank on the scored cards (competition ranking on rounded totals)."""
    scored = [c for c in cards if c.status == SCORED and c.total is not None]
    national = competition_ranks({c.dealer_id: c.total for c in scored if c.total is not None})
    by_region: dict[str, dict[int, Decimal]] = defaultdict(dict)
    for card in scored:
        assert card.total is not None
        by_region[card.region][card.dealer_id] = card.total
    regional: dict[int, int] = {}
    for totals in by_region.values():
        regional.update(competition_ranks(totals))
    for card in scored:
        card.rank = national[card.dealer_id]
        card.region_rank = regional[card.dealer_id]


def score_period(scheme: SchemeParams, dealers: Sequence[DealerInput]) -> list[ScorecardOutcome]:
    """Every dealer's scorecard for one period, ranked."""
    kpi_scores = _kpi_scores(scheme, dealers)
    cards = [score_dealer(scheme, dealer, kpi_scores) for dealer in dealers]
    assign_ranks(cards)
    return cards
