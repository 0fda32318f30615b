"""Browser journeys of the workbench: a dealer on a phone and an HQ manager at a laptop, by clicking."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from tests.conftest import PASSWORD

from .helpers import hot_alert, proposal, rectification

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
SHOTS = os.environ.get("WORKBENCH_SCREENSHOTS", "")  # a folder: save screenshots there
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser() -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield browser
        browser.close()


def open_page(browser, viewport):  # noqa: ANN001, ANN201
    context = browser.new_context(viewport=viewport, locale="zh-CN")
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def sign_in(page, live_server, username: str) -> None:
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def no_horizontal_scroll(page) -> bool:
    return page.evaluate("document.documentElement.scrollWidth <= window.innerWidth")


def within_reach(box, width: int = PHONE["width"]) -> bool:
    return box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390", "1366"])
def test_a_dealer_lands_on_the_workbench_and_opens_a_hot_alert_past_24_hours(
    browser, live_server, dealer, dealer_user, other_dealer, viewport
):
    order = rectification(dealer, deadline=timezone.localdate() + timedelta(days=3))
    case = hot_alert(dealer, hours=30)
    theirs = rectification(other_dealer)
    page = open_page(browser, viewport)
    sign_in(page, live_server, "dealer_user")
    assert page.url == f"{live_server.url}/workbench/"
    shot(page, f"dealer-{viewport['width']}")
    assert no_horizontal_scroll(page)
    rect_row = page.locator("[data-testid=todo-rectification_open]")
    assert (timezone.localdate() + timedelta(days=3)).isoformat() in rect_row.inner_text()
    assert page.locator(f"a[href='/incentives/rectifications/{theirs.pk}/']").count() == 0
    alert_row = page.locator("[data-testid=todo-hot_alert_overnight]")
    button = alert_row.locator("[data-testid=todo-action]")
    assert within_reach(button.bounding_box(), viewport["width"])
    assert within_reach(rect_row.locator("[data-testid=todo-action]").bounding_box(), viewport["width"])
    with page.expect_navigation():
        button.click()
    assert page.url == f"{live_server.url}/surveys/alerts/{case.pk}/"
    assert page.locator("[data-testid=owner-box]").count() == 1
    page.goto(f"{live_server.url}/workbench/")
    with page.expect_navigation():
        rect_row.locator("[data-testid=todo-action]").click()
    assert page.url == f"{live_server.url}/incentives/rectifications/{order.pk}/"
    page.context.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("viewport", [LAPTOP, PHONE], ids=["1366", "390"])
def test_an_hq_manager_goes_from_the_workbench_to_the_proposals_of_a_month(
    browser, live_server, dealer, other_dealer, hq_manager, viewport
):
    for _ in range(3):
        proposal(dealer, period="2026-10")
    proposal(other_dealer, period="2026-09")
    page = open_page(browser, viewport)
    sign_in(page, live_server, "hq_manager")
    assert page.url == f"{live_server.url}/workbench/"
    shot(page, f"hq-{viewport['width']}")
    assert no_horizontal_scroll(page)
    row = page.locator("[data-testid=todo-proposals]", has_text="2026-10")
    assert row.locator("[data-testid=todo-count]").inner_text() == "3"
    with page.expect_navigation():
        row.locator("[data-testid=todo-action]").click()
    assert page.url == f"{live_server.url}/incentives/?period=2026-10&status=proposed"
    # The badges on any other page come from the counts request.
    page.wait_for_selector("[data-counts-ready=true]", state="attached")
    assert page.locator("[data-testid=nav-badge]").inner_text() == "4"
    page.context.close()
