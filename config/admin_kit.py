"""What every admin of a big table shares: no full COUNT(*), exact searches on indexed columns only.

Django's admin counts the rows of a list twice (once for the paginator, once for "N total"),
searches with `icontains` (`UPPER(col) LIKE '%x%'`: a scan of the whole table) and, with a
date hierarchy, reads every distinct day of the table. At 1 M repair orders that made the
repair-order list take 0.6–2.8 s (docs/benchmarks.md → "Admin at 1 M repair orders").
`BigTableAdmin` avoids all three:

- `EstimatedCountPaginator` counts exactly up to `EXACT_COUNT_LIMIT` rows (a count of a
  LIMITed subquery, which stops early); beyond that, on PostgreSQL, it takes the planner's
  estimate of the filtered query (`EXPLAIN`) — the list shows "about 1,000,000" pages of
  it, never a scan. Other databases (SQLite, the demo) count in full: there it is cheap.
- `show_full_result_count = False`: no second, unfiltered count.
- The search box matches whole values of columns that lead an index (a code, a VIN, a
  dealer's code, a user name, a repair-order number), declared per admin; never `LIKE`.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from typing import Any

from django.apps import apps
from django.contrib import admin
from django.core.paginator import Paginator
from django.db import connections
from django.db.models import Q, QuerySet
from django.http import HttpRequest
from django.utils.functional import cached_property
from django.utils.translation import gettext_lazy as _

# Lists with at most this many rows are counted exactly, on every database.
EXACT_COUNT_LIMIT = 10_000
# A search term finds at most this many repair orders or users by their number or name.
SEARCH_MATCH_LIMIT = 1_000


class EstimatedCountPaginator(Paginator):
    """Exact counts for small lists; the planner's estimate for big ones on PostgreSQL."""

    @cached_property
    def count(self) -> int:
        queryset = self.object_list
        if not isinstance(queryset, QuerySet):
            return super().count
        if connections[queryset.db].vendor != "postgresql":
            return queryset.count()
        capped = queryset.order_by()[: EXACT_COUNT_LIMIT + 1].count()
        if capped <= EXACT_COUNT_LIMIT:
            return capped
        return max(planner_row_estimate(queryset), capped)


def planner_row_estimate(queryset: QuerySet) -> int:
    """PostgreSQL's estimate of the rows `queryset` matches: EXPLAIN, no scan."""
    sql, params = queryset.order_by().values("pk").query.sql_with_params()
    with connections[queryset.db].cursor() as cursor:
        cursor.execute(f"EXPLAIN (FORMAT JSON) {sql}", params)
        plan = cursor.fetchone()[0]
    if isinstance(plan, str):
        plan = json.loads(plan)
    return int(plan[0]["Plan"]["Plan Rows"])


def dealer_ids_by_code(term: str) -> list[int]:
    from dealers.models import Dealer

    return list(Dealer.objects.filter(code__in={term, term.upper()}).values_list("pk", flat=True))


def user_ids_by_username(term: str) -> list[int]:
    from dealers.models import User

    return list(User.objects.filter(username=term).values_list("pk", flat=True)[:SEARCH_MATCH_LIMIT])


def repair_order_ids(term: str) -> list[int]:
    """Repair orders whose number or VIN is `term`.

    A number is unique per dealer, and its only index is (dealer, ro_number): asking for it
    dealer by dealer probes that index once per dealer (some 2,000 look-ups, ~50 ms at 1 M
    rows), where `ro_number = x` alone would read the whole table (~120 ms, twice per page).
    """
    from assessments.kpis.repair_orders import vehicle_repairs
    from assessments.models import RepairOrder
    from dealers.models import Dealer

    by_number = RepairOrder.objects.filter(dealer_id__in=Dealer.objects.values("pk"), ro_number=term)
    by_vin = vehicle_repairs(RepairOrder.objects.all(), term.upper())
    ids = list(by_number.values_list("pk", flat=True)[:SEARCH_MATCH_LIMIT])
    return ids + list(by_vin.values_list("pk", flat=True)[:SEARCH_MATCH_LIMIT])


