"""API v1: regions, dealers, and users' API tokens."""

from __future__ import annotations

from django.db.models import Exists, OuterRef, QuerySet
from django.utils import timezone
from drf_spectacular.utils import OpenApiParameter, extend_schema, extend_schema_view
from rest_framework import mixins, status
from rest_framework.decorators import action
from rest_framework.request import Request
from rest_framework.response import Response

from config.api_base import HQ_ADMIN_ONLY, ScopedViewSet

from ..filtersets import DealerFilterSet, RegionFilterSet, UserFilterSet
from ..models import ApiToken, Dealer, Region, User
from .serializers import (
    DealerSerializer,
    RegionSerializer,
    TokenIssueSerializer,
    TokenSerializer,
    UserSerializer,
)
from .tokens import api_token_issue, user_tokens_revoke


class RegionViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Sales regions (大区). Reference data: every signed-in user sees all of them."""

    queryset = Region.objects.all()
    serializer_class = RegionSerializer
    filterset_class = RegionFilterSet
    ordering_fields = {"name": "name", "id": "id"}
    reference_data = True


@extend_schema_view(
    retrieve=extend_schema(
        parameters=[OpenApiParameter("code", str, OpenApiParameter.PATH, description="Dealer code.")]
    )
)
class DealerViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Dealers in your scope: your own dealer, your regions' dealers, or all of them for HQ."""

    queryset = Dealer.objects.select_related("region")
    serializer_class = DealerSerializer
    filterset_class = DealerFilterSet
    ordering_fields = {
        "code": "code",
        "name": "name",
        "region": "region__name",
        "city_tier": "city_tier",
        "opened_on": "opened_on",
    }
    lookup_field = "code"
    lookup_value_regex = r"[A-Za-z0-9-]{1,20}"


class UserViewSet(mixins.ListModelMixin, mixins.RetrieveModelMixin, ScopedViewSet):
    """Portal users, for HQ admins, who issue and revoke their API tokens."""

    queryset = User.objects.select_related("dealer").prefetch_related("regions").order_by("username")
    serializer_class = UserSerializer
    filterset_class = UserFilterSet
    ordering_fields = {"username": "username", "role": "role", "id": "id"}
    read_roles = HQ_ADMIN_ONLY
    action_roles = {"token": HQ_ADMIN_ONLY}
    # Only HQ admins reach this viewset, and they see every user.
    reference_data = True

    def get_queryset(self) -> QuerySet[User]:
        live = ApiToken.objects.filter(user=OuterRef("pk"), expires_at__gt=timezone.now())
        return super().get_queryset().annotate(has_live_token=Exists(live))

    @extend_schema(
        methods=["POST"],
        request=TokenIssueSerializer,
        responses={201: TokenSerializer},
        summary="Issue an API token for a user",
        description="Issue a new API token for the user, valid for API_TOKEN_TTL_DAYS (90 days unless "
        "configured). The user's other tokens keep working. The key is shown in this answer only; "
        "the portal stores only its SHA-256.",
    )
    @extend_schema(
        methods=["DELETE"],
        request=None,
        responses={204: None},
        summary="Revoke every API token of a user",
        description="Revoke all the user's API tokens. Requests with them are refused from now on. "
        "A single token is revoked on the page /account/tokens/.",
    )
    @action(detail=True, methods=["post", "delete"])
    def token(self, request: Request, pk: str | None = None) -> Response:
        user = self.get_object()
        if request.method == "DELETE":
            user_tokens_revoke(user=user, actor=request.user)
            return Response(status=status.HTTP_204_NO_CONTENT)
        given = TokenIssueSerializer(data=request.data)
        given.is_valid(raise_exception=True)
        issued = api_token_issue(user=user, actor=request.user, name=given.validated_data["name"])
        return Response(TokenSerializer(issued).data, status=status.HTTP_201_CREATED)
