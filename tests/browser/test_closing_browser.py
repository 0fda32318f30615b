"""Browser tests of closing a month (issue 15, Must 6) and of the 日清 board at phone width
(Must 8). Debian's Chromium through Playwright; screenshots go to screenshots/closing/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from assessments.choices import PeriodStatus
from assessments.models import MonthlySubmission, Period
from surveys.services import hot_alerts_open_for

from ..assessments.conftest import seed_scored_months
from ..conftest import PASSWORD
from ..factories import ComplaintFactory, SurveyResponseFactory

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "closing"
PHONE = {"width": 390, "height": 844}
DESKTOP = {"width": 1366, "height": 900}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def signed_in(browser, live_server, username: str, viewport: dict[str, int], language: str = "zh-hans"):
    """A page signed in as `username`, at `viewport`, with the portal in `language`."""
    phone = viewport["width"] < 600
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="zh-CN")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    return page


def shoot(page, name: str) -> None:
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / name), full_page=True)


def within_width(locator, width: int) -> bool:
    box = locator.bounding_box()
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hq_closes_october_from_the_home_page_after_reading_its_checklist(
    browser, live_server, cast, dealer, other_dealer, far_dealer
):
    # Given two scored months, and one October report never submitted
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    MonthlySubmission.objects.filter(dealer=dealer, period="2026-10").delete()
    page = signed_in(browser, live_server, "hq_manager", DESKTOP)

    # When HQ goes home (the workbench) → the month to close
    page.goto(f"{live_server.url}/")
    page.wait_for_url("**/workbench/")
    with page.expect_navigation():
        page.locator("[data-testid=todo-period_close]", has_text="2026-10").get_by_test_id(
            "todo-action"
        ).click()

    # Then the checklist shows the missing report, with a link to that month's reports
    assert page.get_by_test_id("check-reports").get_attribute("data-ok") == "no"
    assert page.get_by_test_id("reports-not-approved").inner_text().startswith("3 份月报中有 1 份")
    assert "period=2026-10" in page.get_by_test_id("reports-link").get_attribute("href")
    assert page.get_by_test_id("check-appeals").get_attribute("data-ok") == "no"  # the window is open
    shoot(page, "close_1366_zh-hans.png")

    # And closing without the tick closes nothing; with it, the month closes
    page.get_by_test_id("close-button").click()
    assert Period.objects.get(code="2026-10").status == PeriodStatus.OPEN
    page.get_by_label("我已阅读检查清单，确认关闭本月。").check()
    with page.expect_navigation():
        page.get_by_test_id("close-button").click()
    assert page.get_by_test_id("period-closed").is_visible()
    assert Period.objects.get(code="2026-10").status == PeriodStatus.CLOSED
    shoot(page, "closed_1366_zh-hans.png")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_the_confirmation_and_the_close_button_are_in_reach(
    browser, live_server, cast, dealer, other_dealer, far_dealer
):
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    page = signed_in(browser, live_server, "hq_manager", PHONE)

    page.goto(f"{live_server.url}/assessments/periods/2026-10/close/")
    confirm = page.locator("#id_confirm")
    button = page.get_by_test_id("close-button")
    shoot(page, "close_390_zh-hans.png")

    assert within_width(confirm, PHONE["width"]) and within_width(button, PHONE["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    confirm.tap()
    with page.expect_navigation():
        button.tap()
    assert Period.objects.get(code="2026-10").status == PeriodStatus.CLOSED


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_daily_clearing_board_on_a_phone_shows_hours_open_and_the_handle_button(
    browser, live_server, dealer, other_dealer, far_dealer, dealer_user, hq_manager
):
    now = timezone.now()
    for index, (d, hours) in enumerate([(dealer, 30), (other_dealer, 75)]):
        ComplaintFactory(
            complaint_id=f"CP-{index + 1:04d}",
            dealer=d,
            received_at=now - timedelta(hours=hours),
            description="客户反映维修后异响仍在，要求总部介入协调处理并回电说明",
        )
    ComplaintFactory(complaint_id="CP-DUE", dealer=dealer, received_at=now - timedelta(hours=5))
    response = SurveyResponseFactory(
        dealer=far_dealer, overall=1, nps=2, responded_at=now - timedelta(hours=50)
    )
    (case,) = hot_alerts_open_for([response], now=now - timedelta(hours=50), notify=False)

    for name, viewport in (("1366", DESKTOP), ("390", PHONE)):
        page = signed_in(browser, live_server, "hq_manager", viewport)
        page.goto(f"{live_server.url}/surveys/board/")
        shoot(page, f"board_{name}_zh-hans.png")

    # At 390 px every item's hours open and the hot alert's Handle button are on the screen.
    for ref in ("CP-0001", "CP-0002", f"HA-{case.pk}"):
        hours = page.get_by_test_id(f"board-hours-{ref}")
        assert hours.is_visible() and within_width(hours, PHONE["width"]), ref
    handle = page.get_by_test_id(f"board-open-HA-{case.pk}")
    assert handle.is_visible() and within_width(handle, PHONE["width"])
    assert within_width(page.get_by_test_id("due-item-CP-DUE").locator(".board-hours"), PHONE["width"])
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
    with page.expect_navigation():
        handle.tap()
    assert f"/surveys/alerts/{case.pk}/" in page.url
