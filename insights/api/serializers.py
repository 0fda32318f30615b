"""API v1 serializers of findings: the finding with its explanation, figures and evidence ids
in scope, and its review (复盘) once closed."""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from rest_framework import serializers

from config.api_base import DescribedModelSerializer

from ..choices import FindingKind
from ..explain import explain
from ..models import Finding, Review


class ReviewSerializer(serializers.ModelSerializer):
    closed_by = serializers.CharField(source="closed_by.username", default=None, read_only=True)

    class Meta:
        model = Review
        fields = [
            "root_cause",
            "countermeasure",
            "lesson",
            "closed_by",
            "closed_at",
            "before_value",
            "after_value",
            "after_month",
        ]


class FindingSerializer(DescribedModelSerializer):
    dealer = serializers.CharField(
        source="dealer.code",
        default=None,
        read_only=True,
        help_text=_("Dealer code; null for a network finding."),
    )
    owner = serializers.CharField(
        source="owner.username", default=None, read_only=True, help_text=_("The owner's username.")
    )
    explanation = serializers.SerializerMethodField(
        help_text=_("What was found, in a sentence, in the request's language.")
    )
    review = serializers.SerializerMethodField(help_text=_("The review (复盘) that closed it, if closed."))

    class Meta:
        model = Finding
        fields = [
            "id",
            "kind",
            "subject",
            "dealer",
            "month",
            "severity",
            "status",
            "owner",
            "due_date",
            "found_at",
            "explanation",
            "figures",
            "review",
        ]

    def get_explanation(self, finding: Finding) -> str:
        return explain(FindingKind(finding.kind), finding.subject, finding.figures)

    def get_review(self, finding: Finding) -> dict[str, Any] | None:
        review = getattr(finding, "review", None) if finding.status == "closed" else None
        return ReviewSerializer(review).data if review is not None else None
