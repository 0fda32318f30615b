"""A dealer's home: what each recent month lacks, and the dealer's recent imports."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from typing import Any

from dealers.models import Dealer

from ..choices import ScorecardStatus, SubmissionStatus
from ..models import (
    ImportJob,
    Kpi,
    MonthlySubmission,
    Scorecard,
)
from .periods import PeriodRef
from .scorecard import KpiLine

SCORED = ScorecardStatus.SCORED


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
