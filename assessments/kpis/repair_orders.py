"""The repair-order family: appointment lead time, repair cycle, on-time delivery, first-time
fix, warranty cost per claim, repair count and output value (scoring.md → the catalogue).

Three grouped queries serve every dealer: ROs opened in the period (appointments), ROs closed
in the period (deliveries, with the comeback semi-join counted alongside), and the median
repair cycle.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import connection
from django.db.models import (
    Aggregate,
    BooleanField,
    Count,
    DecimalField,
    Exists,
    ExpressionWrapper,
    F,
    FloatField,
    Max,
    OuterRef,
    Q,
    QuerySet,
    Subquery,
    Sum,
)
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer

from ..choices import REPAIR_TYPES_FOR_REPAIR_KPIS, RepairType
from ..db_functions import ComebackBucket, EpochSeconds, comeback_bucket, month_scans
from ..models import ComebackSnapshot, FrozenComeback, RepairOrder
from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from .base import (
    DAY,
    GROUP,
    HOUR,
    Column,
    DealerMeasurements,
    Dealers,
    DrillDown,
    Family,
    KpiEntry,
    MeasurementTable,
    days_between,
    grouped,
    hours_between,
    scoped,
)

COMEBACK_WINDOW = timedelta(seconds=2_592_000)  # exactly 30 days


def within_comeback_window(closed_at: datetime, opened_at: datetime) -> bool:
    """The comeback rule's window for a pair already known to be repair ROs of the same VIN
    and fault: opened after the delivery and at most exactly 30 days after it."""
    return closed_at < opened_at <= closed_at + COMEBACK_WINDOW


def following_repairs(repairs: QuerySet, delivered_in: Month | None = None) -> QuerySet:
    """Of `repairs`, those that would make a comeback of the outer RO: repair ROs of its VIN
    and fault opened within 30 days after its delivery, other than itself.

    Two more conditions never change the answer but keep the look-up's cost off the history:
    - the two 30-day buckets the window can fall in (db_functions.py), the leading column of
      the comeback index: a probe reads two small slices of it, not a B-tree of every
      vehicle's five years;
    - with `delivered_in` (the outer ROs were delivered in that month), the window of every
      such delivery, (month start, month end + 30 days]: PostgreSQL may then hash the repairs
      opened in those two months instead of probing once per delivery, and with the bound it
      no longer hashes all 61 M repair orders of five years (15.8 s) to find them.
    """
    closed = OuterRef("closed_at")
    bucket = ComebackBucket(closed)
    following = repairs.alias(opened_bucket=ComebackBucket("opened_at")).filter(
        opened_bucket__in=[bucket, bucket + 1],
        vin=OuterRef("vin"),
        fault_code=OuterRef("fault_code"),
        repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS,
        opened_at__gt=closed,
        opened_at__lte=closed + COMEBACK_WINDOW,
    )
    if delivered_in is not None:
        following = following.filter(
            opened_at__gt=delivered_in.start, opened_at__lte=delivered_in.end + COMEBACK_WINDOW
        )
    return following.exclude(pk=OuterRef("pk"))  # "another" repair order


# Service events are dated from 2000 to a day ahead of the clock (importing/values.py); the
# slack after now covers records written otherwise (the admin, an appeal) a year ahead.
VEHICLE_HISTORY_FROM = datetime(2000, 1, 1, tzinfo=UTC)
VEHICLE_HISTORY_AHEAD = timedelta(days=400)


def opened_in_buckets(repairs: QuerySet, first: datetime, last: datetime) -> QuerySet:
    """Of `repairs`, those in the 30-day buckets from `first`'s to `last`'s: the comeback index's
    leading column named, so that a look-up by VIN over that span probes the index."""
    buckets = list(range(comeback_bucket(first), comeback_bucket(last) + 1))
    return repairs.alias(opened_bucket=ComebackBucket("opened_at")).filter(opened_bucket__in=buckets)


def vehicle_repairs(repairs: QuerySet, vin: str) -> QuerySet:
    """Of `repairs`, the vehicle's repair orders, all of its history.

    The only index that leads to a VIN is the comeback index, and it leads with the 30-day
    bucket: so the VIN is looked up in every bucket a repair order can be in (some 330 short
    probes, a few ms on five years) instead of reading the whole table. A VIN-first index
    would cost every imported row a write at a random place of a B-tree of five years.
    """
    span = opened_in_buckets(repairs, VEHICLE_HISTORY_FROM, timezone.now() + VEHICLE_HISTORY_AHEAD)
    return span.filter(vin=vin)


def comeback_exists(delivered_in: Month | None = None) -> Exists:
    """A later repair RO of the same VIN and fault opened within 30 days of this RO's delivery
    (`delivered_in`: the month the outer ROs were delivered in, where the caller knows it)."""
    return Exists(following_repairs(RepairOrder.objects.all(), delivered_in))


# --- values --------------------------------------------------------------------------------


def measure(month: Month, dealer_ids: Dealers, out: MeasurementTable, by: str | None) -> None:
    with month_scans():
        _measure(month, dealer_ids, out, by)


def _measure(month: Month, dealer_ids: Dealers, out: MeasurementTable, by: str | None) -> None:
    start, end = month.start, month.end

    # Appointment lead time: ROs opened in the period that were booked.
    booked = scoped(
        RepairOrder.objects.filter(opened_at__gte=start, opened_at__lt=end, booked_at__isnull=False),
        dealer_ids,
    )
    for row in (
        grouped(booked, by)
        .annotate(
            n=Count("id"),
            seconds=Sum(EpochSeconds("opened_at") - EpochSeconds("booked_at")),
            seen=Max("imported_at"),
        )
        .order_by()
    ):
        m = out[row[GROUP]]
        m.set("appointment_lead_days", float(row["seconds"]) / row["n"] / DAY, row["n"])
        m.seen(row["seen"])

    # Deliveries: ROs closed in the period.
    closed = scoped(RepairOrder.objects.filter(closed_at__gte=start, closed_at__lt=end), dealer_ids)
    repair_q = Q(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
    warranty_q = Q(repair_type=RepairType.WARRANTY)
    for row in (
        grouped(closed, by)
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
        m = out[row[GROUP]]
        m.seen(row["seen"])
        n = row["n"]
        m.set("repair_count", float(n), n)
        m.set("repair_output_value", float(row["output"] or 0), n)
        promised = row["promised"]
        m.set("on_time_delivery_rate", 100.0 * row["on_time"] / promised if promised else None, promised)
        warranty = row["warranty"]
        m.set(
            "warranty_cost_per_claim",
            float(row["warranty_cost"] or 0) / warranty if warranty else None,
            warranty,
        )
        m.facts["repairs_closed"] = row["repairs"]
        m.facts["deliveries"] = n

    # First-time fix: repair ROs closed in the period with a comeback (not waived by an appeal).
    comebacks = scoped(
        RepairOrder.objects.filter(
            closed_at__gte=start, closed_at__lt=end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
        ),
        dealer_ids,
    ).filter(comeback_exists(month), comeback_waived=False)
    # (Under month_scans: the window's repairs read by bitmap and hashed, never all of them.)
    for row in grouped(comebacks, by).annotate(n=Count("id")).order_by():
        out[row[GROUP]].facts["comebacks"] = row["n"]

    # Repair cycle: the median hours of repair ROs closed in the period.
    for key, (median, n) in _repair_cycle_medians(month, dealer_ids, by).items():
        out[key].set("repair_cycle_hours", median, n)


def derive(m: DealerMeasurements) -> None:
    """First-time fix from the repairs delivered and their comebacks (every row gets one)."""
    repairs = m.facts.get("repairs_closed", 0)
    fixed = repairs - m.facts.get("comebacks", 0)
    m.set("first_time_fix_rate", 100.0 * fixed / repairs if repairs else None, repairs)


class Median(Aggregate):
    """PostgreSQL's continuous median: the mean of the two middle values for an even count."""

    function = "percentile_cont"
    template = "%(function)s(0.5) WITHIN GROUP (ORDER BY %(expressions)s)"
    output_field = FloatField()


