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
    raw_id_fields = ("dealer", "repair_order", "earlier_repair_order", "opened_by", "dealer_owner", "expert")
    inlines = [MessageInline]


@admin.register(RemoteSession)
class RemoteSessionAdmin(admin.ModelAdmin):
    list_display = ("case", "held_at", "minutes", "expert")
    raw_id_fields = ("case", "expert")


@admin.register(CaseAttachment)
class CaseAttachmentAdmin(admin.ModelAdmin):
    list_display = ("case", "original_name", "kind", "size", "uploaded_at")
    raw_id_fields = ("case", "message", "uploaded_by")
    readonly_fields = ("file",)
