"""Filters on dealers and regions, shared by the pages and the API. Every parameter is named here."""

from __future__ import annotations

import django_filters
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import DealerStatus, Role
from .models import Dealer, Region, User


class RegionFilterSet(django_filters.FilterSet):
    name = django_filters.CharFilter(lookup_expr="exact", help_text=_("Region name, exactly, e.g. 华东."))

    class Meta:
        model = Region
        fields = ["name"]


class DealerFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(lookup_expr="iexact", help_text=_("Dealer code, e.g. GL0001."))
    name = django_filters.CharFilter(lookup_expr="icontains", help_text=_("Part of the dealer's name."))
    region = django_filters.CharFilter(field_name="region__name", help_text=_("Region name, exactly."))
    province = django_filters.CharFilter(help_text=_("Province, exactly."))
    city = django_filters.CharFilter(help_text=_("City, exactly."))
    city_tier = django_filters.TypedChoiceFilter(
        choices=[(tier, str(tier)) for tier in range(1, 6)], coerce=int, help_text=_("City tier, 1–5.")
    )
    status = django_filters.ChoiceFilter(choices=DealerStatus.choices, help_text=_("Dealer status."))

    class Meta:
        model = Dealer
        fields = ["code", "name", "region", "province", "city", "city_tier", "status"]


class UserFilterSet(django_filters.FilterSet):
    username = django_filters.CharFilter(lookup_expr="iexact", help_text=_("User name, exactly."))
    role = django_filters.ChoiceFilter(choices=Role.choices, help_text=_("Role."))
    dealer = django_filters.CharFilter(
        field_name="dealer__code", help_text=_("The code of the user's dealer.")
    )
    is_active = django_filters.BooleanFilter(help_text=_("Only active (true) or inactive (false) users."))

    class Meta:
        model = User
        fields = ["username", "role", "dealer", "is_active"]


class DealerListFilterSet(django_filters.FilterSet):
    """The dealer registry page: ?q= (part of the code, name or city), region, city tier, status."""

    q = django_filters.CharFilter(method="search", help_text=_("Part of the code, name or city."))
    region = django_filters.CharFilter(field_name="region__name", help_text=_("Region name, exactly."))
    city_tier = django_filters.TypedChoiceFilter(
        choices=[(tier, str(tier)) for tier in range(1, 6)], coerce=int, help_text=_("City tier, 1–5.")
    )
    status = django_filters.ChoiceFilter(choices=DealerStatus.choices, help_text=_("Dealer status."))

    class Meta:
        model = Dealer
        fields = ["q", "region", "city_tier", "status"]

    def search(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        value = value.strip()
        if not value:
            return queryset
        return queryset.filter(Q(code__icontains=value) | Q(name__icontains=value) | Q(city__icontains=value))
