from django.contrib import admin

from config.admin_kit import BigTableAdmin, PeriodCodeFilter

from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder


@admin.register(IncentiveRule)
class IncentiveRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "action_type", "active", "sort_order"]
    list_editable = ["active", "sort_order"]


@admin.register(IncentiveAction)
class IncentiveActionAdmin(BigTableAdmin):
    list_display = ["period", "dealer", "action_type", "amount", "status", "decided_by"]
    list_filter = ["status", "action_type", PeriodCodeFilter]
    search_fields = ["dealer__code"]
    list_select_related = ["dealer", "decided_by"]
    readonly_fields = [*(f.name for f in IncentiveAction._meta.fields), "scorecards"]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(BigTableAdmin):
    list_display = ["period", "dealer", "amount", "created_at"]
    search_fields = ["dealer__code"]
    list_select_related = ["dealer"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(RectificationOrder)
class RectificationOrderAdmin(admin.ModelAdmin):
    list_display = ["dealer", "deadline", "status", "overdue_flagged_at"]
    list_filter = ["status"]
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer", "verified_by", "owner"]
    raw_id_fields = ["action"]


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["dealer", "period", "kpi_code", "status", "filed_at"]
    list_filter = ["status"]
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer", "filed_by", "decided_by", "owner"]
    raw_id_fields = ["scorecard"]
