"""The inbox of notices: read and unread, opening marks read, all read at once; e-mails carry absolute links."""

from __future__ import annotations

import pytest
from django.core import mail
from django.urls import reverse

from dealers.models import Notice
from dealers.services import notice_send
from tests.conftest import client_for

pytestmark = pytest.mark.django_db


def _text(response) -> str:
    return response.content.decode()


def test_notice_emails_carry_an_absolute_link_from_site_url(dealer_user, settings):
    settings.SITE_URL = "https://aftersales.example.cn/"
    dealer_user.email = "d@example.cn"
    dealer_user.save()
    notice_send(
        users=[dealer_user],
        text="Rectification due",
        url="/incentives/rectifications/7/",
        email_subject="Due",
    )
    assert "https://aftersales.example.cn/incentives/rectifications/7/" in mail.outbox[0].body
    assert Notice.objects.get().url == "/incentives/rectifications/7/"  # the portal keeps the path


def test_the_inbox_lists_my_notices_only_and_marks_unread(dealer_user, other_dealer_user):
    Notice.objects.create(user=dealer_user, text="Mine")
    Notice.objects.create(user=other_dealer_user, text="Theirs")
    page = _text(client_for(dealer_user).get(reverse("notices:list")))
    assert "Mine" in page and "Theirs" not in page
    assert "notice-unread" in page


def test_opening_a_notice_marks_it_read_and_follows_its_link(dealer_user):
    notice = Notice.objects.create(user=dealer_user, text="Go", url="/workbench/")
    response = client_for(dealer_user).get(reverse("notices:open", args=[notice.pk]))
    assert response["Location"] == "/workbench/"
    notice.refresh_from_db()
    assert notice.read_at is not None


def test_a_notice_with_a_foreign_link_opens_the_inbox_instead(dealer_user):
    notice = Notice.objects.create(user=dealer_user, text="Go", url="//evil.example/")
    response = client_for(dealer_user).get(reverse("notices:open", args=[notice.pk]))
    assert response["Location"] == reverse("notices:list")


def test_a_notice_can_be_marked_unread_and_read_again(dealer_user):
    notice = Notice.objects.create(user=dealer_user, text="Toggle")
    client = client_for(dealer_user)
    client.post(reverse("notices:toggle", args=[notice.pk]), {"read": "1"})
    notice.refresh_from_db()
    assert notice.read_at is not None
    client.post(reverse("notices:toggle", args=[notice.pk]), {"read": "0"})
    notice.refresh_from_db()
    assert notice.read_at is None


def test_mark_all_read_reads_only_mine(dealer_user, other_dealer_user):
    for i in range(3):
        Notice.objects.create(user=dealer_user, text=f"n{i}")
    theirs = Notice.objects.create(user=other_dealer_user, text="theirs")
    client_for(dealer_user).post(reverse("notices:read_all"))
    assert not Notice.objects.filter(user=dealer_user, read_at__isnull=True).exists()
    theirs.refresh_from_db()
    assert theirs.read_at is None


@pytest.mark.parametrize("method", ["get_open", "post_toggle"])
def test_another_users_notice_is_404(dealer_user, other_dealer_user, method):
    notice = Notice.objects.create(user=other_dealer_user, text="theirs")
    client = client_for(dealer_user)
    if method == "get_open":
        response = client.get(reverse("notices:open", args=[notice.pk]))
    else:
        response = client.post(reverse("notices:toggle", args=[notice.pk]), {"read": "1"})
    assert response.status_code == 404
    notice.refresh_from_db()
    assert notice.read_at is None


def test_the_inbox_is_reachable_from_the_header_on_every_page(dealer_user):
    page = _text(client_for(dealer_user).get(reverse("assessments:dealer_home")))
    assert f'href="{reverse("notices:list")}" data-testid="inbox"' in page
