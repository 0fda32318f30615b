"""API v1 of the assessments app: catalogue, schemes, periods, scorecards, service data, imports."""

from __future__ import annotations

import hashlib
from datetime import datetime
from decimal import Decimal
from typing import Any

from django.db.models import QuerySet
from django.http import FileResponse, Http404
from django.shortcuts import get_object_or_404
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.gzip import gzip_page
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import (
    OpenApiParameter,
    OpenApiResponse,
    extend_schema,
    extend_schema_view,
)
from rest_framework import mixins, serializers, status
from rest_framework.decorators import action
from rest_framework.exceptions import PermissionDenied, ValidationError
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response
from rest_framework.throttling import ScopedRateThrottle

from config.api_base import HQ_ADMIN_ONLY, HQ_ONLY, Conflict, DescribedPagination, ScopedViewSet
from config.api_parsers import JSONParser
from dealers.choices import MANAGER_ROLES, Role
from dealers.models import Region

from ..choices import SubmissionStatus
from ..importing.jobs import import_job_start, import_job_store
from ..kpis import ENTRIES
from ..kpis import records as kpi_records
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
    Scorecard,
)
from ..pages import cache as page_cache
from ..pages.submissions import submission_queue
from ..scoring.scheme_file import SchemeFileError
from ..services.publishing import scheme_load, scheme_publish
from ..services.queueing import queue_recompute
from ..services.recompute import RecomputeError, period_close
from ..services.schemes import SchemeError
from ..services.submissions import (
    SubmissionError,
    submission_approve,
    submission_return,
    submission_save_draft,
    submission_submit,
)
from . import filters
from .serializers import (
    ComplaintSerializer,
    GroupFigureSerializer,
    ImportJobSerializer,
    ImportUploadSerializer,
    KpiSerializer,
    PartsOrderSerializer,
    PeriodSerializer,
    RepairOrderSerializer,
    SchemeFileSerializer,
    SchemeSerializer,
    ScorecardSerializer,
    SubmissionApproveSerializer,
    SubmissionDraftSerializer,
    SubmissionQueueQuerySerializer,
    SubmissionQueueRowSerializer,
    SubmissionReturnSerializer,
    SubmissionSerializer,
)

READ_ONLY = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
UPLOAD_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER, Role.DEALER_USER})
DEALER_USER_ONLY = frozenset({Role.DEALER_USER})
MANAGERS = frozenset(MANAGER_ROLES)


class KpiViewSet(*READ_ONLY, ScopedViewSet):
    """The KPI catalogue of scoring.md: names, tier, dimension, unit and direction of every KPI."""

    queryset = Kpi.objects.all()
    serializer_class = KpiSerializer
    filterset_class = filters.KpiFilterSet
    ordering_fields = {"sort_order": "sort_order", "code": "code"}
    lookup_value_regex = r"[a-z0-9_]{1,40}"
    reference_data = True


class PublishQuerySerializer(serializers.Serializer):
    publish = serializers.BooleanField(default=False, help_text=_("Publish the new version at once."))


