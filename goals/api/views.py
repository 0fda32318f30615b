"""API v1 of goals: read the goals in your scope (a goal's months on its detail); HQ admins
create goals and revise them (each revision a new version, audited)."""

from __future__ import annotations

from typing import Any

from drf_spectacular.utils import extend_schema
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.exceptions import ValidationError
from rest_framework.parsers import JSONParser
from rest_framework.request import Request
from rest_framework.response import Response

from config.api_base import HQ_ADMIN_ONLY, ScopedViewSet

from ..filtersets import GoalFilterSet
from ..models import Goal
from ..selectors import goal_months
from ..services import GoalError, goal_create, goal_revise
from .serializers import GoalDetailSerializer, GoalSerializer, GoalTermsSerializer


class GoalViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Goals in your scope: the list with the month in progress's status at the last check;
    a goal's detail with target, actual, variance and status per month."""

    queryset = Goal.objects.select_related("region", "dealer", "owner")
    serializer_class = GoalSerializer
    filterset_class = GoalFilterSet
    ordering_fields = {"month_from": "month_from", "kpi_code": "kpi_code", "created_at": "created_at"}
    action_roles = {"create": HQ_ADMIN_ONLY, "revise": HQ_ADMIN_ONLY}
    action_parsers = {"create": [JSONParser], "revise": [JSONParser]}

    def retrieve(self, request: Request, *args: Any, **kwargs: Any) -> Response:
        goal = self.get_object()
        return Response(GoalDetailSerializer(goal, context={"months": goal_months(goal)}).data)

    def _saved(self, goal: Goal, code: int) -> Response:
        goal = self.get_queryset().get(pk=goal.pk)
        return Response(GoalDetailSerializer(goal, context={"months": goal_months(goal)}).data, status=code)

    @extend_schema(
        summary="Create a goal", request=GoalTermsSerializer, responses={201: GoalDetailSerializer}
    )
    def create(self, request: Request) -> Response:
        terms = GoalTermsSerializer(data=request.data)
        terms.is_valid(raise_exception=True)
        try:
            goal = goal_create(terms=terms.terms(), actor=request.user)
        except GoalError as exc:
            raise ValidationError({"goal": [str(exc)]}) from exc
        return self._saved(goal, status.HTTP_201_CREATED)

    @extend_schema(
        summary="Revise a goal",
        description="Save new terms as the goal's next version; earlier versions are kept.",
        request=GoalTermsSerializer,
        responses={200: GoalDetailSerializer},
    )
    @action(detail=True, methods=["post"])
    def revise(self, request: Request, pk: str | None = None) -> Response:
        goal = self.get_object()
        terms = GoalTermsSerializer(data=request.data)
        terms.is_valid(raise_exception=True)
        try:
            goal = goal_revise(goal=goal, terms=terms.terms(), actor=request.user)
        except GoalError as exc:
            raise ValidationError({"goal": [str(exc)]}) from exc
        return self._saved(goal, status.HTTP_200_OK)
