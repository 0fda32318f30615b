"""Incentive rules, the actions they propose, and the ledger of approved bonuses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import Scorecard
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import ActionStatus, ActionType, ConditionKind

MONEY = {"max_digits": 14, "decimal_places": 2}


class IncentiveRule(models.Model):
    """A condition over closed-period scorecards and the action it proposes."""

    name = models.CharField(_("name"), max_length=200)
    condition = models.CharField(_("condition"), max_length=20, choices=ConditionKind.choices)
    params = models.JSONField(
        _("parameters"),
        default=dict,
        blank=True,
        help_text=_(
            'e.g. {"percent": 10, "scope": "national"}, {"grades": ["D"], "months": 2}, '
            '{"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3}'
        ),
    )
    action_type = models.CharField(_("action"), max_length=20, choices=ActionType.choices)
    bonus_base = models.DecimalField(_("bonus amount"), default=0, **MONEY)
    bonus_per_point = models.DecimalField(
        _("bonus per point above the threshold"),
        default=0,
        **MONEY,
        help_text=_("Bonus = amount + per point × (total − threshold)."),
    )
    bonus_threshold = models.DecimalField(
        _("bonus threshold total"), max_digits=6, decimal_places=2, default=0
    )
    rectification_days = models.PositiveIntegerField(_("days to rectify"), default=30)
    active = models.BooleanField(_("active"), default=True)
    sort_order = models.PositiveIntegerField(default=0)

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("incentive rule")
        verbose_name_plural = _("incentive rules")

    def __str__(self) -> str:
        return self.name


class IncentiveAction(models.Model):
    """A proposed (then approved or rejected) consequence for one dealer and period."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="incentive_actions")
    period = models.CharField(_("period"), max_length=7)
    rule = models.ForeignKey(
        IncentiveRule, null=True, blank=True, on_delete=models.PROTECT, related_name="actions"
    )
    action_type = models.CharField(_("action"), max_length=20, choices=ActionType.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PROPOSED
    )
    amount = models.DecimalField(_("amount (CNY)"), default=0, **MONEY)
    reason = models.TextField(_("reason"))
    scorecards = models.ManyToManyField(Scorecard, blank=True, related_name="incentive_actions")
    origin_key = models.CharField(
        max_length=80,
        help_text="What caused it, for idempotency: rule:<id> or rectification:<id> or manual:<n>.",
    )
    proposed_at = models.DateTimeField(auto_now_add=True)
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decided_at = models.DateTimeField(null=True, blank=True)
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL, null=True, blank=True, on_delete=models.SET_NULL, related_name="+"
    )
    decision_comment = models.TextField(_("decision comment"), blank=True)
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
        ordering = ["-period", "status", "dealer_id"]
        verbose_name = _("incentive action")
        verbose_name_plural = _("incentive actions")
        constraints = [
            models.UniqueConstraint(
                fields=["origin_key", "dealer", "period"], name="uniq_action_origin_dealer_period"
            )
        ]

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period} {self.action_type}"


class LedgerEntry(models.Model):
    """Money owed to (bonus) a dealer, entered when a bonus is approved."""

    dealer = models.ForeignKey(Dealer, on_delete=models.PROTECT, related_name="ledger_entries")
    period = models.CharField(_("period"), max_length=7)
    action = models.OneToOneField(IncentiveAction, on_delete=models.PROTECT, related_name="ledger_entry")
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True)

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "dealer_id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("incentive ledger")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period} {self.amount}"