class SchemeViewSet(*READ_ONLY, mixins.CreateModelMixin, ScopedViewSet):
    """Assessment scheme versions. HQ admins load a scheme file as a new version and publish it."""

    queryset = Scheme.objects.prefetch_related("kpis")
    serializer_class = SchemeSerializer
    filterset_class = filters.SchemeFilterSet
    ordering_fields = {
        "code": "code",
        "version": "version",
        "effective_from": "effective_from",
        "published_at": "published_at",
    }
    action_roles = {"create": HQ_ADMIN_ONLY, "publish": HQ_ADMIN_ONLY}
    reference_data = True

    # A scheme file is JSON, nothing else: a form would be read as some other dict.
    action_parsers = {"create": [JSONParser], "publish": [JSONParser]}

    @extend_schema(
        summary="Load a scheme file as a new version",
        description="Check a scheme file (scoring.md → Scheme file) and save it as the next version of its code, "
        "as a draft, or published at once with ?publish=true. A file with problems is refused with all of them.",
        parameters=[PublishQuerySerializer],
        request=SchemeFileSerializer,
        responses={201: SchemeSerializer},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        query = PublishQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        SchemeFileSerializer(data=request.data).is_valid(raise_exception=True)
        try:
            scheme = scheme_load(
                data=request.data, publish=query.validated_data["publish"], actor=request.user
            )
        except SchemeFileError as exc:
            raise ValidationError({"scheme": exc.problems}) from exc
        except SchemeError as exc:
            raise Conflict(str(exc)) from exc
        scheme = self.get_queryset().get(pk=scheme.pk)
        return Response(self.get_serializer(scheme).data, status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Publish a draft scheme version",
        description="Publish this draft. From then on it never changes and applies from its effective_from period.",
        request=None,
        responses={200: SchemeSerializer, 409: OpenApiResponse(description="Already published.")},
    )
    @action(detail=True, methods=["post"])
    def publish(self, request: Request, pk: str | None = None) -> Response:
        try:
            scheme_publish(scheme=self.get_object(), actor=request.user)
        except SchemeError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self.get_serializer(self.get_object()).data)


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="YYYY-MM")]
    )
)
class PeriodViewSet(*READ_ONLY, ScopedViewSet):
    """Assessment periods (months). HQ closes a period, which freezes its scorecards for good."""

    queryset = Period.objects.all()
    serializer_class = PeriodSerializer
    filterset_class = filters.PeriodFilterSet
    ordering_fields = {"code": "code", "closed_at": "closed_at"}
    lookup_field = "code"
    lookup_value_regex = r"[0-9]{4}-[0-9]{2}"
    action_roles = {"close": HQ_ONLY, "recompute": HQ_ONLY}
    reference_data = True

    @extend_schema(
        summary="Close a period",
        description="Freeze the period: its scorecards never change again and recomputing it is refused.",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="YYYY-MM")],
        request=None,
        responses={
            200: PeriodSerializer,
            409: OpenApiResponse(description="Already closed, or a recompute runs."),
        },
    )
    @action(detail=True, methods=["post"])
    def close(self, request: Request, code: str | None = None) -> Response:
        try:
            period = period_close(self.get_object().code, actor=request.user)
        except RecomputeError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self.get_serializer(period).data)

    @extend_schema(
        summary="Recompute a period's scorecards",
        description="Queue a recompute of the period's scorecards; requests within a minute are coalesced. "
        "Refused for a closed period.",
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="YYYY-MM")],
        request=None,
        responses={202: PeriodSerializer, 409: OpenApiResponse(description="The period is closed.")},
    )
    @action(detail=True, methods=["post"])
    def recompute(self, request: Request, code: str | None = None) -> Response:
        period = self.get_object()
        if period.is_closed:
            raise Conflict(
                _("Period %(period)s is closed; its scorecards are frozen.") % {"period": period.code}
            )
        queue_recompute([period.code])
        return Response(self.get_serializer(period).data, status=status.HTTP_202_ACCEPTED)


SCORECARD_KEY = OpenApiParameter(
    "key",
    str,
    OpenApiParameter.PATH,
    description="Period and dealer code, 'YYYY-MM:CODE', e.g. 2026-10:GL0001.",
)


class DrillDownColumnSerializer(serializers.Serializer):
    key = serializers.CharField(help_text=_("The key of this column in each record."))
    label = serializers.CharField(help_text=_("The column's header, in the request's language."))
    kind = serializers.CharField(help_text=_("text, datetime, number, hours, days, money, flag or choice."))


