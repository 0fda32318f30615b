from django.contrib import admin

from .models import AnalysisRun, Finding, Review


class ReviewInline(admin.StackedInline):
    model = Review
    extra = 0
    can_delete = False
    readonly_fields = [
        "root_cause",
        "countermeasure",
        "lesson",
        "notified_dealers",
        "notified_regions",
        "closed_by",
        "closed_at",
        "before_value",
        "after_value",
        "after_month",
    ]


@admin.register(Finding)
class FindingAdmin(admin.ModelAdmin):
    """Read-only here: findings are triaged and closed on the findings pages, which audit each step."""

    list_display = ["pk", "kind", "subject", "dealer", "month", "severity", "status", "owner", "found_at"]
    list_filter = ["kind", "status"]
    search_fields = ["subject", "dealer__code", "month"]
    list_select_related = ["dealer", "owner"]
    raw_id_fields = ["dealer", "owner", "triaged_by"]
    show_full_result_count = False
    inlines = [ReviewInline]

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False


@admin.register(AnalysisRun)
class AnalysisRunAdmin(admin.ModelAdmin):
    list_display = ["month", "kind", "started_at", "seconds", "found", "new", "error"]
    list_filter = ["kind", "month"]
    show_full_result_count = False

    def has_add_permission(self, request: object) -> bool:
        return False

    def has_change_permission(self, request: object, obj: object = None) -> bool:
        return False
