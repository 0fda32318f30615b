"""Navigation by role and the signed-in user's identity, shown in the base layout.

`NAVIGATION` lists every entry once: its URL name, label, who sees it and the path
prefixes that mark it active. An entry whose URL does not resolve (a feature not yet
installed) is left out, so apps can list their pages here before they ship.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.functional import SimpleLazyObject
from django.utils.translation import gettext_lazy as _

Audience = Callable[[Any], bool]


def managers(user: Any) -> bool:
    return bool(user.is_manager)


def dealer_users(user: Any) -> bool:
    return bool(user.is_dealer_user and user.dealer_id)


def anyone_with_a_role(user: Any) -> bool:
    """Every role of the assessment portal (the technical expert sees only technical support)."""
    from .choices import ASSESSMENT_ROLES

    return user.role in ASSESSMENT_ROLES


def every_role(user: Any) -> bool:
    return bool(user.role)


def support_users(user: Any) -> bool:
    from .choices import SUPPORT_ROLES

    return user.role in SUPPORT_ROLES and (not user.is_dealer_user or bool(user.dealer_id))


def hq_admins(user: Any) -> bool:
    return bool(user.is_hq_admin or user.is_superuser)


@dataclass(frozen=True)
class NavEntry:
    url_name: str
    label: Any
    audience: Audience
    also_active_under: tuple[str, ...] = ()
    badge: Callable[[HttpRequest], int | None] | None = None  # a count shown beside the label
    badge_key: str = ""  # the field of workbench:counts that fills the badge when the page has none


def open_todos(request: HttpRequest) -> int | None:
    """The workbench's count when this request has already computed the list (the workbench page).

    Every other page leaves the badge empty and the portal's script fills it from
    `workbench:counts`, so a page's own query count does not grow with the navigation."""
    from workbench.selectors import todo_count

    todos = getattr(request, "workbench_todos", None)
    return None if todos is None else todo_count(todos)


NAVIGATION: tuple[NavEntry, ...] = (
    NavEntry("workbench:index", _("To-dos"), every_role, badge=open_todos, badge_key="todos"),
    NavEntry("assessments:dealer_home", _("My dealer"), dealer_users, ("/assessments/dealers/",)),
    NavEntry("assessments:overview", _("Overview"), managers),
    NavEntry("assessments:ranking", _("Ranking"), managers, ("/assessments/dealers/",)),
    NavEntry("assessments:network", _("Network"), managers),
    NavEntry("dealers:list", _("Dealers"), managers),
    NavEntry("submissions:queue", _("Submissions"), anyone_with_a_role),
    NavEntry("imports:list", _("Imports"), anyone_with_a_role),
    NavEntry("surveys:index", _("Customer voice"), anyone_with_a_role),
    NavEntry("incentives:queue", _("Incentives"), anyone_with_a_role),
    NavEntry("training:index", _("Technicians"), anyone_with_a_role),
    NavEntry("goals:list", _("Goals"), anyone_with_a_role),
    NavEntry("insights:list", _("Findings"), anyone_with_a_role),
    NavEntry("support:index", _("Technical support"), support_users),
    NavEntry("schemes:list", _("Schemes"), managers),
    NavEntry("admin:index", _("Administration"), hq_admins),
    NavEntry("api-docs", _("API"), anyone_with_a_role),
)


def _url(name: str) -> str | None:
    """The entry's address."""
    return reverse(name)


def _nav_items(request: HttpRequest) -> list[dict[str, Any]]:
    user = request.user
    items = []
    for entry in NAVIGATION:
        if not entry.audience(user):
            continue
        url = _url(entry.url_name)
        if url is None:
            continue
        items.append(
            {
                "url": url,
                "label": entry.label,
                "prefixes": (url, *entry.also_active_under),
                "badge": entry.badge(request) if entry.badge else None,
                "badge_key": entry.badge_key,
            }
        )
    # The longest matching prefix wins, so /assessments/ranking/ does not also light up a parent.
    path = request.path
    best = max(
        (len(p) for item in items for p in item["prefixes"] if path.startswith(p)),
        default=0,
    )
    for item in items:
        item["active"] = bool(best) and any(path.startswith(p) and len(p) == best for p in item["prefixes"])
    return items


def _scope_label(user: Any) -> str:
    """What the user sees: their dealer, their regions, or the whole network."""
    if user.is_dealer_user and user.dealer_id:
        return str(user.dealer.name)
    if user.role == "regional_manager":
        return "、".join(region.name for region in user.regions.all())
    if user.is_hq:
        return str(_("National"))
    return ""


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": [], "user_scope": ""}
    return {
        "nav_items": SimpleLazyObject(lambda: _nav_items(request)),
        "user_scope": SimpleLazyObject(lambda: _scope_label(user)),
    }
