"""Role checks for pages: what a role may *do*. What a user may *see* is dealers.scoping.

Every page view of the portal's apps says which roles may open it, one way: `role_required`
on a function view, `RoleRequiredMixin` on a class-based one. Any other signed-in user gets
403 (sign-in itself is the middleware's). The few pages open to anyone, or to every signed-in
user whatever their role, are listed in tests/dealers/test_page_roles.py, which fails when a
view forgets to say.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from functools import wraps
from typing import Any

from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse

from .choices import ASSESSMENT_ROLES, HQ_ROLES, MANAGER_ROLES, SUPPORT_ROLES, Role

# The role sets pages name most often. ALL_ROLES: every role of the assessment portal (not the
# technical expert, who sees only technical support: SUPPORT, and the pages every role has).
ALL_ROLES: tuple[str, ...] = tuple(r for r in Role.values if r in ASSESSMENT_ROLES)
SUPPORT: tuple[str, ...] = tuple(r for r in Role.values if r in SUPPORT_ROLES)
EVERY_ROLE: tuple[str, ...] = tuple(Role.values)
MANAGERS: tuple[str, ...] = tuple(r for r in Role.values if r in MANAGER_ROLES)
HQ: tuple[str, ...] = tuple(r for r in Role.values if r in HQ_ROLES)


def has_role(request: HttpRequest, roles: Iterable[str]) -> bool:
    return getattr(request.user, "role", None) in tuple(roles)


def role_required(*roles: str) -> Callable[[Callable[..., HttpResponse]], Callable[..., HttpResponse]]:
    """Let only these roles through; any other signed-in user gets 403."""

    def decorator(view: Callable[..., HttpResponse]) -> Callable[..., HttpResponse]:
        @wraps(view)
        def wrapped(request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
            if not has_role(request, roles):
                raise PermissionDenied
            return view(request, *args, **kwargs)

        # Read by the test that every page names its roles (wraps() carries it outwards).
        wrapped.required_roles = tuple(roles)  # type: ignore[attr-defined]
        return wrapped

    return decorator


class RoleRequiredMixin:
    """`role_required` for a class-based view: set `required_roles` on the class."""

    required_roles: tuple[str, ...] = ()

    def dispatch(self, request: HttpRequest, *args: Any, **kwargs: Any) -> HttpResponse:
        if not has_role(request, self.required_roles):
            raise PermissionDenied
        return super().dispatch(request, *args, **kwargs)  # type: ignore[misc]
