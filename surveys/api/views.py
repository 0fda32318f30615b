"""API v1 of the surveys app."""

from __future__ import annotations

from rest_framework import mixins

from config.api_base import ScopedViewSet

from ..filtersets import SurveyResponseFilterSet
from ..models import SurveyResponse
from .serializers import SurveyResponseSerializer


class SurveyResponseViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Customer survey responses in your scope; they feed csat and nps."""

    queryset = SurveyResponse.objects.select_related("dealer")
    serializer_class = SurveyResponseSerializer
    filterset_class = SurveyResponseFilterSet
    ordering_fields = {"responded_at": "responded_at", "overall": "overall", "dealer": "dealer__code"}
