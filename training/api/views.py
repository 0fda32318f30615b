"""API v1 of the training app: the technician roster, read-only."""

from __future__ import annotations

from rest_framework import mixins

from config.api_base import ScopedViewSet

from ..filtersets import TechnicianFilterSet
from ..models import Technician
from .serializers import TechnicianSerializer


class TechnicianViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Technicians in your scope with their certificates and training hours."""

    queryset = Technician.objects.select_related("dealer").prefetch_related(
        "certifications", "training_records"
    )
    serializer_class = TechnicianSerializer
    filterset_class = TechnicianFilterSet
    ordering_fields = {"name": "name", "hire_date": "hire_date", "dealer": "dealer__code"}
