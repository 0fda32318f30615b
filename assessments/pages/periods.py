"""Which months a user can see, and which one a page opens on (one rule for every page)."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from datetime import date
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db.models import (
    Count,
    Exists,
    OuterRef,
    Q,
)
from django.utils import timezone

from dealers.models import Dealer, Region

from ..choices import ScorecardStatus
from ..models import (
    Period,
    Scheme,
    Scorecard,
)
from ..periods import Month
from ..services.submissions import deadline_for
from .cache import cached

SCORED = ScorecardStatus.SCORED
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
    """The periods with at least one scorecard in the user's scope, newest first (two queries,
    three when none of the newest three months qualifies as the default; none when cached:
    pages/cache.py).

    Each comes with its count of scorecards and of scored ones in the scope (counted from the
    newest down to the default month; older months show 0), and whether it is in progress
    (not ended, or newer than the default month). With `dealer_code`, the
    scope is narrowed to that one dealer.
    """
    today = today or timezone.localdate()
    return cached(user, "periods", (today, dealer_code), lambda: _visible_periods(user, today, dealer_code))


# Months counted first: the default month is nearly always among the newest few, and months
# older than it show no counts (they are not "in progress"), so the others are counted only
# when none of these qualifies. Counting every month grew with the history (124,000 cards at
# five years: 221 ms of the overview's 245 ms, docs/benchmarks.md → "Five years of history").
COUNTED_FIRST = 3


def _visible_periods(user: Any, today: date, dealer_code: str | None) -> list[PeriodRef]:
    cards = Scorecard.objects.for_user(user)
    if dealer_code is not None:
        cards = cards.filter(dealer__code=dealer_code)
    # One index probe per month (the unique key period, dealer), whatever the history.
    months = list(
        Period.objects.filter(Exists(cards.filter(period_id=OuterRef("pk"))))
        .order_by("-code")
        .values_list("id", "code")
    )
    counts = _counts(cards, [pk for pk, _ in months[:COUNTED_FIRST]])
    if (
        not any(p.ended and p.mostly_scored for p in _refs(months[:COUNTED_FIRST], counts, today))
        and len(months) > COUNTED_FIRST
    ):
        counts |= _counts(cards, [pk for pk, _ in months[COUNTED_FIRST:]])
    periods = _refs(months, counts, today)
    default = default_period(periods)
    return [replace(p, in_progress=not p.ended or default is None or p.code > default.code) for p in periods]


def _counts(cards: Any, period_ids: list[int]) -> dict[int, tuple[int, int]]:
    """{period id: (scorecards, scored)} of the given months in the scope (one query)."""
    if not period_ids:
        return {}
    rows = (
        cards.filter(period_id__in=period_ids)
        .values("period_id")
        .annotate(n=Count("id"), scored=Count("id", filter=Q(status=SCORED)))
        .order_by()
        .values_list("period_id", "n", "scored")
    )
    return {pk: (n, scored) for pk, n, scored in rows}


def _refs(months: list[tuple[int, str]], counts: dict[int, tuple[int, int]], today: date) -> list[PeriodRef]:
    """Months not counted (older than a default month found among the newest) show 0 of 0:
    they are never in progress, so no page shows their counts."""
    return [_period_ref(pk, Month.parse(code), today, *counts.get(pk, (0, 0))) for pk, code in months]


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
    """The grades of the scheme the period was scored under, best first (one query; cached)."""
    return cached(user, "grades", (period_id,), lambda: _grade_bands_for_period(user, period_id))


def _grade_bands_for_period(user: Any, period_id: int) -> list[str]:
    scheme_ids = Scorecard.objects.for_user(user).filter(period_id=period_id).values("scheme_id")
    scheme = Scheme.objects.filter(pk__in=scheme_ids).order_by("-version").only("grade_bands").first()
    if scheme is None or not scheme.grade_bands:
        return list(DEFAULT_GRADES)
    return [str(band[0]) for band in scheme.grade_bands]


def visible_regions(user: Any) -> list[str]:
    """Names of the regions that hold at least one dealer the user may see (one query; cached)."""
    return cached(user, "regions", (), lambda: _visible_regions(user))


def _visible_regions(user: Any) -> list[str]:
    dealers = Dealer.objects.for_user(user).filter(region_id=OuterRef("pk"))
    return list(Region.objects.filter(Exists(dealers)).order_by("name").values_list("name", flat=True))


# --- small arithmetic helpers ------------------------------------------------------------


# --- small arithmetic helpers ------------------------------------------------------------


def avg(total: Decimal | float | None, n: int) -> float | None:
    return float(total) / n if n and total is not None else None


def change_between(current: float | None, before: float | None) -> float | None:
    if current is None or before is None:
        return None
    return round(current - before, 2)
