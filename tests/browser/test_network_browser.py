"""Browser test of the network page: HQ opens it from the workbench's menu, reads the complaint
rate's 24 months with its charts, drills to the dealers behind the figure; at 1366 px and at
390 px (nothing wider than the screen). Debian's Chromium through Playwright. Screenshots go to
screenshots/network/."""

from __future__ import annotations

import os
import shutil
from pathlib import Path

import pytest

from tests.assessments.test_network_page import store_figures

from ..conftest import PASSWORD
from .conftest import CHROMIUM

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "network"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


def signed_in(browser, live_server, username: str, width: int, language: str):
    context = browser.new_context(viewport={"width": width, "height": 900}, locale="zh-CN")
    context.add_cookies([{"name": "django_language", "value": language, "url": live_server.url}])
    page = context.new_page()
    page.set_default_timeout(15000)
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    return page


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "language"), [(1366, "en"), (390, "zh-hans")])
def test_hq_reads_the_network_complaint_rate_and_drills_to_its_dealers(
    browser, live_server, hq_manager, dealer, far_dealer, width, language
):
    store_figures(24, [dealer, far_dealer])
    page = signed_in(browser, live_server, hq_manager.username, width, language)
    page.goto(f"{live_server.url}/workbench/")
    if width < 600:
        page.click("[data-nav-toggle]")  # the menu is behind its button on a phone
    page.locator('#site-nav a[href="/assessments/network/"]').click()
    page.wait_for_selector('[data-testid="network-kpis"]')
    page.locator('tr[data-kpi="complaint_rate"] td.col-name a').click()
    page.wait_for_selector('[data-testid="network-trend"] [data-testid="best-month"]')
    page.wait_for_selector('#trend [data-chart-ready="true"]')
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"network-{width}.png"), full_page=True)
    page.locator('tr[data-kpi="complaint_rate"] [data-testid="drill-link"]').click()
    page.wait_for_selector('[data-testid="drill-rows"] tr[data-dealer]')
    assert page.locator("tr[data-dealer]").count() == 2
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.screenshot(path=str(SHOTS / f"drill-{width}.png"), full_page=True)