class KpiRecordsPageSerializer(serializers.Serializer):
    """One page of the records behind a KPI, with the columns that describe them."""

    count = serializers.IntegerField(help_text=_("How many records, over all pages."))
    next = serializers.URLField(allow_null=True, help_text=_("The next page; null on the last."))
    previous = serializers.URLField(allow_null=True, help_text=_("The previous page; null on the first."))
    kpi = serializers.CharField(help_text=_("KPI code."))
    title = serializers.CharField(help_text=_("What the records are."))
    columns = DrillDownColumnSerializer(many=True, help_text=_("The fields of each record."))
    flag = serializers.CharField(
        allow_null=True, help_text=_("The column that flags a record that counts against the dealer, if any.")
    )
    results = serializers.ListField(
        child=serializers.DictField(), help_text=_("The records of this page, keyed by column.")
    )


def _json_value(value: Any) -> Any:
    """Times in Asia/Shanghai, like every other time of the API; amounts as numbers."""
    if isinstance(value, datetime):
        return timezone.localtime(value).isoformat()
    if isinstance(value, Decimal):
        return float(value)
    return value


@extend_schema_view(retrieve=extend_schema(parameters=[SCORECARD_KEY]))
class ScorecardViewSet(*READ_ONLY, ScopedViewSet):
    """Scorecards in the JSON shape of interfaces.md: ?period=YYYY-MM gives the objects of export_scorecards, paged."""

    queryset = Scorecard.objects.select_related(
        "period", "dealer", "scheme", "veto_incident"
    ).prefetch_related("kpi_results")
    serializer_class = ScorecardSerializer
    filterset_class = filters.ScorecardApiFilterSet
    ordering_fields = {
        "period": "period__code",
        "dealer_code": "dealer__code",
        "total_score": "total_score",
        "rank": "rank",
        "region_rank": "region_rank",
        "grade": "grade",
        "region": "region_name",
        "coverage": "coverage",
    }
    lookup_field = "key"
    lookup_value_regex = r"[0-9]{4}-[0-9]{2}:[A-Za-z0-9-]{1,20}"

    def get_queryset(self) -> QuerySet:
        return super().get_queryset().order_by("-period__code", "dealer__code")

    # The list keeps the fixed shape of interfaces.md; gzip takes its 124 kB (50 cards) to a tenth
    # for a client that accepts it (the JSON holds no secret a reflected parameter could probe).
    @method_decorator(gzip_page)
    def list(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        """The page of scorecards, from the page cache when it is on (keyed by the scorecards
        version, the user's scope, the language and the full URL), with an ETag of that key:
        a client that sends it back in If-None-Match gets 304 until a recompute."""
        url = request.build_absolute_uri()
        key = page_cache.fragment_key(request.user, "api-scorecards", url)  # "" if the cache is down
        if not key:
            return super().list(request, *args, **kwargs)
        etag = f'"{hashlib.sha256(key.encode()).hexdigest()[:32]}"'
        headers = {"ETag": etag, "Cache-Control": "private, no-cache"}
        if etag in (t.strip() for t in request.headers.get("If-None-Match", "").split(",")):
            return Response(status=status.HTTP_304_NOT_MODIFIED, headers=headers)
        data = page_cache.cached(
            request.user,
            "api-scorecards",
            (url,),
            lambda: super(ScorecardViewSet, self).list(request, *args, **kwargs).data,
        )
        return Response(data, headers=headers)

    def get_object(self) -> Scorecard:
        period_code, _sep, dealer_code = self.kwargs["key"].partition(":")
        return get_object_or_404(self.get_queryset(), period__code=period_code, dealer__code=dealer_code)

    @extend_schema(
        summary="The records behind one KPI of a scorecard",
        description="The records the KPI read for this scorecard (e.g. the repair ROs delivered in the period, "
        "comebacks flagged; the complaints received, those not closed within 24 h flagged), paged.",
        parameters=[
            SCORECARD_KEY,
            OpenApiParameter(
                "kpi_code", str, OpenApiParameter.PATH, description="KPI code, e.g. first_time_fix_rate."
            ),
            OpenApiParameter("page", int, description="A page number within the paginated result set."),
            OpenApiParameter(
                "page_size", int, description="Number of results to return per page (at most 500)."
            ),
        ],
        filters=False,
        responses={200: KpiRecordsPageSerializer},
    )
    @action(
        detail=True,
        url_path=r"kpis/(?P<kpi_code>[a-z0-9_]{1,40})/records",
        url_name="kpi-records",
        filter_backends=[],
        pagination_class=None,
    )
    def kpi_records(self, request: Request, key: str | None = None, kpi_code: str = "") -> Response:
        card = self.get_object()
        if kpi_code not in ENTRIES:
            raise Http404
        found = kpi_records(request.user, card.dealer, card.period.month, kpi_code)
        paginator = DescribedPagination()
        rows = paginator.paginate_queryset(found.rows, request, view=self) or []
        return Response(
            {
                "count": paginator.page.paginator.count,
                "next": paginator.get_next_link(),
                "previous": paginator.get_previous_link(),
                "kpi": kpi_code,
                "title": str(found.title),
                "columns": [{"key": c.key, "label": str(c.label), "kind": c.kind} for c in found.columns],
                "flag": found.flag_key,
                "results": [{k: _json_value(v) for k, v in row.items()} for row in rows],
            }
        )


class RepairOrderViewSet(*READ_ONLY, ScopedViewSet):
    """Repair orders (工单) in your scope, as imported from dealers' DMS."""

    queryset = RepairOrder.objects.select_related("dealer")
    serializer_class = RepairOrderSerializer
    filterset_class = filters.RepairOrderFilterSet
    ordering_fields = {
        "ro_number": "ro_number",
        "opened_at": "opened_at",
        "closed_at": "closed_at",
        "dealer": "dealer__code",
    }


class ComplaintViewSet(*READ_ONLY, ScopedViewSet):
    """Customer complaints (投诉) in your scope."""

    queryset = Complaint.objects.select_related("dealer", "repair_order")
    serializer_class = ComplaintSerializer
    filterset_class = filters.ComplaintFilterSet
    ordering_fields = {
        "received_at": "received_at",
        "closed_at": "closed_at",
        "complaint_id": "complaint_id",
        "dealer": "dealer__code",
    }


class PartsOrderViewSet(*READ_ONLY, ScopedViewSet):
    """Parts orders in your scope."""

    queryset = PartsOrder.objects.select_related("dealer")
    serializer_class = PartsOrderSerializer
    filterset_class = filters.PartsOrderFilterSet
    ordering_fields = {
        "ordered_at": "ordered_at",
        "fulfilled_at": "fulfilled_at",
        "order_id": "order_id",
        "dealer": "dealer__code",
    }


SUBMISSION_REFUSED = OpenApiResponse(
    description="The submission's state or its closed period does not allow this; the detail says why."
)


class SubmissionViewSet(*READ_ONLY, ScopedViewSet):
    """Monthly capacity submissions in your scope; an approved one feeds the base tier.

    A dealer user saves its dealer's draft and submits it; HQ managers and admins, and the
    regional manager of the dealer's region, approve it or return it with a comment. The
    rules are those of the submission pages (assessments/services/submissions.py).
    """

    queryset = MonthlySubmission.objects.select_related("dealer", "reviewed_by")
    serializer_class = SubmissionSerializer
    filterset_class = filters.SubmissionFilterSet
    ordering_fields = {"period": "period", "status": "status", "dealer": "dealer__code"}
    action_roles = {
        "create": DEALER_USER_ONLY,
        "submit": DEALER_USER_ONLY,
        "approve": MANAGERS,
        "return_": MANAGERS,
    }

    @extend_schema(
        summary="Save your dealer's draft for a month",
        description="Save the month's capacity report of your own dealer as a draft: a new one (201), or the "
        "existing draft or returned submission of that month changed (200). Submit it with the submit action. "
        "Refused for a closed period or a submission already submitted or approved.",
        request=SubmissionDraftSerializer,
        responses={201: SubmissionSerializer, 200: SubmissionSerializer, 409: SUBMISSION_REFUSED},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        draft = SubmissionDraftSerializer(data=request.data)
        draft.is_valid(raise_exception=True)
        dealer = request.user.dealer
        if dealer is None:  # a dealer user not attached to a dealer has nothing to report
            raise PermissionDenied
        period = draft.validated_data["period"]
        existed = MonthlySubmission.objects.filter(dealer=dealer, period=period).exists()
        try:
            submission = submission_save_draft(
                dealer=dealer, period_code=period, data=draft.to_data(), actor=request.user
            )
        except SubmissionError as exc:
            raise Conflict(str(exc)) from exc
        return Response(
            self._fresh(submission), status=status.HTTP_200_OK if existed else status.HTTP_201_CREATED
        )

    @extend_schema(
        summary="Submit the draft for review",
        description="Send a draft or returned submission of your dealer to HQ for review.",
        request=None,
        responses={200: SubmissionSerializer, 409: SUBMISSION_REFUSED},
    )
    @action(detail=True, methods=["post"])
    def submit(self, request: Request, pk: str | None = None) -> Response:
        try:
            submission = submission_submit(submission=self.get_object(), actor=request.user)
        except SubmissionError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self._fresh(submission))

    @extend_schema(
        summary="Approve a submitted submission",
        description="Approve it: from now on scoring uses it, and its period is recomputed.",
        request=SubmissionApproveSerializer,
        responses={200: SubmissionSerializer, 409: SUBMISSION_REFUSED},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        review = SubmissionApproveSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        try:
            submission = submission_approve(
                submission=self.get_object(), actor=request.user, comment=review.validated_data["comment"]
            )
        except SubmissionError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self._fresh(submission))

    @extend_schema(
        summary="Return a submitted submission for correction",
        description="Send it back to the dealer with a comment saying what to correct; the dealer changes "
        "it and submits again.",
        request=SubmissionReturnSerializer,
        responses={200: SubmissionSerializer, 409: SUBMISSION_REFUSED},
    )
    @action(detail=True, methods=["post"], url_path="return", url_name="return")
    def return_(self, request: Request, pk: str | None = None) -> Response:
        review = SubmissionReturnSerializer(data=request.data)
        review.is_valid(raise_exception=True)
        try:
            submission = submission_return(
                submission=self.get_object(), actor=request.user, comment=review.validated_data["comment"]
            )
        except SubmissionError as exc:
            raise Conflict(str(exc)) from exc
        return Response(self._fresh(submission))

    @extend_schema(
        summary="The month's queue: submitted, missing and late",
        description="One row per dealer in your scope that should report for the month (active or suspended, "
        "opened by the month's end), with the state of its submission and whether it is late, as on the "
        "submission queue page.",
        parameters=[SubmissionQueueQuerySerializer],
        filters=False,
        responses={200: SubmissionQueueRowSerializer(many=True)},
    )
    @action(detail=False, filter_backends=[])
    def queue(self, request: Request) -> Response:
        query = SubmissionQueueQuerySerializer(data=request.query_params)
        query.is_valid(raise_exception=True)
        rows = submission_queue(request.user, query.validated_data["period"])
        state = query.validated_data.get("state")
        if state == "late":
            rows = [r for r in rows if r.late and r.state != SubmissionStatus.APPROVED]
        elif state:
            rows = [r for r in rows if r.state == state]
        page = self.paginate_queryset(rows)
        return self.get_paginated_response(SubmissionQueueRowSerializer(page, many=True).data)

    def _fresh(self, submission: MonthlySubmission) -> dict[str, Any]:
        """The submission as stored now, read through the user's scope like any other row."""
        return self.get_serializer(self.get_queryset().get(pk=submission.pk)).data


class ImportJobViewSet(*READ_ONLY, mixins.CreateModelMixin, ScopedViewSet):
    """Imports of service data: upload a file, follow its status, download its rejected rows.

    Dealer users see their dealer's imports; HQ sees every import.
    """

    queryset = ImportJob.objects.select_related("user", "dealer")
    serializer_class = ImportJobSerializer
    filterset_class = filters.ImportJobFilterSet
    ordering_fields = {
        "started_at": "started_at",
        "finished_at": "finished_at",
        "kind": "kind",
        "status": "status",
    }
    action_roles = {"create": UPLOAD_ROLES}

    action_parsers = {"create": [MultiPartParser, FormParser]}
    throttle_scope = "uploads"  # applied to `create` only, see get_throttles

    def get_throttles(self) -> list[Any]:
        throttles = super().get_throttles()
        if self.action == "create":
            throttles.append(ScopedRateThrottle())  # scope "uploads", per user
        return throttles

    @extend_schema(
        summary="Upload a file to import",
        description=(
            "Upload a .csv or .xlsx file of one kind (data-formats.md); the file is kept on the import's "
            "record. A small file is imported at once: 201 with the finished record (status, counts, row "
            "errors). A file of more than IMPORT_BACKGROUND_ROWS rows (5,000 by default) runs in the "
            "background: 202 with the record as queued, its URL in `url` and in the Location header; "
            "follow `status`, `rows_done`, `rows_total` and `progress_percent` there until `finished_at` "
            "is set. Uploads are limited per user (IMPORT_UPLOADS_PER_HOUR, 30 an hour by default): "
            "beyond it, 429 with Retry-After."
        ),
        request={"multipart/form-data": ImportUploadSerializer},
        responses={
            201: OpenApiResponse(ImportJobSerializer, description="Imported (or previewed) at once."),
            202: OpenApiResponse(
                ImportJobSerializer,
                description="Queued to run in the background; follow the record at `url` (the Location header).",
            ),
            429: OpenApiResponse(description="Too many uploads; try again after Retry-After seconds."),
        },
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        upload = ImportUploadSerializer(data=request.data)
        upload.is_valid(raise_exception=True)
        data = upload.validated_data
        job = import_job_store(
            user=request.user,
            kind=data["kind"],
            upload=data["file"],
            dry_run=data["dry_run"],
            partial=data["partial"],
            through_api=True,  # a dealer user's rows come from its DMS (RecordChannel.DMS_API)
        )
        queued = import_job_start(job)
        body = self.get_serializer(self.get_queryset().get(pk=job.pk)).data
        if not queued:
            return Response(body, status=status.HTTP_201_CREATED)
        return Response(body, status=status.HTTP_202_ACCEPTED, headers={"Location": body["url"]})

    @extend_schema(
        summary="Download the rejected rows",
        description="The rejected rows of this import with an error column, as the file type that was uploaded.",
        responses={
            (200, "application/octet-stream"): OpenApiTypes.BINARY,
            404: OpenApiResponse(description="None."),
        },
    )
    @action(detail=True, methods=["get"], url_path="error-file", url_name="error-file")
    def error_file(self, request: Request, pk: str | None = None) -> FileResponse:
        job = self.get_object()
        if not job.error_file:
            raise Http404
        name = job.error_file.name.rsplit("/", 1)[-1]
        return FileResponse(job.error_file.open("rb"), as_attachment=True, filename=name)


class GroupFigureViewSet(*READ_ONLY, ScopedViewSet):
    """Stored group figures (scoring.md → network, regional and group figures): every KPI and the
    average total per network, region, city tier and peer group and month. HQ sees every group;
    a regional manager only their regions' figures; dealer users none (403)."""

    queryset = GroupFigure.objects.select_related("period")
    serializer_class = GroupFigureSerializer
    filterset_class = filters.GroupFigureFilterSet
    read_roles = frozenset(MANAGER_ROLES)
    ordering_fields = {
        "period": "period__code",
        "grouping": "grouping",
        "group": "group_key",
        "kpi": "kpi_code",
    }

    def get_serializer_context(self) -> dict[str, Any]:
        context = super().get_serializer_context()
        if getattr(self, "action", None) in ("list", "retrieve"):
            context["region_names"] = {str(pk): name for pk, name in Region.objects.values_list("pk", "name")}
        return context
