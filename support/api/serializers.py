from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_base import DescribedModelSerializer

from ..models import SupportCase


class SupportCaseSerializer(DescribedModelSerializer):
    number = serializers.CharField(read_only=True, help_text=_("The case's number, TAC-000123."))
    dealer = serializers.CharField(
        source="dealer.code", read_only=True, help_text=_("The dealer that opened it.")
    )
    expert = serializers.SerializerMethodField(help_text=_("The expert who owns it (username), or null."))
    repair_order = serializers.CharField(
        source="repair_order.ro_number",
        read_only=True,
        default=None,
        help_text=_("Its repair order's number."),
    )
    first_response_due = serializers.DateTimeField(
        read_only=True, help_text=_("First answer due by (service level).")
    )
    resolution_due = serializers.DateTimeField(
        read_only=True, help_text=_("Resolution due by (service level).")
    )

    class Meta:
        model = SupportCase
        fields = [
            "id",
            "number",
            "dealer",
            "vin",
            "repair_order",
            "fault_code",
            "mileage",
            "symptom",
            "tried",
            "urgency",
            "status",
            "expert",
            "opened_at",
            "first_response_due",
            "first_response_at",
            "resolution_due",
            "resolved_at",
            "closed_at",
            "escalated_at",
            "solution",
        ]

    def get_expert(self, case: SupportCase) -> str | None:
        return case.expert.username if case.expert_id and case.expert else None
