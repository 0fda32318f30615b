"""Every customer-voice page, for every role: who may open it, and that no one sees past their scope.

Rows belong to dealer GL0001 (华东). Out of scope answers 404 (existence is not revealed);
a role that may not act answers 403; a visitor who is not signed in goes to the sign-in page.
A page added to surveys/urls.py without a row here fails `test_every_page_is_in_the_table`.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import get_resolver, reverse
from django.utils import timezone

from surveys.models import HotAlertCase, ResponseFlag
from surveys.services import hot_alerts_open_for, responses_flag, template_current
from tests.conftest import client_for
from tests.factories import ComplaintFactory, RepairOrderFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

ROLES = (
    "dealer_user",
    "other_dealer_user",
    "regional_manager",
    "other_regional_manager",
    "hq_manager",
    "hq_admin",
)
SCOPED = {  # status by role for a row of GL0001 that any role may see in scope
    "dealer_user": 200,
    "other_dealer_user": 404,
    "regional_manager": 200,
    "other_regional_manager": 404,
    "hq_manager": 200,
    "hq_admin": 200,
}
ANY_ROLE = dict.fromkeys(ROLES, 200)
HQ_ONLY = {**dict.fromkeys(ROLES, 403), "hq_manager": 200, "hq_admin": 200}
REDIRECT_AFTER_POST = {role: (302 if code == 200 else code) for role, code in SCOPED.items()}
HQ_POST = {role: (302 if code == 200 else code) for role, code in HQ_ONLY.items()}


@dataclass
class World:
    case: HotAlertCase
    flag: ResponseFlag
    ro_id: int
    template_id: int


@pytest.fixture
def world(cast, dealer, other_dealer, far_dealer) -> World:
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
    case = hot_alerts_open_for([hot], now=now - timedelta(hours=30), notify=False)[0]
    responses_flag([twin])
    ComplaintFactory(complaint_id="SECRET-GL0001", dealer=dealer, received_at=now - timedelta(hours=40))
    return World(case, ResponseFlag.objects.get(response=twin), ro.pk, template_current().pk)


# (url name, args from the world, method, data, expected status by role)
PAGES = [
    ("surveys:index", lambda w: [], "get", None, {role: 302 for role in ROLES}),
    ("surveys:board", lambda w: [], "get", None, ANY_ROLE),
    ("surveys:board_export", lambda w: ["csv"], "get", None, ANY_ROLE),
    ("surveys:results", lambda w: [], "get", None, ANY_ROLE),
    ("surveys:results_export", lambda w: ["xlsx"], "get", None, ANY_ROLE),
    ("surveys:factors_export", lambda w: ["csv"], "get", None, ANY_ROLE),
    ("surveys:dealer_results", lambda w: ["GL0001"], "get", None, SCOPED),
    ("surveys:dealer_results_export", lambda w: ["GL0001", "xlsx"], "get", None, SCOPED),
    ("surveys:alerts", lambda w: [], "get", None, ANY_ROLE),
    ("surveys:alerts_export", lambda w: ["csv"], "get", None, ANY_ROLE),
    ("surveys:alert_detail", lambda w: [w.case.pk], "get", None, SCOPED),
    (
        "surveys:alert_contact",
        lambda w: [w.case.pk],
        "post",
        {"contacted_at": "2026-01-01T10:00", "note": "n"},
        REDIRECT_AFTER_POST,
    ),
    ("surveys:alert_close", lambda w: [w.case.pk], "post", {"resolution": "r"}, REDIRECT_AFTER_POST),
    ("surveys:invitations", lambda w: [], "get", None, HQ_ONLY),
    ("surveys:invitations_export", lambda w: ["csv"], "get", None, HQ_ONLY),
    # An empty paste: HQ is told what is missing (400), nothing is sent; others are refused.
    (
        "surveys:invitations_text",
        lambda w: [],
        "post",
        {"lines": ""},
        {**HQ_ONLY, "hq_manager": 400, "hq_admin": 400},
    ),
    ("surveys:review", lambda w: [], "get", None, HQ_ONLY),
    ("surveys:review_export", lambda w: ["csv"], "get", None, HQ_ONLY),
    ("surveys:response_exclude", lambda w: [w.flag.response_id], "post", {"reason": "x"}, HQ_POST),
    ("surveys:flag_keep", lambda w: [w.flag.pk], "post", {}, HQ_POST),
    ("surveys:calls", lambda w: [], "get", None, HQ_ONLY),
    ("surveys:calls_export", lambda w: ["csv"], "get", None, HQ_ONLY),
    ("surveys:candidates_export", lambda w: ["csv"], "get", None, HQ_ONLY),
    ("surveys:call_record", lambda w: [w.ro_id], "get", None, HQ_ONLY),
    ("surveys:templates", lambda w: [], "get", None, HQ_ONLY),
    ("surveys:template_detail", lambda w: [w.template_id], "get", None, HQ_ONLY),
]


def test_every_page_is_in_the_table():
    resolver = get_resolver().url_patterns
    names = set()
    for pattern in resolver:
        if getattr(pattern, "namespace", None) == "surveys":
            names |= {f"surveys:{p.name}" for p in pattern.url_patterns}
    assert names == {name for name, *_ in PAGES}


@pytest.mark.parametrize("role", ROLES)
@pytest.mark.parametrize(("name", "args", "method", "data", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_each_role_gets_the_expected_answer_on_each_page(
    cast, world, role, name, args, method, data, expected
):
    client = client_for(cast[role])
    url = reverse(name, args=args(world))

    response = getattr(client, method)(url, data or {})

    assert response.status_code == expected[role]


@pytest.mark.parametrize(("name", "args", "method", "data", "expected"), PAGES, ids=[p[0] for p in PAGES])
def test_a_visitor_who_is_not_signed_in_is_sent_to_sign_in(world, name, args, method, data, expected):
    response = getattr(Client(), method)(reverse(name, args=args(world)), data or {})

    assert response.status_code == 302 and response["Location"].startswith(reverse("login"))


@pytest.mark.parametrize(
    "name",
    ["surveys:board", "surveys:alerts", "surveys:results", "surveys:board_export", "surveys:alerts_export"],
)
@pytest.mark.parametrize("role", ["other_dealer_user", "other_regional_manager"])
def test_lists_and_exports_show_nothing_of_another_dealer_or_region(cast, world, name, role):
    args = ["csv"] if name.endswith("export") else []

    content = client_for(cast[role]).get(reverse(name, args=args), {"state": "open", "period": ""}).content

    assert b"GL0001" not in content and b"SECRET-GL0001" not in content
    assert f"HA-{world.case.pk}".encode() not in content


def test_the_dealer_sees_its_own_items_on_the_lists(cast, world):
    client = client_for(cast["dealer_user"])

    assert b"SECRET-GL0001" in client.get(reverse("surveys:board")).content
    assert f"HA-{world.case.pk}".encode() in client.get(reverse("surveys:alerts")).content
