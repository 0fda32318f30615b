"""The ranking page: the period's scorecards in scope, sortable, with last month's change."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from functools import cached_property
from typing import Any

from django.core.paginator import Page, Paginator
from django.db.models import (
    DecimalField,
    ExpressionWrapper,
    F,
    FilteredRelation,
    Q,
    QuerySet,
    Value,
)
from django.http import QueryDict

from ..filtersets import ScorecardFilterSet
from ..models import Kpi, KpiResult, Scorecard
from .cache import cached
from .periods import SCORED, PeriodRef, period_id_of, pick_period, visible_periods
from .scorecard import unit_label, value_decimals

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
class Ranking:
    """The ranking page: the month shown, the months to pick from, the filters and the rows
    (filtered and sorted; `rows` and `filterset` are None when no month has a scorecard)."""

    period: PeriodRef | None
    periods: list[PeriodRef]
    filterset: ScorecardFilterSet | None
    sort_key: str
    descending: bool

    @cached_property
    def rows(self) -> QuerySet | None:
        """Built when read: a page served from the cache never needs its queryset."""
        if self.filterset is None:
            return None
        return ranking_rows(order_ranking(self.filterset.qs, self.sort_key, self.descending))


def ranking_page(user: Any, params: QueryDict) -> Ranking | None:
    """The ranking for these query parameters (period, filters, sort); None when the month
    asked for is not one the user can see. Two queries until the rows are read."""
    periods = visible_periods(user)
    asked = params.get("period")
    period = pick_period(periods, asked)
    key, descending = parse_sort(params.get("sort"))
    if period is None:
        return None if asked else Ranking(None, periods, None, key, descending)
    data = params.copy()  # keeps every value of a repeated filter
    data["period"] = period.code
    filterset = ScorecardFilterSet(data, queryset=ranking_queryset(user, period, periods))
    return Ranking(period, periods, filterset, key, descending)


class _KnownRows(Sequence):
    """One page of rows out of `count`, for a Paginator: it only takes len() and that slice."""

    def __init__(self, count: int, start: int, rows: list[dict[str, Any]]) -> None:
        self.total, self.start, self.rows = count, start, rows

    def __len__(self) -> int:
        return self.total

    def __getitem__(self, index: Any) -> Any:
        if not isinstance(index, slice):
            return self.rows[index - self.start]
        return self.rows[(index.start or 0) - self.start : (index.stop or self.total) - self.start]


def ranking_rows_page(user: Any, found: Ranking, params: QueryDict, per_page: int) -> Page:
    """The page of ranking rows asked for by `params` ("page"); two queries (count and rows),
    none when cached (pages/cache.py: keyed by the scorecards version, scope, language, and
    every query parameter)."""

    def compute() -> tuple[int, int, list[dict[str, Any]]]:
        assert found.rows is not None  # a Ranking with a period has its rows
        page = Paginator(found.rows, per_page).get_page(params.get("page"))
        return page.paginator.count, page.number, list(page.object_list)

    query = tuple(sorted((k, tuple(params.getlist(k))) for k in params))
    count, number, rows = cached(user, "ranking", (found.period, per_page, query), compute)
    return Paginator(_KnownRows(count, (number - 1) * per_page, rows), per_page).get_page(number)


# --- the wide sheet: every dealer of the ranking × every KPI of the month ----------------


@dataclass
class KpiColumn:
    """One KPI of the wide sheet: its code, its name in the reader's language, its unit and
    how many decimals its value is shown with on the scorecard."""

    code: str
    name: str
    unit: str
    decimals: int


@dataclass
class KpiSheet:
    """The ranking's rows (filters and sort applied) with each row's KPI values and scores."""

    kpis: list[KpiColumn]
    rows: list[tuple[dict[str, Any], dict[str, tuple[float | None, float | None]]]]


def kpi_sheet(user: Any, found: Ranking) -> KpiSheet:
    """Every dealer of the ranking as shown × every KPI scored in the month: value and score,
    rounded as the scorecard shows them. Three queries whatever the number of dealers and KPIs
    (the rows, the month's KPI results in scope, the catalogue)."""
    assert found.period is not None and found.rows is not None  # a Ranking with a period has rows
    rows = list(found.rows.values("id", *RANKING_FIELDS))
    in_scope = Scorecard.objects.for_user(user).filter(period_id=found.period.id)
    results: dict[int, dict[str, tuple[float | None, float | None]]] = {}
    codes: set[str] = set()
    catalogue = {kpi.code: kpi for kpi in Kpi.objects.all()}  # in the catalogue's order
    units = {code: kpi.unit for code, kpi in catalogue.items()}
    for scorecard_id, code, value, score in KpiResult.objects.filter(scorecard__in=in_scope).values_list(
        "scorecard_id", "kpi_code", "value", "score"
    ):
        results.setdefault(scorecard_id, {})[code] = (
            None if value is None else round(value, value_decimals(units.get(code, ""))),
            None if score is None else round(float(score), 2),
        )
        codes.add(code)
    order = {code: i for i, code in enumerate(catalogue)}
    kpis = [
        KpiColumn(
            code,
            catalogue[code].name if code in catalogue else code,
            unit_label(units.get(code, "")),
            value_decimals(units.get(code, "")),
        )
        for code in sorted(codes, key=lambda c: (order.get(c, len(order)), c))
    ]
    return KpiSheet(kpis, [(row, results.get(row["id"], {})) for row in rows])
