"""Browser tests of customer voice: a customer answers a survey on a phone-sized screen; the
daily clearing board and the hot-alert list in Chinese and English. Debian's Chromium through
Playwright (never `playwright install`). Screenshots go to screenshots/."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from surveys.models import HotAlertCase, SurveyInvitation, SurveyResponse
from surveys.services import hot_alerts_open_for, invitations_create_for_closed

from ..conftest import PASSWORD
from ..factories import ComplaintFactory, RepairOrderFactory, SurveyResponseFactory

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


def phone(browser, language: str = "zh-CN"):
    context = browser.new_context(
        viewport={"width": 390, "height": 844},
        device_scale_factor=2,
        is_mobile=True,
        has_touch=True,
        locale=language,
    )
    page = context.new_page()
    page.set_default_timeout(15000)
    return page


def desktop(browser, live_server, username: str, language: str):
    context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
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


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_customer_answers_the_survey_on_a_phone_and_a_low_score_opens_a_hot_alert(
    browser, live_server, dealer, dealer_user
):
    now = timezone.now()
    ro = RepairOrderFactory(
        dealer=dealer, opened_at=now - timedelta(hours=8), closed_at=now - timedelta(hours=2)
    )
    invitations_create_for_closed(since=ro.closed_at - timedelta(minutes=1))
    token = SurveyInvitation.objects.get(repair_order=ro).token
    page = phone(browser)

    page.goto(f"{live_server.url}/s/{token}/")
    assert page.locator("h1").first.inner_text() == "售后服务满意度调查"
    # Thumb-sized targets: every score button is at least 48 px tall and the page does not scroll sideways.
    box = page.locator("[data-question=overall] .choice span").first.bounding_box()
    assert box["height"] >= 48 and box["width"] >= 48
    assert page.evaluate("document.documentElement.scrollWidth") <= 390
    shoot(page, "survey_phone_form_zh.png")

    for field, value in [
        ("reception", 3),
        ("diagnosis", 2),
        ("repair_quality", 2),
        ("attitude", 4),
        ("timeliness", 1),
    ]:
        page.locator(f"[data-question={field}] label.choice").nth(value - 1).tap()
    page.locator("[data-question=overall] label.choice").nth(1).tap()  # 2
    page.locator("[data-question=nps] label.choice").nth(3).tap()  # 3
    page.fill("textarea[name=comment]", "等了三个小时，问题还没修好。")
    shoot(page, "survey_phone_filled_zh.png")
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()

    assert page.get_by_test_id("thanks").is_visible()
    shoot(page, "survey_phone_thanks_zh.png")
    saved = SurveyResponse.objects.get()
    assert (saved.overall, saved.nps, saved.timeliness, saved.source) == (2, 3, 1, "portal")
    assert HotAlertCase.objects.get(response=saved).dealer == dealer

    page.goto(f"{live_server.url}/s/{token}/")
    assert page.get_by_test_id("already-answered").is_visible()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_the_survey_shows_its_errors_on_a_phone_in_english(browser, live_server, dealer):
    now = timezone.now()
    ro = RepairOrderFactory(
        dealer=dealer, opened_at=now - timedelta(hours=8), closed_at=now - timedelta(hours=2)
    )
    invitations_create_for_closed(since=ro.closed_at - timedelta(minutes=1))
    token = SurveyInvitation.objects.get(repair_order=ro).token
    page = phone(browser, "en-US")
    page.context.add_cookies([{"name": "django_language", "value": "en", "url": live_server.url}])

    page.goto(f"{live_server.url}/s/{token}/")
    with page.expect_navigation():
        page.get_by_test_id("submit").tap()

    assert page.get_by_test_id("error-overall").inner_text() == "Please answer this question."
    shoot(page, "survey_phone_errors_en.png")
    assert not SurveyResponse.objects.exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize("language", ["zh-hans", "en"])
def test_the_board_and_the_hot_alert_list_in_both_languages(
    browser,
    live_server,
    dealer,
    other_dealer,
    far_dealer,
    dealer_user,
    other_dealer_user,
    hq_manager,
    language,
):
    now = timezone.now()
    for index, (d, hours, category) in enumerate(
        [
            (dealer, 30, "quality"),
            (dealer, 75, "attitude"),
            (other_dealer, 50, "timeliness"),
            (far_dealer, 26, "price"),
        ]
    ):
        ComplaintFactory(
            complaint_id=f"CP-{index + 1:04d}",
            dealer=d,
            received_at=now - timedelta(hours=hours),
            category=category,
            description="客户反映维修后异响仍在" if index == 0 else "",
        )
    for d, hours, overall, nps in [(dealer, 40, 1, 2), (far_dealer, 90, 2, 5), (other_dealer, 5, 3, 4)]:
        response = SurveyResponseFactory(
            dealer=d, overall=overall, nps=nps, responded_at=now - timedelta(hours=hours)
        )
        hot_alerts_open_for([response], now=now - timedelta(hours=hours), notify=False)
    # Last week's overnight history for the trend: a complaint open four days, closed yesterday.
    ComplaintFactory(dealer=dealer, received_at=now - timedelta(days=6), closed_at=now - timedelta(days=1))

    page = desktop(browser, live_server, "hq_manager", language)
    page.goto(f"{live_server.url}/surveys/board/")
    page.wait_for_selector("#overnight-trend[data-chart-ready=true]")
    assert page.get_by_test_id("board-table").locator("tbody tr[data-testid^=board-item]").count() == 6
    shoot(page, f"board_{language}.png")

    page.goto(f"{live_server.url}/surveys/alerts/")
    assert page.get_by_test_id("alerts-table").locator("tbody tr").count() == 3
    shoot(page, f"hot_alerts_{language}.png")
