"""Appeals (申诉) against a scorecard's KPI results."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import Scorecard
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import AppealStatus, CorrectionKind


class Appeal(models.Model):
    """申诉: a dealer contests one KPI result of a scorecard, within the window, before close."""

    scorecard = models.ForeignKey(Scorecard, null=True, on_delete=models.SET_NULL, related_name="appeals")
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="appeals")
    period = models.CharField(_("period"), max_length=7)
    kpi_code = models.CharField(_("KPI"), max_length=40)
    reason = models.TextField(_("reason"))
    evidence = models.FileField(_("evidence"), upload_to="appeals/%Y/%m/", blank=True)
    status = models.CharField(
        _("status"), max_length=10, choices=AppealStatus.choices, default=AppealStatus.SUBMITTED
    )
    filed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, on_delete=models.SET_NULL, related_name="+"
    )
    filed_at = models.DateTimeField(auto_now_add=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
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
