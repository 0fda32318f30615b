"""The portal pages in a real browser (Debian's Chromium through Playwright).

Each role signs in through the form and opens its pages; a manager filters, sorts, drills
down, exports and clicks through the charts; the language switches; a dealer user who edits
the URL to another dealer's scorecard gets 404; the menu folds on a phone.
"""

from __future__ import annotations

import csv
import io
import os
import re
import shutil
from collections.abc import Iterator

import pytest
from openpyxl import load_workbook

from ..assessments.conftest import seed_scored_months
from ..conftest import PASSWORD

os.environ.setdefault("DJANGO_ALLOW_ASYNC_UNSAFE", "true")
CHROMIUM = "/usr/bin/chromium"
pytestmark = [
    pytest.mark.browser,
    # The live server needs committed data; a serialized rollback brings back the KPI
    # catalogue and the STD-2026 scheme that the migrations ship, after each test's flush.
    pytest.mark.django_db(transaction=True, serialized_rollback=True),
    pytest.mark.skipif(
        not os.path.exists(CHROMIUM) or not shutil.which(CHROMIUM), reason="no /usr/bin/chromium"
    ),
]

LAPTOP = {"width": 1366, "height": 900}
PHONE = {"width": 390, "height": 844}


@pytest.fixture
def network(transactional_db, cast, dealer, other_dealer, far_dealer):
    return seed_scored_months(cast, dealer, other_dealer, far_dealer)


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


@pytest.fixture
def page(browser) -> Iterator[object]:
    context = browser.new_context(viewport=LAPTOP, accept_downloads=True, locale="zh-CN")
    tab = context.new_page()
    tab.set_default_timeout(15000)
    yield tab
    context.close()


def sign_in(page, live_server, username: str) -> None:
    page.context.clear_cookies()
    page.goto(f"{live_server.url}/accounts/login/")
    page.fill("input[name=username]", username)
    page.fill("input[name=password]", PASSWORD)
    with page.expect_navigation():
        page.click("[data-testid=sign-in]")
    page.wait_for_load_state("networkidle")


def charts_drawn(page) -> int:
    page.wait_for_function(
        "document.querySelectorAll('[data-chart]').length === 0 || document.querySelectorAll('[data-chart-ready]').length > 0"
    )
    return page.locator("[data-chart-ready]").count()


@pytest.mark.parametrize(
    ("username", "landing", "pages"),
    [
        (
            "hq_manager",
            "/assessments/overview/",
            ["/assessments/ranking/", "/assessments/dealers/GL0003/2026-10/", "/dealers/"],
        ),
        (
            "hq_admin",
            "/assessments/overview/",
            ["/assessments/ranking/", "/assessments/dealers/GL0002/2026-10/kpi/csat/"],
        ),
        (
            "east_manager",
            "/assessments/overview/",
            ["/assessments/ranking/", "/assessments/dealers/GL0002/2026-10/"],
        ),
        (
            "south_manager",
            "/assessments/overview/",
            ["/assessments/ranking/", "/assessments/dealers/GL0003/2026-10/kpi/repair_cycle_hours/"],
        ),
        (
            "dealer_user",
            "/assessments/my/",
            ["/assessments/dealers/GL0001/2026-10/", "/assessments/dealers/GL0001/2026-10/kpi/nps/"],
        ),
        (
            "other_dealer_user",
            "/assessments/my/",
            ["/assessments/dealers/GL0002/2026-10/", "/dealers/GL0002/"],
        ),
    ],
)
def test_each_role_signs_in_and_opens_its_pages(network, live_server, page, username, landing, pages):
    sign_in(page, live_server, username)
    assert page.url == f"{live_server.url}/workbench/"  # every role lands on its to-dos first
    page.goto(f"{live_server.url}{landing}")
    if landing.endswith("/my/") or landing.endswith("/overview/"):
        assert charts_drawn(page) >= 1
    for path in pages:
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 200, path
        page.wait_for_load_state("networkidle")
        charts_drawn(page)
    # Signing out is a form post from the user menu.
    with page.expect_navigation():
        page.click("[data-testid=sign-out]")
    assert "/accounts/login/" in page.url


