"""Journeys per role on the running production stack: each does a whole job by clicking from
the home page, in Debian's Chromium, against gunicorn + a Celery worker + PostgreSQL + Redis.

They need a running portal with the seeded demo (`manage.py seed_demo`, then
`.ci/stack_prepare.py` for known passwords and an open rectification order) and read:

    AFTERSALES_STACK_URL       the portal, e.g. http://127.0.0.1:8000 (unset: skipped)
    AFTERSALES_STACK_PASSWORD  every demo user's password
    AFTERSALES_REQUIRE_STACK=1 fail instead of skipping when something is missing (CI)

CI's "stack journeys" section starts that stack and runs them. They change the demo data
(an import, an approval, a plan), so run them against a throwaway database.
"""

from __future__ import annotations

import os
import re
import shutil
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from django.utils import translation

from assessments.choices import ImportStatus, SubmissionStatus
from incentives.choices import RectificationStatus
from scripts.stack_journey import repair_orders_csv

STACK_URL = os.environ.get("AFTERSALES_STACK_URL", "").rstrip("/")
PASSWORD = os.environ.get("AFTERSALES_STACK_PASSWORD", "")
REQUIRED = os.environ.get("AFTERSALES_REQUIRE_STACK") == "1"
CHROMIUM = "/usr/bin/chromium"

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}
# Over IMPORT_BACKGROUND_ROWS (5,000 by default), so the upload runs in the worker with a progress bar.
BACKGROUND_UPLOAD_ROWS = 6_000
# Imports and approvals queue a recompute; it may wait for a coalescing window before it runs.
RECOMPUTE_SECONDS = 240


def missing() -> str:
    if not STACK_URL:
        return "AFTERSALES_STACK_URL is not set (no running stack to drive)"
    if not PASSWORD:
        return "AFTERSALES_STACK_PASSWORD is not set"
    if not shutil.which(CHROMIUM):
        return f"{CHROMIUM} is not installed"
    return ""


pytestmark = [
    pytest.mark.browser,
    pytest.mark.stack,
    pytest.mark.skipif(bool(missing()) and not REQUIRED, reason=missing() or "stack available"),
]


@pytest.fixture(scope="module")
def browser() -> Iterator[object]:
    if missing():
        pytest.fail(f"AFTERSALES_REQUIRE_STACK=1, but {missing()}")
    from playwright.sync_api import sync_playwright

    with sync_playwright() as p:
        chromium = p.chromium.launch(
            executable_path=CHROMIUM,
            args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"],
        )
        yield chromium
        chromium.close()


def open_page(browser, viewport: dict[str, int]):
    phone = viewport == PHONE
    context = browser.new_context(viewport=viewport, is_mobile=phone, has_touch=phone, locale="en")
    page = context.new_page()
    page.set_default_timeout(30_000)
    return page


def sign_in(page, username: str) -> None:
    page.goto(f"{STACK_URL}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=sign-in]")
    assert "/accounts/login/" not in page.url, f"{username} could not sign in"


def go_to(page, path: str) -> None:
    """Click the main menu's entry for `path`, opening the folded menu first on a phone."""
    toggle = page.locator("[data-nav-toggle]")
    if toggle.is_visible():
        toggle.click()
    with page.expect_navigation():
        page.click(f"#site-nav a[href='{path}']")


def english(label) -> str:
    """A status as the pages show it in English (the browser asks for English)."""
    with translation.override("en"):
        return str(label)


def total_score(page) -> str:
    return page.locator("[data-testid=stat-total] .stat-value").inner_text().split()[0]


# 1. A dealer user uploads a large file and sees the import finish ------------------------


