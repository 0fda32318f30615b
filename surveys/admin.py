from django.contrib import admin, messages
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.admin import ProvenanceAdmin
from config.admin_kit import BigTableAdmin, month_filter, values_filter

from .models import FollowUpCall, HotAlertCase, ResponseFlag, SurveyInvitation, SurveyResponse, SurveyTemplate
from .resources import SurveyResponseResource
from .services import SurveyError, template_new_version, template_publish


@admin.register(SurveyResponse)
class SurveyResponseAdmin(ProvenanceAdmin):
    resource_classes = [SurveyResponseResource]
    list_display = ["response_id", "dealer", "responded_at", "overall", "nps", "source", "excluded"]
    list_filter = [
        "source",
        "excluded",
        values_filter("overall", gettext_lazy("overall"), range(1, 6)),
        month_filter("responded_at", gettext_lazy("month responded")),
    ]
    search_fields = ["response_id", "dealer__code"]
    search_help_text = gettext_lazy("A whole response number or dealer code.")
    exact_search_fields = ["response_id"]
    list_select_related = ["dealer"]
    autocomplete_fields = ["dealer", "excluded_by"]
    raw_id_fields = ["repair_order"]


# --- customer voice: templates (HQ admins), and read-only views of invitations, cases, calls, flags ---


@admin.register(SurveyTemplate)
class SurveyTemplateAdmin(admin.ModelAdmin):
    """HQ admins edit drafts and publish them; a published version is read-only (make a new version)."""

    list_display = ["code", "version", "status", "title_zh", "title_en", "published_at"]
    list_filter = ["status", "code"]
    actions = ["publish", "new_version"]
    readonly_fields = ["status", "created_at", "published_at", "published_by"]

    def get_readonly_fields(self, request, obj=None):  # noqa: ANN001, ANN201
        if obj is not None and obj.is_published:
            return [f.name for f in SurveyTemplate._meta.fields]
        return self.readonly_fields

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return obj is None or not obj.is_published

    @admin.action(description=gettext_lazy("Publish the selected drafts"))
    def publish(self, request, queryset):  # noqa: ANN001, ANN201
        for template in queryset:
            try:
                template_publish(template, actor=request.user)
            except SurveyError as exc:
                self.message_user(request, f"{template}: {exc.message}", messages.ERROR)
            else:
                self.message_user(request, _("%(template)s is published.") % {"template": template})

    @admin.action(description=gettext_lazy("Make a new draft version of the selected templates"))
    def new_version(self, request, queryset):  # noqa: ANN001, ANN201
        for template in queryset:
            draft = template_new_version(template)
            self.message_user(request, _("%(template)s is a new draft.") % {"template": draft})


class ReadOnlyAdmin(admin.ModelAdmin):
    """Changed only through the portal's services (audited), never by hand."""

    def has_add_permission(self, request):  # noqa: ANN001, ANN201
        return False

    def has_change_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False

    def has_delete_permission(self, request, obj=None):  # noqa: ANN001, ANN201
        return False


@admin.register(SurveyInvitation)
class SurveyInvitationAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["repair_order", "dealer", "template", "created_at", "expires_at", "answered_at"]
    list_filter = ["template"]
    search_fields = ["repair_order__ro_number", "dealer__code"]
    search_help_text = gettext_lazy("A whole RO number, VIN or dealer code.")
    search_repair_order_field = "repair_order"
    list_select_related = ["repair_order", "dealer", "template"]
    exclude = ["token_nonce", "token_hash", "device_fingerprint"]


@admin.register(HotAlertCase)
class HotAlertCaseAdmin(ReadOnlyAdmin):
    list_display = ["__str__", "dealer", "response", "opened_at", "contacted_at", "closed_at"]
    search_fields = ["dealer__code", "response__response_id"]
    list_select_related = ["dealer", "response"]


@admin.register(FollowUpCall)
class FollowUpCallAdmin(BigTableAdmin, ReadOnlyAdmin):
    list_display = ["repair_order", "dealer", "called_at", "called_by", "outcome", "complaint"]
    list_filter = ["outcome"]
    search_fields = ["repair_order__ro_number", "dealer__code"]
    search_help_text = gettext_lazy("A whole RO number, VIN or dealer code.")
    search_repair_order_field = "repair_order"
    list_select_related = ["repair_order", "dealer", "called_by", "complaint"]


@admin.register(ResponseFlag)
class ResponseFlagAdmin(ReadOnlyAdmin):
    list_display = ["response", "kind", "status", "created_at", "resolved_by"]
    list_filter = ["kind", "status"]
    search_fields = ["response__response_id"]
    list_select_related = ["response", "resolved_by"]
