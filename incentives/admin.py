from django.contrib import admin

from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder


@admin.register(IncentiveRule)
class IncentiveRuleAdmin(admin.ModelAdmin):
    list_display = ["name", "condition", "action_type", "active", "sort_order"]
    list_editable = ["active", "sort_order"]


@admin.register(IncentiveAction)
class IncentiveActionAdmin(admin.ModelAdmin):
    list_display = ["period", "dealer", "action_type", "amount", "status", "decided_by"]
    list_filter = ["status", "action_type", "period"]
    readonly_fields = [f.name for f in IncentiveAction._meta.fields]


@admin.register(LedgerEntry)
class LedgerEntryAdmin(admin.ModelAdmin):
    list_display = ["period", "dealer", "amount", "created_at"]
    readonly_fields = [f.name for f in LedgerEntry._meta.fields]


@admin.register(RectificationOrder)
class RectificationOrderAdmin(admin.ModelAdmin):
    list_display = ["dealer", "deadline", "status", "overdue_flagged_at"]
    list_filter = ["status"]


@admin.register(Appeal)
class AppealAdmin(admin.ModelAdmin):
    list_display = ["dealer", "period", "kpi_code", "status", "filed_at"]
    list_filter = ["status"]
