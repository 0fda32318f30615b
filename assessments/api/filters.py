"""Filters of the assessments API. Every query parameter is declared here; nothing else reaches filter().

Scorecards use the ranking page's ScorecardFilterSet (assessments/filtersets.py).
"""

from __future__ import annotations

from typing import Any

import django_filters
from django import forms
from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _

from ..choices import (
    ComplaintCategory,
    Grouping,
    ImportKind,
    ImportStatus,
    PeriodStatus,
    RepairType,
    SchemeStatus,
    Severity,
    SubmissionStatus,
    Tier,
)
from ..filtersets import ScorecardFilterSet
from ..models import (
    Complaint,
    GroupFigure,
    ImportJob,
    Kpi,
    MonthlySubmission,
    PartsOrder,
    Period,
    RepairOrder,
    Scheme,
)
from ..periods import Month

PERIOD_HELP = _("A month, YYYY-MM.")


class MonthField(forms.CharField):
    """A month 'YYYY-MM' (Asia/Shanghai), cleaned to a Month."""

    default_error_messages = {"invalid": _("Enter a month as YYYY-MM.")}

    def to_python(self, value: Any) -> Month | None:
        value = super().to_python(value)
        if not value:
            return None
        try:
            return Month.parse(value)
        except ValueError as exc:
            raise forms.ValidationError(self.error_messages["invalid"], code="invalid") from exc


class MonthFilter(django_filters.Filter):
    """Rows whose timestamp `field_name` falls in the month; or, on a 'YYYY-MM' text field, equal to it."""

    field_class = MonthField

    def __init__(self, *args: Any, text: bool = False, **kwargs: Any) -> None:
        self.text = text
        super().__init__(*args, **kwargs)

    def filter(self, qs: QuerySet, value: Month | None) -> QuerySet:
        if value is None:
            return qs
        if self.text:
            return qs.filter(**{self.field_name: str(value)})
        return qs.filter(**{f"{self.field_name}__gte": value.start, f"{self.field_name}__lt": value.end})


class DealerOwnedFilterSet(django_filters.FilterSet):
    """Filters by the owning dealer's code and region, for every dealer-owned record."""

    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))
    region = django_filters.CharFilter(
        field_name="dealer__region__name", help_text=_("Region name, exactly.")
    )


class KpiFilterSet(django_filters.FilterSet):
    tier = django_filters.ChoiceFilter(choices=Tier.choices, help_text=_("KPI tier."))
    dimension = django_filters.CharFilter(help_text=_("KPI dimension, e.g. quality."))

    class Meta:
        model = Kpi
        fields = ["tier", "dimension"]


class SchemeFilterSet(django_filters.FilterSet):
    code = django_filters.CharFilter(help_text=_("Scheme code, e.g. STD-2026."))
    version = django_filters.NumberFilter(help_text=_("Scheme version."))
    status = django_filters.ChoiceFilter(choices=SchemeStatus.choices, help_text=_("Draft or published."))

    class Meta:
        model = Scheme
        fields = ["code", "version", "status"]


class PeriodFilterSet(django_filters.FilterSet):
    status = django_filters.ChoiceFilter(choices=PeriodStatus.choices, help_text=_("Open or closed."))

    class Meta:
        model = Period
        fields = ["status"]


class ScorecardApiFilterSet(ScorecardFilterSet):
    """The ranking page's filters, and the dealer code for integrations."""

    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("Dealer code, exactly."))

    class Meta(ScorecardFilterSet.Meta):
        fields = [*ScorecardFilterSet.Meta.fields, "dealer"]


class RepairOrderFilterSet(DealerOwnedFilterSet):
    ro_number = django_filters.CharFilter(help_text=_("RO number, exactly."))
    vin = django_filters.CharFilter(lookup_expr="iexact", help_text=_("VIN, exactly."))
    repair_type = django_filters.ChoiceFilter(choices=RepairType.choices, help_text=_("Repair type."))
    opened_in = MonthFilter(field_name="opened_at", help_text=_("Opened in this month, YYYY-MM."))
    closed_in = MonthFilter(field_name="closed_at", help_text=_("Closed (delivered) in this month, YYYY-MM."))
    is_open = django_filters.BooleanFilter(
        field_name="closed_at", lookup_expr="isnull", help_text=_("Only open (true) or closed (false) ROs.")
    )

    class Meta:
        model = RepairOrder
        fields = ["dealer", "region", "ro_number", "vin", "repair_type", "opened_in", "closed_in", "is_open"]


