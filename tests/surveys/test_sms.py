"""Survey links by SMS through the provider interface (settings.SMS_BACKEND): the console
backend writes the message out, the locmem backend keeps it for tests; no real provider here."""

from __future__ import annotations

import pytest
from django.test import override_settings
from django.utils import timezone

from surveys.models import SurveyInvitation
from surveys.services import invitations_create_for, invitations_text
from surveys.sms import LocmemSmsBackend, SmsMessage, normalise_mobile, sms_send
from tests.factories import RepairOrderFactory

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def outbox():
    LocmemSmsBackend.outbox.clear()
    yield LocmemSmsBackend.outbox
    LocmemSmsBackend.outbox.clear()


def closed_order(dealer, ro_number="RO-SMS-1"):
    closed = timezone.now() - timezone.timedelta(hours=2)
    return RepairOrderFactory(
        dealer=dealer, ro_number=ro_number, opened_at=closed - timezone.timedelta(hours=3), closed_at=closed
    )


@pytest.mark.parametrize(
    ("phone", "mobile"),
    [
        ("13812345678", "13812345678"),
        ("+86 138-1234-5678", "13812345678"),
        ("8613812345678", "13812345678"),
        ("021-12345678", ""),
        ("12812345678", ""),
        ("", ""),
    ],
)
def test_only_a_mainland_mobile_number_is_texted(phone, mobile):
    assert normalise_mobile(phone) == mobile


def test_a_customer_with_a_mobile_gets_the_survey_link_when_invited(
    dealer, outbox, django_capture_on_commit_callbacks
):
    with_phone, without = closed_order(dealer), closed_order(dealer, "RO-SMS-2")

    with django_capture_on_commit_callbacks(execute=True):
        created = invitations_create_for([with_phone, without], phones={with_phone.pk: "138 1234 5678"})

    assert created == 2
    invitation = SurveyInvitation.objects.get(repair_order=with_phone)
    assert [m.phone for m in outbox] == ["13812345678"]
    assert f"/s/{invitation.token}/" in outbox[0].text and dealer.name in outbox[0].text


def test_an_answered_or_expired_invitation_is_not_texted(dealer, outbox):
    answered, expired = closed_order(dealer), closed_order(dealer, "RO-SMS-2")
    invitations_create_for([answered, expired])
    SurveyInvitation.objects.filter(repair_order=answered).update(answered_at=timezone.now())
    SurveyInvitation.objects.filter(repair_order=expired).update(expires_at=timezone.now())

    sent = invitations_text({answered.pk: "13812345678", expired.pk: "13912345678"})

    assert sent == 0 and outbox == []


@override_settings(SMS_BACKEND="surveys.sms.ConsoleSmsBackend")
def test_the_console_backend_writes_the_survey_link_out(dealer, capsys):
    ro = closed_order(dealer)
    invitations_create_for([ro])
    invitation = SurveyInvitation.objects.get(repair_order=ro)

    sent = invitations_text({ro.pk: "13812345678"})

    out = capsys.readouterr().out
    assert sent == 1
    assert "SMS to 13812345678" in out and f"/s/{invitation.token}/" in out


@override_settings(SMS_BACKEND="tests.surveys.test_sms.BrokenBackend")
def test_a_provider_that_fails_does_not_fail_the_invitations(dealer, django_capture_on_commit_callbacks):
    ro = closed_order(dealer)

    with django_capture_on_commit_callbacks(execute=True):
        created = invitations_create_for([ro], phones={ro.pk: "13812345678"})

    assert created == 1 and SurveyInvitation.objects.filter(repair_order=ro).exists()


def test_sending_nothing_asks_no_provider():
    assert sms_send([]) == 0


class BrokenBackend(LocmemSmsBackend):
    def send_messages(self, messages: list[SmsMessage]) -> int:
        raise ConnectionError("provider down")


# --- HQ pastes the customers' mobiles on the invitations page ---------------------------


