from django.contrib import admin
from django.contrib.auth.admin import UserAdmin as BaseUserAdmin
from django.utils.translation import gettext_lazy as _
from import_export.admin import ImportExportModelAdmin
from rest_framework.authtoken.models import TokenProxy

from config.admin_kit import BigTableAdmin

from .event_labels import EVENT_LABELS, event_label, object_label
from .models import AuditEvent, Dealer, GroupRobot, Region, RobotDelivery, User
from .resources import DealerResource


@admin.register(Region)
class RegionAdmin(admin.ModelAdmin):
    search_fields = ["name"]


@admin.register(Dealer)
class DealerAdmin(ImportExportModelAdmin):
    resource_classes = [DealerResource]
    list_display = ["code", "name", "region", "province", "city", "city_tier", "status", "opened_on"]
    list_filter = ["region", "city_tier", "status"]
    search_fields = ["code", "name", "city"]
    list_select_related = ["region"]


@admin.register(User)
class UserAdmin(BaseUserAdmin):
    list_display = ["username", "email", "role", "dealer", "is_active", "last_login"]
    list_filter = ["role", "is_active", "regions"]
    fieldsets = (*BaseUserAdmin.fieldsets, (_("Portal role"), {"fields": ("role", "dealer", "regions")}))
    add_fieldsets = (
        *BaseUserAdmin.add_fieldsets,
        (_("Portal role"), {"fields": ("role", "dealer", "regions")}),
    )
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer"]
    filter_horizontal = ["regions", "groups", "user_permissions"]


class EventFilter(admin.SimpleListFilter):
    """The events to filter by, named in the reader's language (the codes stay in the URL)."""

    title = _("event")
    parameter_name = "action"

    def lookups(self, request, model_admin):  # noqa: ANN001, ANN201
        return sorted(((code, event_label(code)) for code in EVENT_LABELS), key=lambda pair: pair[1])

    def queryset(self, request, queryset):  # noqa: ANN001, ANN201
        return queryset.filter(action=self.value()) if self.value() else queryset


@admin.register(AuditEvent)
class AuditEventAdmin(BigTableAdmin):
    list_display = ["at", "actor", "event", "about", "object_id", "dealer"]
    list_filter = [EventFilter, "object_type"]
    search_fields = ["dealer__code", "actor__username"]
    search_help_text = _("A whole dealer code or user name.")
    search_user_field = "actor"
    list_select_related = ["actor", "dealer"]
    readonly_fields = [f.name for f in AuditEvent._meta.fields]

    @admin.display(description=_("event"), ordering="action")
    def event(self, obj: AuditEvent) -> str:
        """The event's code as words in the reader's language (the code is in the filter)."""
        return event_label(obj.action)

    @admin.display(description=_("object type"), ordering="object_type")
    def about(self, obj: AuditEvent) -> str:
        return object_label(obj.object_type)

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001
        return False


@admin.register(GroupRobot)
class GroupRobotAdmin(admin.ModelAdmin):
    """Robots are added and changed on the notification channels page (audited there); the
    admin lists them, without their webhook key or secret."""

    list_display = ["name", "platform", "dealer", "region", "masked_url", "active"]
    list_filter = ["platform", "active"]
    search_fields = ["name", "dealer__code", "region__name"]
    fields = ["name", "platform", "dealer", "region", "masked_url", "topics", "active", "created_at"]
    readonly_fields = fields

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False


@admin.register(RobotDelivery)
class RobotDeliveryAdmin(admin.ModelAdmin):
    """The delivery log: what went to which group robot, and why a message failed."""

    list_display = ["created_at", "robot", "topic", "title", "status", "attempts", "last_error"]
    list_filter = ["status", "topic", "robot__platform"]
    search_fields = ["robot__name", "title", "last_error"]
    list_select_related = ["robot"]
    readonly_fields = [f.name for f in RobotDelivery._meta.fields]

    def has_add_permission(self, request):  # noqa: ANN001
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001
        return False


# DRF's plain tokens no longer authenticate (dealers.api.authentication): no page to make them.
# API tokens are listed and revoked on /account/tokens/all/.
admin.site.unregister(TokenProxy)
