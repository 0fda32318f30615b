"""Isolation of technical support: a dealer sees its own cases only; the technical expert sees
every dealer's cases and no other page, export or API route of the portal."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import URLPattern, URLResolver, get_resolver, reverse

from dealers.choices import Role
from support.services import CaseInput, case_message, case_open
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

PNG = b"\x89PNG\r\n\x1a\n" + b"\x00" * 40

# What the expert opens: the support pages, its workbench and notices, its own sign-in and
# language, its API tokens and notification channels. Everything else answers 403 (or 404/405), never data.
EXPERT_OPENS = {
    "home",
    "workbench:index",
    "workbench:counts",
    "notices:list",
    "support:index",
    "support:new",  # answers 403 below: only dealers open cases
    "support:solutions",
    "support:solutions_export",  # the knowledge base's results as a file (names no dealer)
    "support:bulletins",
    "support:export",  # the expert's queue as a file
    "support:report",  # response and resolution times per region and expert
    "support:report_export",
    "tokens:mine",
    "channels:index",  # its own channel choices (e-mail only: an expert has no group)
    "logout",
    "login",
    "password_change",
    "password_change_done",
    "set_language",
    "healthz",
    "readyz",
    "favicon",  # a redirect to the portal's icon, open to anyone
    "api-schema",
    "api-docs",
    "api:api-root",  # the API's index of links, no data
    "api:supportcase-list",  # every dealer's cases (tested below)
    "api:supportcase-detail",
}


# Values for a route's parameters, by name: the cast's dealer, a month, a first row, a format.
SAMPLE = {
    "code": "GL0001",
    "period": "2026-10",
    "month": "2026-10",
    "pk": 1,
    "fmt": "csv",
    "kpi_code": "complaint_rate",
}


def routes(patterns: list[Any], namespace: str = "", prefix: str = "") -> Iterator[tuple[str, str]]:
    """(name, path) of every named route, its parameters filled from SAMPLE where it has them."""
    for entry in patterns:
        if isinstance(entry, URLResolver):
            inner = entry.namespace if entry.namespace else namespace
            name = f"{namespace}:{inner}" if namespace and entry.namespace else inner
            yield from routes(entry.url_patterns, name or "", prefix + str(entry.pattern))
        elif isinstance(entry, URLPattern) and entry.name:
            name = f"{namespace}:{entry.name}" if namespace else entry.name
            params = list(entry.pattern.regex.groupindex)
            try:
                yield name, reverse(name, kwargs={p: SAMPLE[p] for p in params} if params else None)
            except Exception:  # noqa: BLE001 - a parameter without a sample value
                continue


@pytest.fixture
def expert(db):
    return UserFactory(username="expert", role=Role.TECH_EXPERT)


def test_the_expert_opens_no_page_or_api_route_of_the_assessment_portal(expert, cast):
    client = client_for(expert)
    opened, checked = [], 0
    for name, path in sorted(set(routes(get_resolver().url_patterns))):
        if name in EXPERT_OPENS or name.startswith("admin:") or path.startswith("/static/"):
            continue
        checked += 1
        status = client.get(path).status_code
        if status not in (401, 403, 404, 405):
            opened.append(f"{name} {path} → {status}")
    assert checked > 120  # the walk saw the portal's pages, exports and API lists
    assert opened == []


def test_the_expert_reaches_technical_support_from_home_and_nothing_else_in_the_menu(expert):
    client = client_for(expert)
    home = client.get("/", follow=True)
    assert home.status_code == 200
    links = {item["url"] for item in home.context["nav_items"]}
    assert links == {reverse("workbench:index"), reverse("support:index")}
    assert client.get(reverse("support:new")).status_code == 403


def test_a_dealer_sees_only_its_own_cases_and_files_the_expert_sees_all(
    dealer_user, other_dealer_user, expert, regional_manager, other_regional_manager
):
    mine = case_open(
        user=dealer_user,
        data=CaseInput(vin="LSVAB4BM0NN000001", symptom="异响"),
        files=[SimpleUploadedFile("a.png", PNG)],
    )
    note = case_message(case=mine, user=expert, body="内部备注：批次问题", internal=True)
    theirs = case_open(user=other_dealer_user, data=CaseInput(vin="LSVAB4BM0NN000002", symptom="抖动"))
    file = mine.attachments.get()
    pages = {
        "detail": lambda c: reverse("support:detail", args=[c.pk]),
        "updates": lambda c: reverse("support:updates", args=[c.pk]),
    }
    for user, own, other in ((dealer_user, mine, theirs), (other_dealer_user, theirs, mine)):
        client = client_for(user)
        for page in pages.values():
            assert client.get(page(own)).status_code == 200
            assert client.get(page(other)).status_code == 404
    file_url = reverse("support:file", args=[mine.pk, file.pk])
    assert client_for(other_dealer_user).get(file_url).status_code == 404
    assert client_for(other_regional_manager).get(file_url).status_code == 404
    assert client_for(regional_manager).get(file_url).status_code == 200
    download = client_for(expert).get(file_url)
    assert download.status_code == 200 and download["Content-Disposition"].startswith("attachment")
    listing = client_for(expert).get(reverse("support:index")).content.decode()
    assert mine.number in listing and theirs.number in listing
    own_list = client_for(dealer_user).get(reverse("support:index")).content.decode()
    assert mine.number in own_list and theirs.number not in own_list
    # The internal note: on the expert's page, never on the dealer's, nor in its updates.
    assert note.body in client_for(expert).get(reverse("support:detail", args=[mine.pk])).content.decode()
    assert (
        note.body
        not in client_for(dealer_user).get(reverse("support:detail", args=[mine.pk])).content.decode()
    )
    assert (
        note.body
        not in client_for(dealer_user).get(reverse("support:updates", args=[mine.pk])).content.decode()
    )


def test_another_dealers_repairs_of_the_car_show_as_dates_and_fault_codes_only(dealer_user, other_dealer):
    from tests.factories import RepairOrderFactory

    RepairOrderFactory(
        dealer=other_dealer, vin="LSVAB4BM0NN000001", ro_number="SECRET-RO-77", fault_code="P0301"
    )
    case = case_open(user=dealer_user, data=CaseInput(vin="LSVAB4BM0NN000001", symptom="抖动"))
    page = client_for(dealer_user).get(reverse("support:detail", args=[case.pk])).content.decode()
    assert "P0301" in page
    assert "SECRET-RO-77" not in page and other_dealer.name not in page


def test_the_expert_reads_every_dealers_cases_through_the_api_and_a_dealer_its_own(
    expert, dealer_user, other_dealer_user
):
    mine = case_open(user=dealer_user, data=CaseInput(vin="LSVAB4BM0NN000001", symptom="异响"))
    theirs = case_open(user=other_dealer_user, data=CaseInput(vin="LSVAB4BM0NN000002", symptom="抖动"))
    listed = client_for(expert).get("/api/v1/support-cases/").json()
    assert {row["number"] for row in listed["results"]} == {mine.number, theirs.number}
    own = client_for(dealer_user).get("/api/v1/support-cases/").json()
    assert [row["number"] for row in own["results"]] == [mine.number]
    assert client_for(dealer_user).get(f"/api/v1/support-cases/{theirs.pk}/").status_code == 404
    assert client_for(expert).get("/api/v1/scorecards/").status_code == 403
