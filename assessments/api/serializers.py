"""What the API shows of the KPI catalogue, schemes, periods, scorecards, service data and imports."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import extend_schema_field
from rest_framework import serializers
from rest_framework.reverse import reverse

from config.api_base import DescribedModelSerializer

from ..choices import ImportKind, SubmissionStatus
from ..models import (
    Complaint,
    GroupFigure,
    ImportJob,
    Kpi,
    MonthlySubmission,
    PartsOrder,
    Period,
    RepairOrder,
    Scheme,
    SchemeKpi,
    Scorecard,
)
from ..periods import Month
from ..serializers_json import scorecard_as_json
from ..services.submissions import SubmissionData

MAX_SAMPLE = 2_147_483_647  # the largest value a minimum sample column holds
GRADE_LENGTH = Scorecard._meta.get_field("grade").max_length
DEALER_CODE_HELP = _("The code of the dealer the record belongs to.")


class DealerCodeField(serializers.CharField):
    """The owning dealer, by code (read only; the queryset selects the dealer)."""

    def __init__(self, **kwargs: Any) -> None:
        super().__init__(source="dealer.code", read_only=True, help_text=DEALER_CODE_HELP, **kwargs)


# --- catalogue, schemes, periods -------------------------------------------------------------


class KpiSerializer(DescribedModelSerializer):
    class Meta:
        model = Kpi
        fields = [
            "code",
            "name_zh",
            "name_en",
            "tier",
            "dimension",
            "unit",
            "direction",
            "definition_zh",
            "definition_en",
            "sort_order",
        ]
        extra_kwargs = {"sort_order": {"help_text": _("Position of the KPI in the catalogue.")}}


class SchemeKpiSerializer(DescribedModelSerializer):
    code = serializers.CharField(source="kpi_id", read_only=True, help_text=_("KPI code."))

    class Meta:
        model = SchemeKpi
        fields = ["code", "weight", "method", "floor", "target", "min_sample"]


class SchemeSerializer(DescribedModelSerializer):
    kpis = SchemeKpiSerializer(
        many=True, read_only=True, help_text=_("The KPIs of this version, with their parameters.")
    )

    class Meta:
        model = Scheme
        fields = [
            "id",
            "code",
            "version",
            "name",
            "effective_from",
            "status",
            "min_coverage",
            "grade_bands",
            "deduction_per_item",
            "deduction_cap",
            "created_at",
            "published_at",
            "kpis",
        ]
        extra_kwargs = {"created_at": {"help_text": _("When this version was loaded.")}}


class SchemeFileKpiSerializer(serializers.Serializer):
    code = serializers.CharField(max_length=40, help_text=_("KPI code of the catalogue."))
    weight = serializers.FloatField(help_text=_("Weight ≥ 0; 0 tracks the KPI without scoring it."))
    method = serializers.CharField(
        required=False, max_length=10, help_text=_("Scoring method, threshold (default) or relative.")
    )
    floor = serializers.FloatField(
        required=False, allow_null=True, help_text=_("Value that scores 0 (threshold method).")
    )
    target = serializers.FloatField(
        required=False, allow_null=True, help_text=_("Value that scores 100 (threshold method).")
    )
    min_sample = serializers.IntegerField(
        required=False,
        min_value=1,
        max_value=MAX_SAMPLE,
        help_text=_("Smallest sample for a valid value; 1 by default."),
    )


class DeductionSerializer(serializers.Serializer):
    per_item = serializers.FloatField(help_text=_("Points off per major complaint."))
    cap = serializers.FloatField(help_text=_("Most points taken off."))


@extend_schema_field(
    {
        "type": "array",
        "minItems": 2,
        "maxItems": 2,
        "items": {"oneOf": [{"type": "string"}, {"type": "number"}]},
    }
)
class GradeBandField(serializers.Field):
    """A grade band [grade, minimum total]: a short text and a finite number."""

    default_error_messages = {"invalid": _('A grade band is [grade, minimum], e.g. ["A", 90].')}

    def to_internal_value(self, data: Any) -> Any:
        if (
            not isinstance(data, list)
            or len(data) != 2
            or not isinstance(data[0], str)
            or len(data[0]) > GRADE_LENGTH
        ):
            self.fail("invalid")
        serializers.FloatField().run_validation(data[1])
        return data

    def to_representation(self, value: Any) -> Any:
        return value


class SchemeFileSerializer(serializers.Serializer):
    """The scheme file of scoring.md.

    The API checks its shape (types, lengths, finite numbers); the scheme service checks the
    rest and lists every problem.
    """

    code = serializers.CharField(
        max_length=40, help_text=_("Scheme code; loading an existing code adds a new version.")
    )
    name = serializers.CharField(
        required=False,
        allow_blank=True,
        max_length=200,
        help_text=_("Name of the scheme; the code by default."),
    )
    effective_from = serializers.CharField(max_length=7, help_text=_("First period it applies to, YYYY-MM."))
    min_coverage = serializers.FloatField(
        help_text=_("Least share of weight with valid KPIs for a total, 0–1.")
    )
    grade_bands = serializers.ListField(
        child=GradeBandField(), help_text=_('Minimum total per grade, highest first: [["A", 90], ...].')
    )
    major_complaint_deduction = DeductionSerializer(
        required=False, help_text=_("Deduction for major complaints; none by default.")
    )
    kpis = SchemeFileKpiSerializer(many=True, help_text=_("The KPIs of the scheme."))


class PeriodSerializer(DescribedModelSerializer):
    class Meta:
        model = Period
        fields = ["code", "status", "closed_at", "scorecards_published_at"]


# --- scorecards ------------------------------------------------------------------------------


class SchemeRefSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("Scheme code."))
    version = serializers.IntegerField(help_text=_("Scheme version."))


class TierScoresSerializer(serializers.Serializer):
    base = serializers.FloatField(allow_null=True, help_text=_("Base tier score, 2 decimals."))
    process = serializers.FloatField(allow_null=True, help_text=_("Process tier score, 2 decimals."))
    result = serializers.FloatField(allow_null=True, help_text=_("Result tier score, 2 decimals."))


class KpiScoreSerializer(serializers.Serializer):
    code = serializers.CharField(help_text=_("KPI code."))
    tier = serializers.CharField(help_text=_("KPI tier."))
    value = serializers.FloatField(allow_null=True, help_text=_("KPI value, 4 decimals; null without data."))
    sample_size = serializers.IntegerField(help_text=_("Sample size n."))
    valid = serializers.BooleanField(help_text=_("n ≥ the scheme's minimum sample and a value."))
    weight = serializers.FloatField(help_text=_("Weight in the scheme."))
    score = serializers.FloatField(
        allow_null=True, help_text=_("Score 0–100, 2 decimals; null where not valid.")
    )
    contribution = serializers.FloatField(
        allow_null=True,
        help_text=_("Points added to the total, 2 decimals; null where not valid or weight 0."),
    )


class ScorecardSerializer(serializers.Serializer):
    """A scorecard in the fixed JSON shape of interfaces.md, the same objects as export_scorecards."""

    period = serializers.CharField(help_text=_("Period, YYYY-MM."))
    dealer_code = serializers.CharField(help_text=_("Dealer code."))
    region = serializers.CharField(help_text=_("The dealer's region when scored."))
    scheme = SchemeRefSerializer(help_text=_("The scheme version that scored it."))
    status = serializers.CharField(help_text=_("scored or insufficient_data."))
    total_score = serializers.FloatField(
        allow_null=True, help_text=_("Total, 2 decimals; null unless scored.")
    )
    grade = serializers.CharField(allow_null=True, help_text=_("Grade; null unless scored."))
    rank = serializers.IntegerField(allow_null=True, help_text=_("National rank; null unless scored."))
    region_rank = serializers.IntegerField(
        allow_null=True, help_text=_("Rank in the region; null unless scored.")
    )
    coverage = serializers.FloatField(
        allow_null=True, help_text=_("Share of weight with valid KPIs, 4 decimals.")
    )
    deduction = serializers.FloatField(allow_null=True, help_text=_("Points off for major complaints."))
    veto = serializers.BooleanField(help_text=_("Whether a veto incident set the lowest grade."))
    veto_incident = serializers.CharField(allow_null=True, help_text=_("The veto incident's title, if any."))
    tier_scores = TierScoresSerializer(help_text=_("Score per tier (shown, not used for the total)."))
    kpis = KpiScoreSerializer(
        many=True, help_text=_("Every KPI of the scheme, weighted or not, valid or not.")
    )
    data_as_of = serializers.DateTimeField(
        allow_null=True, help_text=_("When the newest data read was imported.")
    )
    computed_at = serializers.DateTimeField(help_text=_("When the scorecard was computed."))

    def to_representation(self, instance: Any) -> dict[str, Any]:
        return scorecard_as_json(instance)


# --- service data ----------------------------------------------------------------------------


def changed_channel_field() -> serializers.CharField:
    """The channel of a record's last change: plain text, so the schema has one channel enum."""
    return serializers.CharField(
        read_only=True,
        help_text=_("Through which channel it was last changed (a created_channel value); empty if never."),
    )


class RepairOrderSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    changed_channel = changed_channel_field()

    class Meta:
        model = RepairOrder
        fields = [
            "id",
            "dealer",
            "ro_number",
            "vin",
            "repair_type",
            "booked_at",
            "opened_at",
            "promised_at",
            "closed_at",
            "fault_code",
            "labor_hours",
            "labor_amount",
            "parts_amount",
            "warranty_cost",
            "imported_at",
            # Provenance (docs/data-keys.md): the channel it came through, its last change.
            "created_channel",
            "changed_at",
            "changed_channel",
        ]


class ComplaintSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    changed_channel = changed_channel_field()
    ro_number = serializers.CharField(
        source="repair_order.ro_number",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The repair order the complaint is about, if known."),
    )

    class Meta:
        model = Complaint
        fields = [
            "id",
            "complaint_id",
            "dealer",
            "ro_number",
            "received_at",
            "closed_at",
            "category",
            "severity",
            "description",
            "imported_at",
            # Provenance (docs/data-keys.md): the channel it came through, its last change.
            "created_channel",
            "changed_at",
            "changed_channel",
        ]


class PartsOrderSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    changed_channel = changed_channel_field()

    class Meta:
        model = PartsOrder
        fields = [
            "id",
            "order_id",
            "dealer",
            "part_number",
            "quantity",
            "ordered_at",
            "fulfilled_at",
            "imported_at",
            # Provenance (docs/data-keys.md): the channel it came through, its last change.
            "created_channel",
            "changed_at",
            "changed_channel",
        ]


