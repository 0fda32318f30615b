"""Browser test of the survey results page's factor section ("what drives overall satisfaction"):
one card per factor at 390 px, a table at 1366 px, in Chinese and English, with its bar chart.
Debian's Chromium through Playwright (never `playwright install`). Screenshots go to screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from ..conftest import PASSWORD
from ..factories import SurveyResponseFactory

os.environ["DJANGO_ALLOW_ASYNC_UNSAFE"] = "true"
CHROMIUM = "/usr/bin/chromium"
SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "surveys"
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


def signed_in(browser, live_server, username: str, language: str, width: int):
    phone = width < 600
    context = browser.new_context(
        viewport={"width": width, "height": 844 if phone else 900},
        is_mobile=phone,
        has_touch=phone,
        locale="zh-CN",
    )
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
@pytest.mark.parametrize("language", ["zh-hans", "en"])
@pytest.mark.parametrize("width", [390, 1366])
def test_the_factor_section_reads_on_a_phone_and_a_desktop_in_both_languages(
    browser, live_server, dealer, other_dealer, hq_manager, language, width
):
    for n in range(40):
        SurveyResponseFactory(
            dealer=dealer if n % 2 else other_dealer,
            overall=1 + n % 5,
            reception=1 + n % 5,
            attitude=1 + (n // 2) % 5,
            timeliness=5 - (n % 5) // 2,
            diagnosis=1 + n % 5 if n < 10 else None,
        )
    page = signed_in(browser, live_server, "hq_manager", language, width)

    page.goto(f"{live_server.url}/surveys/results/?period=2026-10")

    section = page.get_by_test_id("factor-drivers")
    heading = "各因素对总体满意度的影响" if language == "zh-hans" else "What drives overall satisfaction"
    assert section.locator("h2").inner_text() == heading
    assert page.locator("[data-testid=factor-table] tbody tr").count() == 5
    assert page.get_by_test_id("factor-diagnosis").get_by_test_id("too-few").is_visible()
    page.wait_for_selector("[data-source=chart-factors][data-chart-ready=true]")
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    if width < 600:  # one card per factor: no table header, each figure labelled
        assert not page.locator("[data-testid=factor-table] thead").is_visible()
        box = page.get_by_test_id("factor-reception").bounding_box()
        assert box["width"] <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    section.screenshot(path=str(SHOTS / f"results_factors_{width}_{language}.png"))
