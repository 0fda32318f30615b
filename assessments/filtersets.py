"""Filters on scorecards, shared by the ranking page and the API. Every parameter is named here."""

from __future__ import annotations

from typing import Any

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from dealers.choices import DealerStatus

from .choices import ScorecardStatus
from .models import Scorecard

CITY_TIER_CHOICES = [(tier, str(tier)) for tier in range(1, 6)]


class ScorecardFilterSet(django_filters.FilterSet):
    period = django_filters.CharFilter(field_name="period__code", help_text=_("Period, YYYY-MM."))
    region = django_filters.CharFilter(
        field_name="region_name", help_text=_("Region name, exactly, e.g. 华东.")
    )
    city_tier = django_filters.TypedChoiceFilter(
        field_name="dealer__city_tier", choices=CITY_TIER_CHOICES, coerce=int, help_text=_("City tier, 1–5.")
    )
    grade = django_filters.CharFilter(help_text=_("Grade, e.g. A."))
    status = django_filters.ChoiceFilter(
        choices=ScorecardStatus.choices, help_text=_("Scorecard status: scored or insufficient_data.")
    )
    dealer_status = django_filters.ChoiceFilter(
        field_name="dealer__status", choices=DealerStatus.choices, help_text=_("Dealer status.")
    )
    q = django_filters.CharFilter(method="search", help_text=_("Part of the dealer's code or name."))

    class Meta:
        model = Scorecard
        fields = ["period", "region", "city_tier", "grade", "status", "dealer_status", "q"]

    def search(self, queryset: QuerySet, name: str, value: Any) -> QuerySet:
        text = str(value).strip()
        if not text:
            return queryset
        return queryset.filter(Q(dealer__code__icontains=text) | Q(dealer__name__icontains=text))