class SubmissionSerializer(DescribedModelSerializer):
    dealer = DealerCodeField()
    reviewed_by = serializers.CharField(
        source="reviewed_by.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("Who approved or returned it last."),
    )

    class Meta:
        model = MonthlySubmission
        fields = [
            "id",
            "dealer",
            "period",
            "technicians",
            "certified_technicians",
            "equipment_total",
            "equipment_ok",
            "training_hours",
            "status",
            "submitted_at",
            "reviewed_at",
            "reviewed_by",
            "review_comment",
            "imported_at",
        ]


MAX_COUNT = 100_000  # the most people or machines a dealer reports, as on the submission form
CERTIFIED_TOO_MANY = _("Cannot be more than the technicians.")
EQUIPMENT_OK_TOO_MANY = _("Cannot be more than the equipment total.")
RETURN_NEEDS_COMMENT = _("Say what needs correcting when returning a submission.")


class PeriodCodeField(serializers.CharField):
    """A month 'YYYY-MM' whose submission deadline (in the next month) is a date, as canonical text."""

    default_error_messages = {"invalid_month": _("Enter a month as YYYY-MM.")}

    def __init__(self, **kwargs: Any) -> None:
        kwargs.setdefault("max_length", 7)
        super().__init__(**kwargs)

    def to_internal_value(self, data: Any) -> str:
        text = super().to_internal_value(data)
        try:
            month = Month.parse(text)
            month.shift(1).first_day  # noqa: B018 -- 9999-12 has no next month to be due in
        except ValueError:
            self.fail("invalid_month")
        return str(month)


class SubmissionDraftSerializer(serializers.Serializer):
    """A dealer's monthly capacity report (data-formats.md → submissions), saved as a draft.

    The same checks as the submission form: whole numbers, certified ≤ technicians,
    in working order ≤ total.
    """

    period = PeriodCodeField(help_text=_("The month reported, YYYY-MM."))
    technicians = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, help_text=_("Technicians employed at the end of the month.")
    )
    certified_technicians = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, help_text=_("Of them, technicians holding a current certificate.")
    )
    equipment_total = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, help_text=_("Workshop equipment on the brand's required list.")
    )
    equipment_ok = serializers.IntegerField(
        min_value=0, max_value=MAX_COUNT, help_text=_("Of it, equipment in working order.")
    )
    training_hours = serializers.DecimalField(
        max_digits=10,
        decimal_places=2,
        min_value=Decimal(0),
        help_text=_("Training hours taken by the workshop's staff in the month."),
    )

    def validate(self, attrs: dict[str, Any]) -> dict[str, Any]:
        errors = {}
        if attrs["certified_technicians"] > attrs["technicians"]:
            errors["certified_technicians"] = [CERTIFIED_TOO_MANY]
        if attrs["equipment_ok"] > attrs["equipment_total"]:
            errors["equipment_ok"] = [EQUIPMENT_OK_TOO_MANY]
        if errors:
            raise serializers.ValidationError(errors)
        return attrs

    def to_data(self) -> SubmissionData:
        data = self.validated_data
        return SubmissionData(
            technicians=data["technicians"],
            certified_technicians=data["certified_technicians"],
            equipment_total=data["equipment_total"],
            equipment_ok=data["equipment_ok"],
            training_hours=data["training_hours"],
        )


QUEUE_STATES = [
    ("missing", _("Missing")),
    *SubmissionStatus.choices,
    ("late", _("Late (not yet approved)")),
]


