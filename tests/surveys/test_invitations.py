"""Invitations: one per closed repair order, a one-time link with an expiry, exported for SMS by HQ."""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import override

from dealers.choices import DealerStatus
from dealers.models import AuditEvent
from surveys.choices import TemplateStatus
from surveys.models import HotAlertCase, SurveyInvitation, SurveyTemplate
from surveys.services import invitations_create_for_closed, template_current
from surveys.tasks import sweep_customer_voice
from surveys.views import INVITATION_STATES
from tests.conftest import client_for
from tests.factories import DealerFactory, RepairOrderFactory, SurveyResponseFactory

from .conftest import GOOD_ANSWERS

pytestmark = pytest.mark.django_db


def test_every_recently_closed_repair_order_gets_one_invitation(dealer):
    now = timezone.now()
    closed = RepairOrderFactory(
        dealer=dealer, opened_at=now - timedelta(days=2), closed_at=now - timedelta(days=1)
    )
    RepairOrderFactory(dealer=dealer, opened_at=now - timedelta(hours=3), closed_at=None)  # still open
    RepairOrderFactory(
        dealer=dealer, opened_at=now - timedelta(days=40), closed_at=now - timedelta(days=30)
    )  # too old

    assert invitations_create_for_closed(now=now) == 1
    assert invitations_create_for_closed(now=now) == 0

    invitation = SurveyInvitation.objects.get()
    assert invitation.repair_order == closed and invitation.dealer == dealer
    assert invitation.template == template_current()
    assert invitation.expires_at == now + timedelta(days=14)


def test_a_dealer_whose_authorisation_ended_is_not_surveyed():
    now = timezone.now()
    gone = DealerFactory(status=DealerStatus.TERMINATED)
    RepairOrderFactory(dealer=gone, opened_at=now - timedelta(days=2), closed_at=now - timedelta(days=1))

    assert invitations_create_for_closed(now=now) == 0


def test_the_expiry_follows_the_setting(closed_ro, settings):
    settings.SURVEY_INVITATION_TTL_DAYS = 3
    now = timezone.now()

    invitations_create_for_closed(now=now)

    assert SurveyInvitation.objects.get().expires_at == now + timedelta(days=3)


def test_each_invitation_has_its_own_unguessable_token(dealer):
    now = timezone.now()
    for _ in range(20):
        RepairOrderFactory(
            dealer=dealer, opened_at=now - timedelta(days=2), closed_at=now - timedelta(days=1)
        )

    invitations_create_for_closed(now=now)

    tokens = {inv.token for inv in SurveyInvitation.objects.all()}
    assert len(tokens) == 20
    assert all(len(token) == 43 for token in tokens)


def test_the_default_template_is_published_in_chinese_and_english():
    template = template_current()

    assert template is not None and template.status == TemplateStatus.PUBLISHED
    fields = [q["field"] for q in template.questions]
    assert fields == [
        "reception",
        "diagnosis",
        "repair_quality",
        "attitude",
        "timeliness",
        "overall",
        "nps",
        "comment",
    ]
    assert all(q["text_zh"] and q["text_en"] for q in template.questions)


def test_without_a_published_template_no_invitation_is_made(closed_ro):
    SurveyTemplate.objects.update(status=TemplateStatus.DRAFT)

    assert invitations_create_for_closed() == 0


def test_hq_exports_the_invitations_with_working_links_and_the_export_is_audited(invitation, hq_manager):
    stored, token = invitation

    export = client_for(hq_manager).get(
        reverse("surveys:invitations_export", args=["csv"]), {"state": "waiting"}
    )

    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert rows[1][2] == stored.repair_order.ro_number
    assert rows[1][4] == timezone.localtime(stored.repair_order.closed_at).strftime("%Y-%m-%d %H:%M:%S")
    with override("zh-hans"):
        assert rows[1][7] == str(INVITATION_STATES["waiting"])
    link = rows[1][-1]
    assert link == f"http://testserver{reverse('survey_answer', args=[token])}"
    assert Client().get(link.removeprefix("http://testserver")).status_code == 200
    event = AuditEvent.objects.get(action="survey_invitations.exported")
    assert event.actor == hq_manager and event.after["count"] == 1


def test_the_export_uses_the_public_base_url_when_set(invitation, hq_manager, settings):
    settings.SURVEY_LINK_BASE_URL = "https://survey.example.cn"
    _stored, token = invitation

    export = client_for(hq_manager).get(reverse("surveys:invitations_export", args=["xlsx"]))

    assert export.status_code == 200
    from openpyxl import load_workbook

    sheet = load_workbook(io.BytesIO(export.content)).active
    assert sheet.cell(row=2, column=9).value == f"https://survey.example.cn/s/{token}/"


def test_hq_sees_the_invitations_and_their_state(invitation, hq_admin):
    Client().post(reverse("survey_answer", args=[invitation[1]]), GOOD_ANSWERS)

    page = client_for(hq_admin).get(reverse("surveys:invitations"), {"state": "answered"})

    assert page.status_code == 200
    assert len(page.context["page"].object_list) == 1
    assert invitation[1].encode() not in page.content  # the page never shows the link itself


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_dealers_and_regional_managers_never_see_survey_links(cast, invitation, role):
    client = client_for(cast[role])

    assert client.get(reverse("surveys:invitations")).status_code == 403
    assert client.get(reverse("surveys:invitations_export", args=["csv"])).status_code == 403


def test_the_sweep_invites_opens_hot_alerts_for_imports_and_flags_new_responses(closed_ro, dealer):
    now = timezone.now()
    SurveyResponseFactory(dealer=dealer, overall=1, responded_at=now - timedelta(hours=1), imported_at=now)
    SurveyResponseFactory(dealer=dealer, repair_order=closed_ro, responded_at=now, imported_at=now)
    SurveyResponseFactory(dealer=dealer, repair_order=closed_ro, responded_at=now, imported_at=now)

    outcome = sweep_customer_voice.apply().get()

    assert outcome["invitations"] == 1 and outcome["hot_alerts"] == 1 and outcome["flags"] == 2
    assert HotAlertCase.objects.count() == 1
    assert sweep_customer_voice.apply().get()["invitations"] == 0
