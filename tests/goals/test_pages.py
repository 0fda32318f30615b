"""Goal pages: reached from the workbench, read in scope, written by HQ admins only, exported,
in Chinese and English, and laid out for a phone."""

from __future__ import annotations

import io

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from goals.choices import GroupKind
from goals.models import Goal
from tests.conftest import client_for

from .test_services import SEES

pytestmark = pytest.mark.django_db

ROLES = list(SEES)


@pytest.mark.parametrize("role", ROLES)
def test_every_role_reaches_the_goals_from_its_workbench(role, cast):
    home = client_for(cast[role]).get(reverse("home"), follow=True)

    assert reverse("goals:list") in home.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_the_list_shows_exactly_the_goals_in_scope(role, cast, goals):
    page = client_for(cast[role]).get(reverse("goals:list"))

    assert page.status_code == 200
    shown = {name for name, goal in goals.items() if f'data-goal="{goal.pk}"' in page.content.decode()}
    assert shown == SEES[role]
    assert "phone-cards" in page.content.decode()


@pytest.mark.parametrize("role", ROLES)
def test_a_goal_outside_the_scope_is_404(role, cast, goals):
    client = client_for(cast[role])
    for name, goal in goals.items():
        for address in (
            reverse("goals:detail", args=[goal.pk]),
            reverse("goals:export", args=[goal.pk, "csv"]),
        ):
            expected = 200 if name in SEES[role] else 404
            assert client.get(address).status_code == expected, (name, address)


def test_the_goal_page_shows_months_method_and_versions(cast, goals):
    page = client_for(cast["hq_manager"]).get(reverse("goals:detail", args=[goals["network"].pk]))
    html = page.content.decode()

    assert 'data-testid="goal-months"' in html
    assert 'data-testid="projection-method"' in html
    assert 'data-testid="goal-versions"' in html
    assert 'data-chart="goal"' in html and 'id="chart-goal"' in html
    assert "<script>" not in html  # the chart's data is JSON; the bundle draws it
    assert 'data-month="2026-01"' in html


@pytest.mark.parametrize("role", ["hq_manager", "regional_manager", "dealer_user"])
def test_only_hq_admins_create_and_edit(role, cast, goals):
    client = client_for(cast[role])

    assert client.get(reverse("goals:new")).status_code == 403
    assert client.get(reverse("goals:edit", args=[goals["network"].pk])).status_code == 403
    assert client.post(reverse("goals:new"), {}).status_code == 403


def _form(owner, **changes):
    return {
        "kpi_code": "complaint_rate",
        "group_kind": GroupKind.NETWORK,
        "month_from": "2026-01",
        "month_to": "2026-06",
        "kind": "level",
        "comparator": "",
        "target": "2.0",
        "owner": owner.pk,
        "note": "",
        **changes,
    }


def test_an_hq_admin_creates_a_goal_then_edits_it_into_version_two(cast):
    client = client_for(cast["hq_admin"])

    created = client.post(reverse("goals:new"), _form(cast["hq_manager"]))
    goal = Goal.objects.get()
    assert created.url == reverse("goals:detail", args=[goal.pk])
    edited = client.post(reverse("goals:edit", args=[goal.pk]), _form(cast["hq_manager"], target="1.8"))

    assert edited.status_code == 302
    goal.refresh_from_db()
    assert (goal.version, goal.target) == (2, 1.8)
    page = client.get(reverse("goals:detail", args=[goal.pk])).content.decode()
    assert "hq_admin" in page and "1.8" in page


def test_the_form_says_what_does_not_hold_together(cast):
    page = client_for(cast["hq_admin"]).post(reverse("goals:new"), _form(cast["dealer_user"]))

    assert page.status_code == 200
    assert not Goal.objects.exists()


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_list_and_a_goal_export(fmt, cast, goals):
    client = client_for(cast["dealer_user"])

    listed = client.get(reverse("goals:list_export", args=[fmt]))
    one = client.get(reverse("goals:export", args=[goals["GL0001"].pk, fmt]))

    assert listed.status_code == one.status_code == 200
    if fmt == "xlsx":
        rows = list(load_workbook(io.BytesIO(listed.content)).active.iter_rows(values_only=True))
        assert len(rows) == 2  # the header and the dealer's own goal
        months = list(load_workbook(io.BytesIO(one.content)).active.iter_rows(values_only=True))
        assert len(months) == 13
    else:
        assert listed.content.decode("utf-8-sig").count("\n") == 2


@pytest.mark.parametrize(("language", "word"), [("zh-hans", "目标"), ("en", "Goals")])
def test_the_pages_speak_chinese_and_english(language, word, cast, goals):
    client = client_for(cast["hq_manager"])
    client.cookies["django_language"] = language

    for address in (reverse("goals:list"), reverse("goals:detail", args=[goals["network"].pk])):
        assert word in client.get(address, headers={"accept-language": language}).content.decode()
