"""Rectification orders (整改) and their evidence."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import RectificationStatus
from .actions import IncentiveAction


class RectificationOrder(models.Model):
    """整改: the dealer answers with a plan and evidence before the deadline; HQ verifies."""

    action = models.OneToOneField(IncentiveAction, on_delete=models.PROTECT, related_name="rectification")
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="rectifications")
    deadline = models.DateField(_("deadline"))
    status = models.CharField(
        _("status"), max_length=16, choices=RectificationStatus.choices, default=RectificationStatus.OPEN
    )
    plan = models.TextField(_("plan"), blank=True)
    plan_submitted_at = models.DateTimeField(null=True, blank=True)
    overdue_flagged_at = models.DateTimeField(_("flagged overdue"), null=True, blank=True)
    verified_at = models.DateTimeField(null=True, blank=True)
    verified_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    verify_comment = models.TextField(_("verification comment"), blank=True)
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
        ordering = ["deadline", "id"]
        verbose_name = _("rectification order")
        verbose_name_plural = _("rectification orders")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.deadline}"


class EvidenceQuerySet(ScopedQuerySet):
    dealer_path = "order__dealer"


class RectificationEvidence(models.Model):
    order = models.ForeignKey(RectificationOrder, on_delete=models.CASCADE, related_name="evidence")
    file = models.FileField(upload_to="rectification/%Y/%m/")
    uploaded_at = models.DateTimeField(auto_now_add=True)

    objects = EvidenceQuerySet.as_manager()

    def __str__(self) -> str:
        return self.file.name