class BigTableAdmin(admin.ModelAdmin):
    """The admin of a table that grows with the network's service data (see the module docstring).

    A subclass declares what its search box matches, exactly:
    `exact_search_fields` (own columns that lead an index), `search_dealer` (a `dealer` FK,
    by the dealer's code), `search_user_field` (a user FK, by user name) and
    `search_repair_order_field` (a repair-order FK, or "pk" on repair orders themselves, by
    RO number or VIN). `search_fields` only switches the search box on; it is not used.
    """

    paginator = EstimatedCountPaginator
    show_full_result_count = False
    date_hierarchy = None

    exact_search_fields: Sequence[str] = ()
    search_dealer: bool = True
    search_user_field: str = ""
    search_repair_order_field: str = ""

    def get_search_fields(self, request: HttpRequest) -> list[str]:
        fields = [*self.exact_search_fields]
        if self.search_dealer:
            fields.append("dealer__code")
        if self.search_user_field:
            fields.append(f"{self.search_user_field}__username")
        if self.search_repair_order_field:
            fields.append(self.search_repair_order_field)
        return fields

    def get_search_results(
        self, request: HttpRequest, queryset: QuerySet, search_term: str
    ) -> tuple[QuerySet, bool]:
        term = search_term.strip()
        if not term:
            return queryset, False
        match = Q(pk__in=[])
        for field in self.exact_search_fields:
            match |= Q(**{f"{field}__in": {term, term.upper()}})
        if self.search_dealer:
            match |= Q(dealer_id__in=dealer_ids_by_code(term))
        if self.search_user_field:
            match |= Q(**{f"{self.search_user_field}_id__in": user_ids_by_username(term)})
        if self.search_repair_order_field:
            match |= Q(**{f"{self.search_repair_order_field}__in": repair_order_ids(term)})
        return queryset.filter(match), False


class PeriodCodeFilter(admin.SimpleListFilter):
    """The month of a record that stores it as a code ("2026-10"): the months come from the
    small Period table, not from a DISTINCT over the big one."""

    title = _("month")
    parameter_name = "period"

    def lookups(self, request: HttpRequest, model_admin: Any) -> list[tuple[str, str]]:
        from assessments.models import Period

        return [(code, code) for code in Period.objects.order_by("-code").values_list("code", flat=True)]

    def queryset(self, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(period=value) if value else queryset


def month_filter(field: str, title: Any) -> type[admin.SimpleListFilter]:
    """A list filter on the month of the datetime `field` (the months of the Period table), as a
    range that an index on `field` serves — in place of a date hierarchy, which reads every
    distinct day of the table."""

    def lookups(
        self: admin.SimpleListFilter, request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, str]]:
        from assessments.models import Period

        return [(code, code) for code in Period.objects.order_by("-code").values_list("code", flat=True)]

    def queryset(self: admin.SimpleListFilter, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        from assessments.periods import Month

        value = self.value()
        if not value:
            return queryset
        try:
            month = Month.parse(value)
        except ValueError:
            return queryset.none()
        return queryset.filter(**{f"{field}__gte": month.start, f"{field}__lt": month.end})

    return type(
        f"{field.title().replace('_', '')}MonthFilter",
        (admin.SimpleListFilter,),
        {"title": title, "parameter_name": "month", "lookups": lookups, "queryset": queryset},
    )


def values_filter(field: str, title: Any, values: Sequence[Any]) -> type[admin.SimpleListFilter]:
    """A list filter on `field` offering fixed `values`, for a column without choices whose
    values are known (a 1–5 rating, a model label): no DISTINCT over a big table."""

    def lookups(
        self: admin.SimpleListFilter, request: HttpRequest, model_admin: Any
    ) -> list[tuple[str, str]]:
        return [(str(value), str(value)) for value in values]

    def queryset(self: admin.SimpleListFilter, request: HttpRequest, queryset: QuerySet) -> QuerySet:
        value = self.value()
        return queryset.filter(**{field: value}) if value else queryset

    return type(
        f"{field.title()}ValuesFilter",
        (admin.SimpleListFilter,),
        {"title": title, "parameter_name": field, "lookups": lookups, "queryset": queryset},
    )


def provenance_model_labels() -> list[str]:
    """The models whose changes RecordChange records (every Provenance model)."""
    from assessments.models.provenance import Provenance

    return sorted(m._meta.label_lower for m in apps.get_models() if issubclass(m, Provenance))
