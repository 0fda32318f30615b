"""Browser journeys of goals: an HQ admin sets a "−50 % against last year" goal by clicking from
the workbench's menu; the goal's owner finds it at risk on the workbench and opens its
projection. At 1366 px in English and at 390 px in Chinese (nothing wider than the screen).
Debian's Chromium through Playwright. Screenshots go to screenshots/goals/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assessments.periods import Month
from goals.choices import GoalKind, GroupKind, MonthStatus
from goals.models import Goal
from tests.factories import RepairOrderFactory
from tests.goals.conftest import make_goal

from .test_network_browser import pytestmark, signed_in  # noqa: F401 - its marks apply here too

SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "goals"


def _open_menu_entry(page, width: int, href: str) -> None:
    if width < 600:
        page.click("[data-nav-toggle]")  # the menu is behind its button on a phone
    page.locator(f'#site-nav a[href="{href}"]').click()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "language"), [(1366, "en"), (390, "zh-hans")])
def test_an_hq_admin_sets_a_goal_of_minus_half_against_last_year_by_clicking(
    browser, live_server, hq_admin, hq_manager, width, language
):
    page = signed_in(browser, live_server, hq_admin.username, width, language)
    page.goto(f"{live_server.url}/workbench/")
    _open_menu_entry(page, width, "/goals/")
    page.click('[data-testid="goal-new"]')
    form = page.locator('[data-testid="goal-form"]')
    form.locator("select[name=kpi_code]").select_option("complaint_rate")
    form.locator("select[name=group_kind]").select_option(GroupKind.NETWORK)
    form.locator("input[name=month_from]").fill("2026-06")
    form.locator("input[name=month_to]").fill("2026-12")
    form.locator("select[name=kind]").select_option(GoalKind.CHANGE)
    form.locator("input[name=change_pct]").fill("-50")
    form.locator("select[name=owner]").select_option(str(hq_manager.pk))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click('[data-testid="save-goal"]')
    page.wait_for_selector('[data-testid="goal-months"]')
    page.wait_for_selector('[data-testid="goal-versions"]')
    assert page.locator('[data-testid="projection-method"]').inner_text().strip()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"new-goal-{width}.png"), full_page=True)

    goal = Goal.objects.get()
    assert (goal.kpi_code, goal.kind, goal.change_pct, goal.owner_id, goal.version) == (
        "complaint_rate",
        GoalKind.CHANGE,
        -50,
        hq_manager.pk,
        1,
    )


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "language"), [(1366, "en"), (390, "zh-hans")])
def test_the_owner_finds_an_at_risk_goal_on_the_workbench_and_opens_its_projection(
    browser, live_server, hq_manager, dealer, width, language
):
    # given two repair orders so far this month against a goal of a million
    closed = timezone.now() - timedelta(minutes=5)
    for _ in range(2):
        RepairOrderFactory(dealer=dealer, opened_at=closed - timedelta(minutes=30), closed_at=closed)
    month = str(Month.of(timezone.now()))
    goal = make_goal(hq_manager, kpi_code="repair_count", month_from=month, month_to=month, target=1_000_000)
    assert goal.current_status == MonthStatus.AT_RISK

    page = signed_in(browser, live_server, hq_manager.username, width, language)
    page.goto(f"{live_server.url}/workbench/")
    action = page.locator(f'a[data-testid="todo-action"][href="/goals/{goal.pk}/"]')
    action.scroll_into_view_if_needed()
    box = action.bounding_box()
    assert box is not None and box["x"] + box["width"] <= width  # the button is on the screen
    action.click()
    page.wait_for_selector('[data-testid="goal-months"]')
    assert page.locator('[data-testid="goal-months"] .goal-at_risk').count() == 1
    assert page.locator('[data-testid="projection-method"]').inner_text().strip()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"at-risk-{width}.png"), full_page=True)
