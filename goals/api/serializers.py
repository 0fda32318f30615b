"""API v1 serializers of goals: the goal, its months, and the terms a create or revise takes."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assessments.kpis import BY_CODE
from config.api_base import DescribedModelSerializer
from dealers.choices import MANAGER_ROLES
from dealers.models import Dealer, Region, User

from ..choices import Comparator, GoalKind, GroupKind, MonthStatus
from ..models import Goal
from ..services import GoalTerms


class GoalSerializer(DescribedModelSerializer):
    region = serializers.CharField(
        source="region.name", default=None, read_only=True, help_text=_("Region name.")
    )
    dealer = serializers.CharField(
        source="dealer.code", default=None, read_only=True, help_text=_("Dealer code.")
    )
    owner = serializers.CharField(
        source="owner.username", default=None, read_only=True, help_text=_("The owner's username.")
    )
    current_status = serializers.ChoiceField(
        choices=MonthStatus.choices,
        read_only=True,
        allow_blank=True,
        help_text=_("The month in progress's status at the last check (empty when not covered)."),
    )

    class Meta:
        model = Goal
        fields = [
            "id",
            "kpi_code",
            "group_kind",
            "region",
            "city_tier",
            "dealer",
            "month_from",
            "month_to",
            "kind",
            "comparator",
            "target",
            "change_pct",
            "owner",
            "note",
            "version",
            "created_at",
            "current_month",
            "current_status",
            "status_checked_at",
        ]
        read_only_fields = fields


class GoalMonthSerializer(serializers.Serializer):
    month = serializers.CharField(help_text=_("YYYY-MM"))
    target = serializers.FloatField(allow_null=True, help_text=_("The month's target."))
    actual = serializers.FloatField(
        allow_null=True, help_text=_("The actual value (month to date for the month in progress).")
    )
    n = serializers.IntegerField(help_text=_("Sample size."))
    projection = serializers.FloatField(
        allow_null=True, help_text=_("The month in progress projected to its end.")
    )
    interval = serializers.ListField(
        child=serializers.FloatField(),
        allow_null=True,
        help_text=_("The projection's 95-per-cent interval [low, high]."),
    )
    variance = serializers.FloatField(allow_null=True, help_text=_("Actual (or projection) − target."))
    status = serializers.ChoiceField(choices=MonthStatus.choices)
    last_year = serializers.FloatField(
        allow_null=True, help_text=_("The same month a year earlier (change goals).")
    )


class GoalDetailSerializer(GoalSerializer):
    months = serializers.SerializerMethodField(help_text=_("Target, actual, variance and status per month."))

    class Meta(GoalSerializer.Meta):
        fields = [*GoalSerializer.Meta.fields, "months"]
        read_only_fields = fields

    def get_months(self, goal: Goal) -> list[dict[str, Any]]:
        rows = self.context.get("months") or []
        return [
            {
                "month": str(r.month),
                "target": r.target,
                "actual": r.actual,
                "n": r.n,
                "projection": r.projection.value if r.projection else None,
                "interval": [r.projection.low, r.projection.high] if r.projection else None,
                "variance": r.variance,
                "status": r.status,
                "last_year": r.last_year,
            }
            for r in rows
        ]


class GoalTermsSerializer(serializers.Serializer):
    """The terms of a goal, for create and revise (a revision saves a new version)."""

    kpi_code = serializers.ChoiceField(choices=list(BY_CODE), help_text=_("A KPI code of the catalogue."))
    group_kind = serializers.ChoiceField(
        choices=GroupKind.choices, help_text=_("The network, a region, a city tier or one dealer.")
    )
    region = serializers.SlugRelatedField(
        slug_field="name",
        queryset=Region.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Region name."),
    )
    city_tier = serializers.IntegerField(
        min_value=1,
        max_value=5,
        required=False,
        allow_null=True,
        help_text=_("City tier 1–5 (a city-tier goal)."),
    )
    dealer = serializers.SlugRelatedField(
        slug_field="code",
        queryset=Dealer.objects.all(),
        required=False,
        allow_null=True,
        help_text=_("Dealer code."),
    )
    month_from = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM"))
    month_to = serializers.RegexField(r"^\d{4}-\d{2}$", help_text=_("YYYY-MM"))
    kind = serializers.ChoiceField(choices=GoalKind.choices, help_text=_("Level or change."))
    comparator = serializers.ChoiceField(
        choices=Comparator.choices,
        required=False,
        allow_blank=True,
        help_text=_("Empty: from the KPI's direction."),
    )
    target = serializers.FloatField(
        required=False, allow_null=True, help_text=_("The target of a level goal.")
    )
    change_pct = serializers.FloatField(
        required=False, allow_null=True, help_text=_("e.g. -50 for a fall of 50 per cent.")
    )
    owner = serializers.SlugRelatedField(
        slug_field="username", queryset=User.objects.filter(role__in=MANAGER_ROLES, is_active=True)
    )
    note = serializers.CharField(required=False, allow_blank=True, default="", help_text=_("A note."))

    def terms(self) -> GoalTerms:
        return GoalTerms.of(self.validated_data)
