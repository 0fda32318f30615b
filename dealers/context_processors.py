"""Navigation entries by role, shown in the base layout."""

from typing import Any

from django.http import HttpRequest
from django.urls import reverse
from django.utils.translation import gettext_lazy as _


def navigation(request: HttpRequest) -> dict[str, Any]:
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return {"nav_items": []}
    items: list[tuple[str, Any]] = [("home", _("Home"))]
    if user.is_manager:
        items += [("assessments:overview", _("Overview")), ("assessments:ranking", _("Ranking"))]
    items += [("assessments:import_list", _("Imports"))]
    if user.is_hq_admin:
        items += [("admin:index", _("Administration"))]
    items += [("api-docs", _("API"))]
    path = request.path
    nav = []
    for name, label in items:
        url = reverse(name)
        active = path == url if name == "home" else path.startswith(url)
        nav.append({"url": url, "label": label, "active": active})
    return {"nav_items": nav}
