"""Freezing a period's evidence when it closes.

Imports can no longer add or change a record that a closed month counted
(assessments/importing/closed_months.py). One thing a closed month counted still depends
on later data: whether a repair it delivered had a comeback, which looks 30 days ahead, into
months that stay open. So closing a period records its comebacks, and the closed month's
first-time-fix drill-down reads that record instead of the live rule. See docs/closed-months.md.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Mapping
from datetime import datetime
from typing import Any

from django.db import connection
from django.utils import timezone

from ..choices import REPAIR_TYPES_FOR_REPAIR_KPIS
from ..db_functions import month_scans
from ..kpis import COMEBACK_WINDOW, comeback_exists
from ..kpis.repair_orders import opened_in_buckets, within_comeback_window
from ..models import ComebackSnapshot, FrozenComeback, Period, RepairOrder


def period_freeze_comebacks(period: Period) -> ComebackSnapshot:
    """Record the period's comebacks: each repair delivered in it that has one, with every
    repair that followed it (at any dealer), as the comeback rule finds them now.

    Called by `period_close` in its transaction; taking it again replaces the old one.
    """
    month = period.month
    snapshot, _created = ComebackSnapshot.objects.update_or_create(
        period=period, defaults={"taken_at": timezone.now()}
    )
    snapshot.comebacks.all().delete()
    with month_scans():  # the month's window of repairs, by bitmap, never the whole history
        repairs = list(
            RepairOrder.objects.filter(
                closed_at__gte=month.start,
                closed_at__lt=month.end,
                repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS,
            )
            .filter(comeback_exists(month), comeback_waived=False)
            .values("id", "dealer_id", "vin", "fault_code", "closed_at")
            .order_by()
        )
    followers = _repairs_opened_after(
        sorted({r["vin"] for r in repairs}), month.start, month.end + COMEBACK_WINDOW
    )
    rows = []
    for repair in repairs:
        closed_at = repair["closed_at"]
        assert closed_at is not None  # the query asked for repairs closed in the month
        for follower in followers[(repair["vin"], repair["fault_code"])]:
            if follower["id"] != repair["id"] and within_comeback_window(closed_at, follower["opened_at"]):
                rows.append(
                    FrozenComeback(
                        snapshot=snapshot,
                        repair_order_id=repair["id"],
                        dealer_id=repair["dealer_id"],
                        following_dealer_id=follower["dealer_id"],
                        following_ro_number=follower["ro_number"],
                        following_opened_at=follower["opened_at"],
                    )
                )
    FrozenComeback.objects.bulk_create(rows, batch_size=2000)
    return snapshot


def _repairs_opened_after(
    vins: list[str], start: datetime, end: datetime
) -> dict[tuple[str, str], list[Mapping[str, Any]]]:
    """Repair ROs of these vehicles opened in (start, end], by (vin, fault code)."""
    out: dict[tuple[str, str], list[Mapping[str, Any]]] = defaultdict(list)
    size = max(100, min((connection.features.max_query_params or 50_000) - 100, 50_000))
    for first in range(0, len(vins), size):
        for row in (
            opened_in_buckets(RepairOrder.objects.all(), start, end)
            .filter(
                vin__in=vins[first : first + size],
                repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS,
                opened_at__gt=start,
                opened_at__lte=end,
            )
            .values("id", "dealer_id", "ro_number", "vin", "fault_code", "opened_at")
            .order_by()
        ):
            out[(row["vin"], row["fault_code"])].append(row)
    return out
