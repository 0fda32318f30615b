"""Browser journey of technical support (issue 18's "done when", on constructed data):

a dealer user on a phone (390 px, Chinese) opens a case from a comeback in the first-time-fix
drill-down with two photos; an HQ technical expert (1366 px, English) finds it from the menu,
sees the similar solved case and answers with its fix; the dealer resolves the car; another
dealer's breached case is on HQ's 日清 board, escalated; the knowledge base finds the new
solution by a Chinese symptom word. Screenshots go to screenshots/support/."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path

import pytest
from django.utils import timezone

from dealers.choices import Role
from support.choices import CaseStatus, Urgency
from support.models import SupportCase
from support.services import CaseInput, case_open, case_resolve, cases_escalate_breached
from tests.assessments.conftest import seed_scored_months
from tests.factories import UserFactory

from .test_network_browser import pytestmark, signed_in  # noqa: F401 - its marks apply here too

SHOTS = Path(__file__).resolve().parent.parent.parent / "screenshots" / "support"
PNG = b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + b"\x00" * 40


def _menu(page, width: int, href: str) -> None:
    if width < 600:
        page.click("[data-nav-toggle]")  # the menu is behind its button on a phone
    page.locator(f'#site-nav a[href="{href}"]').click()


def _fits(page, width: int) -> None:
    assert page.evaluate("document.documentElement.scrollWidth") <= width


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_comeback_goes_to_hq_s_expert_is_fixed_and_becomes_knowledge(
    browser, live_server, cast, dealer, other_dealer, far_dealer, dealer_user, other_dealer_user, hq_manager
):
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    expert = UserFactory(username="expert", role=Role.TECH_EXPERT, first_name="Wei", last_name="Zhang")
    # What the network already learnt: another dealer's solved case with the same fault code.
    solved = case_open(
        user=other_dealer_user,
        data=CaseInput(vin="LB3E8MAL8RV888001", symptom="怠速抖动，第1缸失火", fault_code="P0301"),
    )
    case_resolve(case=solved, user=expert, solution="第1缸喷油嘴堵塞：清洗喷油嘴并更换点火线圈")
    # Another dealer's vehicle off road, unanswered for 30 hours.
    stuck = case_open(
        user=other_dealer_user,
        data=CaseInput(vin="LB3E8MAL8RV777001", symptom="无法启动", urgency=Urgency.VOR),
    )
    SupportCase.objects.filter(pk=stuck.pk).update(opened_at=timezone.now() - timedelta(hours=30))
    cases_escalate_breached()
    SHOTS.mkdir(parents=True, exist_ok=True)

    # 1. The dealer, on a phone: scorecard → first-time fix → the comeback → ask HQ's expert.
    phone = signed_in(browser, live_server, dealer_user.username, 390, "zh-hans")
    phone.goto(f"{live_server.url}/assessments/dealers/{dealer.code}/2026-10/kpi/first_time_fix_rate/")
    phone.click('[data-testid="ask-expert"]')
    phone.wait_for_selector('[data-testid="from-comeback"]')
    assert "GL0001-AGAIN" in phone.inner_text('[data-testid="from-comeback"]')
    assert "P0301" in phone.inner_text('[data-testid="similar-cases"]')  # solved before: try first
    phone.fill("#id_symptom", "返修：怠速抖动再次出现")
    phone.fill("#id_tried", "更换火花塞")
    phone.set_input_files(
        "#id_files",
        [
            {"name": "前.png", "mimeType": "image/png", "buffer": PNG},
            {"name": "后.png", "mimeType": "image/png", "buffer": PNG},
        ],
    )
    _fits(phone, 390)
    phone.click('[data-testid="submit-case"]')
    phone.wait_for_selector('[data-testid="case-facts"]')
    case = SupportCase.objects.exclude(pk__in=[solved.pk, stuck.pk]).get()
    assert case.attachments.count() == 2 and case.repair_order.ro_number == "GL0001-AGAIN"
    assert case.earlier_repair_order.ro_number == "GL0001-FIRST" and case.vin == "LB3E8MAL8RV999001"
    assert phone.locator('[data-testid="case-file"]').count() == 2
    _fits(phone, 390)
    phone.screenshot(path=str(SHOTS / "case-opened-390.png"), full_page=True)

    # 2. The expert, at a desk: menu → the queue → the case → answers from the similar case.
    desk = signed_in(browser, live_server, expert.username, 1366, "en")
    _menu(desk, 1366, "/support/")
    desk.click(f'tr:has-text("{case.number}") [data-testid="open-case-detail"]')
    desk.click('[data-testid="take-case"]')
    assert "Wei" in desk.inner_text('[data-testid="case-expert"]') or "Zhang" in desk.inner_text(
        '[data-testid="case-expert"]'
    )
    fix = desk.inner_text('[data-testid="similar-cases"]')
    assert "清洗喷油嘴" in fix
    desk.fill("#id_body", "与已解决案例相同：清洗第1缸喷油嘴并更换点火线圈，完成后路试。")
    desk.click('[data-testid="send-message"]')
    desk.wait_for_selector('[data-testid="case-line"]')
    desk.screenshot(path=str(SHOTS / "expert-answers-1366.png"), full_page=True)
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == CaseStatus.WAITING_DEALER

    # 3. The dealer sees the answer appear without reloading, then resolves the car.
    phone.wait_for_selector("text=清洗第1缸喷油嘴", timeout=30000)
    phone.fill("#id_solution", "第1缸喷油嘴堵塞：清洗喷油嘴，更换点火线圈，路试正常")
    phone.click('[data-testid="resolve-case"]')
    phone.wait_for_selector('[data-testid="case-solution"]')
    case.refresh_from_db()
    assert case.status == CaseStatus.RESOLVED

    # 4. The knowledge base finds it by a Chinese symptom word.
    phone.goto(f"{live_server.url}/support/")
    phone.click('[data-testid="knowledge-base"]')
    phone.fill('[data-testid="kb-search"]', "喷油嘴")
    phone.click('[data-testid="kb-go"]')
    results = phone.inner_text('[data-testid="kb-results"]')
    assert case.number in results and solved.number in results
    _fits(phone, 390)
    phone.screenshot(path=str(SHOTS / "knowledge-base-390.png"), full_page=True)

    # 5. HQ's 日清 board shows the other dealer's breached case, escalated.
    hq = signed_in(browser, live_server, hq_manager.username, 1366, "zh-hans")
    hq.goto(f"{live_server.url}/surveys/board/")
    row = hq.inner_text(f'[data-testid="board-item-{stuck.number}"]')
    assert "已升级" in row
    hq.screenshot(path=str(SHOTS / "board-1366.png"), full_page=True)