def test_a_manager_filters_sorts_and_drills_down(network, live_server, page):
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/assessments/ranking/")
    rows = page.locator("[data-testid=ranking-table] tbody tr")
    assert rows.count() == 3

    # Filter by region.
    page.select_option("#f-region", "华东")
    with page.expect_navigation():
        page.click("[data-testid=apply-filters]")
    assert rows.count() == 2
    assert "region=" in page.url

    # Sort by total, lowest first (the second click on the header).
    with page.expect_navigation():
        page.click("[data-sort=total]")
    with page.expect_navigation():
        page.click("[data-sort=total]")
    names = page.locator("[data-testid=dealer-link]").all_inner_texts()
    assert names == ["吉利苏州02店", "吉利南京01店"]

    # Search keeps the region and finds one dealer.
    page.fill("#f-q", "GL0001")
    with page.expect_navigation():
        page.click("[data-testid=apply-filters]")
    assert page.locator("[data-testid=dealer-link]").all_inner_texts() == ["吉利南京01店"]

    # Into the scorecard, then a KPI.
    with page.expect_navigation():
        page.click("[data-testid=dealer-link]")
    assert page.url.endswith("/assessments/dealers/GL0001/2026-10/")
    assert page.locator("[data-testid=kpi-table] tbody tr[data-kpi]").count() == 15
    assert charts_drawn(page) >= 1
    with page.expect_navigation():
        page.click("tr[data-kpi=first_time_fix_rate] [data-testid=kpi-link]")
    assert "/kpi/first_time_fix_rate/" in page.url
    with page.expect_navigation():
        page.click("[data-testid=show-flagged]")
    flagged = page.locator("[data-testid=drilldown-table] tbody tr")
    assert flagged.count() == 1
    assert "GL0001-FIRST" in flagged.inner_text() and "GL0001-AGAIN" in flagged.inner_text()


def test_exports_download_what_is_shown(network, live_server, page):
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/assessments/ranking/?region=华东")
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    rows = list(csv.reader(io.StringIO(text)))
    assert [row[3] for row in rows[1:]] == ["GL0001", "GL0002"]
    assert download.value.suggested_filename == "ranking_2026-10.csv"

    with page.expect_download() as download:
        page.click("[data-testid=export-xlsx]")
    with open(download.value.path(), "rb") as handle:
        sheet = load_workbook(io.BytesIO(handle.read())).active
    assert download.value.suggested_filename == "ranking_2026-10.xlsx"
    assert sheet.max_row == 3

    page.goto(f"{live_server.url}/assessments/dealers/GL0001/2026-10/kpi/complaint_closure_24h_rate/")
    with page.expect_download() as download:
        page.click("[data-testid=export-csv]")
    text = open(download.value.path(), encoding="utf-8-sig").read()
    assert "GL0001-OVERNIGHT" in text


def _click_chart_point(page, selector: str, series: int, index: int) -> None:
    """Click the bar or point `index` of a series, where ECharts drew it."""
    # Let ECharts finish its entry animation (1 s by default): until then the symbol is not
    # where convertToPixel says it will be, and a loaded CI machine makes that a real race.
    page.wait_for_timeout(1500)
    box = page.locator(selector).bounding_box()
    x, y = page.evaluate(
        """([selector, series, index]) => {
            const chart = echarts.getInstanceByDom(document.querySelector(selector));
            const value = chart.getOption().series[series].data[index];
            const y = (value && typeof value === 'object') ? value.value : value;
            return chart.convertToPixel({seriesIndex: series}, [index, y]);
        }""",
        [selector, series, index],
    )
    page.mouse.move(box["x"] + x, box["y"] + y + 3)
    page.mouse.click(box["x"] + x, box["y"] + y + 3)


def test_charts_show_values_on_hover_and_click_through(network, live_server, page):
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/assessments/overview/")  # sign-in lands on the workbench
    assert charts_drawn(page) == 3

    # Hovering a grade bar shows a tooltip with its count.
    grades = "[data-source=chart-grades]"
    box = page.locator(grades).bounding_box()
    page.mouse.move(box["x"] + box["width"] * 0.3, box["y"] + box["height"] * 0.7)
    page.wait_for_function(
        "[...document.querySelectorAll('[data-source=chart-grades] div')].some(d => d.style.display !== 'none' && /\\d/.test(d.textContent))"
    )

    # Clicking a region's bar opens the ranking of that region.
    with page.expect_navigation():
        _click_chart_point(page, "[data-source=chart-regions]", 0, 0)
    assert re.search(r"/assessments/ranking/\?period=2026-10&region=", page.url)

    # On a scorecard, clicking a trend point opens that month.
    page.goto(f"{live_server.url}/assessments/dealers/GL0001/2026-10/")
    charts_drawn(page)
    with page.expect_navigation():
        _click_chart_point(page, "[data-source=chart-trend]", 0, 0)
    assert page.url.endswith("/assessments/dealers/GL0001/2026-09/")