def _repair_cycle_medians(month: Month, dealer_ids: Dealers, by: str | None) -> dict[Any, tuple[float, int]]:
    """Median repair cycle in hours per key (even count: mean of the two middle values)."""
    qs = scoped(
        RepairOrder.objects.filter(
            closed_at__gte=month.start, closed_at__lt=month.end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
        ),
        dealer_ids,
    )
    seconds = EpochSeconds("closed_at") - EpochSeconds("opened_at")
    if connection.vendor == "postgresql":
        rows = grouped(qs, by).annotate(median=Median(seconds), n=Count("id")).order_by()
        return {r[GROUP]: (float(r["median"]) / HOUR, r["n"]) for r in rows}
    durations: dict[Any, list[float]] = defaultdict(list)
    for key, value in (
        grouped(qs, by)
        .annotate(cycle=seconds)
        .values_list(GROUP, "cycle")
        .order_by()
        .iterator(chunk_size=20000)
    ):
        durations[key].append(float(value))
    return {key: (statistics.median(values) / HOUR, len(values)) for key, values in durations.items()}


# --- records -------------------------------------------------------------------------------

RO_COLUMNS = (
    Column("ro_number", _("RO number")),
    Column("vin", _("VIN")),
    Column("repair_type", _("Repair type"), "choice"),
    Column("fault_code", _("Fault code")),
    Column("opened_at", _("Opened"), "datetime"),
    Column("closed_at", _("Delivered"), "datetime"),
)