class SubmissionQueueQuerySerializer(serializers.Serializer):
    period = PeriodCodeField(help_text=_("The month reported, YYYY-MM."))
    state = serializers.ChoiceField(
        choices=QUEUE_STATES,
        required=False,
        help_text=_("Only dealers in this state: missing, a submission status, or late (not yet approved)."),
    )


class SubmissionQueueRowSerializer(serializers.Serializer):
    """A dealer that should report for the month, and where its report stands."""

    dealer = serializers.CharField(source="dealer.code", help_text=_("Dealer code."))
    dealer_name = serializers.CharField(source="dealer.name", help_text=_("Dealer name."))
    region = serializers.CharField(source="dealer.region.name", help_text=_("Region name."))
    state = serializers.CharField(
        help_text=_(
            "missing, or the status of the dealer's submission: draft, submitted, returned, approved."
        )
    )
    late = serializers.BooleanField(
        help_text=_("Submitted after the deadline, or still not submitted after it.")
    )
    submission = serializers.IntegerField(
        source="submission.pk",
        allow_null=True,
        default=None,
        help_text=_("The submission's id; null if missing."),
    )
    submitted_at = serializers.DateTimeField(
        source="submission.submitted_at", allow_null=True, default=None, help_text=_("When it was submitted.")
    )
    reviewed_at = serializers.DateTimeField(
        source="submission.reviewed_at",
        allow_null=True,
        default=None,
        help_text=_("When it was approved or returned."),
    )


class SubmissionApproveSerializer(serializers.Serializer):
    comment = serializers.CharField(
        required=False,
        allow_blank=True,
        default="",
        max_length=2000,
        help_text=_("A note for the dealer, optional."),
    )


class SubmissionReturnSerializer(serializers.Serializer):
    comment = serializers.CharField(
        max_length=2000,
        error_messages={"blank": RETURN_NEEDS_COMMENT, "required": RETURN_NEEDS_COMMENT},
        help_text=_("What the dealer must correct; required."),
    )


# --- imports ---------------------------------------------------------------------------------


class ImportJobSerializer(DescribedModelSerializer):
    user = serializers.CharField(
        source="user.username",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("Who uploaded the file."),
    )
    dealer = serializers.CharField(
        source="dealer.code",
        read_only=True,
        allow_null=True,
        default=None,
        help_text=_("The uploader's dealer, for a dealer user's import."),
    )
    url = serializers.HyperlinkedIdentityField(
        view_name="api:importjob-detail", help_text=_("This import's record: follow its status here.")
    )
    progress_percent = serializers.IntegerField(read_only=True, help_text=_("Rows processed, in per cent."))
    error_file_url = serializers.SerializerMethodField(
        help_text=_("Where to download the rejected rows with their errors; null when there are none.")
    )

    class Meta:
        model = ImportJob
        fields = [
            "id",
            "url",
            "kind",
            "user",
            "dealer",
            "file_name",
            "file_size",
            "checksum",
            "partial",
            "dry_run",
            "status",
            "rows_total",
            "rows_done",
            "progress_percent",
            "created",
            "updated",
            "unchanged",
            "rejected",
            "errors",
            "message",
            "error_file_url",
            "periods_touched",
            "started_at",
            "finished_at",
            "duration_seconds",
        ]
        read_only_fields = fields

    @extend_schema_field(OpenApiTypes.URI)
    def get_error_file_url(self, job: ImportJob) -> str | None:
        if not job.error_file:
            return None
        return reverse("api:importjob-error-file", kwargs={"pk": job.pk}, request=self.context.get("request"))


class ImportUploadSerializer(serializers.Serializer):
    kind = serializers.ChoiceField(choices=ImportKind.choices, help_text=_("What the file holds."))
    file = serializers.FileField(help_text=_("A .csv or .xlsx file in the format of data-formats.md."))
    partial = serializers.BooleanField(
        default=False, help_text=_("Write the valid rows and reject the others (default: all or nothing).")
    )
    dry_run = serializers.BooleanField(
        default=False, help_text=_("Check the file and report, write nothing.")
    )


# --- group figures ---------------------------------------------------------------------------


class GroupFigureSerializer(DescribedModelSerializer):
    """A KPI (or `average_total`) of a group of dealers in a month, pooled over its records."""

    period = serializers.CharField(source="period.code", help_text=_("The month, YYYY-MM."))
    group_label = serializers.SerializerMethodField(help_text=_("The group's name (a region's name)."))

    class Meta:
        model = GroupFigure
        fields = ["id", "period", "grouping", "group_key", "group_label", "kpi_code", "value", "n", "dealers"]

    def get_group_label(self, figure: GroupFigure) -> str:
        if figure.grouping == "region":
            return str(self.context.get("region_names", {}).get(figure.group_key, figure.group_key))
        return figure.group_key
