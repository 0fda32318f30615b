"""The complaint family: complaints closed within 24 hours and the complaint rate.

Complaints voided by an upheld appeal (`excluded`) count in neither KPI and are not listed.
The complaint rate's denominator, the ROs delivered, comes from the repair-order family.
"""

from __future__ import annotations

from typing import Any

from django.db.models import BooleanField, Count, ExpressionWrapper, Max, Q
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer

from ..choices import Severity
from ..db_functions import EpochSeconds
from ..models import Complaint
from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from .base import (
    DAY,
    GROUP,
    Column,
    DealerMeasurements,
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
    within_24h = Q(closed_at__isnull=False) & Q(closed_within__lte=DAY)
    complaints = scoped(
        Complaint.objects.filter(received_at__gte=month.start, received_at__lt=month.end, excluded=False),
        dealer_ids,
    ).annotate(closed_within=EpochSeconds("closed_at") - EpochSeconds("received_at"))
    for row in (
        grouped(complaints, by)
        .annotate(
            n=Count("id"),
            in_24h=Count("id", filter=within_24h),
            major=Count("id", filter=Q(severity=Severity.MAJOR)),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row[GROUP]]
        m.seen(row["seen"])
        m.set("complaint_closure_24h_rate", 100.0 * row["in_24h"] / row["n"], row["n"])
        m.major_complaints = row["major"]
        m.facts["complaints"] = row["n"]


def derive(m: DealerMeasurements) -> None:
    """Complaints per 1,000 ROs delivered (every row gets one; no deliveries: empty)."""
    deliveries = m.facts.get("deliveries", 0)
    complaints = m.facts.get("complaints", 0)
    m.set("complaint_rate", 1000.0 * complaints / deliveries if deliveries else None, deliveries)


def complaint_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    overnight = Q(closed_at__isnull=True) | Q(hours_to_close__gt=24)
    rows = (
        Complaint.objects.for_user(user)
        # Complaints voided by an upheld appeal do not count, so they are not listed either.
        .filter(dealer_id=dealer.pk, received_at__gte=month.start, received_at__lt=month.end, excluded=False)
        .annotate(hours_to_close=hours_between("closed_at", "received_at"))
        .annotate(overnight=ExpressionWrapper(overnight, output_field=BooleanField()))
        .order_by("-overnight", "received_at", "complaint_id")
        .values(
            "complaint_id",
            "received_at",
            "closed_at",
            "hours_to_close",
            "category",
            "severity",
            "repair_order__ro_number",
            "overnight",
        )
    )
    return DrillDown(
        title=_("Complaints received in the month; those not closed within 24 hours flagged"),
        rows=rows,
        columns=(
            Column("complaint_id", _("Complaint")),
            Column("received_at", _("Received"), "datetime"),
            Column("closed_at", _("Closed"), "datetime"),
            Column("hours_to_close", _("Hours to close"), "hours"),
            Column("category", _("Category"), "choice"),
            Column("severity", _("Severity"), "choice"),
            Column("repair_order__ro_number", _("RO number")),
            Column("overnight", _("Not closed in 24 h"), "flag"),
        ),
        flag_key="overnight",
        flag_label=_("Not closed in 24 h"),
        flag_filter=overnight,
    )


FAMILY = Family(
    name="complaints",
    measure=measure,
    derive=derive,
    kpis=(
        KpiEntry(
            KpiDefinition(
                "complaint_closure_24h_rate",
                "投诉24小时结案率",
                "Complaints closed within 24 h",
                "process",
                "satisfaction",
                "%",
                "higher",
                "当月受理的投诉中，24小时内结案的比例（问题不过夜）",
                "share of complaints received in the period closed within 24 hours",
                order=8,
            ),
            complaint_records,
            "complaint",
            remedy=_("Name who answers each new complaint and close it within 24 hours"),
        ),
        KpiEntry(
            KpiDefinition(
                "complaint_rate",
                "客诉率",
                "Complaint rate",
                "result",
                "satisfaction",
                "‰",
                "lower",
                "每千台次交车的投诉数",
                "complaints received per 1,000 ROs closed in the period",
                order=11,
            ),
            complaint_records,
            "complaint",
            remedy=_("Analyse this quarter's complaints by cause and fix the three most frequent"),
        ),
    ),
)
