"""What a closed period counted that later data could otherwise change: its comebacks."""

from __future__ import annotations

from django.db import models
from django.utils.translation import gettext_lazy as _

from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from .periods import Period
from .service_data import RepairOrder


class ComebackSnapshot(models.Model):
    """Taken when a period closes: from then on its first-time-fix drill-down reads the snapshot.

    The comeback rule looks 30 days past a repair's delivery, so a repair order imported
    for the next (open) month can make a repair of the closed month a comeback. The
    closed month's scores no longer change; the snapshot keeps its evidence matching them.
    """

    period = models.OneToOneField(
        Period, on_delete=models.CASCADE, related_name="comeback_snapshot", verbose_name=_("period")
    )
    taken_at = models.DateTimeField(_("taken at"))

    class Meta:
        verbose_name = _("comeback snapshot")
        verbose_name_plural = _("comeback snapshots")

    def __str__(self) -> str:
        return f"{self.period_id} {self.taken_at:%Y-%m-%d %H:%M}"


class FrozenComeback(models.Model):
    """A repair delivered in a closed period that counted as a comeback, and a repair that followed.

    One row per (repair, following repair); the following repair is kept by value, as it was
    when the period closed, so later changes to it leave the closed month's evidence alone.
    """

    snapshot = models.ForeignKey(
        ComebackSnapshot, on_delete=models.CASCADE, related_name="comebacks", verbose_name=_("snapshot")
    )
    repair_order = models.ForeignKey(
        RepairOrder, on_delete=models.CASCADE, related_name="+", verbose_name=_("repair order")
    )
    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="+", verbose_name=_("dealer"))
    following_dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="+", verbose_name=_("following dealer")
    )
    following_ro_number = models.CharField(_("RO number"), max_length=40)
    following_opened_at = models.DateTimeField(_("opened at"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["snapshot_id", "repair_order_id", "following_opened_at"]
        verbose_name = _("frozen comeback")
        verbose_name_plural = _("frozen comebacks")
        indexes = [models.Index(fields=["snapshot", "repair_order"], name="frozen_comeback_repair")]

    def __str__(self) -> str:
        return f"{self.repair_order_id} → {self.following_ro_number}"
