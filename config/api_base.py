"""What every API v1 viewset shares: scoping, permissions by role, ordering, described fields.

A viewset declares `queryset`, its serializer, `filterset_class`, `ordering_fields` and, for
anything beyond reading, `action_roles`. The base class does the rest:

- `get_queryset` applies `.for_user(request.user)` (dealers.scoping) to a dealer-owned
  model, so a row outside the user's scope is simply not there: 404, never 403.
  A model that is not dealer-owned must say so (`reference_data = True`); anything else
  refuses to run.
- `RolePermission`: reading is for any user with a role; every other action only for the
  roles that `action_roles` names for it. An action not named is refused.
- `WhitelistOrderingFilter`: ordering only by the public names in `ordering_fields`, always
  ending with the primary key so that pages never overlap.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured
from django.db.models import F, Model, QuerySet
from django.utils.text import capfirst
from django.utils.translation import gettext_lazy as _
from django_filters.rest_framework import DjangoFilterBackend
from rest_framework import exceptions, serializers, status
from rest_framework.filters import OrderingFilter
from rest_framework.parsers import BaseParser
from rest_framework.permissions import SAFE_METHODS, BasePermission
from rest_framework.request import Request
from rest_framework.viewsets import GenericViewSet

from config.api_pagination import StandardPagination
from dealers.choices import ASSESSMENT_ROLES, HQ_ROLES, Role
from dealers.scoping import ScopedQuerySet

# Every role of the assessment portal: a technical expert reads none of its data.
ALL_ROLES: frozenset[str] = frozenset(r for r in Role.values if r in ASSESSMENT_ROLES)
HQ_ADMIN_ONLY: frozenset[str] = frozenset({Role.HQ_ADMIN})
HQ_ONLY: frozenset[str] = frozenset(HQ_ROLES)
NOBODY: frozenset[str] = frozenset()


class Conflict(exceptions.APIException):
    """The request is valid but the record's state forbids it (a closed period, a published scheme)."""

    status_code = status.HTTP_409_CONFLICT
    default_detail = _("The record's state does not allow this.")
    default_code = "conflict"


class ApiDocsAccess(BasePermission):
    """Signed-in users (session or token) may read the schema and docs; anyone if API_DOCS_PUBLIC."""

    def has_permission(self, request: Request, view: Any) -> bool:
        if settings.API_DOCS_PUBLIC:
            return True
        return bool(request.user and request.user.is_authenticated)


class RolePermission(BasePermission):
    """Reads for every role; any other action only for the roles the viewset names for it."""

    message = _("Your role may not do this.")

    def has_permission(self, request: Request, view: Any) -> bool:
        user = request.user
        if not (user and user.is_authenticated and user.is_active):
            return False
        return getattr(user, "role", "") in view.roles_for(request)


def scope_queryset(queryset: QuerySet, user: Any, *, reference_data: bool) -> QuerySet:
    """The rows of `queryset` that `user` may see. The only place the API narrows by user."""
    if isinstance(queryset, ScopedQuerySet):
        return queryset.for_user(user)
    if reference_data:
        return queryset
    raise ImproperlyConfigured(
        f"{queryset.model.__name__} has no for_user(); mark the viewset reference_data = True "
        "if every signed-in user may see all its rows."
    )


class WhitelistOrderingFilter(OrderingFilter):
    """`?ordering=` by the viewset's public names only (comma-separated, '-' for descending).

    Unknown names are ignored. The primary key always ends the ordering, so paging is stable.
    """

    def get_valid_fields(self, queryset: QuerySet, view: Any, context: dict[str, Any] | None = None) -> list:
        fields: Mapping[str, str] = getattr(view, "ordering_fields", None) or {}
        if not isinstance(fields, Mapping):
            raise ImproperlyConfigured(
                f"{type(view).__name__}.ordering_fields must map public names to paths."
            )
        return [(name, name) for name in fields]

    def get_ordering(self, request: Request, queryset: QuerySet, view: Any) -> list[str]:
        fields: Mapping[str, str] = view.ordering_fields
        params = request.query_params.get(self.ordering_param, "")
        chosen: list[str] = []
        for term in (p.strip() for p in params.split(",")):
            name = term.removeprefix("-")
            if name in fields:
                chosen.append(("-" if term.startswith("-") else "") + fields[name])
        return chosen or list(
            self.get_default_ordering(view) or queryset.query.order_by or queryset.model._meta.ordering
        )

    def filter_queryset(self, request: Request, queryset: QuerySet, view: Any) -> QuerySet:
        # Empty values last either way, on every database (PostgreSQL puts NULL first when descending).
        ordering = [
            term
            if not isinstance(term, str)
            else F(term[1:]).desc(nulls_last=True)
            if term.startswith("-")
            else F(term).asc(nulls_last=True)
            for term in self.get_ordering(request, queryset, view)
        ]
        return queryset.order_by(*ordering, "pk")

    def get_schema_operation_parameters(self, view: Any) -> list[dict[str, Any]]:
        names = sorted(getattr(view, "ordering_fields", {}) or {})
        return [
            {
                "name": self.ordering_param,
                "required": False,
                "in": "query",
                "description": "Order by these fields, comma-separated; '-' before a field for descending. "
                f"One of: {', '.join(names)}.",
                "schema": {"type": "string"},
            }
        ]


