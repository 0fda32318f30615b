"""Filters on technicians, shared by the pages and the API. Every parameter is named here."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _

from .choices import TechnicianRole
from .models import Technician


class TechnicianFilterSet(django_filters.FilterSet):
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))
    region = django_filters.CharFilter(
        field_name="dealer__region__name", help_text=_("Region name, exactly.")
    )
    role = django_filters.ChoiceFilter(choices=TechnicianRole.choices, help_text=_("Role on the staff."))
    active = django_filters.BooleanFilter(
        field_name="left_on", lookup_expr="isnull", help_text=_("Only employed (true) or left (false).")
    )

    class Meta:
        model = Technician
        fields = ["dealer", "region", "role", "active"]
