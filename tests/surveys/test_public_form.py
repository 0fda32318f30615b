"""The customer's survey page /s/<token>/: tokens, bad input, answering once, CSRF."""

from __future__ import annotations

import re
import secrets
from datetime import timedelta

import pytest
from django.test import Client
from django.urls import reverse
from django.utils import timezone

from assessments.kpis import kpi_measurements
from assessments.periods import Month
from surveys import messages as msg
from surveys.models import HotAlertCase, SurveyInvitation, SurveyResponse
from surveys.tokens import token_hash

from .conftest import GOOD_ANSWERS

pytestmark = pytest.mark.django_db


def url_for(token: str) -> str:
    return reverse("survey_answer", args=[token])


def page_text(response, token: str) -> str:
    """The page without what differs by request: the token in the URL and the CSRF token."""
    text = response.content.decode().replace(token, "TOKEN")
    return re.sub(r'name="csrfmiddlewaretoken" value="[^"]+"', "", text)


def test_customer_opens_the_survey_without_an_account(invitation):
    _invitation, token = invitation

    response = Client().get(url_for(token))

    assert response.status_code == 200
    assert b'data-testid="survey-form"' in response.content
    assert "吉利南京01店" in response.content.decode()


def test_guessing_a_random_token_finds_nothing(invitation):
    response = Client().get(url_for(secrets.token_urlsafe(32)))

    assert response.status_code == 404
    assert b'data-testid="survey-unavailable"' in response.content


def test_a_very_long_token_is_refused_without_a_lookup(invitation, django_assert_num_queries):
    with django_assert_num_queries(0):
        response = Client().get(url_for("x" * 500))

    assert response.status_code == 404


def test_the_database_never_holds_a_working_token(invitation):
    stored, token = invitation

    row = SurveyInvitation.objects.filter(pk=stored.pk).values().get()

    assert token not in [str(value) for value in row.values()]
    assert row["token_hash"] == token_hash(token)


def test_an_expired_link_looks_exactly_like_an_unknown_one(invitation):
    stored, token = invitation
    SurveyInvitation.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    guess = secrets.token_urlsafe(32)
    expired = Client().get(url_for(token))
    unknown = Client().get(url_for(guess))

    assert expired.status_code == unknown.status_code == 404
    assert page_text(expired, token) == page_text(unknown, guess)


def test_an_expired_link_takes_no_answer(invitation):
    stored, token = invitation
    SurveyInvitation.objects.filter(pk=stored.pk).update(expires_at=timezone.now() - timedelta(seconds=1))

    response = Client().post(url_for(token), GOOD_ANSWERS)

    assert response.status_code == 404
    assert not SurveyResponse.objects.exists()


def test_the_link_lives_fourteen_days_by_default(invitation):
    stored, _token = invitation

    assert stored.expires_at - stored.created_at == timedelta(days=14)


def test_answering_stores_one_portal_response_tied_to_the_repair_order(invitation, closed_ro):
    stored, token = invitation
    before = timezone.now().replace(microsecond=0)

    response = Client().post(url_for(token), GOOD_ANSWERS)

    assert response.status_code == 302
    assert response["Location"] == f"{url_for(token)}?thanks=1"
    saved = SurveyResponse.objects.get()
    assert saved.response_id == f"WEB-{stored.pk}"
    assert saved.source == SurveyResponse.Source.PORTAL
    assert saved.repair_order == closed_ro and saved.dealer == closed_ro.dealer
    assert (saved.overall, saved.nps, saved.reception, saved.timeliness) == (5, 9, 5, 4)
    assert saved.comment == "Quick and friendly."
    assert saved.responded_at.microsecond == 0 and saved.responded_at >= before
    stored.refresh_from_db()
    assert stored.answered_at == saved.responded_at and stored.response == saved
    assert len(stored.device_fingerprint) == 64


def test_the_thank_you_page_follows_the_answer(invitation):
    _stored, token = invitation
    client = Client()

    page = client.post(url_for(token), GOOD_ANSWERS, follow=True)

    assert page.status_code == 200
    assert b'data-testid="thanks"' in page.content


