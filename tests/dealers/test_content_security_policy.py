"""The Content-Security-Policy: every page sends it and meets it.

The policy allows scripts and styles only from the portal's static files, so no page may
hold an inline <script> (a JSON data island, type="application/json", is not executed and
is fine), a <style> element, a style= attribute, an on*= handler or a javascript: link.
Each role of the cast signs in and walks the portal from its home page, following every
link (a few of each kind), on two scored months with customer voice, incentives and
imports to show; the customer's survey page, the sign-in page and the error pages are
checked too.
"""

from __future__ import annotations

from collections import Counter, deque
from datetime import timedelta
from html.parser import HTMLParser
from urllib.parse import urljoin, urlsplit

import pytest
from django.conf import settings
from django.test import Client, override_settings
from django.urls import Resolver404, resolve
from django.utils import timezone

from surveys.models import SurveyInvitation
from surveys.services import hot_alerts_open_for, invitations_create_for_closed, responses_flag
from tests.api.conftest import make_action, make_appeal, make_ledger_entry, make_rectification
from tests.assessments.conftest import seed_scored_months
from tests.conftest import client_for
from tests.factories import ComplaintFactory, RepairOrderFactory, SurveyResponseFactory

POLICY = (
    "default-src 'self'; script-src 'self'; style-src 'self'; img-src 'self' data:; "
    "object-src 'none'; base-uri 'self'; frame-ancestors 'none'; form-action 'self'"
)
ROLES = ["dealer_user", "regional_manager", "hq_manager", "hq_admin"]
#: Pages of each view the walk opens at most (a scorecard per dealer and month is one view).
PER_VIEW = 2
#: Views every walk together must have opened, so a page that no link reaches is noticed.
MUST_REACH = {
    "assessments:overview",
    "assessments:ranking",
    "assessments:scorecard",
    "assessments:kpi_drilldown",
    "assessments:dealer_home",
    "dealers:list",
    "dealers:detail",
    "imports:list",
    "imports:upload",
    "imports:detail",
    "submissions:queue",
    "schemes:list",
    "schemes:detail",
    "surveys:board",
    "surveys:results",
    "surveys:alerts",
    "surveys:alert_detail",
    "surveys:review",
    "surveys:calls",
    "surveys:templates",
    "incentives:queue",
    "training:roster",
    "training:skills",
    "tokens:mine",
    "tokens:all",
    "api-docs",
    "admin:index",
}


class InlineCode(HTMLParser):
    """Collects what the policy forbids: inline scripts and styles, handlers, javascript: links."""

    def __init__(self) -> None:
        super().__init__()
        self.found: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        names = {name.lower(): (value or "") for name, value in attrs}
        if tag == "script" and "src" not in names and names.get("type") != "application/json":
            self.found.append(f"inline <script {names}>")
        if tag == "style":
            self.found.append("<style> element")
        for name, value in names.items():
            if name == "style":
                self.found.append(f'<{tag} style="{value}">')
            if name.startswith("on"):
                self.found.append(f'<{tag} {name}="{value}">')
            if name in {"href", "src", "action", "formaction"} and value.strip().lower().startswith(
                "javascript:"
            ):
                self.found.append(f'<{tag} {name}="{value}">')


def inline_code(html: str) -> list[str]:
    parser = InlineCode()
    parser.feed(html)
    return parser.found


