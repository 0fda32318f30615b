"""Reads that span relations: KPI values set-wise per period, scorecard lists, drill-downs.

Every function that serves a user takes the user and goes through `for_user` (dealers.scoping).
The KPI value functions serve the engine, which sees every dealer.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import Count, Exists, F, Max, OuterRef, Q, QuerySet, Sum

from surveys.models import SurveyResponse

from .choices import REPAIR_TYPES_FOR_REPAIR_KPIS, RepairType, Severity, SubmissionStatus
from .db_functions import EpochSeconds
from .models import Complaint, MonthlySubmission, PartsOrder, RepairOrder
from .periods import Month

COMEBACK_WINDOW = timedelta(seconds=2_592_000)  # exactly 30 days
HOUR = 3600.0
DAY = 86400.0


@dataclass
class DealerMeasurements:
    """The raw counts and sums of one dealer in one period, from which KPI values follow."""

    values: dict[str, tuple[float | None, int]] = field(default_factory=dict)
    major_complaints: int = 0
    data_as_of: datetime | None = None

    def set(self, code: str, value: float | None, n: int) -> None:
        self.values[code] = (value if n > 0 else None, n)

    def seen(self, moment: datetime | None) -> None:
        if moment is not None and (self.data_as_of is None or moment > self.data_as_of):
            self.data_as_of = moment


def _scoped(qs: QuerySet, dealer_ids: Sequence[int] | None) -> QuerySet:
    return qs if dealer_ids is None else qs.filter(dealer_id__in=list(dealer_ids))


def comeback_exists(outer_closed_at: Any = None) -> Exists:
    """A later repair RO of the same VIN and fault opened within 30 days of this RO's delivery."""
    closed = OuterRef("closed_at") if outer_closed_at is None else outer_closed_at
    return Exists(
        RepairOrder.objects.filter(
            vin=OuterRef("vin"),
            fault_code=OuterRef("fault_code"),
            repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS,
            opened_at__gt=closed,
            opened_at__lte=closed + COMEBACK_WINDOW,
        ).exclude(pk=OuterRef("pk"))  # "another" repair order
    )


