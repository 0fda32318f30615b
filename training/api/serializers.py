"""What the API shows of the technician roster."""

from __future__ import annotations

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_base import DescribedModelSerializer

from ..models import Certification, Technician, TrainingRecord


class CertificationSerializer(DescribedModelSerializer):
    class Meta:
        model = Certification
        fields = ["id", "name", "level", "number", "issued_on", "expires_on"]


class TrainingRecordSerializer(DescribedModelSerializer):
    class Meta:
        model = TrainingRecord
        fields = ["id", "course", "hours", "completed_on"]


class TechnicianSerializer(DescribedModelSerializer):
    dealer = serializers.CharField(
        source="dealer.code", read_only=True, help_text=_("The dealer they work for.")
    )
    certifications = CertificationSerializer(
        many=True, read_only=True, help_text=_("The technician's certificates, newest expiry first.")
    )
    training_records = TrainingRecordSerializer(
        many=True, read_only=True, help_text=_("The courses the technician completed, with their hours.")
    )

    class Meta:
        model = Technician
        fields = [
            "id",
            "dealer",
            "name",
            "role",
            "hire_date",
            "left_on",
            "certifications",
            "training_records",
        ]
