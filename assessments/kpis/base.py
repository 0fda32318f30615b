"""What every KPI family shares: the registry entry, the measurements, the drill-down table.

A family module (`repair_orders`, `complaints`, `surveys`, `parts`, `submissions`) holds, for
each of its KPIs, the catalogue facts (scoring.md's table row), the grouped value query and
the records behind the value (its drill-down), side by side. `assessments.kpis` assembles
the families into one registry that recompute, the what-if preview, the drill-downs and the
API read.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field, replace
from datetime import datetime
from typing import Any, TypeAlias

from django.db.models import BooleanField, ExpressionWrapper, F, FloatField, Q, QuerySet
from django.utils.translation import gettext_lazy as _

from ..db_functions import EpochSeconds
from ..periods import Month
from ..scoring.catalogue import KpiDefinition

HOUR = 3600.0
DAY = 86400.0


@dataclass
class DealerMeasurements:
    """The raw counts and sums of one dealer (or one group) in one period, and its KPI values.

    `values` maps a KPI code to (value, n); `facts` holds the counts a family measured for
    another family's KPI (the deliveries behind the complaint rate).
    """

    values: dict[str, tuple[float | None, int]] = field(default_factory=dict)
    facts: dict[str, int] = field(default_factory=dict)
    major_complaints: int = 0
    data_as_of: datetime | None = None

    def set(self, code: str, value: float | None, n: int) -> None:
        """Store a KPI's value; where n = 0 the value is empty (scoring.md)."""
        self.values[code] = (value if n > 0 else None, n)

    def seen(self, moment: datetime | None) -> None:
        """Remember the newest import time behind the figures."""
        if moment is not None and (self.data_as_of is None or moment > self.data_as_of):
            self.data_as_of = moment


# Measurements per dealer id (or per group key), a row made on first use.
MeasurementTable: TypeAlias = defaultdict[Any, DealerMeasurements]


def new_table() -> MeasurementTable:
    return defaultdict(DealerMeasurements)


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

    def with_columns(self, rows: QuerySet, columns: tuple[Column, ...]) -> DrillDown:
        return replace(self, rows=rows, columns=columns)


Records: TypeAlias = Callable[[Any, Any, Month], DrillDown]  # (user, dealer, month) → the records


@dataclass(frozen=True)
class KpiEntry:
    """One KPI in the registry: its facts, the records behind it, the record kind an appeal
    may contest (None: the KPI counts the approved monthly report, which has its own review),
    and the remedy that most often moves it (a rectification order's task)."""

    facts: KpiDefinition
    records: Records
    appeal_kind: str | None = None
    remedy: Any = ""  # a lazy translation

    @property
    def code(self) -> str:
        return self.facts.code


# measure(month, dealer_ids, out, by): fill `out[key]` for every key of `by` with records.
Measure: TypeAlias = Callable[[Month, "Dealers", MeasurementTable, "str | None"], None]


@dataclass(frozen=True)
class Family:
    """A KPI family: its KPIs, one grouped query over its records, and the KPIs it derives
    once every family has measured (those that need another family's counts)."""

    name: str
    kpis: tuple[KpiEntry, ...]
    measure: Measure
    derive: Callable[[DealerMeasurements], None] | None = None


# The dealers measured: every dealer (None), a list of ids, or a query of ids (e.g. the dealers
# with a scorecard in the period, for a group's pooled figure).
Dealers: TypeAlias = "Sequence[int] | QuerySet | None"

# The key the grouped queries group by: a dealer's id, or a dealer field such as its region
# (`dealer__region_id`) or city tier (`dealer__city_tier`); None pools every record into one group.
GROUP = "group_key"


def scoped(qs: QuerySet, dealer_ids: Dealers) -> QuerySet:
    """The records of these dealers (all dealers for None: the engine sees every dealer)."""
    if dealer_ids is None:
        return qs
    return qs.filter(dealer_id__in=dealer_ids if isinstance(dealer_ids, QuerySet) else list(dealer_ids))


def grouped(qs: QuerySet, by: str | None) -> QuerySet:
    """`qs` grouped by `by` (see GROUP), its key as the row's `group_key`."""
    # Pooling everything still groups by an expression over the rows (always true), so that no
    # records give no row — an aggregate without GROUP BY would give one row of NULL sums.
    key = ExpressionWrapper(Q(pk__isnull=False), output_field=BooleanField()) if by is None else F(by)
    return qs.annotate(**{GROUP: key}).values(GROUP)


def hours_between(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper((EpochSeconds(end) - EpochSeconds(start)) / HOUR, output_field=FloatField())


def days_between(end: str, start: str) -> ExpressionWrapper:
    return ExpressionWrapper((EpochSeconds(end) - EpochSeconds(start)) / DAY, output_field=FloatField())


CHANGED_COLUMNS = (
    Column("changed_at", _("Changed"), "changed"),
    Column("changed_by__username", _("Changed by")),
)
