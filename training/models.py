"""The technician roster of each dealer: its technicians, their certificates and training hours.

Every model here is dealer-owned and reached only through `for_user` (dealers.scoping).
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from django.core.validators import MinValueValidator
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.scoping import ScopedQuerySet

from .choices import TECHNICAL_ROLES, CertificationLevel, TechnicianRole


class TechnicianQuerySet(ScopedQuerySet):
    dealer_path = "dealer"

    def active_on(self, day: date) -> TechnicianQuerySet:
        """Technicians employed on `day`: hired by then and not gone (`left_on` is the last day worked)."""
        return self.filter(hire_date__lte=day).filter(Q(left_on__isnull=True) | Q(left_on__gte=day))

    def technical(self) -> TechnicianQuerySet:
        """The workshop's technicians (TECHNICAL_ROLES), not the service advisors."""
        return self.filter(role__in=TECHNICAL_ROLES)


class Technician(models.Model):
    """A person on a dealer's after-sales staff. Leaving keeps the record (`left_on`)."""

    dealer = models.ForeignKey(
        "dealers.Dealer", on_delete=models.CASCADE, related_name="technicians", verbose_name=_("dealer")
    )
    name = models.CharField(_("name"), max_length=60)
    role = models.CharField(_("role"), max_length=30, choices=TechnicianRole.choices)
    hire_date = models.DateField(_("hire date"))
    left_on = models.DateField(_("left on"), null=True, blank=True)  # the last day worked
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = TechnicianQuerySet.as_manager()

    class Meta:
        verbose_name = _("technician")
        verbose_name_plural = _("technicians")
        ordering = ["dealer", "name", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(left_on__isnull=True) | Q(left_on__gte=models.F("hire_date")),
                name="technician_left_after_hired",
            )
        ]

    def __str__(self) -> str:
        return self.name

    @property
    def total_training_hours(self) -> Decimal:
        """All hours on record; reads the prefetched records when the roster loaded them."""
        return sum((r.hours for r in self.training_records.all()), Decimal("0"))


class CertificationQuerySet(ScopedQuerySet):
    dealer_path = "technician__dealer"

    def valid_on(self, day: date) -> CertificationQuerySet:
        """Certificates in force on `day`: issued by then and not expired before it."""
        return self.filter(issued_on__lte=day, expires_on__gte=day)


class Certification(models.Model):
    """A certificate a technician holds: programme, level, number and validity."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="certifications", verbose_name=_("technician")
    )
    name = models.CharField(_("certificate"), max_length=100)
    level = models.CharField(_("level"), max_length=20, choices=CertificationLevel.choices)
    number = models.CharField(_("certificate number"), max_length=60, blank=True)
    issued_on = models.DateField(_("issued on"))
    expires_on = models.DateField(_("expires on"))

    objects = CertificationQuerySet.as_manager()

    class Meta:
        verbose_name = _("certification")
        verbose_name_plural = _("certifications")
        ordering = ["expires_on", "pk"]
        constraints = [
            models.CheckConstraint(
                condition=Q(expires_on__gte=models.F("issued_on")), name="certification_expires_after_issue"
            )
        ]

    def __str__(self) -> str:
        return f"{self.name} ({self.get_level_display()})"


class TrainingRecordQuerySet(ScopedQuerySet):
    dealer_path = "technician__dealer"


class TrainingRecord(models.Model):
    """Hours a technician spent on one course, counted in the month it was completed."""

    technician = models.ForeignKey(
        Technician, on_delete=models.CASCADE, related_name="training_records", verbose_name=_("technician")
    )
    course = models.CharField(_("course"), max_length=100)
    hours = models.DecimalField(_("hours"), max_digits=6, decimal_places=1, validators=[MinValueValidator(0)])
    completed_on = models.DateField(_("completed on"))

    objects = TrainingRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("training record")
        verbose_name_plural = _("training records")
        ordering = ["-completed_on", "pk"]

    def __str__(self) -> str:
        return f"{self.course} {self.hours}h"