def paste(client, text):
    return client.post("/surveys/invitations/text/", {"lines": text})


def test_hq_pastes_orders_and_mobiles_from_excel_and_each_customer_gets_their_link(
    dealer, hq_manager, outbox
):
    from dealers.models import AuditEvent
    from tests.conftest import client_for

    first, second = closed_order(dealer), closed_order(dealer, "RO-SMS-2")
    invitations_create_for([first, second])
    client = client_for(hq_manager)

    response = paste(
        client, f"{dealer.code}\tRO-SMS-1\t138 1234 5678\n\n{dealer.code.lower()},RO-SMS-2,13912345678\n"
    )

    assert response.status_code == 302 and response["Location"] == "/surveys/invitations/"
    links = {
        i.repair_order.ro_number: f"/s/{i.token}/"
        for i in SurveyInvitation.objects.select_related("repair_order")
    }
    texts = {m.phone: m.text for m in outbox}
    assert set(texts) == {"13812345678", "13912345678"}
    assert links["RO-SMS-1"] in texts["13812345678"] and links["RO-SMS-2"] in texts["13912345678"]
    event = AuditEvent.objects.get(action="survey_invitations.texted")
    assert event.actor == hq_manager and event.after == {"lines": 2, "sent": 2}
    assert "1381234" not in str(event.after)


def test_a_bad_line_is_named_by_its_number_in_chinese_and_nothing_is_sent(dealer, hq_manager, outbox):
    from tests.conftest import client_for

    invitations_create_for([closed_order(dealer), closed_order(dealer, "RO-SMS-2")])
    client = client_for(hq_manager)
    client.cookies["django_language"] = "zh-hans"

    response = paste(client, f"{dealer.code}\tRO-SMS-1\t13812345678\n{dealer.code}\tRO-SMS-2\t021-5555\n")

    assert response.status_code == 400
    page = response.content.decode()
    assert "第 2 行" in page and "021-5555" in page
    assert outbox == []


def test_an_order_without_an_invitation_stops_the_whole_paste(dealer, hq_manager, outbox):
    from tests.conftest import client_for

    invitations_create_for([closed_order(dealer)])

    response = paste(
        client_for(hq_manager), f"{dealer.code}\tRO-SMS-1\t13812345678\n{dealer.code}\tRO-NOPE\t13912345678"
    )

    assert response.status_code == 400
    assert "RO-NOPE" in response.content.decode()
    assert outbox == []


def test_an_answered_invitation_in_a_paste_is_skipped_and_counted(dealer, hq_manager, outbox):
    from tests.conftest import client_for

    answered, open_one = closed_order(dealer), closed_order(dealer, "RO-SMS-2")
    invitations_create_for([answered, open_one])
    SurveyInvitation.objects.filter(repair_order=answered).update(answered_at=timezone.now())
    client = client_for(hq_manager)
    client.cookies["django_language"] = "en"

    response = paste(client, f"{dealer.code}\tRO-SMS-1\t13812345678\n{dealer.code}\tRO-SMS-2\t13912345678")
    page = client.get(response["Location"]).content.decode()

    assert [m.phone for m in outbox] == ["13912345678"]
    assert "1 survey links sent by SMS; 1 skipped" in page


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager"])
def test_only_hq_sends_links_by_sms(cast, role, dealer, outbox):
    from tests.conftest import client_for

    invitations_create_for([closed_order(dealer)])

    response = paste(client_for(cast[role]), f"{dealer.code}\tRO-SMS-1\t13812345678")

    assert response.status_code == 403 and outbox == []


def test_the_form_is_on_the_invitations_page_hq_opens_from_the_menu(hq_manager):
    from tests.conftest import client_for

    page = client_for(hq_manager).get("/surveys/invitations/").content.decode()

    assert 'data-testid="sms-links"' in page and 'action="/surveys/invitations/text/"' in page