class ComplaintFilterSet(DealerOwnedFilterSet):
    complaint_id = django_filters.CharFilter(help_text=_("Complaint id, exactly."))
    category = django_filters.ChoiceFilter(choices=ComplaintCategory.choices, help_text=_("Category."))
    severity = django_filters.ChoiceFilter(choices=Severity.choices, help_text=_("Severity."))
    received_in = MonthFilter(field_name="received_at", help_text=_("Received in this month, YYYY-MM."))
    is_open = django_filters.BooleanFilter(
        field_name="closed_at",
        lookup_expr="isnull",
        help_text=_("Only open (true) or closed (false) complaints."),
    )

    class Meta:
        model = Complaint
        fields = ["dealer", "region", "complaint_id", "category", "severity", "received_in", "is_open"]


class PartsOrderFilterSet(DealerOwnedFilterSet):
    order_id = django_filters.CharFilter(help_text=_("Order id, exactly."))
    part_number = django_filters.CharFilter(help_text=_("Part number, exactly."))
    ordered_in = MonthFilter(field_name="ordered_at", help_text=_("Ordered in this month, YYYY-MM."))
    fulfilled_in = MonthFilter(field_name="fulfilled_at", help_text=_("Fulfilled in this month, YYYY-MM."))

    class Meta:
        model = PartsOrder
        fields = ["dealer", "region", "order_id", "part_number", "ordered_in", "fulfilled_in"]


class SubmissionFilterSet(DealerOwnedFilterSet):
    period = MonthFilter(field_name="period", text=True, help_text=PERIOD_HELP)
    status = django_filters.ChoiceFilter(choices=SubmissionStatus.choices, help_text=_("Submission status."))

    class Meta:
        model = MonthlySubmission
        fields = ["dealer", "region", "period", "status"]


class SaneIsoDateTimeField(django_filters.fields.IsoDateTimeField):
    """An ISO 8601 instant the database can hold: years 2000–2999, a real time-zone offset."""

    def clean(self, value: Any) -> Any:
        from datetime import timedelta

        moment = super().clean(value)
        if moment is None:
            return moment
        offset = moment.utcoffset()
        if not 2000 <= moment.year <= 2999 or (offset is not None and abs(offset) > timedelta(hours=14)):
            raise forms.ValidationError(
                _("Enter a time between the years 2000 and 2999 with a real UTC offset.")
            )
        return moment


class SaneIsoDateTimeFilter(django_filters.IsoDateTimeFilter):
    field_class = SaneIsoDateTimeField


class ImportJobFilterSet(django_filters.FilterSet):
    kind = django_filters.ChoiceFilter(choices=ImportKind.choices, help_text=_("What was imported."))
    status = django_filters.ChoiceFilter(choices=ImportStatus.choices, help_text=_("How the import ended."))
    dealer = django_filters.CharFilter(field_name="dealer__code", help_text=_("The uploader's dealer code."))
    started_after = SaneIsoDateTimeFilter(
        field_name="started_at", lookup_expr="gte", help_text=_("Started at or after this time (ISO 8601).")
    )

    class Meta:
        model = ImportJob
        fields = ["kind", "status", "dealer", "started_after"]


class GroupFigureFilterSet(django_filters.FilterSet):
    """Stored group figures by month, grouping, group and KPI (all optional)."""

    period = django_filters.CharFilter(field_name="period__code", help_text=PERIOD_HELP)
    grouping = django_filters.ChoiceFilter(
        choices=Grouping.choices, help_text=_("network, region, city_tier or peer.")
    )
    group = django_filters.CharFilter(
        field_name="group_key",
        help_text=_("The group: a region id, a city tier, a peer key such as 3-M; empty for the network."),
    )
    kpi = django_filters.CharFilter(field_name="kpi_code", help_text=_("KPI code, or average_total."))

    class Meta:
        model = GroupFigure
        fields = ["period", "grouping", "group", "kpi"]