class DescribedPagination(StandardPagination):
    """The standard paging, with every field of a page described in the schema."""

    def get_paginated_response_schema(self, schema: dict[str, Any]) -> dict[str, Any]:
        page = super().get_paginated_response_schema(schema)
        descriptions = {
            "count": "How many rows match, over all pages.",
            "next": "The next page; null on the last.",
            "previous": "The previous page; null on the first.",
            "results": "The rows of this page.",
        }
        for name, text in descriptions.items():
            page["properties"][name]["description"] = text
        return page


class ScopedViewSet(GenericViewSet):
    """The base of every API v1 viewset. See the module docstring."""

    permission_classes = [RolePermission]
    pagination_class = DescribedPagination
    filter_backends = [DjangoFilterBackend, WhitelistOrderingFilter]
    #: Roles that may read (GET, HEAD, OPTIONS).
    read_roles: frozenset[str] = ALL_ROLES
    #: Roles per non-read action, e.g. {"create": HQ_ADMIN_ONLY, "publish": HQ_ADMIN_ONLY}.
    action_roles: Mapping[str, frozenset[str]] = {}
    #: True where every signed-in user may see every row (catalogue, schemes, periods, regions).
    reference_data: bool = False
    #: Public ordering name → model path. Every viewset declares its own.
    ordering_fields: Mapping[str, str] = {}
    #: Parsers per action where they differ from the default, e.g. {"create": [JSONParser]}.
    action_parsers: Mapping[str, list[type[BaseParser]]] = {}

    def get_parsers(self) -> list[BaseParser]:
        # Called before `self.action` is set: find the action from the request's method.
        request = getattr(self, "request", None)
        method = getattr(request, "method", None)
        action = (
            getattr(self, "action_map", {}).get(method.lower()) if method else getattr(self, "action", None)
        )
        if action in self.action_parsers:
            return [parser() for parser in self.action_parsers[action]]
        return super().get_parsers()

    def roles_for(self, request: Request) -> frozenset[str]:
        action = getattr(self, "action", None)
        if action in self.action_roles:
            return self.action_roles[action]
        # A method the viewset does not route (action None) is let through to answer 405.
        if request.method in SAFE_METHODS or action is None:
            return self.read_roles
        return NOBODY

    def check_permissions(self, request: Request) -> None:
        # Throttle before refusing, so that anonymous probing is limited too (DRF throttles after).
        self.check_throttles(request)
        self._throttles_checked = True
        super().check_permissions(request)

    def check_throttles(self, request: Request) -> None:
        if not getattr(self, "_throttles_checked", False):
            super().check_throttles(request)

    def get_queryset(self) -> QuerySet:
        queryset = super().get_queryset()
        return scope_queryset(queryset, self.request.user, reference_data=self.reference_data)


class DescribedModelSerializer(serializers.ModelSerializer):
    """A ModelSerializer whose every model field carries a description in the schema.

    Where the model field has no help_text, its verbose name stands in.
    """

    def build_field(self, field_name: str, info: Any, model_class: type[Model], nested_depth: int) -> tuple:
        field_class, kwargs = super().build_field(field_name, info, model_class, nested_depth)
        if not kwargs.get("help_text"):
            try:
                model_field = model_class._meta.get_field(field_name)
            except Exception:  # a property or a method: described where it is declared
                return field_class, kwargs
            if getattr(model_field, "help_text", ""):
                kwargs["help_text"] = model_field.help_text
            elif getattr(model_field, "verbose_name", ""):
                kwargs["help_text"] = capfirst(model_field.verbose_name)
        return field_class, kwargs


class ScopedSlugRelatedField(serializers.SlugRelatedField):
    """A writable relation that only accepts rows in the requesting user's scope.

    A row outside the scope is answered as if it did not exist. Its `queryset` must be
    dealer-owned (or Dealer itself): it is narrowed with `.for_user()` on every use.
    """

    def get_queryset(self) -> QuerySet:
        request = self.context.get("request")
        user = getattr(request, "user", None)
        return scope_queryset(super().get_queryset(), user, reference_data=False)
