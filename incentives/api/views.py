"""API v1 of the incentives app: rules, actions and their decisions, the ledger, rectifications, appeals.

The same services as the incentive pages (incentives/services/) under the same scope: a
workflow action validates its input, calls one service, and answers 409 when the service
refuses because of the record's state (already decided, deadline passed, window closed).
"""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal
from typing import Any

from django.db.models import Count, Model, Prefetch, Sum
from django.db.models.fields.files import FieldFile
from django.http import FileResponse, Http404
from django.utils import timezone
from django.utils.translation import gettext as _
from django_filters.rest_framework import DjangoFilterBackend
from drf_spectacular.types import OpenApiTypes
from drf_spectacular.utils import OpenApiParameter, OpenApiResponse, extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.parsers import FormParser, MultiPartParser
from rest_framework.request import Request
from rest_framework.response import Response

from assessments.models import Scorecard
from assessments.periods import Month
from config.api_base import Conflict, ScopedViewSet
from dealers.choices import MANAGER_ROLES, Role

from .. import filtersets as filters
from ..choices import ActionType
from ..models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder
from ..services import (
    IncentiveError,
    action_decide,
    action_propose,
    appeal_decide,
    appeal_file,
    rectification_submit_plan,
    rectification_verify,
)
from .serializers import (
    ActionDecisionSerializer,
    ActionRejectionSerializer,
    AppealDecisionSerializer,
    AppealFileSerializer,
    AppealSerializer,
    IncentiveActionSerializer,
    IncentiveRuleSerializer,
    LedgerEntrySerializer,
    LedgerTotalsSerializer,
    LiftSuspensionSerializer,
    RectificationOrderSerializer,
    RectificationPlanSerializer,
    RectificationVerifySerializer,
)

READ_ONLY = (mixins.ListModelMixin, mixins.RetrieveModelMixin)
DEALER_USER_ONLY = frozenset({Role.DEALER_USER})
MANAGERS = frozenset(MANAGER_ROLES)
REFUSED = OpenApiResponse(description="The record's state does not allow this; the detail says why.")
FILE = {(200, "application/octet-stream"): OpenApiTypes.BINARY}


def _as_stored(view: ScopedViewSet, row: Model) -> dict[str, Any]:
    """The row as stored after a service changed it, read through the user's scope like any other."""
    return view.get_serializer(view.get_queryset().get(pk=row.pk)).data


def _download(file: FieldFile) -> FileResponse:
    return FileResponse(file.open("rb"), as_attachment=True, filename=file.name.rsplit("/", 1)[-1])


class IncentiveRuleViewSet(*READ_ONLY, ScopedViewSet):
    """The incentive rules: conditions over closed scorecards and the actions they propose. For managers."""

    queryset = IncentiveRule.objects.all()
    serializer_class = IncentiveRuleSerializer
    filterset_class = filters.IncentiveRuleFilterSet
    ordering_fields = {"sort_order": "sort_order", "name": "name", "action_type": "action_type"}
    read_roles = MANAGERS
    # Only managers reach this viewset, and every rule applies to every dealer.
    reference_data = True


