"""Goals for a KPI of a group of dealers over a range of months, versioned like schemes.

A `Goal` holds its current version's terms; every version (the first included) is kept in
`GoalVersion` with who made it, when, and what changed against the version before.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from dealers.choices import HQ_ROLES, Role
from dealers.scoping import ScopedQuerySet

from .choices import Comparator, GoalKind, GroupKind, MonthStatus


class GoalQuerySet(ScopedQuerySet):
    """Who sees a goal: HQ every goal; a regional manager the network's, their regions' and
    their regions' dealers' goals (not a city tier's, which spans regions); a dealer user
    only their own dealer's goals."""

    dealer_path = "dealer"

    def for_user(self, user: Any) -> GoalQuerySet:
        if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
            return self.none()
        if user.role in HQ_ROLES:
            return self.all()
        if user.role == Role.REGIONAL_MANAGER:
            regions = user.regions.all()
            return self.filter(
                Q(group_kind=GroupKind.NETWORK)
                | Q(group_kind=GroupKind.REGION, region__in=regions)
                | Q(group_kind=GroupKind.DEALER, dealer__region__in=regions)
            )
        if user.role == Role.DEALER_USER and user.dealer_id:
            return self.filter(group_kind=GroupKind.DEALER, dealer_id=user.dealer_id)
        return self.none()


class Goal(models.Model):
    """A target for one KPI of one group over months `month_from`..`month_to` (YYYY-MM).

    A level goal has a `target` ("complaint_rate ≤ 2.0"); a change goal a `change_pct`
    against the same month a year earlier ("−50 %": target = last year's value × 0.5).
    `current_status` is the month in progress's status as the last check found it (the
    workbench and the morning reminder read it; the goal page computes it afresh).
    """

    kpi_code = models.CharField(_("KPI"), max_length=40)
    group_kind = models.CharField(_("group"), max_length=10, choices=GroupKind.choices)
    region = models.ForeignKey(
        "dealers.Region",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="+",
        verbose_name=_("region"),
    )
    city_tier = models.PositiveSmallIntegerField(_("city tier"), null=True, blank=True)
    dealer = models.ForeignKey(
        "dealers.Dealer",
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="goals",
        verbose_name=_("dealer"),
    )
    month_from = models.CharField(_("from month"), max_length=7, help_text="YYYY-MM")
    month_to = models.CharField(_("to month"), max_length=7, help_text="YYYY-MM")
    kind = models.CharField(_("kind"), max_length=10, choices=GoalKind.choices, default=GoalKind.LEVEL)
    comparator = models.CharField(_("comparator"), max_length=2, choices=Comparator.choices)
    target = models.FloatField(_("target"), null=True, blank=True)
    change_pct = models.FloatField(_("change (%)"), null=True, blank=True)
    # A goal outlives its owner's account (SET_NULL): HQ names a new owner.
    owner = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        on_delete=models.SET_NULL,
        related_name="goals",
        verbose_name=_("owner"),
    )
    note = models.TextField(_("note"), blank=True)
    version = models.PositiveIntegerField(_("version"), default=1)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )
    current_month = models.CharField(max_length=7, blank=True, verbose_name=_("current month"))
    current_status = models.CharField(
        max_length=10, choices=MonthStatus.choices, blank=True, verbose_name=_("current status")
    )
    status_checked_at = models.DateTimeField(null=True, blank=True, verbose_name=_("status checked at"))

    objects = GoalQuerySet.as_manager()

    class Meta:
        ordering = ["month_from", "kpi_code", "pk"]
        verbose_name = _("goal")
        verbose_name_plural = _("goals")
        constraints = [
            models.CheckConstraint(
                condition=Q(month_to__gte=models.F("month_from")), name="goal_months_in_order"
            ),
            models.CheckConstraint(
                condition=(
                    Q(kind="level", target__isnull=False) | Q(kind="change", change_pct__isnull=False)
                ),
                name="goal_target_of_its_kind",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.kpi_code} {self.group_label} {self.month_from}–{self.month_to}"

    @property
    def group_label(self) -> str:
        if self.group_kind == GroupKind.REGION and self.region is not None:
            return self.region.name
        if self.group_kind == GroupKind.CITY_TIER:
            return str(_("City tier %(tier)s") % {"tier": self.city_tier})
        if self.group_kind == GroupKind.DEALER and self.dealer is not None:
            return f"{self.dealer.code} {self.dealer.name}"
        return str(GroupKind(self.group_kind).label)

    @property
    def target_label(self) -> str:
        """ "≤ 2.0" or "−50 % against a year earlier"."""
        if self.kind == GoalKind.CHANGE and self.change_pct is not None:
            return str(_("%(change)s %% against a year earlier") % {"change": f"{self.change_pct:+g}"})
        return f"{Comparator(self.comparator).label} {_plain_number(self.target)}"


def _plain_number(value: float | None) -> str:
    """A target as people write it: thousands separated, no exponent, no trailing zeros
    (1000000 → "1,000,000", 2.5 → "2.5", 96.85 → "96.85")."""
    if value is None:
        return ""
    text = f"{value:,.4f}".rstrip("0").rstrip(".")
    return text


class GoalVersion(models.Model):
    """One version of a goal as it was saved: its terms, who saved it, when, and what changed."""

    goal = models.ForeignKey(Goal, on_delete=models.CASCADE, related_name="versions", verbose_name=_("goal"))
    version = models.PositiveIntegerField(_("version"))
    terms = models.JSONField(_("terms"))
    changes = models.JSONField(_("changes"), default=list, help_text='[["target", 2.0, 1.8], ...]')
    created_at = models.DateTimeField(_("saved at"), auto_now_add=True)
    created_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("created by"),
    )

    class Meta:
        ordering = ["goal", "-version"]
        verbose_name = _("goal version")
        verbose_name_plural = _("goal versions")
        constraints = [models.UniqueConstraint(fields=["goal", "version"], name="uniq_goal_version")]

    def __str__(self) -> str:
        return f"{self.goal_id} v{self.version}"
