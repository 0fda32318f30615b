"""What a scorecard and a KPI drill-down show of appeals: the window, the links, the appeals filed."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from django import template

from assessments.models import Scorecard

from ..models import Appeal
from ..services.appeals import KPI_RECORD_KIND, RECORD_SPECS, appeal_window_end, appeal_window_open

register = template.Library()


@dataclass
class AppealState:
    """The appeal window of a scorecard as its reader sees it."""

    card: Scorecard | None = None
    window_open: bool = False
    window_end: datetime | None = None
    can_file: bool = False  # this user is the dealer's own and the window is open
    by_kpi: dict[str, Appeal] = field(default_factory=dict)
    key_field: str = ""  # the drill-down column naming a record the KPI counted
    reader_is_dealer: bool = False

    @property
    def fingerprint(self) -> tuple[Any, ...]:
        """Everything of this state the scorecard's KPI table shows: with the scorecards
        version, scope and language, the key its rendering is cached under."""
        return (
            self.card.pk if self.card else None,
            self.window_open,
            self.window_end.isoformat() if self.window_end else None,
            self.can_file,
            self.reader_is_dealer,
            tuple(sorted((kpi, a.pk, a.status) for kpi, a in self.by_kpi.items())),
        )


@register.simple_tag(takes_context=True)
def appeal_state(
    context: Any, card: Scorecard | None = None, dealer: Any = None, period_code: str = "", kpi_code: str = ""
) -> AppealState:
    """The appeal state of a scorecard (given, or found by dealer and month in the user's scope)."""
    user = context["request"].user
    if card is None and dealer is not None:
        card = (
            Scorecard.objects.for_user(user)
            .select_related("period")
            .filter(dealer_id=dealer.pk, period__code=period_code)
            .first()
        )
    if card is None:
        return AppealState()
    is_own = bool(getattr(user, "is_dealer_user", False)) and user.dealer_id == card.dealer_id
    window_open = appeal_window_open(card.period)
    by_kpi: dict[str, Appeal] = {}
    for appeal in Appeal.objects.for_user(user).filter(scorecard=card).order_by("filed_at"):
        by_kpi[appeal.kpi_code] = appeal  # the newest per KPI
    kind = KPI_RECORD_KIND.get(kpi_code)
    return AppealState(
        card=card,
        window_open=window_open,
        window_end=appeal_window_end(card.period),
        can_file=is_own and window_open,
        by_kpi=by_kpi,
        key_field=RECORD_SPECS[kind].key_field if kind else "",
        reader_is_dealer=bool(getattr(user, "is_dealer_user", False)),
    )
