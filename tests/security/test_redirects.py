"""No open redirect: every view that redirects to a target the request names (`next`) goes
through dealers.redirects, and keeps the user on the portal whatever target is sent.

`REDIRECTING_VIEWS` lists those views with how to call each. The discovery tests fail when a
view, a template form or a line of code takes `next` without being covered here, so a new
one cannot skip the check.
"""

from __future__ import annotations

import inspect
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import pytest
from django.conf import settings
from django.test import Client
from django.urls import get_resolver, reverse

from tests.api.conftest import make_action
from tests.conftest import PASSWORD, client_for
from tests.dealers.test_security import walk
from tests.factories import SurveyResponseFactory
from tests.workbench.helpers import hot_alert

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
APPS = ("assessments", "config", "dealers", "incentives", "surveys", "workbench")
EVIL_TARGETS = [
    "https://evil.example/x",
    "//evil.example/",
    "///evil.example/",
    "http://evil.example",
    "https:evil.example",
    "/\\evil.example/",
    "\\\\evil.example",
    "javascript:alert(1)",
    " https://evil.example/",
]


@dataclass
class RedirectingView:
    """How to make the request, as a user it is for (None: signed out), with `next` added."""

    url: Callable[[dict[str, Any]], str]
    data: Callable[[dict[str, Any]], dict[str, str]] = field(default=lambda cast: {})
    user: str | None = "hq_manager"


REDIRECTING_VIEWS: dict[str, RedirectingView] = {
    "incentives:decide": RedirectingView(
        url=lambda cast: reverse("incentives:decide", args=[make_action(cast["dealer"]).pk]),
        data=lambda cast: {"decision": "approve", "comment": "ok"},
    ),
    "incentives:decide_bulk": RedirectingView(
        url=lambda cast: reverse("incentives:decide_bulk"),
        data=lambda cast: {
            "step": "confirm",
            "ids": str(make_action(cast["dealer"]).pk),
            "decision": "approve",
            "comment": "ok",
        },
    ),
    "surveys:response_exclude": RedirectingView(
        url=lambda cast: reverse(
            "surveys:response_exclude", args=[SurveyResponseFactory(dealer=cast["dealer"]).pk]
        ),
        data=lambda cast: {"reason": "duplicate answer"},
    ),
    "workbench:owner": RedirectingView(
        url=lambda cast: reverse("workbench:owner", args=["hot_alert", hot_alert(cast["dealer"]).pk]),
        data=lambda cast: {"owner": str(cast["dealer_user"].pk)},
    ),
    # Django's own views, which check `next` themselves: checked all the same.
    "login": RedirectingView(
        url=lambda cast: reverse("login"),
        data=lambda cast: {"username": cast["hq_manager"].username, "password": PASSWORD},
        user=None,
    ),
    "logout": RedirectingView(url=lambda cast: reverse("logout")),
    "set_language": RedirectingView(
        url=lambda cast: reverse("set_language"), data=lambda cast: {"language": "en"}
    ),
}


@pytest.fixture
def world(cast, dealer) -> dict[str, Any]:
    return {**cast, "dealer": dealer}


def _send(name: str, world: dict[str, Any], target: str, *, secure: bool = False) -> Any:
    view = REDIRECTING_VIEWS[name]
    client = client_for(world[view.user]) if view.user else Client()
    return client.post(view.url(world), {**view.data(world), "next": target}, secure=secure)


def _stays_on_the_portal(response: Any) -> bool:
    if response.status_code not in (301, 302, 303, 307, 308):
        return True  # no redirect at all (e.g. a page shown again)
    target = response["Location"].strip()
    parts = urlsplit(target.replace("\\", "/"))
    return parts.scheme in ("", "http", "https") and parts.netloc in ("", "testserver")


@pytest.mark.parametrize("target", EVIL_TARGETS)
@pytest.mark.parametrize("name", sorted(REDIRECTING_VIEWS))
def test_a_redirect_to_another_site_is_replaced_by_the_views_own_page(world, name, target):
    response = _send(name, world, target)

    assert response.status_code in (200, 302), response.status_code
    assert _stays_on_the_portal(response), f"{name} redirected to {response['Location']}"


@pytest.mark.parametrize(
    "name", sorted(n for n, v in REDIRECTING_VIEWS.items() if not n.startswith(("log", "set_")))
)
def test_a_same_site_next_is_followed(world, name):
    response = _send(name, world, "/surveys/?page=2")

    assert response.status_code == 302 and response["Location"] == "/surveys/?page=2"


@pytest.mark.parametrize(
    "name", sorted(n for n, v in REDIRECTING_VIEWS.items() if not n.startswith(("log", "set_")))
)
def test_an_https_page_is_not_sent_on_to_plain_http(world, name):
    response = _send(name, world, "http://testserver/surveys/", secure=True)

    assert response.status_code == 302 and not response["Location"].startswith("http:")


# --- discovery: nothing takes `next` unseen --------------------------------------------------------

NEXT_IN_CODE = re.compile(r"""["']next["']|redirect_to_next|safe_next_url""")
READS_NEXT = re.compile(r"""\.(?:POST|GET|data|query_params)(?:\.get\(|\[)\s*["']next["']""")
FORM_WITH_NEXT = re.compile(r"""<form\b[^>]*action="\{%\s*url\s+'([^']+)'[^>]*>(.*?)</form>""", re.S)


def _project_views() -> dict[str, Any]:
    """URL name → view function or class, for the views written in this project."""
    found = {}
    for _regex, name, pattern in walk(get_resolver().url_patterns):
        view = getattr(pattern.callback, "view_class", None) or inspect.unwrap(pattern.callback)
        if name and view.__module__.split(".")[0] in APPS:
            found[name] = view
    return found


def test_every_project_view_that_mentions_next_is_walked():
    mentioning = {
        name for name, view in _project_views().items() if NEXT_IN_CODE.search(inspect.getsource(view))
    }

    assert mentioning, "the discovery found no view at all: is it still looking in the right place?"
    assert mentioning <= set(REDIRECTING_VIEWS), (
        f"add to REDIRECTING_VIEWS: {mentioning - set(REDIRECTING_VIEWS)}"
    )


def test_every_form_that_posts_next_goes_to_a_walked_view():
    posting = {
        match.group(1)
        for template in (ROOT / "templates").rglob("*.html")
        for match in FORM_WITH_NEXT.finditer(template.read_text(encoding="utf-8"))
        if 'name="next"' in match.group(2)
    }

    assert posting, "no form posts next: is the discovery still looking in the right place?"
    assert posting <= set(REDIRECTING_VIEWS), f"add to REDIRECTING_VIEWS: {posting - set(REDIRECTING_VIEWS)}"


def test_only_the_safe_url_helper_reads_next_from_a_request():
    readers = [
        str(path.relative_to(ROOT))
        for app in APPS
        for path in (ROOT / app).rglob("*.py")
        if READS_NEXT.search(path.read_text(encoding="utf-8"))
    ]

    assert readers == [], f"read `next` through dealers.redirects.safe_next_url instead: {readers}"
