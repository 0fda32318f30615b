from django.contrib import admin
from import_export.admin import ImportExportModelAdmin

from .models import SurveyResponse
from .resources import SurveyResponseResource


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ImportExportModelAdmin):
    resource_classes = [SurveyResponseResource]
    list_display = ["response_id", "dealer", "responded_at", "overall", "nps", "source", "excluded"]
    list_filter = ["source", "excluded", "overall"]
    search_fields = ["response_id", "dealer__code"]
    list_select_related = ["dealer"]
    raw_id_fields = ["dealer", "repair_order", "excluded_by"]
