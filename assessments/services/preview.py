"""What-if: a month's ranking under a draft scheme beside the published scorecards.

Computed from the KPI values stored on the period's scorecards (plus a live set-wise pass
only for KPIs the published scheme did not track), with the same engine as a recompute,
so the preview equals what publishing the draft and recomputing would give. Nothing is
written.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass
from decimal import Decimal

from ..kpis import kpi_measurements
from ..models import KpiResult, Scheme, Scorecard
from ..periods import Month
from ..scoring.engine import DealerInput, Measurement, SchemeParams, ScorecardOutcome, score_period
from .schemes import scheme_params


@dataclass
class PreviewRow:
    dealer_id: int
    dealer_code: str
    dealer_name: str
    region: str
    published_total: Decimal | None
    published_grade: str
    published_rank: int | None
    draft_total: Decimal | None
    draft_grade: str
    draft_rank: int | None

    @property
    def rank_change(self) -> int | None:
        """Positive: the dealer moves up under the draft."""
        if self.published_rank is None or self.draft_rank is None:
            return None
        return self.published_rank - self.draft_rank

    @property
    def total_change(self) -> Decimal | None:
        if self.published_total is None or self.draft_total is None:
            return None
        return self.draft_total - self.published_total


@dataclass
class Preview:
    period: str
    rows: list[PreviewRow]
    grade_moves: dict[tuple[str, str], int]

    @property
    def biggest_movers(self) -> list[PreviewRow]:
        moved = [r for r in self.rows if r.rank_change]
        return sorted(moved, key=lambda r: (-abs(r.rank_change or 0), r.dealer_code))[:10]

    @property
    def changed_count(self) -> int:
        return sum(1 for r in self.rows if r.rank_change or r.published_grade != r.draft_grade)


def preview_outcomes(
    params: SchemeParams, period_code: str
) -> tuple[list[Scorecard], list[ScorecardOutcome]]:
    """Score the dealers of a period's stored scorecards under `params`."""
    cards = list(
        Scorecard.objects.filter(period__code=period_code).select_related("dealer").order_by("dealer_id")
    )
    stored: dict[int, dict[str, Measurement]] = {c.dealer_id: {} for c in cards}
    by_card = {c.pk: c.dealer_id for c in cards}
    for scorecard_id, code, value, n in KpiResult.objects.filter(
        scorecard__period__code=period_code
    ).values_list("scorecard_id", "kpi_code", "value", "sample_size"):
        stored[by_card[scorecard_id]][code] = Measurement(value, n)
    wanted = {k.code for k in params.kpis}
    if any(wanted - set(values) for values in stored.values()):
        live = kpi_measurements(Month.parse(period_code), list(stored))
        for dealer_id, values in stored.items():
            measured = live.get(dealer_id)
            for code in wanted - set(values):
                value, n = measured.values.get(code, (None, 0)) if measured else (None, 0)
                values[code] = Measurement(value, n)
    inputs = [
        DealerInput(c.dealer_id, c.region_name, stored[c.dealer_id], c.major_complaints, c.veto)
        for c in cards
    ]
    return cards, score_period(params, inputs)


def scheme_preview(*, draft: Scheme, period_code: str) -> Preview:
    cards, outcomes = preview_outcomes(scheme_params(draft), period_code)
    by_dealer = {o.dealer_id: o for o in outcomes}
    rows = []
    moves: Counter[tuple[str, str]] = Counter()
    for card in cards:
        outcome = by_dealer[card.dealer_id]
        rows.append(
            PreviewRow(
                dealer_id=card.dealer_id,
                dealer_code=card.dealer.code,
                dealer_name=card.dealer.name,
                region=card.region_name,
                published_total=card.total_score,
                published_grade=card.grade,
                published_rank=card.rank,
                draft_total=outcome.total,
                draft_grade=outcome.grade,
                draft_rank=outcome.rank,
            )
        )
        moves[(card.grade or "—", outcome.grade or "—")] += 1
    rows.sort(key=lambda r: (r.draft_rank is None, r.draft_rank or 0, r.dealer_code))
    return Preview(period=period_code, rows=rows, grade_moves=dict(moves))
