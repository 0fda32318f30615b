"""The parts family: parts supply time over parts orders fulfilled in the period."""

from __future__ import annotations

from typing import Any

from django.db.models import Count, Max, Sum
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer

from ..db_functions import EpochSeconds
from ..models import PartsOrder
from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from .base import (
    GROUP,
    HOUR,
    Column,
    Dealers,
    DrillDown,
    Family,
    KpiEntry,
    MeasurementTable,
    grouped,
    hours_between,
    scoped,
)


def measure(month: Month, dealer_ids: Dealers, out: MeasurementTable, by: str | None) -> None:
    parts = scoped(
        PartsOrder.objects.filter(fulfilled_at__gte=month.start, fulfilled_at__lt=month.end), dealer_ids
    )
    for row in (
        grouped(parts, by)
        .annotate(
            n=Count("id"),
            seconds=Sum(EpochSeconds("fulfilled_at") - EpochSeconds("ordered_at")),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row[GROUP]]
        m.set("parts_supply_hours", float(row["seconds"]) / row["n"] / HOUR, row["n"])
        m.seen(row["seen"])


def parts_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        PartsOrder.objects.for_user(user)
        .filter(dealer_id=dealer.pk, fulfilled_at__gte=month.start, fulfilled_at__lt=month.end)
        .annotate(supply_hours=hours_between("fulfilled_at", "ordered_at"))
        .order_by("-supply_hours", "order_id")
        .values("order_id", "part_number", "quantity", "ordered_at", "fulfilled_at", "supply_hours")
    )
    return DrillDown(
        title=_("Parts orders fulfilled in the month, slowest first"),
        rows=rows,
        columns=(
            Column("order_id", _("Order")),
            Column("part_number", _("Part number")),
            Column("quantity", _("Quantity"), "number"),
            Column("ordered_at", _("Ordered"), "datetime"),
            Column("fulfilled_at", _("Fulfilled"), "datetime"),
            Column("supply_hours", _("Supply time (h)"), "hours"),
        ),
    )


FAMILY = Family(
    name="parts",
    measure=measure,
    kpis=(
        KpiEntry(
            KpiDefinition(
                "parts_supply_hours",
                "配件供应时长",
                "Parts supply time",
                "process",
                "efficiency",
                "h",
                "lower",
                "当月到货的配件订单，(到货时间 − 订货时间) 的平均小时数",
                "mean of (fulfilled − ordered) in hours over parts orders fulfilled in the period",
                order=7,
            ),
            parts_records,
            "parts_order",
            remedy=_("Review stock levels of the most-ordered parts and speed up orders"),
        ),
    ),
)
