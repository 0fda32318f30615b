"""Browser tests of the workflows: scheme edit → preview → publish; submission round trip;
incentive proposal → approval → ledger. Debian's Chromium through Playwright."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest

from assessments.models import MonthlySubmission, Scheme, Scorecard
from assessments.services.recompute import period_close, period_recompute
from dealers.models import AuditEvent
from incentives.models import LedgerEntry

from ..conftest import PASSWORD
from ..factories import RepairOrderFactory, SubmissionFactory, SurveyResponseFactory, local

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    pytest.mark.skipif(not shutil.which(CHROMIUM), reason="Debian's chromium is not installed"),
]


@pytest.fixture
def workflow_page(live_server) -> Iterator[object]:
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        browser = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        context = browser.new_context(viewport={"width": 1366, "height": 900}, locale="zh-CN")
        page = context.new_page()
        page.set_default_timeout(15000)
        yield page
        context.close()
        browser.close()


def sign_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.press("input[name=password]", "Enter")


def _network(dealers, good=(True, False, True)) -> None:
    for dealer, is_good in zip(dealers, good, strict=True):
        for period in ("2026-09", "2026-10"):
            year, mon = map(int, period.split("-"))
            day = local(f"{year}-{mon:02d}-10 09:00")
            for _ in range(12):
                RepairOrderFactory(
                    dealer=dealer,
                    opened_at=day,
                    closed_at=day + timedelta(hours=20 if is_good else 90),
                    promised_at=day + timedelta(hours=30),
                )
                SurveyResponseFactory(dealer=dealer, responded_at=day, overall=5 if is_good else 2)
            SubmissionFactory(dealer=dealer, period=period, certified_technicians=10 if is_good else 5)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_admin_changes_the_csat_weight_previews_the_ranks_and_publishes(
    workflow_page, live_server, hq_admin, dealer, other_dealer, far_dealer
):
    _network([dealer, other_dealer, far_dealer])
    period_recompute("2026-10")
    page = workflow_page
    sign_in(page, live_server, "hq_admin")
    std = Scheme.objects.get(code="STD-2026", version=1)
    page.goto(f"{live_server.url}/assessments/schemes/{std.pk}/")
    page.click("form[action$='/draft/'] button")
    page.wait_for_url("**/edit/")
    csat_weight = page.locator("tr[data-tier='result']").first.locator("input[name$='-weight']")
    csat_weight.fill("40")
    assert page.locator("[data-tier-total='all']").inner_text() == "125"  # live total while editing
    page.click("button[name=preview]")
    page.wait_for_url("**/preview/**")
    assert page.locator("#preview-table tbody tr").count() == 3
    page.goto(page.url.split("/preview/")[0] + "/edit/")
    page.fill("#id_publish_from", "2026-10")
    page.check("input[name=recompute_open]")
    page.click("form[action$='/publish/'] button[type=submit]")
    page.wait_for_url("**/schemes/*/")
    draft = Scheme.objects.get(code="STD-2026", version=2)
    assert draft.is_published
    assert set(Scorecard.objects.filter(period__code="2026-10").values_list("scheme_id", flat=True)) == {
        draft.pk
    }
    assert AuditEvent.objects.filter(action="scheme.changed", actor=hq_admin).exists()


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_submission_goes_draft_submit_return_resubmit_approve(
    workflow_page, live_server, dealer, dealer_user, regional_manager
):
    page = workflow_page
    url = f"{live_server.url}/assessments/submissions/2026-10/{dealer.code}/"
    sign_in(page, live_server, "dealer_user")
    page.goto(url)
    for name, value in {
        "technicians": "10",
        "certified_technicians": "12",
        "equipment_total": "20",
        "equipment_ok": "19",
        "training_hours": "40",
    }.items():
        page.fill(f"#id_{name}", value)
    page.click("button[value=save]")
    assert page.locator(".field-error").count() == 1  # 12 certified of 10 technicians
    page.fill("#id_technicians", "14")
    page.click("button[value=save]")
    page.click("button[value=submit]")
    assert MonthlySubmission.objects.get().status == "submitted"
    sign_in(page, live_server, "east_manager")
    page.goto(url)
    page.fill("textarea[name=comment]", "技师人数有误")
    page.click("button[value=return]")
    sign_in(page, live_server, "dealer_user")
    page.goto(url)
    assert "技师人数有误" in page.locator("#review-comment").inner_text()
    page.fill("#id_technicians", "12")
    page.click("button[value=submit]")
    sign_in(page, live_server, "east_manager")
    page.goto(url)
    page.click("button[value=approve]")
    submission = MonthlySubmission.objects.get()
    assert (submission.status, submission.technicians) == ("approved", 12)


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_a_manager_approves_a_proposed_bonus_and_finds_it_in_the_ledger(
    workflow_page, live_server, hq_manager, dealer, other_dealer, far_dealer
):
    _network([dealer, other_dealer, far_dealer])
    period_recompute("2026-09")
    period_recompute("2026-10")
    period_close("2026-09")
    period_close("2026-10")
    page = workflow_page
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/incentives/?status=proposed&type=bonus")
    row = page.locator("#action-queue tbody tr").first
    row.locator("input[name=comment]").fill("同意")
    row.locator("button[value=approve]").click()
    page.wait_for_load_state()
    page.goto(f"{live_server.url}/incentives/ledger/")
    assert page.locator("#ledger tbody tr").count() == LedgerEntry.objects.count() == 1
