"""Django admin for HQ admins: service data with django-import-export, the rest read-mostly."""

from __future__ import annotations

from typing import Any

from django.contrib import admin
from django.utils import timezone
from django.utils.translation import gettext_lazy as _
from import_export.admin import ExportMixin, ImportExportModelAdmin

from config.admin_kit import (
    BigTableAdmin,
    PeriodCodeFilter,
    month_filter,
    provenance_model_labels,
    values_filter,
)

from .choices import RecordChannel
from .models import (
    Complaint,
    ImportJob,
    Kpi,
    MonthlySubmission,
    PartsOrder,
    Period,
    RecordChange,
    RepairOrder,
    Scheme,
    SchemeKpi,
    Scorecard,
    VetoIncident,
)
from .models.provenance import history_value
from .resources import (
    ComplaintResource,
    ImportJobResource,
    MonthlySubmissionResource,
    PartsOrderResource,
    RepairOrderResource,
)


class ReadOnlyAdmin(admin.ModelAdmin):
    """Records written by services only: look, never touch."""

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return False

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return False


PROVENANCE_FIELDS = ["created_channel", "created_by", "changed_at", "changed_by", "changed_channel"]


class ProvenanceAdmin(BigTableAdmin, ImportExportModelAdmin):
    """Service records edited in the admin keep their provenance and change history like any
    other edit: the form cannot touch the provenance, saving stamps and records the change.
    Service data are the portal's biggest tables: no full counts, exact searches (BigTableAdmin)."""

    autocomplete_fields = ["dealer"]

    def get_readonly_fields(self, request: Any, obj: Any = None) -> list[str]:
        return [*super().get_readonly_fields(request, obj), *PROVENANCE_FIELDS]

    def get_list_filter(self, request: Any) -> list[Any]:
        return [*super().get_list_filter(request), "created_channel"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        user = request.user
        if not change:
            obj.created_channel, obj.created_by = RecordChannel.SYSTEM, user
            super().save_model(request, obj, form, change)
            return
        before = type(obj).objects.get(pk=obj.pk)
        fields = [
            f.attname
            for f in obj._meta.concrete_fields
            if f.name in form.changed_data and getattr(before, f.attname) != getattr(obj, f.attname)
        ]
        if fields:
            now = timezone.now().replace(microsecond=0)
            obj.changed_at, obj.changed_by, obj.changed_channel = now, user, RecordChannel.SYSTEM
            RecordChange.objects.create(
                model=obj._meta.label_lower,
                record_id=obj.pk,
                dealer_id=obj.dealer_id,
                changed_at=now,
                user=user,
                channel=RecordChannel.SYSTEM,
                before={f: history_value(getattr(before, f)) for f in fields},
                after={f: history_value(getattr(obj, f)) for f in fields},
            )
        super().save_model(request, obj, form, change)


@admin.register(RepairOrder)
class RepairOrderAdmin(ProvenanceAdmin):
    resource_classes = [RepairOrderResource]
    list_display = [
        "ro_number",
        "dealer",
        "repair_type",
        "opened_at",
        "closed_at",
        "labor_amount",
        "parts_amount",
    ]
    list_filter = ["repair_type", month_filter("opened_at", _("month opened")), "dealer__region"]
    search_fields = ["ro_number", "vin", "dealer__code"]
    search_help_text = _("A whole RO number, VIN or dealer code.")
    search_repair_order_field = "pk"
    list_select_related = ["dealer"]


@admin.register(Complaint)
class ComplaintAdmin(ProvenanceAdmin):
    resource_classes = [ComplaintResource]
    list_display = ["complaint_id", "dealer", "category", "severity", "received_at", "closed_at"]
    list_filter = ["category", "severity", month_filter("received_at", _("month received"))]
    search_fields = ["complaint_id", "dealer__code"]
    search_help_text = _("A whole complaint number or dealer code.")
    exact_search_fields = ["complaint_id"]
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer", "owner"]
    raw_id_fields = ["repair_order"]


@admin.register(PartsOrder)
class PartsOrderAdmin(ProvenanceAdmin):
    resource_classes = [PartsOrderResource]
    list_display = ["order_id", "dealer", "part_number", "quantity", "ordered_at", "fulfilled_at"]
    search_fields = ["order_id", "dealer__code"]
    search_help_text = _("A whole parts order number or dealer code.")
    exact_search_fields = ["order_id"]
    list_select_related = ["dealer"]
    # Newest first through the primary key: ordered_at has no index of its own.
    ordering = ["-pk"]


@admin.register(MonthlySubmission)
class MonthlySubmissionAdmin(BigTableAdmin, ImportExportModelAdmin):
    resource_classes = [MonthlySubmissionResource]
    list_display = ["dealer", "period", "status", "technicians", "certified_technicians", "reviewed_at"]
    list_filter = ["status", PeriodCodeFilter]
    search_fields = ["dealer__code"]
    search_help_text = _("A whole dealer code.")
    list_select_related = ["dealer", "reviewed_by"]
    autocomplete_fields = ["dealer", "reviewed_by"]


@admin.register(RecordChange)
class RecordChangeAdmin(BigTableAdmin, ReadOnlyAdmin):
    """The before and after of every change to a record that counts in a KPI."""

    list_display = ["changed_at", "model", "record_id", "dealer", "user", "channel"]
    list_filter = [values_filter("model", _("model"), provenance_model_labels()), "channel"]
    search_fields = ["dealer__code", "user__username"]
    search_help_text = _("A whole dealer code or user name.")
    search_user_field = "user"
    list_select_related = ["dealer", "user"]


@admin.register(ImportJob)
class ImportJobAdmin(ExportMixin, ReadOnlyAdmin):
    resource_classes = [ImportJobResource]
    list_display = [
        "started_at",
        "kind",
        "file_name",
        "status",
        "created",
        "updated",
        "unchanged",
        "rejected",
        "user",
    ]
    list_filter = ["kind", "status", "dry_run", "partial"]
    search_fields = ["file_name", "checksum", "user__username"]
    list_select_related = ["user"]


@admin.register(Period)
class PeriodAdmin(admin.ModelAdmin):
    list_display = ["code", "status", "closed_at", "closed_by"]
    list_filter = ["status"]
    list_select_related = ["closed_by"]
    readonly_fields = ["status", "closed_at", "closed_by", "scorecards_published_at"]


class SchemeKpiInline(admin.TabularInline):
    model = SchemeKpi
    extra = 0

    def has_add_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None or not obj.is_published

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None or not obj.is_published

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        return obj is None or not obj.is_published


@admin.register(Scheme)
class SchemeAdmin(admin.ModelAdmin):
    """A published scheme never changes; publishing is a service action, not an edit."""

    list_display = ["code", "version", "name", "status", "effective_from", "published_at"]
    list_filter = ["status", "code"]
    inlines = [SchemeKpiInline]
    readonly_fields = ["status", "created_at", "created_by", "published_at", "published_by"]

    def has_change_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_change_permission(request, obj)

    def has_delete_permission(self, request: Any, obj: Any = None) -> bool:
        if obj is not None and obj.is_published:
            return False
        return super().has_delete_permission(request, obj)


@admin.register(Kpi)
class KpiAdmin(admin.ModelAdmin):
    list_display = ["code", "name_zh", "name_en", "tier", "dimension", "unit", "direction"]
    list_filter = ["tier", "dimension"]
    readonly_fields = ["code"]


@admin.register(Scorecard)
class ScorecardAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["period", "dealer", "status", "total_score", "grade", "rank", "region_rank", "veto"]
    list_filter = ["period", "status", "grade"]
    search_fields = ["dealer__code"]
    search_help_text = _("A whole dealer code.")
    list_select_related = ["period", "dealer"]
    # The order of the (period, dealer) index: sorting by the dealer's code joins every row.
    ordering = ["-period_id", "dealer_id"]


@admin.register(VetoIncident)
class VetoIncidentAdmin(admin.ModelAdmin):
    list_display = ["period", "dealer", "title", "recorded_by", "recorded_at"]
    list_filter = [PeriodCodeFilter]
    search_fields = ["dealer__code", "title"]
    list_select_related = ["dealer", "recorded_by"]
    autocomplete_fields = ["dealer"]
    readonly_fields = ["recorded_by", "recorded_at"]

    def save_model(self, request: Any, obj: Any, form: Any, change: bool) -> None:
        if not change:
            obj.recorded_by = request.user
        super().save_model(request, obj, form, change)
