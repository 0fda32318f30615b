"""Filters of the incentives lists, for the pages and the API alike. Every query parameter is
declared here; nothing else reaches filter(). A value that does not parse (an unknown status,
a region that is no number) filters nothing, as on every list of the portal."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from assessments.api.filters import PERIOD_HELP, DealerOwnedFilterSet, MonthFilter

from .choices import ActionStatus, ActionType, AppealStatus, ConditionKind, RectificationStatus
from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder


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


# --- the pages' filters --------------------------------------------------------------------


class IdFilter(django_filters.Filter):
    """A row id in a select (region, rule): whole numbers only."""

    field_class = forms.IntegerField


class ActionQueueFilterSet(django_filters.FilterSet):
    """The action queue's filters: ?status=&type=&period=&region=&rule=&dealer=.

    The page defaults the status to "proposed" for managers before it filters."""

    status = django_filters.ChoiceFilter(choices=ActionStatus.choices)
    type = django_filters.ChoiceFilter(field_name="action_type", choices=ActionType.choices)
    period = django_filters.CharFilter(field_name="period")
    region = IdFilter(field_name="dealer__region_id")
    rule = IdFilter(field_name="rule_id")
    dealer = django_filters.CharFilter(method="filter_dealer")

    class Meta:
        model = IncentiveAction
        fields = ["status", "type", "period", "region", "rule", "dealer"]

    def filter_dealer(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        """Part of the dealer's code or name."""
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(dealer__code__icontains=value) | Q(dealer__name__icontains=value))


# The rectification list's tabs: each a group of order statuses.
RECTIFICATION_TABS = {
    "to_verify": [RectificationStatus.PLAN_SUBMITTED],
    "open": [RectificationStatus.OPEN],
    "closed": [RectificationStatus.PASSED, RectificationStatus.FAILED],
}


class RectificationListFilterSet(django_filters.FilterSet):
    """The rectification list's tab: ?status=to_verify|open|closed (any other value: every order),
    and ?dealer=<code> (one dealer's orders: the export linked from the dealer's page).

    The page defaults the tab (plans to verify for managers, open orders for dealers)."""

    status = django_filters.ChoiceFilter(
        choices=[(key, key) for key in RECTIFICATION_TABS], method="filter_tab"
    )
    dealer = django_filters.CharFilter(field_name="dealer__code")

    class Meta:
        model = RectificationOrder
        fields = ["status", "dealer"]

    def filter_tab(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(status__in=RECTIFICATION_TABS[value])
