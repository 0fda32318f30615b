"""API v1 of technical support: the cases in your scope, read-only (a technical expert: every
dealer's). Cases are opened and answered on the pages."""

from __future__ import annotations

import django_filters
from django.utils.translation import gettext_lazy as _
from rest_framework import mixins

from config.api_base import ScopedViewSet
from dealers.choices import SUPPORT_ROLES

from ..choices import CaseStatus, Urgency
from ..models import SupportCase
from .serializers import SupportCaseSerializer


class SupportCaseFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=CaseStatus.choices, help_text=_("Status."))
    urgency = django_filters.ChoiceFilter(choices=Urgency.choices, help_text=_("Urgency."))
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code."))
    vin = django_filters.CharFilter(field_name="vin", lookup_expr="iexact", help_text=_("VIN."))
    fault_code = django_filters.CharFilter(
        field_name="fault_code", lookup_expr="iexact", help_text=_("Fault code.")
    )

    class Meta:
        model = SupportCase
        fields = ["status", "urgency", "dealer", "vin", "fault_code"]


class SupportCaseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Technical cases in your scope with their service-level clocks."""

    queryset = SupportCase.objects.select_related("dealer", "expert", "repair_order")
    serializer_class = SupportCaseSerializer
    filterset_class = SupportCaseFilterSet
    read_roles = frozenset(SUPPORT_ROLES)
    ordering_fields = {"opened_at": "opened_at", "status": "status", "dealer": "dealer__code"}
