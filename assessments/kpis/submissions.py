"""The capacity family (base tier): certified staff, equipment availability and training hours,
from the dealer's approved monthly report for the period (one per dealer and month).

Summed over the approved reports of the key, so that a group's figure pools them (scoring.md:
100 × Σ certified / Σ technicians); for one dealer the sums are its own report.
"""

from __future__ import annotations

from typing import Any

from django.db.models import ExpressionWrapper, F, FloatField, Max, Sum
from django.db.models.functions import Cast, Coalesce
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer

from ..choices import SubmissionStatus
from ..models import MonthlySubmission
from ..periods import Month
from ..scoring.catalogue import KpiDefinition
from .base import GROUP, Column, Dealers, DrillDown, Family, KpiEntry, MeasurementTable, grouped, scoped


def measure(month: Month, dealer_ids: Dealers, out: MeasurementTable, by: str | None) -> None:
    approved = scoped(
        MonthlySubmission.objects.filter(period=str(month), status=SubmissionStatus.APPROVED), dealer_ids
    )
    for row in (
        grouped(approved, by)
        .annotate(
            technicians_sum=Sum("technicians"),
            certified=Sum("certified_technicians"),
            equipment=Sum("equipment_total"),
            equipment_ok_sum=Sum("equipment_ok"),
            training=Sum("training_hours"),
            seen=Max(Coalesce("imported_at", "reviewed_at")),
        )
        .order_by()
    ):
        m = out[row[GROUP]]
        m.seen(row["seen"])
        tech, equip = row["technicians_sum"] or 0, row["equipment"] or 0
        m.set("certified_staff_rate", 100.0 * row["certified"] / tech if tech else None, tech)
        m.set(
            "equipment_availability_rate", 100.0 * row["equipment_ok_sum"] / equip if equip else None, equip
        )
        m.set("training_hours_per_technician", float(row["training"]) / tech if tech else None, tech)


def submission_records(user: Any, dealer: Dealer, month: Month) -> DrillDown:
    rows = (
        MonthlySubmission.objects.for_user(user)
        .filter(dealer_id=dealer.pk, period=str(month), status=SubmissionStatus.APPROVED)
        .annotate(
            certified_rate=ExpressionWrapper(
                100.0 * Cast("certified_technicians", FloatField()) / F("technicians"),
                output_field=FloatField(),
            ),
            equipment_rate=ExpressionWrapper(
                100.0 * Cast("equipment_ok", FloatField()) / F("equipment_total"), output_field=FloatField()
            ),
            training_per_technician=ExpressionWrapper(
                Cast("training_hours", FloatField()) / F("technicians"), output_field=FloatField()
            ),
        )
        .order_by("period")
        .values(
            "period",
            "technicians",
            "certified_technicians",
            "certified_rate",
            "equipment_total",
            "equipment_ok",
            "equipment_rate",
            "training_hours",
            "training_per_technician",
            "submitted_at",
            "reviewed_at",
        )
    )
    return DrillDown(
        title=_("The approved monthly submission"),
        rows=rows,
        columns=(
            Column("period", _("Period")),
            Column("technicians", _("Technicians"), "number"),
            Column("certified_technicians", _("Certified technicians"), "number"),
            Column("certified_rate", _("Certified staff rate (%)"), "number"),
            Column("equipment_total", _("Equipment total"), "number"),
            Column("equipment_ok", _("Equipment in working order"), "number"),
            Column("equipment_rate", _("Equipment availability (%)"), "number"),
            Column("training_hours", _("Training hours"), "number"),
            Column("training_per_technician", _("Training hours per technician"), "number"),
            Column("submitted_at", _("Submitted"), "datetime"),
            Column("reviewed_at", _("Approved"), "datetime"),
        ),
    )


FAMILY = Family(
    name="submissions",
    measure=measure,
    kpis=(
        KpiEntry(
            KpiDefinition(
                "certified_staff_rate",
                "持证上岗率",
                "Certified staff rate",
                "base",
                "quality",
                "%",
                "higher",
                "已批准月报中 持证技师人数 / 技师人数 × 100",
                "100 × certified technicians / technicians, approved submission",
                order=1,
            ),
            submission_records,
            remedy=_("Enrol uncertified technicians in the next certification session"),
        ),
        KpiEntry(
            KpiDefinition(
                "equipment_availability_rate",
                "设备完好率",
                "Equipment availability",
                "base",
                "quality",
                "%",
                "higher",
                "已批准月报中 完好设备数 / 设备总数 × 100",
                "100 × equipment in working order / equipment total, approved submission",
                order=2,
            ),
            submission_records,
            remedy=_("Repair or replace faulty equipment and keep a maintenance log"),
        ),
        KpiEntry(
            KpiDefinition(
                "training_hours_per_technician",
                "人均培训学时",
                "Training hours per technician",
                "base",
                "quality",
                "h",
                "higher",
                "已批准月报中 培训学时 / 技师人数",
                "training hours / technicians, approved submission",
                order=3,
            ),
            submission_records,
            remedy=_("Draw up a monthly training plan and record the hours"),
        ),
    ),
)
