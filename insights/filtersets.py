"""Filters on findings, shared by the pages and the API. Every parameter is named here."""

from __future__ import annotations

import django_filters
from django import forms
from django.db.models import Q, QuerySet
from django.utils.translation import gettext_lazy as _

from .choices import FAMILY_OF, FindingFamily, FindingKind, FindingStatus
from .models import ACTIVE, Finding

ACTIVE_CHOICE = "active"
STATUS_CHOICES = [(ACTIVE_CHOICE, _("New or open")), *FindingStatus.choices]


class FindingFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(
        label=_("Status"),
        choices=STATUS_CHOICES,
        method="filter_status",
        empty_label=_("Any status"),
        help_text=_("Status."),
    )
    family = django_filters.ChoiceFilter(
        label=_("Family"),
        choices=FindingFamily.choices,
        method="filter_family",
        empty_label=_("Any family"),
        help_text=_("Family."),
    )
    kind = django_filters.ChoiceFilter(
        label=_("Kind"), choices=FindingKind.choices, empty_label=_("Any kind"), help_text=_("Kind.")
    )
    month = django_filters.CharFilter(
        label=_("Month"),
        help_text=_("Month analysed, YYYY-MM."),
        widget=forms.TextInput(attrs={"type": "month", "placeholder": "YYYY-MM"}),
    )
    dealer = django_filters.CharFilter(
        label=_("Dealer code"), field_name="dealer__code", help_text=_("Dealer code, exactly.")
    )
    region = django_filters.NumberFilter(
        label=_("Region"), method="filter_region", help_text=_("Region id (network findings included).")
    )
    mine = django_filters.BooleanFilter(
        label=_("Mine"), method="filter_mine", help_text=_("Only the findings I own.")
    )

    class Meta:
        model = Finding
        fields = ["status", "family", "kind", "month", "dealer", "region", "mine"]

    def filter_status(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        if value == ACTIVE_CHOICE:
            return queryset.filter(status__in=ACTIVE)
        return queryset.filter(status=value)

    def filter_family(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return queryset.filter(kind__in=[k for k, f in FAMILY_OF.items() if f == value])

    def filter_region(self, queryset: QuerySet, name: str, value: int) -> QuerySet:
        return queryset.filter(Q(dealer__region_id=value) | Q(dealer__isnull=True))

    def filter_mine(self, queryset: QuerySet, name: str, value: bool) -> QuerySet:
        user = getattr(self.request, "user", None)
        return queryset.filter(owner=user) if value and user is not None else queryset