class IncentiveActionViewSet(*READ_ONLY, ScopedViewSet):
    """Incentive actions in your scope: proposed by rules when a period closes, then approved or rejected.

    HQ managers and admins, and regional managers for their regions, decide. An approved bonus
    enters the ledger, an approved rectification opens an order, an approved suspension (or its
    lifting) sets the dealer's status.
    """

    queryset = IncentiveAction.objects.select_related(
        "dealer__region", "rule", "proposed_by", "decided_by", "rectification"
    ).prefetch_related(Prefetch("scorecards", queryset=Scorecard.objects.select_related("period", "dealer")))
    serializer_class = IncentiveActionSerializer
    filterset_class = filters.IncentiveActionFilterSet
    ordering_fields = {
        "period": "period",
        "status": "status",
        "action_type": "action_type",
        "amount": "amount",
        "dealer": "dealer__code",
        "proposed_at": "proposed_at",
        "decided_at": "decided_at",
    }
    action_roles = {"lift_suspension": MANAGERS, "approve": MANAGERS, "reject": MANAGERS}

    @extend_schema(
        summary="Propose lifting a dealer's suspension",
        description="Propose, for this month, to lift the suspension of a dealer in your scope. It takes effect "
        "when approved, like any other action.",
        request=LiftSuspensionSerializer,
        responses={201: IncentiveActionSerializer, 409: REFUSED},
    )
    @action(detail=False, methods=["post"], url_path="lift-suspension", url_name="lift-suspension")
    def lift_suspension(self, request: Request) -> Response:
        proposal = LiftSuspensionSerializer(data=request.data, context=self.get_serializer_context())
        proposal.is_valid(raise_exception=True)
        try:
            created = action_propose(
                dealer=proposal.validated_data["dealer"],
                period_code=str(Month.of(timezone.localdate())),
                action_type=ActionType.LIFT_SUSPENSION,
                reason=proposal.validated_data["reason"] or _("Lift the suspension"),
                actor=request.user,
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, created), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Approve a proposed action",
        description="Approve it and carry it out: a bonus enters the ledger, a rectification opens an order, "
        "a suspension or its lifting sets the dealer's status.",
        request=ActionDecisionSerializer,
        responses={200: IncentiveActionSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def approve(self, request: Request, pk: str | None = None) -> Response:
        decision = ActionDecisionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        return self._decide(approve=True, comment=decision.validated_data["comment"])

    @extend_schema(
        summary="Reject a proposed action",
        description="Reject it, saying why. Nothing is carried out.",
        request=ActionRejectionSerializer,
        responses={200: IncentiveActionSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def reject(self, request: Request, pk: str | None = None) -> Response:
        decision = ActionRejectionSerializer(data=request.data)
        decision.is_valid(raise_exception=True)
        return self._decide(approve=False, comment=decision.validated_data["comment"])

    def _decide(self, *, approve: bool, comment: str) -> Response:
        try:
            decided = action_decide(
                action=self.get_object(), actor=self.request.user, approve=approve, comment=comment
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, decided))


class LedgerEntryViewSet(*READ_ONLY, ScopedViewSet):
    """The incentive ledger in your scope: one entry per approved bonus. Totals per period and region."""

    queryset = LedgerEntry.objects.select_related("dealer__region")
    serializer_class = LedgerEntrySerializer
    filterset_class = filters.LedgerEntryFilterSet
    ordering_fields = {
        "period": "period",
        "amount": "amount",
        "dealer": "dealer__code",
        "created_at": "created_at",
    }

    @extend_schema(
        summary="Ledger totals",
        description="The entries that match the filters summed: in all, per period, and per period and region.",
        filters=True,
        responses={200: LedgerTotalsSerializer},
    )
    @action(detail=False, filter_backends=[DjangoFilterBackend], pagination_class=None)
    def totals(self, request: Request) -> Response:
        groups = (
            self.filter_queryset(self.get_queryset())
            .values("period", "dealer__region__name")
            .annotate(amount=Sum("amount"), entries=Count("pk"))
            .order_by("-period", "dealer__region__name")
        )
        by_region = [
            {
                "period": g["period"],
                "region": g["dealer__region__name"],
                "amount": g["amount"],
                "entries": g["entries"],
            }
            for g in groups
        ]
        by_period: dict[str, dict[str, Any]] = defaultdict(lambda: {"amount": Decimal(0), "entries": 0})
        for g in by_region:
            by_period[g["period"]]["amount"] += g["amount"]
            by_period[g["period"]]["entries"] += g["entries"]
        body = {
            "amount": sum((g["amount"] for g in by_region), Decimal(0)),
            "entries": sum(g["entries"] for g in by_region),
            "by_period": [{"period": period, **sums} for period, sums in by_period.items()],
            "by_region": by_region,
        }
        return Response(LedgerTotalsSerializer(body).data)


class RectificationOrderViewSet(*READ_ONLY, ScopedViewSet):
    """Rectification orders (整改) in your scope.

    The dealer's user answers with a plan and evidence files before the deadline; a manager of
    the dealer verifies: passed closes the order, failed proposes the next step.
    """

    queryset = RectificationOrder.objects.select_related(
        "dealer__region", "action", "verified_by"
    ).prefetch_related("evidence")
    serializer_class = RectificationOrderSerializer
    filterset_class = filters.RectificationOrderFilterSet
    ordering_fields = {
        "deadline": "deadline",
        "status": "status",
        "dealer": "dealer__code",
        "period": "action__period",
    }
    action_roles = {"plan": DEALER_USER_ONLY, "verify": MANAGERS}
    action_parsers = {"plan": [MultiPartParser, FormParser]}

    @extend_schema(
        summary="Submit the plan and evidence",
        description="Your dealer's answer to the order: the plan, with up to 10 evidence files (multipart, "
        "the files under 'evidence'). Before the deadline, and again until it is verified.",
        request={"multipart/form-data": RectificationPlanSerializer},
        responses={200: RectificationOrderSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def plan(self, request: Request, pk: str | None = None) -> Response:
        answer = RectificationPlanSerializer(data=request.data)
        answer.is_valid(raise_exception=True)
        try:
            order = rectification_submit_plan(
                order=self.get_object(),
                actor=request.user,
                plan=answer.validated_data["plan"],
                files=answer.validated_data["evidence"],
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, order))

    @extend_schema(
        summary="Verify the dealer's plan",
        description="Passed closes the order. Failed proposes the next step: a new rectification, or a "
        "suspension after a failed repeat.",
        request=RectificationVerifySerializer,
        responses={200: RectificationOrderSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def verify(self, request: Request, pk: str | None = None) -> Response:
        verdict = RectificationVerifySerializer(data=request.data)
        verdict.is_valid(raise_exception=True)
        try:
            order = rectification_verify(
                order=self.get_object(),
                actor=request.user,
                passed=verdict.validated_data["passed"],
                comment=verdict.validated_data["comment"],
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, order))

    @extend_schema(
        summary="Download an evidence file",
        description="One file of evidence the dealer gave with its plan.",
        parameters=[
            OpenApiParameter(
                "evidence_id",
                int,
                OpenApiParameter.PATH,
                description="The file's id, from the order's evidence.",
            )
        ],
        responses={**FILE, 404: OpenApiResponse(description="No such file of this order.")},
    )
    @action(
        detail=True,
        url_path=r"evidence/(?P<evidence_id>[0-9]{1,18})",
        url_name="evidence-file",
        filter_backends=[],
        pagination_class=None,
    )
    def evidence_file(self, request: Request, pk: str | None = None, evidence_id: str = "") -> FileResponse:
        evidence = self.get_object().evidence.filter(pk=int(evidence_id)).first()
        if evidence is None:
            raise Http404
        return FileResponse(evidence.file.open("rb"), as_attachment=True, filename=evidence.name)


class AppealViewSet(*READ_ONLY, ScopedViewSet):
    """Appeals (申诉) in your scope: a dealer contests one KPI result of its scorecard.

    Filed by the dealer's user within the appeal window after the period's scorecards appear and
    before the period closes; decided by a manager of the dealer. Upholding may correct one
    record of the dealer's data, and recomputes the period.
    """

    queryset = Appeal.objects.select_related("dealer__region", "filed_by", "decided_by").prefetch_related(
        "records"
    )
    serializer_class = AppealSerializer
    filterset_class = filters.AppealFilterSet
    ordering_fields = {
        "filed_at": "filed_at",
        "decided_at": "decided_at",
        "period": "period",
        "status": "status",
        "dealer": "dealer__code",
    }
    action_roles = {"create": DEALER_USER_ONLY, "decide": MANAGERS}
    action_parsers = {"create": [MultiPartParser, FormParser]}

    @extend_schema(
        summary="Appeal a KPI result",
        description="Appeal one KPI of your dealer's scorecard, with a reason and optionally an evidence file "
        "(multipart). Taken within the appeal window after the period's scorecards appear, before it closes.",
        request={"multipart/form-data": AppealFileSerializer},
        responses={201: AppealSerializer, 409: REFUSED},
    )
    def create(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        filing = AppealFileSerializer(data=request.data, context=self.get_serializer_context())
        filing.is_valid(raise_exception=True)
        data = filing.validated_data
        try:
            appeal = appeal_file(
                scorecard=data["scorecard"],
                kpi_code=data["kpi_code"],
                reason=data["reason"],
                actor=request.user,
                evidence=data["evidence"],
                records=data["records"] or None,
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, appeal), status=status.HTTP_201_CREATED)

    @extend_schema(
        summary="Decide an appeal",
        description="Uphold it (optionally correcting one complaint or survey response of the dealer; the "
        "period is recomputed) or reject it, with a reason the dealer sees. Upholding is refused once the "
        "period is closed.",
        request=AppealDecisionSerializer,
        responses={200: AppealSerializer, 409: REFUSED},
    )
    @action(detail=True, methods=["post"])
    def decide(self, request: Request, pk: str | None = None) -> Response:
        appeal = self.get_object()
        verdict = AppealDecisionSerializer(data=request.data, context={"appeal": appeal})
        verdict.is_valid(raise_exception=True)
        data = verdict.validated_data
        try:
            appeal = appeal_decide(
                appeal=appeal,
                actor=request.user,
                uphold=data["uphold"],
                decision=data["decision"],
                correction=data["correction"],
                target=data["target"],
            )
        except IncentiveError as exc:
            raise Conflict(str(exc)) from exc
        return Response(_as_stored(self, appeal))

    @extend_schema(
        summary="Download the evidence",
        description="The evidence file filed with the appeal.",
        responses={**FILE, 404: OpenApiResponse(description="The appeal has no evidence.")},
    )
    @action(
        detail=True, url_path="evidence", url_name="evidence-file", filter_backends=[], pagination_class=None
    )
    def evidence_file(self, request: Request, pk: str | None = None) -> FileResponse:
        appeal = self.get_object()
        if not appeal.evidence:
            raise Http404
        return _download(appeal.evidence)