def kpi_measurements(month: Month, dealer_ids: Sequence[int] | None = None) -> dict[int, DealerMeasurements]:
    """Every KPI's value and sample size for each dealer, one grouped query per KPI family."""
    start, end = month.start, month.end
    out: dict[int, DealerMeasurements] = defaultdict(DealerMeasurements)

    # Appointment lead time: ROs opened in the period that were booked.
    lead = _scoped(
        RepairOrder.objects.filter(opened_at__gte=start, opened_at__lt=end, booked_at__isnull=False),
        dealer_ids,
    )
    for row in (
        lead.values("dealer_id")
        .annotate(
            n=Count("id"),
            seconds=Sum(EpochSeconds("opened_at") - EpochSeconds("booked_at")),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        out[row["dealer_id"]].set("appointment_lead_days", float(row["seconds"]) / row["n"] / DAY, row["n"])
        out[row["dealer_id"]].seen(row["seen"])

    # Deliveries: ROs closed in the period.
    closed = _scoped(RepairOrder.objects.filter(closed_at__gte=start, closed_at__lt=end), dealer_ids)
    repair_q = Q(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
    warranty_q = Q(repair_type=RepairType.WARRANTY)
    for row in (
        closed.values("dealer_id")
        .annotate(
            n=Count("id"),
            output=Sum(F("labor_amount") + F("parts_amount")),
            promised=Count("id", filter=Q(promised_at__isnull=False)),
            on_time=Count("id", filter=Q(promised_at__isnull=False, closed_at__lte=F("promised_at"))),
            repairs=Count("id", filter=repair_q),
            warranty=Count("id", filter=warranty_q),
            warranty_cost=Sum("warranty_cost", filter=warranty_q),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row["dealer_id"]]
        m.seen(row["seen"])
        n = row["n"]
        m.set("repair_count", float(n), n)
        m.set("repair_output_value", float(row["output"] or 0), n)
        m.set(
            "on_time_delivery_rate",
            100.0 * row["on_time"] / row["promised"] if row["promised"] else None,
            row["promised"],
        )
        warranty = row["warranty"]
        m.set(
            "warranty_cost_per_claim",
            float(row["warranty_cost"] or 0) / warranty if warranty else None,
            warranty,
        )
        m.values["_repairs_closed"] = (None, row["repairs"])
        m.values["_deliveries"] = (None, n)

    # First-time fix: repair ROs closed in the period with a comeback.
    comebacks = _scoped(
        RepairOrder.objects.filter(
            closed_at__gte=start, closed_at__lt=end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
        ),
        dealer_ids,
    ).filter(comeback_exists(), comeback_waived=False)  # waived by an upheld appeal
    comeback_counts = {
        r["dealer_id"]: r["n"] for r in comebacks.values("dealer_id").annotate(n=Count("id")).order_by()
    }

    # Repair cycle: median hours of repair ROs closed in the period.
    medians = _repair_cycle_medians(start, end, dealer_ids)

    # Parts supply: orders fulfilled in the period.
    parts = _scoped(PartsOrder.objects.filter(fulfilled_at__gte=start, fulfilled_at__lt=end), dealer_ids)
    for row in (
        parts.values("dealer_id")
        .annotate(
            n=Count("id"),
            seconds=Sum(EpochSeconds("fulfilled_at") - EpochSeconds("ordered_at")),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        out[row["dealer_id"]].set("parts_supply_hours", float(row["seconds"]) / row["n"] / HOUR, row["n"])
        out[row["dealer_id"]].seen(row["seen"])

    # Complaints received in the period.
    within_24h = Q(closed_at__isnull=False) & Q(closed_within__lte=DAY)
    complaints = _scoped(
        Complaint.objects.filter(received_at__gte=start, received_at__lt=end, excluded=False), dealer_ids
    ).annotate(closed_within=EpochSeconds("closed_at") - EpochSeconds("received_at"))
    complaint_counts: dict[int, int] = {}
    for row in (
        complaints.values("dealer_id")
        .annotate(
            n=Count("id"),
            in_24h=Count("id", filter=within_24h),
            major=Count("id", filter=Q(severity=Severity.MAJOR)),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row["dealer_id"]]
        m.seen(row["seen"])
        m.set("complaint_closure_24h_rate", 100.0 * row["in_24h"] / row["n"], row["n"])
        m.major_complaints = row["major"]
        complaint_counts[row["dealer_id"]] = row["n"]

    # Surveys answered in the period (excluded responses do not count).
    surveys = _scoped(
        SurveyResponse.objects.filter(responded_at__gte=start, responded_at__lt=end, excluded=False),
        dealer_ids,
    )
    for row in (
        surveys.values("dealer_id")
        .annotate(
            n=Count("id"),
            overall_sum=Sum("overall"),
            nps_n=Count("id", filter=Q(nps__isnull=False)),
            promoters=Count("id", filter=Q(nps__gte=9)),
            detractors=Count("id", filter=Q(nps__lte=6)),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row["dealer_id"]]
        m.seen(row["seen"])
        n = row["n"]
        m.set("csat", 25.0 * (row["overall_sum"] - n) / n, n)
        nps_n = row["nps_n"]
        m.set("nps", 100.0 * (row["promoters"] - row["detractors"]) / nps_n if nps_n else None, nps_n)

    # Capacity: the approved submission for the period.
    submissions = _scoped(
        MonthlySubmission.objects.filter(period=str(month), status=SubmissionStatus.APPROVED), dealer_ids
    )
    for sub in submissions.values(
        "dealer_id",
        "technicians",
        "certified_technicians",
        "equipment_total",
        "equipment_ok",
        "training_hours",
        "imported_at",
        "reviewed_at",
    ):
        m = out[sub["dealer_id"]]
        m.seen(sub["imported_at"] or sub["reviewed_at"])
        tech, equip = sub["technicians"], sub["equipment_total"]
        m.set("certified_staff_rate", 100.0 * sub["certified_technicians"] / tech if tech else None, tech)
        m.set("equipment_availability_rate", 100.0 * sub["equipment_ok"] / equip if equip else None, equip)
        m.set("training_hours_per_technician", float(sub["training_hours"]) / tech if tech else None, tech)

    # Derived KPIs that need more than one family.
    for dealer_id, m in out.items():
        repairs = m.values.pop("_repairs_closed", (None, 0))[1]
        deliveries = m.values.pop("_deliveries", (None, 0))[1]
        fixed = repairs - comeback_counts.get(dealer_id, 0)
        m.set("first_time_fix_rate", 100.0 * fixed / repairs if repairs else None, repairs)
        m.set(
            "complaint_rate",
            1000.0 * complaint_counts.get(dealer_id, 0) / deliveries if deliveries else None,
            deliveries,
        )
        if dealer_id in medians:
            median, n = medians[dealer_id]
            m.set("repair_cycle_hours", median, n)
    return dict(out)


def _repair_cycle_medians(
    start: datetime, end: datetime, dealer_ids: Sequence[int] | None
) -> dict[int, tuple[float, int]]:
    """Median repair cycle in hours per dealer (even count: mean of the two middle values)."""
    qs = _scoped(
        RepairOrder.objects.filter(
            closed_at__gte=start, closed_at__lt=end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
        ),
        dealer_ids,
    )
    seconds = EpochSeconds("closed_at") - EpochSeconds("opened_at")
    if connection.vendor == "postgresql":
        return _postgres_medians(qs, seconds)
    durations: dict[int, list[float]] = defaultdict(list)
    for dealer_id, value in (
        qs.annotate(cycle=seconds).values_list("dealer_id", "cycle").order_by().iterator(chunk_size=20000)
    ):
        durations[dealer_id].append(float(value))
    return {d: (statistics.median(v) / HOUR, len(v)) for d, v in durations.items()}


def _postgres_medians(qs: QuerySet, seconds: Any) -> dict[int, tuple[float, int]]:
    from django.db.models import Aggregate, FloatField

    class Median(Aggregate):
        function = "percentile_cont"
        template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
        output_field = FloatField()

    rows = qs.values("dealer_id").annotate(median=Median(seconds), n=Count("id")).order_by()
    return {r["dealer_id"]: (float(r["median"]) / HOUR, r["n"]) for r in rows}
