from django.contrib import admin

from .models import CaseAttachment, CaseMessage, RemoteSession, SupportCase


class MessageInline(admin.TabularInline):
    model = CaseMessage
    extra = 0
    fields = ("created_at", "author", "kind", "body")
    readonly_fields = fields


@admin.register(SupportCase)
class SupportCaseAdmin(admin.ModelAdmin):
    list_display = (
        "number",
        "dealer",
        "vin",
        "fault_code",
        "urgency",
        "status",
        "opened_at",
        "expert",
        "escalated_at",
    )
    list_filter = ("status", "urgency")
    search_fields = ("vin", "fault_code", "symptom", "dealer__code")
    list_select_related = ("dealer", "expert")
    autocomplete_fields = ("dealer",)
    raw_id_fields = (
        "repair_order",
        "earlier_repair_order",
        "opened_by",
        "dealer_owner",
        "expert",
        "published_by",
    )
    inlines = [MessageInline]


@admin.register(RemoteSession)
class RemoteSessionAdmin(admin.ModelAdmin):
    list_display = ("case", "held_at", "minutes", "expert")
    list_select_related = ("case", "expert")
    raw_id_fields = ("case", "expert")


@admin.register(CaseAttachment)
class CaseAttachmentAdmin(admin.ModelAdmin):
    list_display = ("case", "original_name", "kind", "size", "uploaded_at")
    list_select_related = ("case",)
    raw_id_fields = ("case", "message", "uploaded_by")
    readonly_fields = ("file",)
