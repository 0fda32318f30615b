from django.contrib import admin

from .models import Goal, GoalVersion


class GoalVersionInline(admin.TabularInline):
    model = GoalVersion
    extra = 0
    can_delete = False
    readonly_fields = ["version", "terms", "changes", "created_at", "created_by"]


@admin.register(Goal)
class GoalAdmin(admin.ModelAdmin):
    """Read-only here: goals change through the goal pages, which version and audit each edit."""

    list_display = [
        "pk",
        "kpi_code",
        "group_kind",
        "month_from",
        "month_to",
        "kind",
        "owner",
        "version",
        "current_status",
    ]
    list_filter = ["group_kind", "kind", "current_status"]
    search_fields = ["kpi_code", "dealer__code", "region__name", "owner__username"]
    list_select_related = ["owner", "dealer", "region"]
    inlines = [GoalVersionInline]

    def has_add_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False

    def has_change_permission(self, request, obj=None):  # type: ignore[no-untyped-def]
        return False
