"""What the API shows of survey responses."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from assessments.api.serializers import changed_channel_field
from config.api_base import DescribedModelSerializer

from ..models import SurveyResponse


class SurveyResponseSerializer(DescribedModelSerializer):
    dealer = serializers.CharField(
        source="dealer.code", read_only=True, help_text=_("The dealer the visit was at.")
    )
    changed_channel = changed_channel_field()

    class Meta:
        model = SurveyResponse
        fields = [
            "id",
            "response_id",
            "dealer",
            "responded_at",
            "overall",
            "reception",
            "diagnosis",
            "repair_quality",
            "attitude",
            "timeliness",
            "nps",
            "comment",
            "source",
            "excluded",
            "excluded_reason",
            "imported_at",
            # Provenance (docs/data-keys.md): the channel it came through, its last change.
            "created_channel",
            "changed_at",
            "changed_channel",
        ]
