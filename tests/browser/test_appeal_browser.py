"""An appeal from where the number is, on a phone: the dealer goes from home to its scorecard,
appeals a KPI row ticking two records with evidence; HQ opens the appeal from the Incentives
pages, opens the evidence and upholds with a correction; the period's recompute is asked for."""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from datetime import timedelta

import pytest

from assessments.models import Complaint, RecordChange, ScoreRun
from assessments.services.recompute import period_recompute
from dealers.models import AuditEvent
from incentives.choices import AppealStatus
from incentives.models import Appeal

from ..factories import ComplaintFactory, RepairOrderFactory, SubmissionFactory, SurveyResponseFactory, local
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
    assert locator.is_enabled()


def _october(dealer, other_dealer) -> None:
    day = local("2026-10-10 09:00")
    for d in (dealer, other_dealer):
        for _ in range(12):
            RepairOrderFactory(dealer=d, opened_at=day, closed_at=day + timedelta(hours=20))
            SurveyResponseFactory(dealer=d, responded_at=day, overall=4)
        SubmissionFactory(dealer=d, period="2026-10")
    ComplaintFactory(dealer=dealer, complaint_id="C-WRONG-1", severity="major", received_at=day)
    ComplaintFactory(dealer=dealer, complaint_id="C-WRONG-2", received_at=day + timedelta(days=1))
    period_recompute("2026-10")


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_on_a_phone_a_dealer_appeals_two_records_and_hq_upholds_with_a_correction(
    phone, live_server, dealer_user, hq_manager, dealer, other_dealer, settings, tmp_path
):
    settings.MEDIA_ROOT = tmp_path
    _october(dealer, other_dealer)
    page = phone
    evidence = tmp_path / "call-log.pdf"
    evidence.write_bytes(b"%PDF-1.4 call log")

    # The dealer: home (its workbench) → the menu's "My dealer" → the scorecard → the
    # complaint rate row's appeal link.
    sign_in(page, live_server, "dealer_user")
    page.click("[data-nav-toggle]")
    with page.expect_navigation():
        page.click("#site-nav a[href='/assessments/my/']")
    with page.expect_navigation():
        page.click("[data-testid=open-scorecard]")
    assert page.locator("[data-testid=appeal-window]").is_visible()
    row = page.locator("tr[data-kpi=complaint_rate]")
    # score, weight and contribution are shown at 390 px
    for cell in ("kpi-score", "kpi-weight", "kpi-contribution"):
        assert row.locator(f"[data-testid={cell}]").is_visible(), cell
    appeal_link = row.locator("[data-testid=kpi-appeal]")
    _in_reach(page, appeal_link)
    with page.expect_navigation():
        appeal_link.click()

    # ticks two complaints, says why, attaches evidence and files
    page.locator("input[name=records][value=C-WRONG-1]").check()
    page.locator("input[name=records][value=C-WRONG-2]").check()
    page.fill("#id_reason", "两条投诉属于其他经销商")
    page.set_input_files("#id_evidence", [str(evidence)])
    submit = page.locator("[data-testid=file-appeal]")
    _in_reach(page, submit)
    with page.expect_navigation():
        submit.click()
    appeal = Appeal.objects.get()
    assert sorted(appeal.records.values_list("record_key", flat=True)) == ["C-WRONG-1", "C-WRONG-2"]
    assert page.locator("[data-testid=appeal-status]").inner_text() == "已提交"

    # HQ: Incentives → Appeals → the appeal.
    sign_in(page, live_server, "hq_manager")
    page.click("[data-nav-toggle]")
    with page.expect_navigation():
        page.locator("#site-nav a", has_text="奖惩").click()
    with page.expect_navigation():
        page.locator("a[href='/incentives/appeals/']").first.click()
    with page.expect_navigation():
        page.locator("[data-testid=open-appeal]").first.click()

    # opens the evidence through the scoped view
    link = page.locator("[data-testid=appeal-evidence]").first
    assert "/media/" not in (link.get_attribute("href") or "")
    opened = page.request.get(live_server.url + link.get_attribute("href"))
    assert opened.status == 200 and opened.body() == b"%PDF-1.4 call log"

    # voids the first complaint and corrects the second's closing time, and upholds
    runs_before = ScoreRun.objects.filter(period__code="2026-10").count()
    first = appeal.records.get(record_key="C-WRONG-1")
    second = appeal.records.get(record_key="C-WRONG-2")
    page.select_option(f"#fix-{first.pk}", "void")
    page.select_option(f"#fix-{second.pk}", "set_time")
    page.select_option(f"#field-{second.pk}", "closed_at")
    page.fill(f"#value-{second.pk}", "2026-10-11T12:00")
    page.fill("#id_reason", "核实属实")
    uphold = page.locator("[data-testid=uphold]")
    _in_reach(page, uphold)
    with page.expect_navigation():
        uphold.click()

    # the decided page shows each record's before → after, audited with who and why
    assert page.locator("[data-testid=appeal-status]").inner_text() == "成立"
    changes = page.locator("[data-testid=record-change]")
    assert changes.count() == 2 and "→" in changes.first.inner_text()
    assert Appeal.objects.get().status == AppealStatus.UPHELD
    assert Complaint.objects.get(complaint_id="C-WRONG-1").excluded
    change = RecordChange.objects.get(record_id=Complaint.objects.get(complaint_id="C-WRONG-2").pk)
    assert change.before["closed_at"] is None and change.after["closed_at"].startswith("2026-10-11")
    events = AuditEvent.objects.filter(action="appeal.record_corrected", actor=hq_manager)
    assert events.count() == 2 and all(e.comment == "核实属实" for e in events)
    # and the period's recompute was asked for (run in-process here, without a broker)
    assert ScoreRun.objects.filter(period__code="2026-10").count() > runs_before
