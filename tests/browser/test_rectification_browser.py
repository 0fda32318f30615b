"""A rectification on a phone (390×844): the dealer clicks from its home to the open order, adds
and ticks a task, uploads evidence and submits; HQ opens the evidence and passes, seeing the
KPI before and after. Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from incentives.choices import RectificationStatus
from incentives.models import RectificationEvidence, RectificationOrder

from ..incentives.test_rectification import _approved
from ..incentives.test_workflow import _month_of_data
from .test_workflows import sign_in

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]
EVIDENCE = b"%PDF-1.4 rectification evidence of GL0001\n"


def _shot(page, name: str) -> None:
    """Screenshots for a person to look at, when SCREENSHOT_DIR is set."""
    folder = os.environ.get("SCREENSHOT_DIR")
    if folder:
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


def _in_reach(page, selector: str) -> None:
    box = page.locator(selector).first.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= 390, (selector, box)


@pytest.fixture
def phone_page(live_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 390, "height": 844}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_dealer_answers_a_rectification_on_a_phone_and_hq_opens_the_evidence_and_passes(
    phone_page, live_server, tmp_path, dealer, other_dealer, far_dealer, dealer_user, hq_manager
):
    from assessments.services.recompute import period_close, period_recompute

    _month_of_data(dealer, "2026-09", good=False)
    _month_of_data(dealer, "2026-10", good=True)
    for other in (other_dealer, far_dealer):
        for period in ("2026-09", "2026-10"):
            _month_of_data(other, period, good=True)
    for period in ("2026-09", "2026-10"):
        period_recompute(period)
    period_close("2026-09")
    order = RectificationOrder.objects.get(action=_approved(dealer, hq_manager, kpi="repair_cycle_hours"))
    page = phone_page

    # The dealer, from its home (the workbench), to the open order.
    sign_in(page, live_server, "dealer_user")
    page.goto(f"{live_server.url}/")
    _shot(page, "dealer-home-390")
    page.click(f"[data-testid=todo-rectification_open] a[href='/incentives/rectifications/{order.pk}/']")
    assert page.url.endswith(f"/incentives/rectifications/{order.pk}/")
    assert "维修周期" in page.inner_text("[data-testid=rectification-summary]")
    _shot(page, "rectification-dealer-390")

    # Adds a task, ticks one.
    page.fill("#id_new_title", "每日晨会通报在修车辆")
    page.fill("#id_new_owner", "服务经理 王强")
    _in_reach(page, "[data-testid=task-add] button[type=submit]")
    page.click("[data-testid=task-add] button[type=submit]")
    assert "每日晨会通报在修车辆" in page.inner_text("[data-testid=rectification-tasks]")
    _in_reach(page, "[data-testid=task-tick]")
    page.click("[data-testid=task-tick]")
    assert page.inner_text("[data-testid=tasks-done]").startswith("1 /")

    # Uploads evidence and submits the plan.
    upload = tmp_path / "整改证据.pdf"
    upload.write_bytes(EVIDENCE)
    page.set_input_files("#id_evidence", str(upload))
    _in_reach(page, "[data-testid=evidence-upload] button[type=submit]")
    page.click("[data-testid=evidence-upload] button[type=submit]")
    assert "整改证据.pdf" in page.inner_text("[data-testid=rectification-evidence]")
    _in_reach(page, "[data-testid=plan-submit] button[type=submit]")
    page.click("[data-testid=plan-submit] button[type=submit]")
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.PLAN_SUBMITTED

    # HQ opens the evidence, sees before and after, passes.
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/incentives/dealers/{dealer.code}/")
    page.click(f"a[href='/incentives/rectifications/{order.pk}/']")
    link = page.locator("[data-testid=evidence-link]").first
    assert link.inner_text() == "整改证据.pdf"
    response = page.request.get(live_server.url + link.get_attribute("href"))
    assert response.status == 200 and response.body() == EVIDENCE
    remeasure = page.inner_text("[data-testid=remeasure]")
    assert "维修周期" in remeasure and "repair_cycle_hours" not in remeasure
    _in_reach(page, "[data-testid=verify] button[value=pass]")
    _shot(page, "rectification-hq-390")
    page.click("[data-testid=verify] button[value=pass]")
    passed = RectificationOrder.objects.get(pk=order.pk)
    assert passed.status == RectificationStatus.PASSED and passed.remeasure["rows"][0]["after"] is not None
    assert "维修周期" in page.inner_text("[data-testid=remeasure]")
    assert RectificationEvidence.objects.get(order=order).uploaded_by == dealer_user
    page.set_viewport_size({"width": 1366, "height": 900})
    _shot(page, "rectification-hq-1366")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_regional_manager_records_an_interview_on_a_phone_and_the_dealer_reads_it(
    phone_page, live_server, dealer, dealer_user, regional_manager, hq_manager
):
    from incentives.choices import ActionType
    from incentives.models import IncentiveAction, InterviewRecord
    from incentives.services import action_decide

    action = IncentiveAction.objects.create(
        dealer=dealer,
        period="2026-10",
        action_type=ActionType.INTERVIEW,
        reason="D级约谈",
        origin_key="manual:1",
    )
    action_decide(action=action, actor=hq_manager, approve=True)
    interview = InterviewRecord.objects.get(action=action)
    page = phone_page
    sign_in(page, live_server, "east_manager")
    page.goto(f"{live_server.url}/incentives/interviews/{interview.pk}/")
    page.fill("#id_attendees", "区域经理、经销商总经理、服务经理")
    page.fill("#id_minutes", "通报评分，约定30日内提交整改计划。")
    page.evaluate("document.getElementById('id_held_on').value = new Date().toISOString().slice(0, 10)")
    _in_reach(page, "[data-testid=interview-form] button[type=submit]")
    page.click("[data-testid=interview-form] button[type=submit]")
    assert InterviewRecord.objects.get(pk=interview.pk).recorded_by == regional_manager
    _shot(page, "interview-manager-390")
    sign_in(page, live_server, "dealer_user")
    page.goto(f"{live_server.url}/assessments/my/")  # the dealer's own page lists its interviews
    page.click(f"a[href='/incentives/interviews/{interview.pk}/']")
    assert "约定30日内" in page.inner_text("[data-testid=interview-minutes]")
    assert page.locator("[data-testid=interview-form]").count() == 0
    _shot(page, "interview-dealer-390")