def test_a_dealer_user_uploads_a_large_file_from_home_and_sees_the_import_finish(browser, tmp_path):
    page = open_page(browser, LAPTOP)
    sign_in(page, "dealer1")
    # "My dealer" names its dealer and latest month in the link to the full scorecard.
    go_to(page, "/assessments/my/")
    scorecard = page.locator("main a[href^='/assessments/dealers/']").first.get_attribute("href")
    dealer_code, month = re.search(r"/dealers/([^/]+)/(\d{4}-\d{2})/", scorecard).groups()
    upload = Path(tmp_path / "dms-export.csv")
    upload.write_bytes(repair_orders_csv(month, [dealer_code], BACKGROUND_UPLOAD_ROWS))

    go_to(page, "/assessments/imports/")
    page.click("[data-testid=new-import]")
    page.select_option("select[name=kind]", "repair_orders")
    page.set_input_files("input[name=file]", str(upload))
    page.click("[data-testid=preview]")

    expect_progress_then_result(page)
    assert page.locator("[data-testid=count-rejected]").inner_text() == "0"
    assert page.locator("[data-testid=count-created]").inner_text() == str(BACKGROUND_UPLOAD_ROWS)
    page.click("[data-testid=confirm-import]")

    expect_progress_then_result(page)
    assert page.locator("[data-testid=import-status]").inner_text() == english(ImportStatus.SUCCEEDED.label)
    assert page.locator("[data-testid=count-created]").inner_text() == str(BACKGROUND_UPLOAD_ROWS)
    page.context.close()


def expect_progress_then_result(page) -> None:
    """A background job shows its progress bar, then the page reloads itself with the counts."""
    page.wait_for_selector("[data-testid=import-progress]")
    page.wait_for_selector("[data-testid=import-counts]", timeout=RECOMPUTE_SECONDS * 1000)


# 2. An HQ manager approves a monthly report and sees the score change --------------------


def test_an_hq_manager_approves_a_monthly_report_from_home_and_sees_the_dealers_score_change(browser):
    page = open_page(browser, LAPTOP)
    sign_in(page, "hq")
    go_to(page, "/assessments/submissions/")
    review = page.locator("main a", has_text=re.compile(r"^\s*Review\s*$")).first
    dealer_code = re.search(r"/submissions/\d{4}-\d{2}/([^/]+)/", review.get_attribute("href")).group(1)
    before = score_on_scorecard(page, dealer_code)

    go_to(page, "/assessments/submissions/")
    with page.expect_navigation():
        page.locator(f"main a[href$='/{dealer_code}/']", has_text="Review").click()
    with page.expect_navigation():
        page.click("button[name=action][value=approve]")
    assert english(SubmissionStatus.APPROVED.label) in page.locator("main").inner_text()

    after = score_on_scorecard(page, dealer_code)
    deadline = time.monotonic() + RECOMPUTE_SECONDS
    while after == before and time.monotonic() < deadline:
        time.sleep(5)
        page.reload()
        after = total_score(page)
    assert after != before, (
        f"{dealer_code}'s score stayed {before} for {RECOMPUTE_SECONDS} s after the approval"
    )
    page.context.close()


def score_on_scorecard(page, dealer_code: str) -> str:
    """From the ranking, click through to the dealer's scorecard and read its total."""
    go_to(page, "/assessments/ranking/")
    with page.expect_navigation():
        page.locator(f"main a[href*='/dealers/{dealer_code}/']").first.click()
    return total_score(page)


# 3. A dealer user answers a rectification order ------------------------------------------


@pytest.mark.parametrize("viewport", [PHONE, LAPTOP], ids=["390px", "1366px"])
def test_a_dealer_user_answers_a_rectification_order_from_home(browser, viewport, tmp_path):
    page = open_page(browser, viewport)
    sign_in(page, "dealer2")
    evidence = tmp_path / "workshop-photo.pdf"
    evidence.write_bytes(b"%PDF-1.4\n% evidence of the new delivery check\n%%EOF\n")

    # Home is the workbench: the order is a to-do with its deadline and a button to answer it.
    with page.expect_navigation():
        page.locator("[data-testid=todo-rectification_open] [data-testid=todo-action]").first.click()
    page.set_input_files("#id_evidence", str(evidence))
    with page.expect_navigation():
        page.click("[data-testid=evidence-upload] button[type=submit]")
    assert "workshop-photo.pdf" in page.locator("[data-testid=rectification-evidence]").inner_text()
    page.fill("#id_plan", f"Delivery check before every hand-over; weekly review ({viewport['width']} px).")
    with page.expect_navigation():
        page.click("button:has-text('Submit plan')")

    assert page.locator("#rectification-status").inner_text() == english(
        RectificationStatus.PLAN_SUBMITTED.label
    )
    assert f"({viewport['width']} px)" in page.locator("main").inner_text()
    page.context.close()
