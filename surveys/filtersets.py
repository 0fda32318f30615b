"""Filters on survey responses, shared by the pages and the API. Every parameter is named here."""

from __future__ import annotations

import django_filters
from django.db.models import QuerySet
from django.utils import timezone
from django.utils.translation import gettext_lazy as _

from assessments.api.filters import MonthFilter

from .models import SurveyInvitation, SurveyResponse
from .selectors import invitation_state_filter


class SurveyResponseFilterSet(django_filters.FilterSet):
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))
    region = django_filters.CharFilter(
        field_name="dealer__region__name", help_text=_("Region name, exactly.")
    )
    response_id = django_filters.CharFilter(help_text=_("Response id, exactly."))
    responded_in = MonthFilter(field_name="responded_at", help_text=_("Answered in this month, YYYY-MM."))
    source = django_filters.ChoiceFilter(
        choices=SurveyResponse.Source.choices, help_text=_("Where it came from.")
    )
    excluded = django_filters.BooleanFilter(help_text=_("Only excluded (true) or counted (false) responses."))

    class Meta:
        model = SurveyResponse
        fields = ["dealer", "region", "response_id", "responded_in", "source", "excluded"]


INVITATION_STATES = ("waiting", "answered", "expired")


class InvitationFilterSet(django_filters.FilterSet):
    """The invitations page and its export: ?state=waiting|answered|expired, dealer, created_on."""

    state = django_filters.ChoiceFilter(
        choices=[(state, state) for state in INVITATION_STATES], method="filter_state"
    )
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))
    created_on = django_filters.DateFilter(field_name="created_at", lookup_expr="date")

    class Meta:
        model = SurveyInvitation
        fields = ["state", "dealer", "created_on"]

    def filter_state(self, queryset: QuerySet, name: str, value: str) -> QuerySet:
        return invitation_state_filter(queryset, value, timezone.now())
