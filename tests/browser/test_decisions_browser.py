"""Browser journeys of decisions at scale: an HQ manager approves a month's proposals in one
step after a confirmation, on a phone (390×844) and on a laptop (1366). Debian's Chromium.

Set DECIDE_SCREENSHOTS=/some/dir to keep screenshots of the queue and the confirmation."""

from __future__ import annotations

import os
from collections.abc import Iterator
from decimal import Decimal
from pathlib import Path

import pytest

from assessments.services.recompute import period_close, period_recompute
from incentives.choices import ActionStatus, ActionType
from incentives.models import IncentiveAction

from .test_workflows import CHROMIUM, _network, pytestmark, sign_in  # noqa: F401

SHOTS = os.environ.get("DECIDE_SCREENSHOTS", "")


def _shot(page, name: str) -> None:
    if SHOTS:
        Path(SHOTS).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(SHOTS) / f"{name}.png"), full_page=True)


def _browser_page(width: int, height: int) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": width, "height": height}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


@pytest.fixture
def phone_page(live_server) -> Iterator[object]:
    yield from _browser_page(390, 844)


@pytest.fixture
def laptop_page(live_server) -> Iterator[object]:
    yield from _browser_page(1366, 900)


def _within_phone(locator) -> None:
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, box


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_an_hq_manager_approves_a_months_proposals_after_a_confirmation(
    phone_page, live_server, hq_manager, dealer, other_dealer, far_dealer
):
    # Given: September and October closed, their proposals waiting
    _network([dealer, other_dealer, far_dealer])
    period_recompute("2026-09")
    period_recompute("2026-10")
    period_close("2026-09")
    period_close("2026-10")
    october = IncentiveAction.objects.filter(period="2026-10", status=ActionStatus.PROPOSED)
    count = october.count()
    bonus = sum((a.amount for a in october if a.action_type == ActionType.BONUS), Decimal(0))
    assert count > 1
    page = phone_page
    sign_in(page, live_server, "hq_manager")
    # When: from home, the menu → Incentives, filtered to October
    page.goto(f"{live_server.url}/")
    page.click("[data-nav-toggle]")
    page.click("#site-nav a[href='/incentives/']")
    page.wait_for_url("**/incentives/")
    page.select_option("#id_period", "2026-10")
    page.click("[data-testid=apply-filters]")
    page.wait_for_url("**period=2026-10**")
    # Each card's buttons are within reach, and action names do not wrap a character a line
    first = page.locator("#action-queue tbody tr").first
    _within_phone(first.locator("[data-testid=row-approve]"))
    action_cell = first.locator(".queue-action")
    assert action_cell.bounding_box()["height"] < 60
    _shot(page, "queue-390")
    page.check("[data-testid=select-all-matching]")
    _within_phone(page.locator("[data-testid=bulk-approve]"))
    page.fill("[data-testid=bulk-comment]", "十月审批")
    page.click("[data-testid=bulk-approve]")
    # Then: the confirmation names the count and the bonus total
    page.wait_for_selector("[data-testid=confirm-summary]")
    assert page.locator("[data-testid=confirm-count]").inner_text() == str(count)
    assert page.locator("[data-testid=confirm-bonus-total]").inner_text() == f"¥{bonus:,.2f}"
    _within_phone(page.locator("[data-testid=confirm-decision]"))
    _shot(page, "confirm-390")
    assert IncentiveAction.objects.filter(period="2026-10", status=ActionStatus.PROPOSED).count() == count
    page.click("[data-testid=confirm-decision]")
    page.wait_for_url("**/incentives/**")
    assert not IncentiveAction.objects.filter(period="2026-10", status=ActionStatus.PROPOSED).exists()
    assert IncentiveAction.objects.filter(period="2026-10", status=ActionStatus.APPROVED).count() == count
    assert IncentiveAction.objects.filter(period="2026-09", status=ActionStatus.PROPOSED).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_laptop_thirty_proposals_are_approved_in_one_step(
    laptop_page, live_server, hq_manager, dealer, other_dealer, far_dealer
):
    for i in range(30):
        IncentiveAction.objects.create(
            dealer=(dealer, other_dealer, far_dealer)[i % 3],
            period="2026-10",
            action_type=ActionType.BONUS,
            amount=Decimal("21500.50"),
            reason="全国前10%奖励",
            origin_key=f"manual:bonus-{i}",
        )
    page = laptop_page
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/")
    page.click("#site-nav a[href='/incentives/']")
    page.wait_for_url("**/incentives/")
    _shot(page, "queue-1366")
    page.check("[data-testid=select-all-matching]")
    page.click("[data-testid=bulk-approve]")
    page.wait_for_selector("[data-testid=confirm-summary]")
    assert page.locator("[data-testid=confirm-count]").inner_text() == "30"
    assert page.locator("[data-testid=confirm-bonus-total]").inner_text() == "¥645,015.00"
    assert page.locator("[data-testid=confirm-dealers]").inner_text().startswith("3")
    _shot(page, "confirm-1366")
    page.click("[data-testid=confirm-decision]")
    page.wait_for_url("**/incentives/**")
    assert IncentiveAction.objects.filter(status=ActionStatus.APPROVED).count() == 30


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_hq_records_a_veto_from_the_scorecard_and_the_suspended_dealer_sees_its_banner(
    laptop_page, live_server, hq_manager, dealer, other_dealer, far_dealer, other_dealer_user, tmp_path
):
    from dealers.choices import DealerStatus
    from dealers.models import Dealer

    _network([dealer, other_dealer, far_dealer])
    period_recompute("2026-10")
    page = laptop_page
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/assessments/dealers/GL0001/2026-10/")
    page.click("[data-testid=record-veto]")
    page.fill("#id_title", "虚报索赔")
    page.fill("#id_description", "同一 VIN 重复索赔")
    proof = tmp_path / "proof.pdf"
    proof.write_bytes(b"%PDF-1.4")
    page.set_input_files("#id_evidence", str(proof))
    _shot(page, "veto-form-1366")
    page.click("[data-testid=veto-submit]")
    page.wait_for_url("**/assessments/dealers/GL0001/2026-10/")
    assert "虚报索赔" in page.locator("[data-testid=veto-panel]").inner_text()
    assert page.locator("[data-testid=veto-panel] a[href*='/incentives/vetoes/evidence/']").count() == 1
    _shot(page, "veto-panel-1366")
    # A suspended dealer's user sees why and how to have it lifted, on a phone too
    IncentiveAction.objects.create(
        dealer=other_dealer,
        period="2026-10",
        action_type=ActionType.SUSPENSION,
        reason="连续三月D级暂停授权",
        status=ActionStatus.APPROVED,
        origin_key="manual:s",
    )
    Dealer.objects.filter(pk=other_dealer.pk).update(status=DealerStatus.SUSPENDED)
    page.set_viewport_size({"width": 390, "height": 844})
    sign_in(page, live_server, "other_dealer_user")
    banner = page.locator("[data-testid=sanction-banner]")
    assert "连续三月D级暂停授权" in banner.inner_text()
    _shot(page, "banner-390")
    page.click("[data-testid=sanction-link]")
    page.wait_for_url("**/incentives/dealers/GL0002/")
