"""django-import-export resources for the admin."""

from __future__ import annotations

from assessments.resources import ServiceDataResource

from .models import SurveyResponse


class SurveyResponseResource(ServiceDataResource):
    class Meta:
        model = SurveyResponse
        import_id_fields = ["dealer", "response_id"]
        fields = [
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
        ]
        use_transactions = True
        rollback_on_validation_errors = True
        skip_unchanged = True