def _repair_orders(user: Any, dealer: Dealer) -> QuerySet:
    return RepairOrder.objects.for_user(user).filter(dealer_id=dealer.pk)


def _closed_in(qs: QuerySet, month: Month) -> QuerySet:
    return qs.filter(closed_at__gte=month.start, closed_at__lt=month.end)


def first_time_fix_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    """Repair ROs delivered in the period; a comeback is flagged with the repair that followed.

    Whether there was a comeback is the engine's own rule (`comeback_exists`, any dealer).
    The repair that followed is named only where the user may see it; a comeback at a
    dealer outside the user's scope is shown as such, without its number.
    A closed month reads the comebacks recorded when it closed (services/freeze.py), so
    repairs imported later for the following month do not change what it counted.
    """
    snapshot_id = (
        ComebackSnapshot.objects.filter(period__code=str(month)).values_list("pk", flat=True).first()
    )
    comeback: dict[str, Any]
    if snapshot_id is not None:
        frozen = FrozenComeback.objects.filter(snapshot_id=snapshot_id, repair_order_id=OuterRef("pk"))
        seen = frozen.filter(following_dealer__in=Dealer.objects.for_user(user)).order_by(
            "following_opened_at", "following_ro_number"
        )
        comeback = {
            "comeback": Exists(frozen),
            "next_ro": Subquery(seen.values("following_ro_number")[:1]),
            "next_dealer": Subquery(seen.values("following_dealer__code")[:1]),
            "next_opened_at": Subquery(seen.values("following_opened_at")[:1]),
        }
    else:
        following = following_repairs(RepairOrder.objects.for_user(user), month).order_by("opened_at", "pk")
        comeback = {
            # A comeback waived by an upheld appeal is not one.
            "comeback": ExpressionWrapper(
                comeback_exists(month) & Q(comeback_waived=False), output_field=BooleanField()
            ),
            "next_ro": Subquery(following.values("ro_number")[:1]),
            "next_dealer": Subquery(following.values("dealer__code")[:1]),
            "next_opened_at": Subquery(following.values("opened_at")[:1]),
        }
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
        .annotate(**comeback)
        .order_by("-comeback", "closed_at", "ro_number")
        .values(
            "ro_number",
            "vin",
            "repair_type",
            "fault_code",
            "opened_at",
            "closed_at",
            "comeback",
            "next_ro",
            "next_dealer",
            "next_opened_at",
        )
    )
    return DrillDown(
        title=_("Repair orders delivered in the month; comebacks within 30 days flagged"),
        rows=rows,
        columns=(
            *RO_COLUMNS,
            Column("comeback", _("Comeback"), "flag"),
            Column("next_ro", _("Repair that followed")),
            Column("next_dealer", _("At dealer")),
            Column("next_opened_at", _("Comeback opened"), "datetime"),
        ),
        flag_key="comeback",
        flag_label=_("Comeback"),
        flag_filter=Q(comeback=True),
    )


