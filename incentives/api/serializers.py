"""What the API shows of incentive rules, actions, the ledger, rectification orders and appeals,
and the inputs of their workflow actions.

Input serializers check the shape of a request and that the rows it names exist in the user's
scope; the rules (who may, in which state, before which deadline) are the services'.
"""

from __future__ import annotations

from typing import Any

from django.db.models import QuerySet
from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.fields import empty
from rest_framework.reverse import reverse

from assessments.api.serializers import DealerCodeField
from assessments.models import Complaint, Scorecard
from config.api_base import DescribedModelSerializer, ScopedSlugRelatedField, scope_queryset
from dealers.models import Dealer
from surveys.models import SurveyResponse

from ..choices import CorrectionKind
from ..models import (
    Appeal,
    IncentiveAction,
    IncentiveRule,
    LedgerEntry,
    RectificationEvidence,
    RectificationOrder,
)

MAX_COMMENT = 2000
MAX_TEXT = 10_000
MAX_EVIDENCE_FILES = 10
REGION_HELP = _("The region of the dealer.")

REJECT_NEEDS_REASON = _("Give a reason when rejecting.")
PLAN_NEEDED = _("Describe the plan.")
APPEAL_NEEDS_REASON = _("Give the reason for the appeal.")
DECISION_NEEDS_REASON = _("Give the reason for the decision.")
KPI_NOT_ON_SCORECARD = _("This KPI is not on the scorecard.")
NO_SUCH_SCORECARD = _("No scorecard %(name)s.")
CORRECTION_NEEDS_TARGET = _("Name the record to correct.")
NO_RECORD_TO_CORRECT = _("No record %(target)s of this dealer to correct.")


def required_text(message: str, *, max_length: int) -> dict[str, Any]:
    """Arguments of a CharField that must hold more than blanks, with one message for missing or blank."""
    return {"max_length": max_length, "error_messages": {"blank": message, "required": message}}


class RegionNameField(serializers.CharField):
    """The owning dealer's region, by name (read only; the queryset selects it)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="dealer.region.name", read_only=True, help_text=REGION_HELP, **kwargs)


class UsernameField(serializers.CharField):
    """A user by username, or null (read only)."""

    def __init__(self, source: str, help_text: str, **kwargs: Any) -> None:
        super().__init__(
            source=f"{source}.username",
            read_only=True,
            allow_null=True,
            default=None,
            help_text=help_text,
            **kwargs,
        )


class RequiredBooleanField(serializers.BooleanField):
    """A true/false answer that must be given, in a form as well (where a missing box would mean false)."""

    default_empty_html = empty


# --- rules -----------------------------------------------------------------------------------


class IncentiveRuleSerializer(DescribedModelSerializer):
    class Meta:
        model = IncentiveRule
        fields = [
            "id",
            "name",
            "condition",
            "params",
            "action_type",
            "bonus_base",
            "bonus_per_point",
            "bonus_threshold",
            "rectification_days",
            "active",
            "sort_order",
        ]
        extra_kwargs = {"sort_order": {"help_text": _("Position of the rule in the ladder.")}}


# --- actions ---------------------------------------------------------------------------------


class IncentiveActionSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    region = RegionNameField()
    rule = serializers.IntegerField(
        source="rule_id",
        read_only=True,
        allow_null=True,
        help_text=_("The rule that proposed it; null for a manager's proposal or an escalation."),
    )
    rule_name = serializers.CharField(
        source="rule.name", read_only=True, allow_null=True, default=None, help_text=_("The rule's name.")
    )
    scorecards = serializers.SerializerMethodField(
        help_text=_("The scorecards that caused it, as 'YYYY-MM:CODE' keys of the scorecards endpoint.")
    )
    proposed_by = UsernameField("proposed_by", _("Who proposed it; null when closing a period did."))
    decided_by = UsernameField("decided_by", _("Who approved or rejected it."))
    rectification = serializers.SerializerMethodField(
        help_text=_("The rectification order an approved rectification opened, by id; null otherwise.")
    )

    class Meta:
        model = IncentiveAction
        fields = [
            "id",
            "dealer",
            "region",
            "period",
            "action_type",
            "status",
            "amount",
            "reason",
            "rule",
            "rule_name",
            "scorecards",
            "proposed_at",
            "proposed_by",
            "decided_at",
            "decided_by",
            "decision_comment",
            "rectification",
        ]
        extra_kwargs = {
            "proposed_at": {"help_text": _("When it was proposed.")},
            "decided_at": {"help_text": _("When it was approved or rejected.")},
        }

    @extend_schema_field({"type": "array", "items": {"type": "string"}})
    def get_scorecards(self, action: IncentiveAction) -> list[str]:
        return sorted(f"{card.period.code}:{card.dealer.code}" for card in action.scorecards.all())

    def get_rectification(self, action: IncentiveAction) -> int | None:
        order = getattr(action, "rectification", None)  # reverse one-to-one: absent raises AttributeError
        return order.pk if order is not None else None


class ActionDecisionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_COMMENT,
        help_text=_("Why; optional when approving."),
    )


class ActionRejectionSerializer(serializers.Serializer):
    comment = serializers.CharField(
        **required_text(REJECT_NEEDS_REASON, max_length=MAX_COMMENT),
        help_text=_("Why it is rejected; required."),
    )


class LiftSuspensionSerializer(serializers.Serializer):
    """A manager's proposal to lift the suspension of a dealer in scope."""

    dealer = ScopedSlugRelatedField(
        slug_field="code", queryset=Dealer.objects.all(), help_text=_("Dealer code.")
    )
    reason = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_COMMENT,
        help_text=_("Why; 'Lift the suspension' when left out."),
    )


