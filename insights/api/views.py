"""API v1 of findings: read the findings in your scope (triage and 复盘 happen on the pages)."""

from __future__ import annotations

from rest_framework import mixins

from config.api_base import ScopedViewSet

from ..filtersets import FindingFilterSet
from ..models import Finding
from .serializers import FindingSerializer


class FindingViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Findings in your scope, newest first: kind, subject, dealer, month, severity, status,
    owner, the explanation in your language, the figures, and the review once closed."""

    queryset = Finding.objects.select_related("dealer", "owner", "review", "review__closed_by")
    serializer_class = FindingSerializer
    filterset_class = FindingFilterSet
    ordering_fields = {"found_at": "found_at", "severity": "severity", "month": "month"}
    ordering = ["-found_at", "-severity", "pk"]
