"""Service data imported from dealers' DMS: repair orders, complaints, parts orders, submissions."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import ComplaintCategory, RepairType, Severity, SubmissionStatus
from ..db_functions import ComebackBucket
from .provenance import Provenance, user_reference

MONEY = {"max_digits": 14, "decimal_places": 2}


class RepairOrder(Provenance):
    """A repair order (工单). Natural key: (dealer, ro_number)."""

    # No index of its own: the unique key (dealer, ro_number) starts with the dealer and serves
    # every look-up by dealer; a second B-tree only cost each imported row an insert (~6 % of a
    # COPY into the table, docs/benchmarks.md "Five years of history").
    # No foreign-key constraint on PostgreSQL either: a foreign key checks each row on its own
    # (a query per row at COMMIT, a quarter of a month's COPY). There the database checks the
    # dealer and the two users once per statement instead, for every row it wrote, and refuses
    # to delete a dealer or user still referred to: triggers made by migration 0017, which
    # leaves SQLite its foreign keys (tests/assessments/test_repair_order_references.py).
    # Django's PROTECT and SET_NULL act as before.
    dealer = models.ForeignKey(
        Dealer,
        on_delete=models.PROTECT,
        related_name="repair_orders",
        verbose_name=_("dealer"),
        db_index=False,
        db_constraint=False,
    )
    # Indexed where set: only a user's deletion looks rows up by them, and the large imports
    # (the nightly DMS load, the command line) are a system's, with no user to index.
    created_by = user_reference(_("created by"), db_index=False, db_constraint=False)
    changed_by = user_reference(_("last changed by"), db_index=False, db_constraint=False)
    ro_number = models.CharField(_("RO number"), max_length=40)
    vin = models.CharField(_("VIN"), max_length=17)
    repair_type = models.CharField(_("repair type"), max_length=12, choices=RepairType.choices)
    booked_at = models.DateTimeField(_("booked at"), null=True, blank=True)
    opened_at = models.DateTimeField(_("opened at"))
    promised_at = models.DateTimeField(_("promised at"), null=True, blank=True)
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    fault_code = models.CharField(_("fault code"), max_length=20, blank=True)
    labor_hours = models.DecimalField(_("labour hours"), max_digits=8, decimal_places=2, default=0)
    labor_amount = models.DecimalField(_("labour amount"), default=0, **MONEY)
    parts_amount = models.DecimalField(_("parts amount"), default=0, **MONEY)
    warranty_cost = models.DecimalField(_("warranty cost"), default=0, **MONEY)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # Set by an upheld appeal: the repair that followed is unrelated, so this one is no comeback.
    comeback_waived = models.BooleanField(_("not a comeback"), default=False, db_default=False)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["dealer_id", "ro_number"]
        verbose_name = _("repair order")
        verbose_name_plural = _("repair orders")
        constraints = [models.UniqueConstraint(fields=["dealer", "ro_number"], name="uniq_ro_dealer_number")]
        indexes = [
            # A dealer's month (drill-downs, a dealer's or a region's pages): the dealer leads, so
            # the look-up reads that dealer's slice, not the whole month of every dealer (1 M
            # entries, 27 ms on five years). A month of every dealer (the recompute, the nightly
            # analysis) is read on PostgreSQL through BRIN indexes of the two times, made by
            # migration 0016 (a BRIN index is not Django's on SQLite, where such a read scans
            # the table): a month's rows are stored together, so their block ranges find it.
            models.Index(fields=["dealer", "closed_at"], name="ro_dealer_closed"),
            models.Index(fields=["dealer", "opened_at"], name="ro_dealer_opened"),
            # The comeback rule looks up later repairs of the same vehicle and fault. The 30-day
            # bucket of the opening leads: a month's imported rows go into one or two buckets'
            # part of the index, not at random places of every vehicle's five years (issue #21),
            # and a look-up reads bucket(delivery) and the next one (kpis/repair_orders.py).
            models.Index(
                ComebackBucket("opened_at"), "vin", "fault_code", "opened_at", name="ro_comeback_bucket"
            ),
            models.Index(
                fields=["created_by"], name="ro_created_by", condition=models.Q(created_by__isnull=False)
            ),
            models.Index(
                fields=["changed_by"], name="ro_changed_by", condition=models.Q(changed_by__isnull=False)
            ),
        ]

    def __str__(self) -> str:
        return self.ro_number


class Complaint(Provenance):
    """A customer complaint (投诉). Natural key: (dealer, complaint_id)."""

    complaint_id = models.CharField(_("complaint id"), max_length=40)
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="complaints", verbose_name=_("dealer")
    )
    repair_order = models.ForeignKey(
        RepairOrder,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="complaints",
        verbose_name=_("repair order"),
    )
    received_at = models.DateTimeField(_("received at"))
    closed_at = models.DateTimeField(_("closed at"), null=True, blank=True)
    category = models.CharField(_("category"), max_length=12, choices=ComplaintCategory.choices)
    severity = models.CharField(
        _("severity"), max_length=8, choices=Severity.choices, default=Severity.NORMAL
    )
    description = models.TextField(_("description"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)
    # Voided by an upheld appeal (wrongly attributed): kept for the record, not counted.
    excluded = models.BooleanField(_("voided"), default=False, db_default=False)
    excluded_reason = models.TextField(_("reason voided"), blank=True, default="", db_default="")
    # 过程所有者: the one person answerable for this item until it is done (workbench.services).
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("owner"),
    )

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-received_at"]
        verbose_name = _("complaint")
        verbose_name_plural = _("complaints")
        # Keyed per dealer: another dealer's id is simply another record (docs/data-keys.md).
        # The id comes first so that the index also serves a look-up by id alone.
        constraints = [
            models.UniqueConstraint(fields=["complaint_id", "dealer"], name="uniq_complaint_id_dealer")
        ]
        indexes = [models.Index(fields=["received_at", "dealer"], name="complaint_received_dealer")]

    def __str__(self) -> str:
        return self.complaint_id


class PartsOrder(Provenance):
    """A parts order placed by a dealer. Natural key: (dealer, order_id)."""

    order_id = models.CharField(_("order id"), max_length=40)
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="parts_orders", verbose_name=_("dealer")
    )
    part_number = models.CharField(_("part number"), max_length=60)
    quantity = models.PositiveIntegerField(_("quantity"), default=1)
    ordered_at = models.DateTimeField(_("ordered at"))
    fulfilled_at = models.DateTimeField(_("fulfilled at"), null=True, blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-ordered_at"]
        verbose_name = _("parts order")
        verbose_name_plural = _("parts orders")
        constraints = [
            models.UniqueConstraint(fields=["order_id", "dealer"], name="uniq_parts_order_id_dealer")
        ]
        indexes = [models.Index(fields=["fulfilled_at", "dealer"], name="parts_fulfilled_dealer")]

    def __str__(self) -> str:
        return self.order_id


class MonthlySubmission(models.Model):
    """A dealer's monthly capacity report. Only an approved one feeds the base tier."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="submissions", verbose_name=_("dealer")
    )
    period = models.CharField(_("period"), max_length=7)
    technicians = models.PositiveIntegerField(_("technicians"))
    certified_technicians = models.PositiveIntegerField(_("certified technicians"))
    equipment_total = models.PositiveIntegerField(_("equipment total"))
    equipment_ok = models.PositiveIntegerField(_("equipment in working order"))
    training_hours = models.DecimalField(_("training hours"), max_digits=10, decimal_places=2)
    status = models.CharField(
        _("status"), max_length=10, choices=SubmissionStatus.choices, default=SubmissionStatus.DRAFT
    )
    submitted_at = models.DateTimeField(_("submitted at"), null=True, blank=True)
    reviewed_at = models.DateTimeField(_("reviewed at"), null=True, blank=True)
    reviewed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("reviewed by"),
    )
    review_comment = models.TextField(_("review comment"), blank=True)
    imported_at = models.DateTimeField(_("imported at"), null=True, blank=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "dealer_id"]
        verbose_name = _("monthly submission")
        verbose_name_plural = _("monthly submissions")
        constraints = [
            models.UniqueConstraint(fields=["dealer", "period"], name="uniq_submission_dealer_period"),
            models.CheckConstraint(
                condition=models.Q(certified_technicians__lte=models.F("technicians")),
                name="submission_certified_le_technicians",
            ),
            models.CheckConstraint(
                condition=models.Q(equipment_ok__lte=models.F("equipment_total")),
                name="submission_ok_le_total",
            ),
        ]
        indexes = [models.Index(fields=["period", "status"], name="submission_period_status")]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period}"
