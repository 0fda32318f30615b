"""Filters on goals, shared by the pages and the API. Every parameter is named here."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import GoalKind, GroupKind, MonthStatus
from .models import Goal


class GoalFilterSet(django_filters.FilterSet):
    kpi = django_filters.CharFilter(field_name="kpi_code", help_text=_("KPI code, exactly."))
    group = django_filters.ChoiceFilter(
        field_name="group_kind", choices=GroupKind.choices, help_text=_("Group kind.")
    )
    kind = django_filters.ChoiceFilter(choices=GoalKind.choices, help_text=_("Level or change."))
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))
    status = django_filters.ChoiceFilter(
        field_name="current_status",
        choices=MonthStatus.choices,
        help_text=_("The month in progress's status."),
    )

    class Meta:
        model = Goal
        fields = ["kpi", "group", "kind", "dealer", "status"]