def test_the_language_switches_both_ways(network, live_server, page):
    sign_in(page, live_server, "hq_manager")
    page.goto(f"{live_server.url}/assessments/ranking/?region=华东")
    assert page.locator("html").get_attribute("lang") == "zh-hans"
    assert "排名" in page.locator("h1").inner_text()
    with page.expect_navigation():
        page.click("[data-testid=language-switch]")
    assert page.locator("html").get_attribute("lang") == "en"
    assert page.locator("h1").inner_text() == "Ranking"
    assert "region=" in page.url  # the page stays where it was
    with page.expect_navigation():
        page.click("[data-testid=language-switch]")
    assert page.locator("html").get_attribute("lang") == "zh-hans"


def test_a_dealer_user_editing_the_url_gets_404(network, live_server, page):
    sign_in(page, live_server, "dealer_user")
    for path in (
        "/assessments/dealers/GL0002/2026-10/",
        "/assessments/dealers/GL0003/2026-10/kpi/csat/",
        "/dealers/GL0002/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.status == 404, path
        assert page.locator("[data-testid=not-found]").is_visible()
        assert "吉利苏州02店" not in page.content()
    response = page.goto(f"{live_server.url}/assessments/ranking/")
    assert response.status == 403


def test_on_a_phone_the_menu_folds_and_opens(network, live_server, browser):
    context = browser.new_context(viewport=PHONE, is_mobile=True, has_touch=True, locale="zh-CN")
    page = context.new_page()
    try:
        sign_in(page, live_server, "hq_manager")
        nav = page.locator("#site-nav")
        assert not nav.is_visible()
        page.click("[data-nav-toggle]")
        assert nav.is_visible()
        with page.expect_navigation():
            nav.get_by_role("link", name="排名").click()
        assert page.url.endswith("/assessments/ranking/")
        # Nothing overflows the screen but the tables, which scroll inside their cards.
        width = page.evaluate("document.documentElement.scrollWidth")
        assert width <= PHONE["width"]
    finally:
        context.close()


def test_the_main_pages_run_under_the_content_security_policy_without_a_violation(network, live_server, page):
    """Scripts, charts, bars, the scheme editor, the token page, Swagger UI and the admin, all under the policy."""
    problems: list[str] = []

    def console(message) -> None:
        # The Django admin's pages link no icon, so the browser asks for /favicon.ico: not our concern here.
        if message.type == "error" and not message.location.get("url", "").endswith("/favicon.ico"):
            problems.append(message.text)

    page.on("console", console)
    page.on("pageerror", lambda error: problems.append(str(error)))
    page.add_init_script(
        "document.addEventListener('securitypolicyviolation', e => console.error("
        "'CSP violation: ' + e.violatedDirective + ' ' + e.blockedURI))"
    )

    sign_in(page, live_server, "dealer_user")
    assert page.url.endswith("/workbench/")  # the workbench runs under the policy too
    page.goto(f"{live_server.url}/assessments/my/")
    assert charts_drawn(page) >= 1
    # The points-lost bars get their width from data-bar-width, through CSSOM.
    widths = page.eval_on_selector_all("[data-bar-width]", "bars => bars.map(b => b.style.width)")
    assert widths and all(w.endswith("%") for w in widths)

    sign_in(page, live_server, "hq_admin")
    for path in (
        "/workbench/",
        "/notices/",
        "/assessments/overview/",
        "/assessments/ranking/",
        "/assessments/dealers/GL0001/2026-10/",
        "/assessments/dealers/GL0001/2026-10/kpi/csat/",
        "/assessments/imports/",
        "/assessments/submissions/",
        "/assessments/schemes/",
        "/surveys/board/",
        "/incentives/",
        "/admin/",
        "/admin/dealers/dealer/export/",
    ):
        response = page.goto(f"{live_server.url}{path}")
        assert response.headers["content-security-policy"].startswith("default-src 'self'"), path
        page.wait_for_load_state("networkidle")
        charts_drawn(page)

    # A token made on its page, from the user menu.
    page.goto(f"{live_server.url}/dealers/")
    with page.expect_navigation():
        page.click("[data-testid=api-tokens]")
    page.fill("input[name=name]", "DMS")
    with page.expect_navigation():
        page.click("[data-testid=create-token]")
    assert len(page.locator("[data-testid=token-secret]").inner_text()) >= 40

    # Swagger UI draws the API from its split start-up script; its groups start closed, and
    # opening one shows its endpoints.
    page.goto(f"{live_server.url}/api/v1/docs/")
    page.wait_for_selector(".swagger-ui .opblock-tag", timeout=30000)
    page.locator(".swagger-ui .opblock-tag").first.click()
    page.wait_for_selector(".swagger-ui .opblock", timeout=30000)

    assert problems == []
