"""Browser journey: HQ sends survey links by SMS from the invitations page, by clicking from
the workbench. A pasted line with a landline is refused by its line number and nothing goes
out; corrected, every customer gets their link. At 1366 px in English and 390 px in Chinese."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from surveys.services import invitations_create_for
from surveys.sms import LocmemSmsBackend
from tests.factories import RepairOrderFactory

from .test_network_browser import pytestmark, signed_in  # noqa: F401 - its marks apply here too


@pytest.mark.django_db(transaction=True, serialized_rollback=True)
@pytest.mark.parametrize(
    ("width", "language", "refused"), [(1366, "en", "Line 2"), (390, "zh-hans", "第 2 行")]
)
def test_hq_pastes_orders_and_mobiles_and_the_customers_get_their_links(
    browser, live_server, hq_manager, dealer, width, language, refused
):
    closed = timezone.now() - timedelta(hours=3)
    orders = [
        RepairOrderFactory(
            dealer=dealer, ro_number=f"RO-SMS-{i}", opened_at=closed - timedelta(hours=2), closed_at=closed
        )
        for i in (1, 2)
    ]
    invitations_create_for(orders)
    LocmemSmsBackend.outbox.clear()

    page = signed_in(browser, live_server, hq_manager.username, width, language)
    page.goto(f"{live_server.url}/workbench/")
    if width < 600:
        page.click("[data-nav-toggle]")
    page.click('#site-nav a[href="/surveys/"]')
    page.click('.cv-tabs a[href="/surveys/invitations/"]')
    box = page.locator('[data-testid="sms-links"] textarea')
    box.fill(f"{dealer.code}\tRO-SMS-1\t13812345678\n{dealer.code}\tRO-SMS-2\t021-5555")
    page.click('[data-testid="sms-send"]')
    page.wait_for_selector('[data-testid="sms-error"]')

    assert refused in page.locator('[data-testid="sms-error"]').first.inner_text()
    assert LocmemSmsBackend.outbox == []
    assert page.evaluate("document.documentElement.scrollWidth") <= width

    box = page.locator('[data-testid="sms-links"] textarea')
    box.fill(f"{dealer.code}\tRO-SMS-1\t13812345678\n{dealer.code}\tRO-SMS-2\t139 1234 5678")
    page.click('[data-testid="sms-send"]')
    page.wait_for_selector(".alert, .messages, [role=status]")

    assert sorted(m.phone for m in LocmemSmsBackend.outbox) == ["13812345678", "13912345678"]
    assert all("/s/" in m.text for m in LocmemSmsBackend.outbox)