# --- ledger ----------------------------------------------------------------------------------


class LedgerEntrySerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    region = RegionNameField()
    action = serializers.IntegerField(
        source="action_id", read_only=True, help_text=_("The approved bonus action that entered it.")
    )
    created_at = serializers.DateTimeField(read_only=True, help_text=_("When it was entered."))

    class Meta:
        model = LedgerEntry
        fields = ["id", "dealer", "region", "period", "amount", "action", "created_at"]


class PeriodTotalSerializer(serializers.Serializer):
    period = serializers.CharField(help_text=_("Period, YYYY-MM."))
    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=_("Sum of the entries, CNY.")
    )
    entries = serializers.IntegerField(help_text=_("How many entries."))


class RegionTotalSerializer(PeriodTotalSerializer):
    region = serializers.CharField(help_text=_("Region name."))


class LedgerTotalsSerializer(serializers.Serializer):
    """The ledger summed over the entries that match the filters."""

    amount = serializers.DecimalField(
        max_digits=16, decimal_places=2, help_text=_("Sum of all entries, CNY.")
    )
    entries = serializers.IntegerField(help_text=_("How many entries."))
    by_period = PeriodTotalSerializer(many=True, help_text=_("Sums per period, newest first."))
    by_region = RegionTotalSerializer(
        many=True, help_text=_("Sums per period and region, newest period first, then by region.")
    )


# --- rectification orders --------------------------------------------------------------------


class EvidenceSerializer(DescribedModelSerializer):
    name = serializers.SerializerMethodField(help_text=_("The file's name."))
    url = serializers.SerializerMethodField(help_text=_("Where to download the file."))
    uploaded_at = serializers.DateTimeField(read_only=True, help_text=_("When it was uploaded."))

    class Meta:
        model = RectificationEvidence
        fields = ["id", "name", "url", "uploaded_at"]

    def get_name(self, evidence: RectificationEvidence) -> str:
        return evidence.name  # the uploaded name; the stored one is random

    @extend_schema_field(OpenApiTypes.URI)
    def get_url(self, evidence: RectificationEvidence) -> str:
        return reverse(
            "api:rectification-evidence-file",
            kwargs={"pk": evidence.order_id, "evidence_id": evidence.pk},
            request=self.context.get("request"),
        )


class RectificationOrderSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    region = RegionNameField()
    action = serializers.IntegerField(
        source="action_id", read_only=True, help_text=_("The approved action that opened the order.")
    )
    period = serializers.CharField(
        source="action.period", read_only=True, help_text=_("The period of that action, YYYY-MM.")
    )
    reason = serializers.CharField(source="action.reason", read_only=True, help_text=_("Why it was ordered."))
    plan_submitted_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("When the dealer submitted its plan.")
    )
    verified_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("When HQ verified it.")
    )
    verified_by = UsernameField("verified_by", _("Who verified the plan."))
    evidence = EvidenceSerializer(
        many=True, read_only=True, help_text=_("Files the dealer gave as evidence.")
    )

    class Meta:
        model = RectificationOrder
        fields = [
            "id",
            "dealer",
            "region",
            "action",
            "period",
            "reason",
            "deadline",
            "status",
            "plan",
            "plan_submitted_at",
            "evidence",
            "overdue_flagged_at",
            "verified_at",
            "verified_by",
            "verify_comment",
        ]


class RectificationPlanSerializer(serializers.Serializer):
    plan = serializers.CharField(
        **required_text(PLAN_NEEDED, max_length=MAX_TEXT),
        help_text=_("What the dealer will do, and by when."),
    )
    evidence = serializers.ListField(
        child=serializers.FileField(help_text=_("A file of evidence.")),
        required=False,
        default=list,
        max_length=MAX_EVIDENCE_FILES,
        help_text=_("Up to 10 files of evidence, added to those given before."),
    )


class RectificationVerifySerializer(serializers.Serializer):
    passed = RequiredBooleanField(
        help_text=_("true closes the order; false fails it, which proposes the next step (escalation).")
    )
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=MAX_COMMENT,
        help_text=_("What was found."),
    )


# --- appeals ---------------------------------------------------------------------------------


class AppealSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    region = RegionNameField()
    scorecard = serializers.SerializerMethodField(
        help_text=_("The scorecard appealed, as the 'YYYY-MM:CODE' key of the scorecards endpoint.")
    )
    evidence = serializers.SerializerMethodField(help_text=_("The evidence file's name; null without one."))
    evidence_url = serializers.SerializerMethodField(
        help_text=_("Where to download the evidence; null without one.")
    )
    filed_by = UsernameField("filed_by", _("Who filed it."))
    filed_at = serializers.DateTimeField(read_only=True, help_text=_("When it was filed."))
    decided_by = UsernameField("decided_by", _("Who decided it."))
    decided_at = serializers.DateTimeField(
        read_only=True, allow_null=True, help_text=_("When it was decided.")
    )

    class Meta:
        model = Appeal
        fields = [
            "id",
            "scorecard",
            "dealer",
            "region",
            "period",
            "kpi_code",
            "reason",
            "evidence",
            "evidence_url",
            "status",
            "filed_by",
            "filed_at",
            "decided_by",
            "decided_at",
            "decision",
            "correction",
            "correction_target",
        ]

    def get_scorecard(self, appeal: Appeal) -> str:
        # By period and dealer: a recompute replaces the scorecard row, the key stays.
        return f"{appeal.period}:{appeal.dealer.code}"

    def get_evidence(self, appeal: Appeal) -> str | None:
        return appeal.evidence.name.rsplit("/", 1)[-1] if appeal.evidence else None

    @extend_schema_field(OpenApiTypes.URI)
    def get_evidence_url(self, appeal: Appeal) -> str | None:
        if not appeal.evidence:
            return None
        return reverse(
            "api:appeal-evidence-file", kwargs={"pk": appeal.pk}, request=self.context.get("request")
        )


@extend_schema_field({"type": "string", "example": "2026-10:GL0001"})
class ScorecardRefField(serializers.Field):
    """A scorecard in the user's scope, by 'YYYY-MM:CODE' key (as the scorecards endpoint) or by id."""

    default_error_messages = {
        "invalid": _("Name a scorecard as 'YYYY-MM:CODE' or by its id."),
        "does_not_exist": NO_SUCH_SCORECARD,
    }

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        cards = Scorecard.objects.select_related("period", "dealer")
        return scope_queryset(cards, getattr(request, "user", None), reference_data=False)

    def to_internal_value(self, data: Any) -> Scorecard:
        text = str(data).strip() if isinstance(data, str | int) and not isinstance(data, bool) else ""
        period, sep, dealer_code = text.partition(":")
        by_key = bool(sep and period and dealer_code) and len(text) <= 40
        by_id = text.isdigit() and len(text) <= 18
        if not (by_key or by_id):
            self.fail("invalid")
        cards = self.get_queryset()
        found = (
            cards.filter(period__code=period, dealer__code=dealer_code)
            if by_key
            else cards.filter(pk=int(text))
        ).first()
        if found is None:
            self.fail("does_not_exist", name=text)
        return found

    def to_representation(self, value: Scorecard) -> str:
        return f"{value.period.code}:{value.dealer.code}"


class AppealFileSerializer(serializers.Serializer):
    scorecard = ScorecardRefField(
        help_text=_("Your dealer's scorecard, as 'YYYY-MM:CODE' (e.g. 2026-10:GL0001) or by id.")
    )
    kpi_code = serializers.CharField(max_length=40, help_text=_("The KPI of the scorecard appealed."))
    reason = serializers.CharField(
        **required_text(APPEAL_NEEDS_REASON, max_length=MAX_TEXT), help_text=_("Why the result is wrong.")
    )
    evidence = serializers.FileField(
        required=False, allow_null=True, default=None, help_text=_("A file of evidence, optional.")
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        if not attrs["scorecard"].kpi_results.filter(kpi_code=attrs["kpi_code"]).exists():
            raise serializers.ValidationError({"kpi_code": [KPI_NOT_ON_SCORECARD]})
        return attrs


class AppealDecisionSerializer(serializers.Serializer):
    """Uphold (optionally correcting one record of the dealer's data) or reject, with a reason.

    The view passes the appeal in the context as "appeal"; a correction must name a record of
    its dealer.
    """

    uphold = RequiredBooleanField(
        help_text=_("true upholds the appeal (and recomputes the period); false rejects it.")
    )
    decision = serializers.CharField(
        **required_text(DECISION_NEEDS_REASON, max_length=MAX_TEXT),
        help_text=_("The reason, shown to the dealer."),
    )
    correction = serializers.ChoiceField(
        choices=CorrectionKind.choices,
        required=False,
        allow_blank=True,
        default="",
        help_text=_(
            "When upholding, the data correction: exclude_complaint or exclude_survey; none by default."
        ),
    )
    target = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=40,
        help_text=_("The complaint id or survey response id corrected."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        correction, target = attrs["correction"], attrs["target"]
        if not attrs["uphold"] or not correction:
            return {**attrs, "correction": "", "target": ""}
        if not target:
            raise serializers.ValidationError({"target": [CORRECTION_NEEDS_TARGET]})
        records = (
            Complaint.objects.filter(complaint_id=target)
            if correction == CorrectionKind.EXCLUDE_COMPLAINT
            else SurveyResponse.objects.filter(response_id=target)
        )
        if not records.filter(dealer_id=self.context["appeal"].dealer_id).exists():
            raise serializers.ValidationError({"target": [NO_RECORD_TO_CORRECT % {"target": target}]})
        return attrs
