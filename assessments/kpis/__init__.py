"""The KPI registry: every KPI of scoring.md's catalogue, from the family that measures it.

Recompute, the what-if preview, the drill-downs, the scheme editor, the exports and the API
read KPIs only from here. A new KPI is one `KpiEntry` in its family's module (facts, value in
the family's grouped query, records) and its test.
"""

from __future__ import annotations

from typing import Any

from ..models import Provenance
from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from . import complaints, parts, repair_orders, submissions, surveys
from .base import CHANGED_COLUMNS, Column, DealerMeasurements, Dealers, DrillDown, Family, KpiEntry, new_table
from .repair_orders import COMEBACK_WINDOW, comeback_exists

__all__ = [
    "BY_CODE",
    "CATALOGUE",
    "COMEBACK_WINDOW",
    "ENTRIES",
    "FAMILIES",
    "Column",
    "DealerMeasurements",
    "DrillDown",
    "comeback_exists",
    "kpi_measurements",
    "kpi_name",
    "records",
]

# Measured in this order: the complaint rate derives from the deliveries of repair orders.
FAMILIES: tuple[Family, ...] = (
    submissions.FAMILY,
    repair_orders.FAMILY,
    parts.FAMILY,
    complaints.FAMILY,
    surveys.FAMILY,
)

ENTRIES: dict[str, KpiEntry] = {
    entry.code: entry for entry in sorted((e for f in FAMILIES for e in f.kpis), key=lambda e: e.facts.order)
}
CATALOGUE: tuple[KpiDefinition, ...] = tuple(entry.facts for entry in ENTRIES.values())
BY_CODE: dict[str, KpiDefinition] = {k.code: k for k in CATALOGUE}


def kpi_name(code: str) -> str:
    """The KPI's name in the active language; its code only when the catalogue lacks it."""
    from django.utils.translation import get_language

    kpi = BY_CODE.get(code)
    if kpi is None:
        return code
    return kpi.name_en if (get_language() or "zh-hans").startswith("en") else kpi.name_zh


def kpi_measurements(
    month: Month, dealer_ids: Dealers = None, by: str | None = "dealer_id"
) -> dict[Any, DealerMeasurements]:
    """Every KPI's value and sample size per dealer (or per `by` key: see base.GROUP), one
    grouped query per family, then the KPIs that need more than one family (first-time fix,
    complaint rate). With a group key, each group's figure pools its dealers' records."""
    out = new_table()
    for family in FAMILIES:
        family.measure(month, dealer_ids, out, by)
    for m in out.values():
        for family in FAMILIES:
            if family.derive is not None:
                family.derive(m)
    return dict(out)


def records(user: Any, dealer: Any, month: Month, kpi_code: str) -> DrillDown:
    """The records behind a KPI of a dealer for a month, as its family lists them (the
    drill-down). The caller checked the dealer's scope; every family reads through `for_user`.

    Service records also show whether they were changed since they arrived, by whom and when,
    read from the record's own provenance in the same query; the before and after of each
    change are in RecordChange.
    """
    found = ENTRIES[kpi_code].records(user, dealer, month)
    if not issubclass(found.rows.model, Provenance):
        return found
    rows = found.rows.values(*(column.key for column in found.columns), "changed_at", "changed_by__username")
    return found.with_columns(rows, (*found.columns, *CHANGED_COLUMNS))


def sync_catalogue(kpi_model: Any, using: str = "default") -> None:
    """Write the registry's facts into the KPI table (the labels pages and API read): after
    every migrate (assessments.apps), and in the migrations that first filled it."""
    for k in CATALOGUE:
        kpi_model.objects.using(using).update_or_create(
            code=k.code,
            defaults={
                "name_zh": k.name_zh,
                "name_en": k.name_en,
                "tier": k.tier,
                "dimension": k.dimension,
                "unit": k.unit,
                "direction": k.direction,
                "definition_zh": k.definition_zh,
                "definition_en": k.definition_en,
                "sort_order": k.order - 1,
            },
        )
