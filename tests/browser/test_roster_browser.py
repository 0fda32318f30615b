"""The technician roster on a phone: the dealer opens it from the home page's menu, adds a
technician, and finds them on the roster. Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import date

import pytest

from training.models import Technician

from .test_workflows import CHROMIUM, sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def phone(live_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def _in_reach(page, locator) -> None:
    """The control is on screen at 390 px and can be clicked."""
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= PHONE["width"], box


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_a_dealer_opens_the_roster_from_home_and_adds_a_technician(
    phone, live_server, dealer_user, dealer
):
    page = phone

    # Home → the menu's "技师" → the roster
    sign_in(page, live_server, "dealer_user")
    page.click("[data-nav-toggle]")
    with page.expect_navigation():
        page.click("#site-nav a[href='/training/']")
    assert page.url.endswith("/training/roster/")

    # Add technician: name, role, hire date; save
    add = page.locator("[data-testid=add-technician]")
    _in_reach(page, add)
    with page.expect_navigation():
        add.click()
    page.fill("#id_name", "刘洋")
    page.select_option("#id_role", "diagnostic_technician")
    page.fill("#id_hire_date", "2024-07-01")
    save = page.locator("[data-testid=save-technician]")
    _in_reach(page, save)
    with page.expect_navigation():
        save.click()

    technician = Technician.objects.get(name="刘洋")
    assert technician.dealer == dealer and technician.hire_date == date(2024, 7, 1)
    assert "诊断技师" in page.locator("h1 + .subtitle").inner_text()

    # Back on the roster, the new technician is listed and the page does not scroll sideways
    with page.expect_navigation():
        page.locator(".page-head a.btn", has_text="返回").click()
    assert page.locator(f"[data-testid=technician-{technician.pk}]").is_visible()
    assert page.evaluate("document.documentElement.scrollWidth") <= PHONE["width"]