def repair_cycle_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
        .annotate(cycle_hours=hours_between("closed_at", "opened_at"))
        .order_by("-cycle_hours", "ro_number")
        .values("ro_number", "vin", "repair_type", "fault_code", "opened_at", "closed_at", "cycle_hours")
    )
    return DrillDown(
        title=_("Repair and warranty orders delivered in the month, longest first"),
        rows=rows,
        columns=(*RO_COLUMNS, Column("cycle_hours", _("Repair cycle (h)"), "hours")),
    )


def on_time_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    late = Q(closed_at__gt=F("promised_at"))
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(promised_at__isnull=False)
        .annotate(late=ExpressionWrapper(late, output_field=BooleanField()))
        .annotate(late_hours=hours_between("closed_at", "promised_at"))
        .order_by("-late", "closed_at", "ro_number")
        .values(
            "ro_number", "vin", "repair_type", "opened_at", "promised_at", "closed_at", "late", "late_hours"
        )
    )
    return DrillDown(
        title=_("Orders delivered in the month with a promised time; late ones flagged"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("promised_at", _("Promised"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("late", _("Late"), "flag"),
            Column("late_hours", _("Hours past promise"), "hours"),
        ),
        flag_key="late",
        flag_label=_("Late"),
        flag_filter=late,
    )


def appointment_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _repair_orders(user, dealer)
        .filter(opened_at__gte=month.start, opened_at__lt=month.end, booked_at__isnull=False)
        .annotate(lead_days=days_between("opened_at", "booked_at"))
        .order_by("-lead_days", "ro_number")
        .values("ro_number", "vin", "repair_type", "booked_at", "opened_at", "lead_days")
    )
    return DrillDown(
        title=_("Booked orders opened in the month"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("booked_at", _("Booked"), "datetime"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("lead_days", _("Lead time (days)"), "days"),
        ),
    )


def warranty_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .filter(repair_type=RepairType.WARRANTY)
        .order_by("-warranty_cost", "ro_number")
        .values("ro_number", "vin", "fault_code", "opened_at", "closed_at", "warranty_cost")
    )
    return DrillDown(
        title=_("Warranty orders delivered in the month, most expensive first"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("fault_code", _("Fault code")),
            Column("opened_at", _("Opened"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("warranty_cost", _("Warranty cost (CNY)"), "money"),
        ),
    )


def delivered_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        _closed_in(_repair_orders(user, dealer), month)
        .annotate(
            output=ExpressionWrapper(
                F("labor_amount") + F("parts_amount"),
                output_field=DecimalField(max_digits=15, decimal_places=2),
            )
        )
        .order_by("closed_at", "ro_number")
        .values(
            "ro_number",
            "vin",
            "repair_type",
            "opened_at",
            "closed_at",
            "labor_amount",
            "parts_amount",
            "output",
        )
    )
    return DrillDown(
        title=_("All orders delivered in the month"),
        rows=rows,
        columns=(
            Column("ro_number", _("RO number")),
            Column("vin", _("VIN")),
            Column("repair_type", _("Repair type"), "choice"),
            Column("opened_at", _("Opened"), "datetime"),
            Column("closed_at", _("Delivered"), "datetime"),
            Column("labor_amount", _("Labour (CNY)"), "money"),
            Column("parts_amount", _("Parts (CNY)"), "money"),
            Column("output", _("Output (CNY)"), "money"),
        ),
    )


# --- the family ----------------------------------------------------------------------------

RO = "repair_order"  # the record kind an appeal contests (incentives.choices.AppealRecordKind)

FAMILY = Family(
    name="repair_orders",
    measure=measure,
    derive=derive,
    kpis=(
        KpiEntry(
            KpiDefinition(
                "appointment_lead_days",
                "预约提前天数",
                "Appointment lead time",
                "process",
                "efficiency",
                "days",
                "lower",
                "当月开单且有预约时间的工单，(开单时间 − 预约时间) 的平均天数",
                "mean of (opened − booked) in days over ROs opened in the period with a booking",
                order=4,
            ),
            appointment_records,
            RO,
            remedy=_("Offer earlier appointment slots and confirm each booking the day before"),
        ),
        KpiEntry(
            KpiDefinition(
                "repair_cycle_hours",
                "维修周期",
                "Repair cycle time",
                "process",
                "efficiency",
                "h",
                "lower",
                "当月交车的维修/索赔工单，(交车时间 − 开单时间) 的中位数（小时）",
                "median of (closed − opened) in hours over repair and warranty ROs closed in the period",
                order=5,
            ),
            repair_cycle_records,
            RO,
            remedy=_("Find where repair orders wait longest and remove the bottleneck"),
        ),
        KpiEntry(
            KpiDefinition(
                "on_time_delivery_rate",
                "按时交车率",
                "On-time delivery rate",
                "process",
                "efficiency",
                "%",
                "higher",
                "当月交车且有承诺交车时间的工单中，按时交车的比例",
                "share of ROs closed in the period with a promised time that were closed by it",
                order=6,
            ),
            on_time_records,
            RO,
            remedy=_("Give each customer a realistic promised time and track it daily"),
        ),
        KpiEntry(
            KpiDefinition(
                "first_time_fix_rate",
                "一次性修复率",
                "First-time fix rate",
                "result",
                "quality",
                "%",
                "higher",
                "当月交车的维修/索赔工单中，30天内无同VIN同故障返修的比例",
                "share of repair ROs closed in the period with no comeback (same VIN and fault within 30 days)",
                order=10,
            ),
            first_time_fix_records,
            RO,
            remedy=_("Review every comeback with the technician and add a final quality check"),
        ),
        KpiEntry(
            KpiDefinition(
                "warranty_cost_per_claim",
                "单车索赔成本",
                "Warranty cost per claim",
                "result",
                "cost",
                "CNY",
                "lower",
                "当月交车的索赔工单平均索赔金额",
                "mean warranty cost over warranty ROs closed in the period",
                order=12,
            ),
            warranty_records,
            RO,
            remedy=_("Audit high-cost warranty claims and correct diagnosis or parts use"),
        ),
        KpiEntry(
            KpiDefinition(
                "repair_count",
                "维修台次",
                "Repair orders delivered",
                "result",
                "operations",
                "ROs",
                "higher",
                "当月交车的工单数",
                "number of ROs closed in the period",
                order=13,
            ),
            delivered_records,
            RO,
            remedy=_("Plan campaigns to bring customers back for service"),
        ),
        KpiEntry(
            KpiDefinition(
                "repair_output_value",
                "维修产值",
                "Repair output value",
                "result",
                "operations",
                "CNY",
                "higher",
                "当月交车工单的工时费 + 配件费合计",
                "sum of labour and parts amounts over ROs closed in the period",
                order=14,
            ),
            delivered_records,
            RO,
            remedy=_("Review labour and parts pricing and offer needed maintenance on every visit"),
        ),
    ),
)
