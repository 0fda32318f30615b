"""One role check for pages: every page view of the portal's apps says which roles may open it,
with `role_required` (or `RoleRequiredMixin` on a class), or is on a short list of exceptions.
A new view that forgets it fails here."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from typing import Any

import pytest
from django.core.exceptions import PermissionDenied
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver, get_resolver

from dealers.choices import Role
from dealers.permissions import ALL_ROLES, RoleRequiredMixin, role_required
from tests.dealers.test_security import PUBLIC_VIEWS, SCRIPT_ENDPOINTS
from tests.factories import UserFactory

APPS = ("dealers", "assessments", "surveys", "incentives", "workbench", "goals", "insights", "support")
# Pages every signed-in user opens whatever their role, or with none. Keep it short.
ANY_SIGNED_IN = {
    "home": "the landing page: it sends each role to its workbench and tells a user without one to ask",
}
EXCEPTIONS = {**PUBLIC_VIEWS, **SCRIPT_ENDPOINTS, **ANY_SIGNED_IN}


def walk(patterns: list[Any], namespace: str = "") -> Iterator[tuple[str, Callable[..., Any]]]:
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = f"{namespace}:{entry.namespace}" if namespace and entry.namespace else entry.namespace
            yield from walk(entry.url_patterns, inner or namespace)
        elif isinstance(entry, URLPattern):
            name = f"{namespace}:{entry.name}" if namespace else (entry.name or "")
            yield name or entry.lookup_str, entry.callback


def page_views() -> list[tuple[str, Callable[..., Any]]]:
    """(URL name, view) of every page of the portal's own apps; the API has its own permissions."""
    views = []
    for name, callback in walk(get_resolver().url_patterns):
        module = getattr(callback, "__module__", "") or ""
        if module.split(".")[0] in APPS and ".api" not in module:
            views.append((name, callback))
    return views


def names_its_roles(view: Callable[..., Any]) -> bool:
    if getattr(view, "required_roles", None):
        return True
    view_class = getattr(view, "view_class", None)
    return bool(view_class and issubclass(view_class, RoleRequiredMixin) and view_class.required_roles)


def test_the_walk_finds_the_pages_of_every_app():
    modules = {view.__module__.split(".")[0] for _name, view in page_views()}

    assert modules == set(APPS)


@pytest.mark.parametrize(("name", "view"), page_views(), ids=[name for name, _view in page_views()])
def test_every_page_view_names_the_roles_that_may_open_it(name, view):
    if name in EXCEPTIONS:
        return
    assert names_its_roles(view), (
        f"{name} ({view.__module__}.{view.__name__}) checks no role: decorate it with "
        "dealers.permissions.role_required (RoleRequiredMixin on a class), or justify it in ANY_SIGNED_IN"
    )


def test_the_check_spots_a_view_that_forgets_its_roles():
    def forgotten(request):  # pragma: no cover - never called
        return None

    assert not names_its_roles(forgotten)
    assert names_its_roles(role_required(*ALL_ROLES)(forgotten))


@pytest.mark.django_db
def test_role_required_refuses_another_role_and_a_user_without_one():
    view = role_required(Role.HQ_ADMIN)(lambda request: "ok")
    request = RequestFactory().get("/")

    request.user = UserFactory(role=Role.HQ_ADMIN)
    assert view(request) == "ok"
    for role in (Role.DEALER_USER, ""):
        request.user = UserFactory(role=role)
        with pytest.raises(PermissionDenied):
            view(request)


# The network page and its drill (assessments.views_network): HQ and regional managers; dealer
# users 403; what each manager sees there is in tests/assessments/test_network_page.py.
NETWORK_PAGES = ("/assessments/network/", "/assessments/network/export.csv", "/assessments/network/drill/")


@pytest.mark.django_db
@pytest.mark.parametrize("path", NETWORK_PAGES)
@pytest.mark.parametrize(
    ("role", "allowed"),
    [("dealer_user", False), ("regional_manager", True), ("hq_manager", True), ("hq_admin", True)],
)
def test_the_network_pages_open_for_managers_only(cast, path, role, allowed):
    from tests.conftest import client_for

    status = client_for(cast[role]).get(path).status_code
    # Allowed: the page, or 404 for an export or drill without figures to show; never 403.
    assert (status != 403) if allowed else (status == 403)
