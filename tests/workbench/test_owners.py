"""Owners (过程所有者): shown where the item is, handed on by the right people, audited, notified."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from assessments.importing import import_file
from assessments.models import Complaint
from dealers.choices import Role
from dealers.models import AuditEvent, Notice
from tests.assessments.import_helpers import table, write
from tests.conftest import client_for
from tests.factories import UserFactory
from workbench.services import NOT_A_CANDIDATE, NOT_ALLOWED, OwnerError, owner_assign

from .helpers import appeal, complaint, hot_alert, proposal, rectification

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


@pytest.fixture
def colleague(dealer):
    return UserFactory(
        username="colleague", role=Role.DEALER_USER, dealer=dealer, email="colleague@example.cn"
    )


def test_a_manager_hands_a_hot_alert_to_a_user_of_its_dealer_audited_and_notified(
    dealer, colleague, regional_manager, settings
):
    settings.SITE_URL = "https://aftersales.example.cn"
    case = hot_alert(dealer)
    assert owner_assign(case, colleague, regional_manager) is True
    case.refresh_from_db()
    assert case.owner == colleague
    event = AuditEvent.objects.get(action="owner.assigned", object_type="hot_alert", object_id=str(case.pk))
    assert (event.actor, event.before["owner"], event.after["owner"]) == (regional_manager, None, "colleague")
    notice = Notice.objects.get(user=colleague)
    assert notice.url == reverse("surveys:alert_detail", args=[case.pk])
    assert f"https://aftersales.example.cn{notice.url}" in mail.outbox[0].body


def test_handing_on_again_records_before_and_after(dealer, dealer_user, colleague, hq_manager):
    order = rectification(dealer, owner=dealer_user)
    owner_assign(order, colleague, hq_manager)
    event = AuditEvent.objects.get(action="owner.assigned")
    assert (event.before["owner"], event.after["owner"]) == ("dealer_user", "colleague")
    assert owner_assign(order, colleague, hq_manager) is False  # nothing to change, nothing written
    assert AuditEvent.objects.filter(action="owner.assigned").count() == 1


def test_reassigning_to_a_user_of_another_dealer_is_refused(dealer, other_dealer_user, hq_manager):
    case = hot_alert(dealer)
    with pytest.raises(OwnerError, match=str(NOT_A_CANDIDATE)):
        owner_assign(case, other_dealer_user, hq_manager)
    case.refresh_from_db()
    assert case.owner is None


def test_reassigning_to_another_dealers_user_through_the_page_is_refused(
    dealer, other_dealer_user, hq_manager
):
    case = hot_alert(dealer)
    client_for(hq_manager).post(
        reverse("workbench:owner", args=["hot_alert", case.pk]), {"owner": other_dealer_user.pk}
    )
    case.refresh_from_db()
    assert case.owner is None


def test_a_proposal_is_owned_by_a_manager_in_scope_only(
    dealer, far_dealer, hq_manager, regional_manager, other_regional_manager, dealer_user
):
    action = proposal(dealer)
    owner_assign(action, regional_manager, hq_manager)
    with pytest.raises(OwnerError):
        owner_assign(action, other_regional_manager, hq_manager)  # 华南 cannot see a 华东 dealer
    with pytest.raises(OwnerError):
        owner_assign(action, dealer_user, hq_manager)


def test_a_filed_appeal_waits_on_hq_so_a_manager_in_scope_owns_it(
    dealer, hq_manager, regional_manager, other_regional_manager, dealer_user
):
    filed = appeal(dealer)
    owner_assign(filed, regional_manager, hq_manager)
    filed.refresh_from_db()
    assert filed.owner == regional_manager
    with pytest.raises(OwnerError):
        owner_assign(filed, dealer_user, hq_manager)  # the dealer has nothing left to do on it
    with pytest.raises(OwnerError):
        owner_assign(filed, other_regional_manager, hq_manager)
    with pytest.raises(OwnerError):
        owner_assign(filed, dealer_user, dealer_user)  # nor does a dealer user hand it on


def test_a_dealer_user_cannot_hand_on_when_the_dealer_has_a_service_manager(dealer, dealer_user, colleague):
    UserFactory(username="boss", role=Role.DEALER_USER, dealer=dealer, is_dealer_manager=True)
    case = hot_alert(dealer)
    with pytest.raises(OwnerError, match=str(NOT_ALLOWED)):
        owner_assign(case, colleague, dealer_user)


def test_the_dealers_service_manager_and_the_present_owner_may_hand_on(dealer, dealer_user, colleague):
    boss = UserFactory(username="boss", role=Role.DEALER_USER, dealer=dealer, is_dealer_manager=True)
    case = hot_alert(dealer)
    owner_assign(case, dealer_user, boss)
    owner_assign(case, colleague, dealer_user)
    case.refresh_from_db()
    assert case.owner == colleague


def test_a_dealer_user_cannot_touch_another_dealers_item(
    dealer, other_dealer, dealer_user, other_dealer_user
):
    case = hot_alert(other_dealer)
    with pytest.raises(OwnerError):
        owner_assign(case, other_dealer_user, dealer_user)
    client = client_for(dealer_user)
    assert client.get(reverse("workbench:owner", args=["hot_alert", case.pk])).status_code == 404
    assert (
        client.post(
            reverse("workbench:owner", args=["hot_alert", case.pk]), {"owner": other_dealer_user.pk}
        ).status_code
        == 404
    )


@pytest.mark.parametrize("role", ["other_dealer_user", "other_regional_manager"])
def test_the_owner_page_is_404_out_of_scope(cast, dealer, role):
    order = rectification(dealer)
    assert (
        client_for(cast[role]).get(reverse("workbench:owner", args=["rectification", order.pk])).status_code
        == 404
    )


def test_the_hot_alert_page_shows_no_owner_and_the_form_that_names_one(
    dealer, dealer_user, colleague, hq_manager
):
    case = hot_alert(dealer)
    page = _text(client_for(hq_manager).get(reverse("surveys:alert_detail", args=[case.pk])))
    assert 'data-testid="owner-none"' in page
    assert 'data-testid="owner-form"' in page
    response = client_for(hq_manager).post(
        reverse("workbench:owner", args=["hot_alert", case.pk]),
        {"owner": colleague.pk, "next": reverse("surveys:alert_detail", args=[case.pk])},
    )
    assert response["Location"] == reverse("surveys:alert_detail", args=[case.pk])
    page = _text(client_for(hq_manager).get(reverse("surveys:alert_detail", args=[case.pk])))
    assert 'data-testid="owner-name">colleague<' in page


@pytest.mark.parametrize("page", ["rectification", "appeal"])
def test_rectification_and_appeal_pages_show_the_owner(dealer, dealer_user, hq_manager, page):
    item = (
        rectification(dealer, owner=dealer_user)
        if page == "rectification"
        else appeal(dealer, owner=dealer_user)
    )
    text = _text(client_for(hq_manager).get(reverse(f"incentives:{page}", args=[item.pk])))
    assert 'data-testid="owner-name">dealer_user<' in text


def test_the_queue_shows_each_proposals_owner(dealer, hq_manager):
    proposal(dealer)
    text = _text(client_for(hq_manager).get(reverse("incentives:queue")))
    assert 'data-testid="owner-none"' in text


def test_the_unowned_page_lists_the_dealers_items_without_owner_only(dealer, other_dealer, dealer_user):
    case = hot_alert(dealer)
    hot_alert(dealer, owner=dealer_user)
    theirs = hot_alert(other_dealer)
    text = _text(client_for(dealer_user).get(reverse("workbench:unowned")))
    assert f'data-testid="unowned-hot_alert-{case.pk}"' in text
    assert text.count('data-testid="unowned-hot_alert-') == 1
    assert f'unowned-hot_alert-{theirs.pk}"' not in text


def test_reimporting_a_complaint_keeps_its_owner(tmp_path, dealer, dealer_user, hq_manager):
    header = ["complaint_id", "dealer_code", "received_at", "category", "description"]
    import_file(
        "complaints",
        write(tmp_path, table(header, ["C-KEEP", dealer.code, "2026-10-10 09:00", "quality", "first"])),
        user=hq_manager,
    )
    found = Complaint.objects.get(complaint_id="C-KEEP")
    owner_assign(found, dealer_user, hq_manager)
    job = import_file(
        "complaints",
        write(
            tmp_path,
            table(header, ["C-KEEP", dealer.code, "2026-10-10 09:00", "quality", "changed"]),
            name="again.csv",
        ),
        user=hq_manager,
    )
    found.refresh_from_db()
    assert job.updated == 1
    assert (found.description, found.owner) == ("changed", dealer_user)


def test_a_complaint_owner_shows_on_the_workbench_row(dealer, dealer_user):
    complaint(dealer, hours=30, complaint_id="C-OWNED", owner=dealer_user)
    text = _text(client_for(dealer_user).get(reverse("workbench:index")))
    assert 'data-testid="owner-name">dealer_user<' in text


def test_taking_an_item_on_oneself_is_audited_without_a_notice(dealer, dealer_user):
    case = hot_alert(dealer)
    owner_assign(case, dealer_user, dealer_user)
    assert AuditEvent.objects.filter(action="owner.assigned", actor=dealer_user).exists()
    assert not Notice.objects.filter(user=dealer_user).exists()


def test_the_unowned_page_of_a_regional_manager_of_another_region_lists_nothing_of_this_dealer(
    dealer, other_regional_manager, regional_manager
):
    case = hot_alert(dealer)
    assert f"unowned-hot_alert-{case.pk}" not in _text(
        client_for(other_regional_manager).get(reverse("workbench:unowned"))
    )
    assert f"unowned-hot_alert-{case.pk}" in _text(
        client_for(regional_manager).get(reverse("workbench:unowned"))
    )


def test_the_daily_clearing_board_names_each_complaints_owner_and_links_to_reassign(
    dealer, dealer_user, hq_manager
):
    owned = complaint(dealer, hours=30, owner=dealer_user)
    unowned = complaint(dealer, hours=30)
    body = client_for(hq_manager).get(reverse("surveys:board")).content.decode()
    row = body.split(f'data-testid="board-item-{owned.complaint_id}"', 1)[1].split("</tr>", 1)[0]
    assert (dealer_user.get_full_name() or dealer_user.username) in row
    assert reverse("workbench:owner", args=["complaint", owned.pk]) in row
    other = body.split(f'data-testid="board-item-{unowned.complaint_id}"', 1)[1].split("</tr>", 1)[0]
    assert 'data-testid="owner-none"' in other
