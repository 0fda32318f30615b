"""The accountability loop's "done when", on the demo, by clicking from the home page only.

A dealer user on a phone sees its to-dos, answers a rectification order with a task and
evidence, and appeals from a KPI row; an HQ manager on a laptop opens that evidence, approves
thirty-odd proposals in one step after a confirmation, records a veto against the month's top
dealer, closes the month after its checklist and finds no reward proposed for that dealer.
One seeded demo (120 dealers, five months: three closed, the newest two of them undecided).
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from io import StringIO
from pathlib import Path

import pytest
from django.core.management import call_command

from assessments.choices import PeriodStatus
from assessments.models import Period, VetoIncident
from dealers.models import User
from incentives.choices import ActionStatus, ActionType, AppealStatus, RectificationStatus
from incentives.models import Appeal, IncentiveAction, RectificationOrder

from ..conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
PHONE = {"width": 390, "height": 844}
LAPTOP = {"width": 1366, "height": 900}
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def browser_page(live_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport=PHONE, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(20000)
        yield page
        context.close()
        browser.close()


def sign_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/")  # the home page; it asks for sign-in
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")
    page.wait_for_url("**/workbench/")


def in_reach(locator, width: int = PHONE["width"]) -> None:
    locator.scroll_into_view_if_needed()
    box = locator.bounding_box()
    assert box is not None and box["x"] >= 0 and box["x"] + box["width"] <= width, box


def click(page, locator, timeout: float = 60_000) -> None:
    # A journey checks what happens, not how fast: on a CI machine running both suites'
    # workers a navigation took over Playwright's default 20 s (once at the close, once at
    # the incentive queue's filter; alone the whole journey takes about 30 s).
    with page.expect_navigation(timeout=timeout):
        locator.click()


def shot(page, name: str) -> None:
    folder = os.environ.get("JOURNEY_SCREENSHOTS")
    if folder:
        Path(folder).mkdir(parents=True, exist_ok=True)
        page.screenshot(path=str(Path(folder) / f"{name}.png"), full_page=True)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_the_demo_a_dealer_and_hq_close_the_loop_by_clicking_from_home(
    browser_page, live_server, tmp_path
):
    call_command("seed_demo", "--dealers", "120", "--months", "5", stdout=StringIO(), stderr=StringIO())
    for user in User.objects.filter(username__in=["hq", "dealer1", "dealer2"]):
        user.set_password(PASSWORD)
        user.save(update_fields=["password"])
    order = RectificationOrder.objects.filter(
        status=RectificationStatus.OPEN, dealer__users__username__in=["dealer1", "dealer2"]
    ).first()
    assert order is not None, "the demo leaves a rectification in progress for a demo dealer user"
    dealer_user = User.objects.get(username__in=["dealer1", "dealer2"], dealer=order.dealer)
    page = browser_page

    # --- A dealer user on a phone: its to-dos, first thing after sign-in.
    sign_in(page, live_server, dealer_user.username)
    shot(page, "01-dealer-workbench")
    todo = page.locator("[data-testid=todo-rectification_open]").first
    assert "整改" in todo.inner_text()
    action = todo.locator("[data-testid=todo-action]")
    in_reach(action)
    click(page, action)
    assert page.url.endswith(f"/incentives/rectifications/{order.pk}/")

    # It ticks a task, attaches evidence and submits the plan.
    done_before = page.inner_text("[data-testid=tasks-done]")
    tick = page.locator("[data-testid=task-tick]").first
    in_reach(tick)
    click(page, tick)
    assert page.inner_text("[data-testid=tasks-done]") != done_before
    proof = tmp_path / "整改照片.png"
    proof.write_bytes(b"\x89PNG\r\n\x1a\n" + b"proof of rectification" * 20)
    page.set_input_files("#id_evidence", str(proof))
    upload = page.locator("[data-testid=evidence-upload] button[type=submit]")
    in_reach(upload)
    click(page, upload)
    assert "整改照片.png" in page.inner_text("[data-testid=rectification-evidence]")
    submit = page.locator("[data-testid=plan-submit] button[type=submit]")
    in_reach(submit)
    click(page, submit)
    order.refresh_from_db()
    assert order.status == RectificationStatus.PLAN_SUBMITTED
    shot(page, "02-dealer-rectification")

    # From home, its dealer page (the menu's "My dealer"), the scorecard, a KPI row's Appeal.
    click(page, page.locator("a.brand"))
    page.click("[data-nav-toggle]")
    click(page, page.locator("#site-nav a[href='/assessments/my/']"))
    click(page, page.locator("[data-testid=open-scorecard]"))
    assert page.locator("[data-testid=appeal-window]").is_visible()
    row = page.locator("tr[data-kpi=repair_cycle_hours]")
    appeal_link = row.locator("[data-testid=kpi-appeal]")
    in_reach(appeal_link)
    click(page, appeal_link)
    records = page.locator("input[name=records]")
    assert records.count() > 0
    records.first.check()
    page.fill("#id_reason", "该工单等待客户确认报价三天，不应计入维修周期。")
    note = tmp_path / "客户确认记录.pdf"
    note.write_bytes(b"%PDF-1.4 customer confirmation")
    page.set_input_files("#id_evidence", [str(note)])
    file_it = page.locator("[data-testid=file-appeal]")
    in_reach(file_it)
    click(page, file_it)
    assert page.locator("[data-testid=appeal-status]").inner_text() == "已提交"
    appeal = Appeal.objects.filter(dealer=order.dealer, kpi_code="repair_cycle_hours").latest("filed_at")
    assert appeal.status == AppealStatus.SUBMITTED and appeal.records.count() == 1
    shot(page, "03-dealer-appeal")

    # --- HQ on a laptop: the plan to verify is on its workbench; it opens the evidence.
    page.set_viewport_size(LAPTOP)
    sign_in(page, live_server, "hq")
    shot(page, "04-hq-workbench")
    click(page, page.locator("[data-testid=todo-rectification_verify] [data-testid=todo-action]").first)
    if f"/incentives/rectifications/{order.pk}/" not in page.url:  # several plans: the list first
        click(page, page.locator(f"a[href='/incentives/rectifications/{order.pk}/']").first)
    link = page.locator("[data-testid=evidence-link]", has_text="整改照片.png").first
    opened = page.request.get(live_server.url + link.get_attribute("href"))
    assert opened.status == 200 and opened.body() == proof.read_bytes()

    # Proposals to decide: the workbench row opens the queue; all of them in one step.
    click(page, page.locator("a.brand"))
    click(page, page.locator("[data-testid=todo-proposals] [data-testid=todo-action]").first)
    page.select_option("#id_period", "")
    click(page, page.locator("[data-testid=apply-filters]"))
    pending = IncentiveAction.objects.filter(status=ActionStatus.PROPOSED)
    count = pending.count()
    assert count >= 30, f"the demo leaves {count} proposals waiting"
    page.check("[data-testid=select-all-matching]")
    page.fill("[data-testid=bulk-comment]", "月度审批")
    click(page, page.locator("[data-testid=bulk-approve]"))
    assert page.locator("[data-testid=confirm-count]").inner_text() == str(count)
    suspensions = pending.filter(action_type=ActionType.SUSPENSION).count()
    assert str(suspensions) in page.inner_text("[data-testid=confirm-summary]")
    shot(page, "05-hq-confirm")
    click(page, page.locator("[data-testid=confirm-decision]"))
    assert not IncentiveAction.objects.filter(status=ActionStatus.PROPOSED).exists()

    # A veto against the top dealer of the oldest open month, from the ranking's scorecard.
    month = Period.objects.filter(status=PeriodStatus.OPEN).order_by("code").first()
    click(page, page.locator("#site-nav a[href='/assessments/ranking/']"))
    page.select_option("#f-period", month.code)
    click(page, page.locator("[data-testid=apply-filters]"))
    top = page.locator("[data-testid=dealer-link]").first
    click(page, top)
    code = page.url.rstrip("/").split("/")[-2]
    click(page, page.locator("[data-testid=record-veto]"))
    page.fill("#id_title", "虚报索赔")
    page.fill("#id_description", "同一 VIN 同一故障重复索赔，经稽核属实。")
    click(page, page.locator("[data-testid=veto-submit]"))
    assert VetoIncident.objects.filter(dealer__code=code, period=month.code).exists()

    # Close that month from the workbench, after its checklist.
    click(page, page.locator("a.brand"))
    row = page.locator("[data-testid=todo-period_close]", has_text=month.code)
    click(page, row.locator("[data-testid=todo-action]"))
    assert page.url.endswith(f"/periods/{month.code}/close/")
    assert page.get_by_test_id("check-reports").is_visible()
    shot(page, "06-hq-close-checklist")
    page.locator("#id_confirm").check()
    # Closing evaluates the rules for every dealer in the request: on a busy CI machine (both
    # test suites' workers) it took over the default 20 s once; the page's own wait is longer.
    click(page, page.get_by_test_id("close-button"), timeout=90_000)
    assert page.get_by_test_id("period-closed").is_visible()
    month.refresh_from_db()
    assert month.status == PeriodStatus.CLOSED

    # The month's proposals: the vetoed dealer has its suspension and no reward.
    click(page, page.locator("#site-nav a[href='/incentives/']"))
    page.select_option("#id_period", month.code)
    page.fill("#id_dealer", code)
    click(page, page.locator("[data-testid=apply-filters]"))
    rows = page.locator("[data-testid=action-row]")
    kinds = set(
        IncentiveAction.objects.filter(dealer__code=code, period=month.code).values_list(
            "action_type", flat=True
        )
    )
    assert ActionType.SUSPENSION in kinds and not kinds & {ActionType.BONUS, ActionType.HONOUR}
    assert rows.count() == len(kinds)
    # … while other top dealers of the month do get their bonus.
    assert IncentiveAction.objects.filter(period=month.code, action_type=ActionType.BONUS).exists()
    shot(page, "07-hq-vetoed-dealer-proposals")
