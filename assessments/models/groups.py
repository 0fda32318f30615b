"""Stored group figures: every KPI pooled per network, region, city tier and peer group and
month, written with the period's scorecards (services.group_figures); pages and the API read
only these, never the raw records."""

from __future__ import annotations

from typing import Any

from django.db import models
from django.db.models.functions import Cast
from django.utils.translation import gettext_lazy as _

from dealers.choices import HQ_ROLES, Role
from dealers.models import Dealer, Region
from dealers.scoping import ScopedQuerySet

from ..choices import Grouping
from .periods import Period

# The figure row that holds a group's average total (the mean of its scored cards' rounded
# totals) next to its KPIs: its value is the average, its n the number of scored cards.
AVERAGE_TOTAL = "average_total"


class GroupFigureQuerySet(ScopedQuerySet):
    """Group figures a user may see: HQ every group; a regional manager their regions' figures
    only (the network, city tiers and peer groups pool other regions' dealers); nobody else any.
    (Dealer users see their peer position on their scorecard, not the groups' figures.)"""

    def for_user(self, user: Any) -> GroupFigureQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in HQ_ROLES:
            return self.all()
        if user.role == Role.REGIONAL_MANAGER:
            # A subquery, as for dealer-owned rows: the key is the region's id as text.
            regions = user.regions.annotate(key=Cast("pk", models.CharField())).values("key")
            return self.filter(grouping=Grouping.REGION, group_key__in=regions)
        return self.none()


class GroupFigure(models.Model):
    """One KPI of one group of dealers in one period, pooled over the group's records.

    `group_key`: "" for the network, the region's id, the city tier, or the peer key ("3-M").
    `value` is rounded to 4 decimals (empty where n = 0); `dealers` counts the group's
    scorecards in the period (its members).
    """

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="group_figures", verbose_name=_("period")
    )
    grouping = models.CharField(_("grouping"), max_length=10, choices=Grouping.choices)
    group_key = models.CharField(_("group"), max_length=20, blank=True)
    kpi_code = models.CharField(_("KPI"), max_length=40)
    value = models.FloatField(_("value"), null=True, blank=True)
    n = models.PositiveIntegerField(_("sample size"), default=0)
    dealers = models.PositiveIntegerField(_("dealers"), default=0)

    objects = GroupFigureQuerySet.as_manager()

    class Meta:
        ordering = ["period", "grouping", "group_key", "kpi_code"]
        verbose_name = _("group figure")
        verbose_name_plural = _("group figures")
        constraints = [
            models.UniqueConstraint(
                fields=["period", "grouping", "group_key", "kpi_code"], name="uniq_group_figure"
            )
        ]
        indexes = [models.Index(fields=["grouping", "group_key", "period"], name="group_figure_group")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.grouping}:{self.group_key} {self.kpi_code}={self.value}"


class GroupMember(models.Model):
    """A scored dealer of a period as the group figures saw it: its groups that month and its
    own KPI values and sample sizes (`figures`: {kpi code: [value, n]}), so that the drill from a
    group's figure to its dealers reads one stored row per dealer, not the raw records."""

    period = models.ForeignKey(
        Period, on_delete=models.CASCADE, related_name="group_members", verbose_name=_("period")
    )
    dealer = models.ForeignKey(Dealer, on_delete=models.CASCADE, related_name="+", verbose_name=_("dealer"))
    region = models.ForeignKey(
        Region, null=True, on_delete=models.SET_NULL, related_name="+", verbose_name=_("region")
    )
    city_tier = models.PositiveSmallIntegerField(_("city tier"))
    peer_key = models.CharField(_("peer group"), max_length=10, blank=True)
    total_score = models.DecimalField(_("total"), max_digits=7, decimal_places=2, null=True, blank=True)
    figures = models.JSONField(_("KPI values"), default=dict)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["period", "dealer_id"]
        verbose_name = _("group member")
        verbose_name_plural = _("group members")
        constraints = [models.UniqueConstraint(fields=["period", "dealer"], name="uniq_group_member")]

    def __str__(self) -> str:
        return f"{self.period_id} {self.dealer_id}"