class Links(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.hrefs: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        if tag == "a":
            self.hrefs += [value for name, value in attrs if name == "href" and value]


def links(html: str, base: str) -> list[str]:
    parser = Links()
    parser.feed(html)
    out = []
    for href in parser.hrefs:
        target = urlsplit(urljoin(base, href))
        if target.scheme in {"", "http"} and target.netloc in {"", "testserver"}:
            out.append(target.path + (f"?{target.query}" if target.query else ""))
    return out


def view_name(path: str) -> str | None:
    try:
        return resolve(urlsplit(path).path).view_name
    except Resolver404:
        return None


def kind_of_page(name: str) -> str:
    """The view, except in the Django admin, where a change list of any model is one kind of page."""
    return "admin:" + name.rsplit("_", 1)[-1] if name.startswith("admin:") else name


def walk(client: Client, start: str = "/") -> dict[str, list[str]]:
    """Open pages from `start` by following links; the forbidden code found, by page.

    Every HTML answer must carry the policy header; non-HTML answers (exports, JSON) are
    not followed. At most PER_VIEW pages of each kind are opened, and nothing that signs out.
    """
    queue, seen, per_view = deque([start]), set(), Counter()
    found: dict[str, list[str]] = {}
    while queue:
        path = queue.popleft()
        name = view_name(path)
        if path in seen or name is None or name == "logout" or per_view[kind_of_page(name)] >= PER_VIEW:
            continue
        seen.add(path)
        per_view[kind_of_page(name)] += 1
        response = client.get(path)
        assert response.get("Content-Security-Policy") == POLICY, f"{path} has no policy header"
        if response.status_code in (301, 302):
            queue.append(response["Location"])
            continue
        if not response.get("Content-Type", "").startswith("text/html"):
            continue
        html = response.content.decode()
        found[path] = inline_code(html)
        queue.extend(links(html, path))
    return found


@pytest.fixture
def portal(cast, dealer, other_dealer, far_dealer):
    """Two scored months, a hot alert, a flagged response, incentives and an import to show."""
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    now = timezone.now()
    ro = RepairOrderFactory(
        dealer=dealer, opened_at=now - timedelta(days=1), closed_at=now - timedelta(hours=5)
    )
    hot = SurveyResponseFactory(
        dealer=dealer, repair_order=ro, overall=1, responded_at=now - timedelta(hours=30)
    )
    twin = SurveyResponseFactory(
        dealer=dealer, repair_order=ro, overall=4, responded_at=now - timedelta(hours=2)
    )
    hot_alerts_open_for([hot], now=now - timedelta(hours=30), notify=False)
    responses_flag([twin])
    ComplaintFactory(dealer=dealer, received_at=now - timedelta(hours=40))
    make_action(dealer)
    make_ledger_entry(other_dealer)
    make_rectification(dealer)
    make_appeal(dealer)
    return cast


def test_the_policy_is_the_strict_one_of_the_settings():
    assert settings.CONTENT_SECURITY_POLICY == POLICY
    assert not settings.CSP_REPORT_ONLY


def test_every_page_of_every_role_sends_the_policy_and_holds_no_inline_code(portal):
    found = {role: walk(client_for(portal[role])) for role in ROLES}

    offending = {(role, path): code for role in ROLES for path, code in found[role].items() if code}
    assert not offending
    reached = {view_name(path) for role in ROLES for path in found[role]}
    assert MUST_REACH <= reached, f"the walks did not reach {sorted(MUST_REACH - reached)}"


def test_pages_for_visitors_who_are_not_signed_in_hold_no_inline_code(db, dealer):
    closed = timezone.now() - timedelta(hours=2)
    ro = RepairOrderFactory(dealer=dealer, opened_at=closed - timedelta(hours=6), closed_at=closed)
    invitations_create_for_closed(since=closed - timedelta(seconds=1))
    token = SurveyInvitation.objects.get(repair_order=ro).token
    client = Client()

    for path in ["/accounts/login/", f"/s/{token}/", "/s/not-a-valid-token/", "/admin/login/"]:
        response = client.get(path)
        assert response["Content-Security-Policy"] == POLICY, path
        assert inline_code(response.content.decode()) == [], path


def test_the_error_pages_hold_no_inline_code(hq_manager):
    client = client_for(hq_manager)
    not_found = client.get("/assessments/dealers/NOPE/2026-10/")

    assert not_found.status_code == 404
    assert inline_code(not_found.content.decode()) == []
    from django.template.loader import render_to_string

    assert inline_code(render_to_string("500.html")) == []


@override_settings(CSP_REPORT_ONLY=True)
def test_report_only_sends_the_policy_without_enforcing_it(hq_manager):
    response = client_for(hq_manager).get("/dealers/")

    assert response["Content-Security-Policy-Report-Only"] == POLICY
    assert "Content-Security-Policy" not in response


def test_inline_code_of_every_kind_is_noticed():
    page = (
        '<script>alert(1)</script><script type="application/json">{}</script><script src="/a.js"></script>'
        '<style>p{}</style><p style="color:red" onclick="x()"><a href="javascript:x()">x</a>'
    )

    assert len(inline_code(page)) == 5
