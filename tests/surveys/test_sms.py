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
