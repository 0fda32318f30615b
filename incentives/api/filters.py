"""Filters of the incentives API. Every query parameter is declared here; nothing else reaches filter()."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from assessments.api.filters import PERIOD_HELP, DealerOwnedFilterSet, MonthFilter

from ..choices import ActionStatus, ActionType, AppealStatus, ConditionKind, RectificationStatus
from ..models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder


class IncentiveRuleFilterSet(django_filters.FilterSet):
    condition = django_filters.ChoiceFilter(choices=ConditionKind.choices, help_text=_("Kind of condition."))
    action_type = django_filters.ChoiceFilter(choices=ActionType.choices, help_text=_("Action proposed."))
    active = django_filters.BooleanFilter(help_text=_("Only active (true) or inactive (false) rules."))

    class Meta:
        model = IncentiveRule
        fields = ["condition", "action_type", "active"]


class IncentiveActionFilterSet(DealerOwnedFilterSet):
    period = MonthFilter(field_name="period", text=True, help_text=PERIOD_HELP)
    status = django_filters.ChoiceFilter(
        choices=ActionStatus.choices, help_text=_("Proposed, approved or rejected.")
    )
    action_type = django_filters.ChoiceFilter(choices=ActionType.choices, help_text=_("Kind of action."))

    class Meta:
        model = IncentiveAction
        fields = ["dealer", "region", "period", "status", "action_type"]


class LedgerEntryFilterSet(DealerOwnedFilterSet):
    period = MonthFilter(field_name="period", text=True, help_text=PERIOD_HELP)

    class Meta:
        model = LedgerEntry
        fields = ["dealer", "region", "period"]


class RectificationOrderFilterSet(DealerOwnedFilterSet):
    status = django_filters.ChoiceFilter(choices=RectificationStatus.choices, help_text=_("Order status."))
    period = MonthFilter(
        field_name="action__period", text=True, help_text=_("Period of the action, YYYY-MM.")
    )
    flagged_overdue = django_filters.BooleanFilter(
        field_name="overdue_flagged_at",
        lookup_expr="isnull",
        exclude=True,
        help_text=_("Only orders flagged overdue (true) or not (false)."),
    )

    class Meta:
        model = RectificationOrder
        fields = ["dealer", "region", "status", "period", "flagged_overdue"]


class AppealFilterSet(DealerOwnedFilterSet):
    period = MonthFilter(field_name="period", text=True, help_text=PERIOD_HELP)
    status = django_filters.ChoiceFilter(
        choices=AppealStatus.choices, help_text=_("Submitted, upheld or rejected.")
    )
    kpi_code = django_filters.CharFilter(help_text=_("KPI code, exactly."))

    class Meta:
        model = Appeal
        fields = ["dealer", "region", "period", "status", "kpi_code"]
