"""API tokens: stored as a hash, expiring, named, several per user, listed and revoked by
their owner on /account/tokens/ and by HQ admins on /account/tokens/all/."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from importlib import import_module

import pytest
from django.apps import apps
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from dealers.api.authentication import INVALID_TOKEN
from dealers.api.tokens import api_token_issue
from dealers.models import ApiToken, AuditEvent
from dealers.views import TOKEN_REVOKED
from tests.conftest import client_for

MINE = "/account/tokens/"
ALL = "/account/tokens/all/"


def status_with(secret: str) -> int:
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    return client.get("/api/v1/dealers/").status_code


def every_stored_value() -> str:
    """Every column of every token row, as text: where a secret must never appear."""
    return " ".join(str(value) for row in ApiToken.objects.values_list() for value in row)


def create_on_the_page(client, name: str = "DMS 接口") -> str:
    response = client.post(MINE, {"name": name})
    assert response.status_code == 200
    return response.context["issued"].secret


# Stored hashed, shown once -------------------------------------------------------------


def test_a_token_made_on_the_page_is_shown_once_and_only_its_hash_is_stored(dealer_user):
    client = client_for(dealer_user)

    response = client.post(MINE, {"name": "DMS 接口"})
    secret = response.context["issued"].secret

    assert secret in response.content.decode()
    assert "no-store" in response["Cache-Control"]
    assert secret not in client.get(MINE).content.decode()
    assert secret not in every_stored_value()
    token = ApiToken.objects.get(user=dealer_user)
    assert token.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert token.name == "DMS 接口"
    assert len(secret) >= 40


def test_a_token_made_on_the_page_works_with_the_token_header(dealer_user):
    secret = create_on_the_page(client_for(dealer_user))

    assert status_with(secret) == 200
    assert status_with(secret[:-1] + ("A" if secret[-1] != "A" else "B")) == 401


def test_a_token_answers_with_the_scope_of_its_owner(cast):
    secret = create_on_the_page(client_for(cast["dealer_user"]))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    codes = {row["code"] for row in client.get("/api/v1/dealers/").json()["results"]}

    assert codes == {"GL0001"}


def test_a_user_holds_several_named_tokens_and_each_works(dealer_user):
    client = client_for(dealer_user)
    first = create_on_the_page(client, "DMS")
    second = create_on_the_page(client, "BI 报表")

    page = client.get(MINE).content.decode()

    assert status_with(first) == status_with(second) == 200
    assert "DMS" in page and "BI 报表" in page


def test_a_token_needs_a_name(dealer_user):
    response = client_for(dealer_user).post(MINE, {"name": ""})

    assert response.context["issued"] is None
    assert not ApiToken.objects.exists()


# Expiry and last use --------------------------------------------------------------------


@override_settings(API_TOKEN_TTL_DAYS=30)
def test_a_token_expires_after_the_configured_days(dealer_user):
    before = timezone.now()
    secret = create_on_the_page(client_for(dealer_user))
    token = ApiToken.objects.get(user=dealer_user)

    assert before + timedelta(days=30) <= token.expires_at <= timezone.now() + timedelta(days=30)
    assert status_with(secret) == 200

    ApiToken.objects.update(expires_at=timezone.now() - timedelta(seconds=1))
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")
    refused = client.get("/api/v1/dealers/")

    assert refused.status_code == 401
    assert refused.json()["detail"] == str(INVALID_TOKEN)


def test_tokens_live_ninety_days_unless_configured(dealer_user):
    issued = api_token_issue(user=dealer_user, actor=dealer_user, name="x")

    assert issued.token.expires_at - issued.token.created_at == pytest.approx(
        timedelta(days=90), abs=timedelta(seconds=5)
    )


def test_an_expired_token_is_marked_on_the_page(dealer_user):
    create_on_the_page(client_for(dealer_user))
    ApiToken.objects.update(expires_at=timezone.now() - timedelta(days=1))

    rows = client_for(dealer_user).get(MINE).content.decode()

    assert "badge-bad" in rows


def test_an_inactive_users_token_is_refused(dealer_user):
    secret = create_on_the_page(client_for(dealer_user))
    dealer_user.is_active = False
    dealer_user.save()

    assert status_with(secret) == 401


def test_the_last_use_is_recorded_at_most_once_a_minute(dealer_user):
    secret = create_on_the_page(client_for(dealer_user))
    assert ApiToken.objects.get().last_used_at is None

    status_with(secret)
    first = ApiToken.objects.get().last_used_at
    status_with(secret)
    second = ApiToken.objects.get().last_used_at
    ApiToken.objects.update(last_used_at=timezone.now() - timedelta(minutes=2))
    status_with(secret)
    third = ApiToken.objects.get().last_used_at

    assert first is not None
    assert second == first
    assert third > first


def test_using_a_token_writes_nothing_within_the_minute(dealer_user):
    secret = create_on_the_page(client_for(dealer_user))
    status_with(secret)
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION=f"Token {secret}")

    with CaptureQueriesContext(connection) as queries:
        client.get("/api/v1/regions/")

    assert not any(q["sql"].lstrip().upper().startswith("UPDATE") for q in queries.captured_queries)


# Revoking -------------------------------------------------------------------------------


def test_the_owner_revokes_a_token_and_it_stops_working(dealer_user):
    client = client_for(dealer_user)
    kept = create_on_the_page(client, "kept")
    revoked = create_on_the_page(client, "revoked")
    token = ApiToken.objects.get(name="revoked")

    response = client.post(reverse("tokens:revoke", args=[token.pk]), follow=True)

    assert status_with(revoked) == 401
    assert status_with(kept) == 200
    assert str(TOKEN_REVOKED % {"name": "revoked"}) in response.content.decode()
    actions = AuditEvent.objects.filter(object_type="user", object_id=str(dealer_user.pk))
    assert sorted(actions.values_list("action", flat=True)) == [
        "token.issued",
        "token.issued",
        "token.revoked",
    ]


@pytest.mark.parametrize("role", ["other_dealer_user", "regional_manager", "hq_manager"])
def test_nobody_but_the_owner_and_hq_admins_may_revoke_a_token(cast, role):
    secret = create_on_the_page(client_for(cast["dealer_user"]))
    token = ApiToken.objects.get()

    response = client_for(cast[role]).post(reverse("tokens:revoke", args=[token.pk]))

    assert response.status_code == 404
    assert status_with(secret) == 200


def test_revoking_is_a_post(dealer_user):
    create_on_the_page(client_for(dealer_user))

    response = client_for(dealer_user).get(reverse("tokens:revoke", args=[ApiToken.objects.get().pk]))

    assert response.status_code == 405
    assert ApiToken.objects.exists()


def test_a_user_sees_only_their_own_tokens(cast):
    create_on_the_page(client_for(cast["dealer_user"]), "mine-of-dealer")

    page = client_for(cast["other_dealer_user"]).get(MINE).content.decode()

    assert "mine-of-dealer" not in page


# HQ admins ------------------------------------------------------------------------------


def test_hq_admins_list_every_token_with_owner_created_expires_and_last_used(cast):
    secret = create_on_the_page(client_for(cast["dealer_user"]), "DMS")
    create_on_the_page(client_for(cast["regional_manager"]), "报表")
    status_with(secret)

    response = client_for(cast["hq_admin"]).get(ALL)
    page = response.content.decode()

    assert response.status_code == 200
    assert [(t.user.username, t.name) for t in response.context["tokens"]] == [
        ("dealer_user", "DMS"),
        ("east_manager", "报表"),
    ]
    assert "dealer_user" in page and "east_manager" in page
    token = ApiToken.objects.get(name="DMS")
    for moment in (token.created_at, token.expires_at, token.last_used_at):
        assert timezone.localtime(moment).strftime("%Y-%m-%d") in page
    assert secret not in page


@pytest.mark.parametrize("role", ["dealer_user", "regional_manager", "hq_manager"])
def test_only_hq_admins_open_the_list_of_every_token(cast, role):
    assert client_for(cast[role]).get(ALL).status_code == 403


def test_an_hq_admin_revokes_anyones_token(cast):
    secret = create_on_the_page(client_for(cast["dealer_user"]))
    token = ApiToken.objects.get()

    response = client_for(cast["hq_admin"]).post(reverse("tokens:revoke", args=[token.pk]), {"from": "all"})

    assert response.status_code == 302
    assert response["Location"] == ALL
    assert status_with(secret) == 401
    assert AuditEvent.objects.filter(action="token.revoked", actor=cast["hq_admin"]).exists()


def test_the_token_page_is_in_the_user_menu_of_every_role(cast):
    for user in cast.values():
        page = client_for(user).get(reverse("dealers:list") if user.is_manager else "/assessments/my/")
        assert f'href="{MINE}"' in page.content.decode(), user.username


def test_the_api_issues_a_named_token_that_expires_and_revokes_them_all(cast):
    admin = APIClient()
    admin.force_authenticate(cast["hq_admin"])
    address = reverse("api:user-token", kwargs={"pk": cast["dealer_user"].pk})

    body = admin.post(address, {"name": "DMS"}, format="json").json()

    assert body["name"] == "DMS"
    assert body["expires"]
    assert status_with(body["key"]) == 200
    assert body["key"] not in every_stored_value()
    assert admin.delete(address).status_code == 204
    assert status_with(body["key"]) == 401


# The plain DRF tokens of before ---------------------------------------------------------


def test_the_migration_hashes_the_plain_tokens_so_they_keep_working_until_they_expire(dealer_user):
    plain = Token.objects.create(user=dealer_user)
    key = plain.key
    migration = import_module("dealers.migrations.0003_csptokens_api_tokens")

    migration.hash_plain_tokens(apps, connection.schema_editor())

    assert not Token.objects.exists()
    token = ApiToken.objects.get(user=dealer_user)
    assert token.key_hash == hashlib.sha256(key.encode()).hexdigest()
    assert key not in every_stored_value()
    assert token.created_at == plain.created
    assert token.expires_at > timezone.now() + timedelta(days=89)
    assert status_with(key) == 200


def test_a_plain_drf_token_no_longer_authenticates(dealer_user):
    plain = Token.objects.create(user=dealer_user)

    assert status_with(plain.key) == 401
