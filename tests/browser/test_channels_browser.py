"""Browser journey of the notification channels page: a dealer user, from the user menu, adds
their dealer's WeCom group robot (the local stub) and sends it a test message. At 1366 px in
English and at 390 px in Chinese (nothing wider than the screen). Screenshots go to
screenshots/channels/."""

from __future__ import annotations

from pathlib import Path

import pytest

from dealers.choices import DeliveryStatus, RobotPlatform
from dealers.models import GroupRobot, RobotDelivery
from tests.dealers.test_robots import PlatformStub

from .test_network_browser import pytestmark, signed_in  # noqa: F401 - its marks apply here too

SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "channels"


@pytest.fixture
def stub():
    platform = PlatformStub()
    platform.thread.start()
    yield platform
    platform.server.shutdown()
    platform.server.server_close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(("width", "language"), [(1366, "en"), (390, "zh-hans")])
def test_a_dealer_user_adds_the_dealers_wecom_group_and_sends_it_a_test_message_by_clicking(
    browser, live_server, dealer_user, stub, width, language
):
    page = signed_in(browser, live_server, dealer_user.username, width, language)
    page.goto(f"{live_server.url}/workbench/")
    if width < 600:
        page.click("[data-nav-toggle]")  # the user menu is behind the menu button on a phone
    page.click('[data-testid="channels"]')
    page.click('[data-testid="add-robot"]')
    form = page.locator('[data-testid="robot-form"]')
    form.locator("select[name=platform]").select_option(RobotPlatform.WECOM)
    form.locator("input[name=name]").fill("南京01店售后群")
    form.locator("input[name=webhook_url]").fill(stub.url(RobotPlatform.WECOM, "693a91f6-7aaa-4bc4"))
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    page.click('[data-testid="save-robot"]')
    page.wait_for_selector('[data-testid="robot-table"]')
    page.click('[data-testid="test-robot"]')
    page.wait_for_selector('[data-testid="delivery-table"] .badge-good')
    assert "693a…" in page.content() and "693a91f6" not in page.content()
    assert page.evaluate("document.documentElement.scrollWidth") <= width
    SHOTS.mkdir(parents=True, exist_ok=True)
    page.screenshot(path=str(SHOTS / f"channels-{width}.png"), full_page=True)

    assert GroupRobot.objects.get().dealer_id == dealer_user.dealer_id
    assert RobotDelivery.objects.get().status == DeliveryStatus.SENT
    assert len(stub.received) == 1
