"""Incentive rules, the actions they propose, and the ledger of approved bonuses."""

from __future__ import annotations

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from assessments.models import Scorecard
from dealers.language import localized_name
from dealers.models import Dealer
from dealers.scoping import ScopedQuerySet

from ..choices import ActionStatus, ActionType, ConditionKind
from ..sentences import condition_sentence

MONEY = {"max_digits": 14, "decimal_places": 2}


class IncentiveRule(models.Model):
    """A condition over closed-period scorecards and the action it proposes."""

    name = models.CharField(_("name (Chinese)"), max_length=200)
    name_en = models.CharField(
        _("name (English)"),
        max_length=200,
        blank=True,
        help_text=_("Shown to English readers; empty: the Chinese name."),
    )
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
    sort_order = models.PositiveIntegerField(default=0, verbose_name=_("sort order"))

    class Meta:
        ordering = ["sort_order", "id"]
        verbose_name = _("incentive rule")
        verbose_name_plural = _("incentive rules")

    def __str__(self) -> str:
        return self.display_name

    @property
    def display_name(self) -> str:
        """The rule's name in the reader's language (English falls back to the Chinese name)."""
        return localized_name(self.name, self.name_en)

    @property
    def condition_sentence(self) -> str:
        """What the rule tests, as a sentence in the reader's language (not the raw parameters)."""
        return condition_sentence(self.condition, self.params)


class IncentiveAction(models.Model):
    """A proposed (then approved or rejected) consequence for one dealer and period."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="incentive_actions", verbose_name=_("dealer")
    )
    period = models.CharField(_("period"), max_length=7)
    rule = models.ForeignKey(
        IncentiveRule,
        null=True,
        blank=True,
        on_delete=models.PROTECT,
        related_name="actions",
        verbose_name=_("rule"),
    )
    action_type = models.CharField(_("action"), max_length=20, choices=ActionType.choices)
    status = models.CharField(
        _("status"), max_length=10, choices=ActionStatus.choices, default=ActionStatus.PROPOSED
    )
    amount = models.DecimalField(_("amount (CNY)"), default=0, **MONEY)
    reason = models.TextField(_("reason"))
    scorecards = models.ManyToManyField(
        Scorecard, blank=True, related_name="incentive_actions", verbose_name=_("scorecards")
    )
    origin_key = models.CharField(
        max_length=80,
        help_text="What caused it, for idempotency: rule:<id> or rectification:<id> or manual:<n>.",
        verbose_name=_("origin key"),
    )
    proposed_at = models.DateTimeField(auto_now_add=True, verbose_name=_("proposed at"))
    proposed_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("proposed by"),
    )
    decided_at = models.DateTimeField(null=True, blank=True, verbose_name=_("decided at"))
    decided_by = models.ForeignKey(
        settings.AUTH_USER_MODEL,
        null=True,
        blank=True,
        on_delete=models.SET_NULL,
        related_name="+",
        verbose_name=_("decided by"),
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

    @property
    def reason_text(self) -> str:
        """Why the action was proposed, in the reader's language where a rule proposed it.

        A rule's proposal stores the rule's name at that moment as its reason; while the reason
        is still that name, it is shown in the reader's language. A reason a person wrote (a
        lift, a manual proposal) is shown as written."""
        rule = self.rule if self.rule_id else None
        if rule is not None and self.reason in {rule.name, rule.name_en, f"{rule.name} {rule.name_en}"}:
            return rule.display_name
        return self.reason


class LedgerEntry(models.Model):
    """Money owed to (bonus) a dealer, entered when a bonus is approved."""

    dealer = models.ForeignKey(
        Dealer, on_delete=models.PROTECT, related_name="ledger_entries", verbose_name=_("dealer")
    )
    period = models.CharField(_("period"), max_length=7)
    action = models.OneToOneField(
        IncentiveAction, on_delete=models.PROTECT, related_name="ledger_entry", verbose_name=_("action")
    )
    amount = models.DecimalField(_("amount (CNY)"), **MONEY)
    created_at = models.DateTimeField(auto_now_add=True, verbose_name=_("created at"))

    objects = ScopedQuerySet.as_manager()

    class Meta:
        ordering = ["-period", "dealer_id"]
        verbose_name = _("ledger entry")
        verbose_name_plural = _("incentive ledger")

    def __str__(self) -> str:
        return f"{self.dealer_id} {self.period} {self.amount}"
