"""Browser journey of findings (issue 19's "done when", on constructed data):

HQ (1366 px, English) finds the new findings on the workbench, opens the dealer's first-time
fix outlier and hands it to the region's manager with a due date; the manager (390 px,
Chinese) finds it on the workbench and closes it with a 复盘 that tells two other dealers; one
of those dealers' users (390 px) reads the lesson from the findings menu, without the first
dealer's name; HQ's daily review shows the closure with its lesson. Screenshots go to
screenshots/insights/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from insights.choices import FindingKind, FindingStatus
from insights.drafts import Draft
from insights.models import Finding
from insights.services import findings_store
from tests.assessments.conftest import seed_scored_months
from tests.factories import DealerFactory, UserFactory

from .test_network_browser import pytestmark, signed_in  # noqa: F401 - its marks apply here too

SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "insights"


def _menu(page, width: int, href: str) -> None:
    if width < 600:
        page.click("[data-nav-toggle]")
    page.locator(f'#site-nav a[href="{href}"]').click()


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hq_assigns_a_finding_the_manager_closes_it_with_a_review_and_two_dealers_learn(
    browser,
    live_server,
    cast,
    dealer,
    other_dealer,
    far_dealer,
    regional_manager,
    hq_manager,
    other_dealer_user,
):
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    third = DealerFactory(code="GL0009", name="苏州测试店", region=dealer.region, city_tier=dealer.city_tier)
    third_user = UserFactory(username="gl0009", role="dealer_user", dealer=third)
    findings_store(
        month="2026-10",
        kind=FindingKind.PEER_OUTLIER,
        drafts=[
            Draft(
                kind=FindingKind.PEER_OUTLIER,
                subject="first_time_fix_rate",
                dealer_id=dealer.pk,
                month="2026-10",
                severity=4.6,
                figures={
                    "value": 62.0,
                    "n": 140,
                    "shrunk": 64.1,
                    "peer_median": 88.0,
                    "sd": 5.2,
                    "z": -4.6,
                    "threshold": 4.0,
                    "peers": 24,
                    "peer_key": "2-M",
                },
                evidence={"months": ["2026-10"]},
            )
        ],
    )
    finding = Finding.objects.get()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. HQ at a desk: the workbench's new findings → the list → the finding → hand it over.
    desk = signed_in(browser, live_server, hq_manager.username, 1366, "en")
    desk.goto(f"{live_server.url}/workbench/")
    desk.click('[data-testid="todo-findings_new"] [data-testid="todo-action"]')
    desk.click(f'tr[data-finding="{finding.pk}"] [data-testid="open-finding"]')
    assert "first" in desk.inner_text('[data-testid="explanation"]').lower()
    desk.select_option("#id_owner", str(regional_manager.pk))
    desk.fill("#id_due_date", (timezone.localdate() + timedelta(days=7)).isoformat())
    desk.click('[data-testid="open-finding-submit"]')
    desk.wait_for_selector('[data-testid="owner-card"]')
    desk.screenshot(path=str(SHOTS / "assigned-1366.png"), full_page=True)

    # 2. The regional manager on a phone: workbench → the finding → close it with a 复盘.
    phone = signed_in(browser, live_server, regional_manager.username, 390, "zh-hans")
    phone.goto(f"{live_server.url}/workbench/")
    phone.click('[data-testid="todo-finding_to_close"] [data-testid="todo-action"]')
    phone.fill("#id_root_cause", "新技师占比高，疑难故障未经复核即交车")
    phone.fill("#id_countermeasure", "交车前由技术经理签字复核，每周复盘返修案例")
    phone.fill("#id_lesson", "新技师多的门店检查交车前复核是否执行")
    phone.check(f'input[name="suggested"][value="{other_dealer.pk}"]')
    phone.fill("#id_codes", third.code)
    _fits(phone, 390)
    phone.screenshot(path=str(SHOTS / "review-form-390.png"), full_page=True)
    phone.click('[data-testid="close-finding"]')
    phone.wait_for_selector('[data-testid="review"]')
    told = phone.inner_text('[data-testid="told"]')
    assert other_dealer.code in told and third.code in told
    finding.refresh_from_db()
    assert finding.status == FindingStatus.CLOSED
    _fits(phone, 390)
    phone.screenshot(path=str(SHOTS / "closed-390.png"), full_page=True)

    # 3. A dealer told of it reads the lesson from the menu, without the first dealer's name.
    for user in (other_dealer_user, third_user):
        reader = signed_in(browser, live_server, user.username, 390, "zh-hans")
        _menu(reader, 390, "/insights/")
        reader.click('[data-testid="lessons"]')
        reader.click('[data-testid="lesson-list"] a')
        text = reader.inner_text('[data-testid="lesson"]')
        assert (
            "交车前复核" in text
            and dealer.name not in reader.content()
            and dealer.code not in reader.content()
        )
        _fits(reader, 390)
    reader.screenshot(path=str(SHOTS / "lesson-390.png"), full_page=True)

    # 4. HQ's daily review of today lists the closure with its lesson.
    desk.goto(f"{live_server.url}/insights/")
    desk.click('[data-testid="daily-review"]')
    desk.fill("#f-day", timezone.localdate().isoformat())
    desk.click('[data-testid="daily-filters"] button[type="submit"]')
    assert "交车前复核" in desk.inner_text('[data-testid="daily-closed"]')
    desk.screenshot(path=str(SHOTS / "daily-1366.png"), full_page=True)