def test_a_second_submit_is_refused_politely_and_keeps_the_first_answer(invitation):
    _stored, token = invitation
    client = Client()
    client.post(url_for(token), GOOD_ANSWERS)

    again = client.post(url_for(token), {**GOOD_ANSWERS, "overall": "1", "nps": "0"})

    assert again.status_code == 200
    assert b'data-testid="already-answered"' in again.content
    assert SurveyResponse.objects.get().overall == 5
    assert not HotAlertCase.objects.exists()


def test_reopening_an_answered_link_says_it_was_answered(invitation):
    _stored, token = invitation
    Client().post(url_for(token), GOOD_ANSWERS)

    page = Client().get(url_for(token))

    assert page.status_code == 200
    assert b'data-testid="already-answered"' in page.content


@pytest.mark.parametrize(
    ("field", "value", "error"),
    [
        ("overall", "0", msg.SCORE_RANGE),
        ("overall", "6", msg.SCORE_RANGE),
        ("overall", "x", msg.SCORE_RANGE),
        ("overall", "", msg.ANSWER_REQUIRED),
        ("overall", None, msg.ANSWER_REQUIRED),
        ("nps", "11", msg.NPS_RANGE),
        ("nps", "-1", msg.NPS_RANGE),
        ("reception", "9", msg.SCORE_RANGE),
    ],
)
def test_bad_answers_are_shown_back_and_nothing_is_stored(invitation, field, value, error):
    _stored, token = invitation
    answers = {**GOOD_ANSWERS, field: value}
    if value is None:
        del answers[field]

    response = Client().post(url_for(token), answers)

    assert response.status_code == 200
    assert str(error) in response.content.decode()
    assert f'data-testid="error-{field}"'.encode() in response.content
    assert not SurveyResponse.objects.exists()
    assert SurveyInvitation.objects.get().answered_at is None


def test_optional_dimensions_and_comment_may_be_left_out(invitation):
    _stored, token = invitation

    Client().post(url_for(token), {"overall": "4", "nps": "8"})

    saved = SurveyResponse.objects.get()
    assert (saved.overall, saved.nps, saved.reception, saved.comment) == (4, 8, None, "")


def test_a_post_without_the_csrf_token_is_refused(invitation):
    _stored, token = invitation
    client = Client(enforce_csrf_checks=True)

    response = client.post(url_for(token), GOOD_ANSWERS)

    assert response.status_code == 403
    assert not SurveyResponse.objects.exists()


def test_a_post_with_the_csrf_token_from_the_form_is_accepted(invitation):
    _stored, token = invitation
    client = Client(enforce_csrf_checks=True)
    form = client.get(url_for(token))
    csrf = form.context["csrf_token"]

    response = client.post(url_for(token), {**GOOD_ANSWERS, "csrfmiddlewaretoken": str(csrf)})

    assert response.status_code == 302
    assert SurveyResponse.objects.count() == 1


def test_the_survey_speaks_english_when_asked(invitation):
    _stored, token = invitation

    page = Client(headers={"accept-language": "en"}).get(url_for(token))

    assert "How likely are you to recommend this dealer" in page.content.decode()


def test_the_survey_speaks_chinese_by_default(invitation):
    _stored, token = invitation

    page = Client().get(url_for(token))

    assert "您有多大可能向亲友推荐本经销商" in page.content.decode()


def test_a_response_from_the_form_counts_in_that_months_csat(invitation, closed_ro):
    _stored, token = invitation

    Client().post(url_for(token), {**GOOD_ANSWERS, "overall": "4", "nps": "10"})

    month = Month.of(SurveyResponse.objects.get().responded_at)
    values = kpi_measurements(month, [closed_ro.dealer_id])[closed_ro.dealer_id].values
    assert values["csat"] == (75.0, 1)
    assert values["nps"] == (100.0, 1)


def test_answering_queues_a_recompute_of_the_month(
    invitation, monkeypatch, django_capture_on_commit_callbacks
):
    _stored, token = invitation
    queued: list[list[str]] = []
    monkeypatch.setattr("surveys.services.queue_recompute", lambda periods: queued.append(periods))

    with django_capture_on_commit_callbacks(execute=True):
        Client().post(url_for(token), GOOD_ANSWERS)

    assert queued == [[str(Month.of(timezone.now()))]]
