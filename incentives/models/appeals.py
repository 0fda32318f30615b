"""Appeals (申诉) against a scorecard's KPI results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import Scorecard
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import AppealRecordKind, AppealStatus, CorrectionKind, RecordCorrection
from ..files import appeal_evidence_path


class Appeal(models.Model):
    """申诉: a dealer contests one KPI result of a scorecard, within the window, before close."""

    scorecard = models.ForeignKey(
        Scorecard, null=True, on_delete=models.SET_NULL, related_name="appeals", verbose_name=_("scorecard")
    )
    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="appeals", verbose_name=_("dealer")
    )
    period = models.CharField(_("period"), max_length=7)
    kpi_code = models.CharField(_("KPI"), max_length=40)
    reason = models.TextField(_("reason"))
    evidence = models.FileField(_("evidence"), upload_to=appeal_evidence_path, blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.SUBMITTED
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("filed by"),
    )
    filed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("filed at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decision = models.TextField(_("decision"), blank=True)
    correction = models.CharField(_("correction"), max_length=20, choices=CorrectionKind.choices, blank=True)
    correction_target = models.CharField(_("corrected record"), max_length=40, blank=True)
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
        ordering = ["-filed_at"]
        verbose_name = _("appeal")
        verbose_name_plural = _("appeals")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period} {self.kpi_code}"


class AppealPartQuerySet(ScopedQuerySet):
    dealer_path = "appeal__dealer"


class AppealRecord(models.Model):
    """One service record an appeal contests: what the KPI counted when the appeal was filed,
    and, once decided, what HQ corrected on it (before and after)."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="records", verbose_name=_("appeal")
    )
    kind = models.CharField(_("record kind"), max_length=20, choices=AppealRecordKind.choices)
    record_id = models.PositiveBigIntegerField(_("record id"))
    record_key = models.CharField(_("record"), max_length=40)
    snapshot = models.JSONField(_("as counted"), default=dict)
    correction = models.CharField(
        _("correction"), max_length=20, choices=RecordCorrection.choices, blank=True, default=""
    )
    before = models.JSONField(_("before"), null=True, blank=True)
    after = models.JSONField(_("after"), null=True, blank=True)

    objects = AppealPartQuerySet.as_manager()

    class Meta:
        ordering = ["appeal_id", "id"]
        verbose_name = _("contested record")
        verbose_name_plural = _("contested records")
        constraints = [
            models.UniqueConstraint(fields=["appeal", "kind", "record_id"], name="uniq_appeal_record")
        ]

    def __str__(self) -> str:
        return f"{self.appeal_id} {self.kind} {self.record_key}"


class AppealEvidence(models.Model):
    """An evidence file of an appeal; opened only through the scoped evidence view."""

    appeal = models.ForeignKey(
        Appeal, on_delete=models.CASCADE, related_name="files", verbose_name=_("appeal")
    )
    file = models.FileField(_("file"), upload_to=appeal_evidence_path)
    name = models.CharField(_("file name"), max_length=200)
    uploaded_at = models.DateTimeField(auto_now_add=True, verbose_name=_("uploaded at"))

    objects = AppealPartQuerySet.as_manager()

    class Meta:
        ordering = ["appeal_id", "id"]
        verbose_name = _("appeal evidence")
        verbose_name_plural = _("appeal evidence")

    def __str__(self) -> str:
        return self.name
