"""The security baseline: password rules, sign-in throttling with a cool-off, sign-in everywhere."""

from __future__ import annotations

import os
import re
import socket
from datetime import timedelta

import pytest
from axes.models import AccessAttempt
from django.conf import settings
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import OperationalError
from django.test import Client
from django.urls import URLPattern, URLResolver, get_resolver, resolve, reverse
from django.urls.exceptions import Resolver404
from django.utils import timezone
from django.utils.regex_helper import normalize

from config import health
from dealers.choices import Role
from tests.conftest import PASSWORD
from tests.factories import UserFactory

LOGIN_URL = "/accounts/login/"
ATTACKER_IP = "203.0.113.7"
OTHER_IP = "198.51.100.23"

# Views anyone may open without signing in. Keep this list short and every entry justified.
PUBLIC_VIEWS = {
    "login": "the sign-in page itself",
    "set_language": "the language switch on the sign-in page",
    "healthz": "the health probe; names which part is up or down (database, broker, cache), no details",
    "admin:login": "the Django admin's own sign-in page",
    "favicon": "browsers ask for /favicon.ico on every page, the sign-in page too: a redirect to the static icon",
    "survey_answer": "the customer's one-time survey link: the signed token in the URL is the credential",
}
# JSON a page's script fetches: signed out it answers 401 like the API, rather than rendering
# the sign-in page behind the user's back (that would reset the sign-in form's CSRF cookie).
SCRIPT_ENDPOINTS = {
    "workbench:counts": "the navigation's badge counts",
}


# Passwords ---------------------------------------------------------------------------


@pytest.mark.parametrize(
    "password",
    ["short1!", "password123", "1234567890123", "qwertyuiop"],
    ids=["too-short", "common", "all-digits", "common-keyboard-walk"],
)
def test_password_validators_reject_a_weak_password(password):
    with pytest.raises(ValidationError):
        validate_password(password)


def test_password_validators_reject_a_password_like_the_user_name(db):
    user = UserFactory(username="zhangwei2026", email="zhangwei2026@example.com")

    with pytest.raises(ValidationError):
        validate_password("zhangwei2026", user)


def test_password_validators_accept_a_long_uncommon_password(db):
    validate_password("Tidal-Orchid-7351", UserFactory(username="wangfang"))


# Sign-in throttling ------------------------------------------------------------------


def sign_in(client: Client, username: str, password: str, ip: str):
    return client.post(LOGIN_URL, {"username": username, "password": password}, REMOTE_ADDR=ip)


def signed_in(client: Client) -> bool:
    return "_auth_user_id" in client.session


def fail_until_locked(username: str, ip: str) -> None:
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT):
        sign_in(client, username, "wrong-password-0", ip)


@pytest.fixture
def hq_user(db):
    return UserFactory(username="hq_person", role=Role.HQ_MANAGER)


def test_a_few_wrong_passwords_do_not_lock_the_user_out(hq_user):
    client = Client()
    for _ in range(settings.AXES_FAILURE_LIMIT - 1):
        sign_in(client, "hq_person", "wrong-password-0", ATTACKER_IP)

    sign_in(client, "hq_person", PASSWORD, ATTACKER_IP)

    assert signed_in(client)


def test_after_too_many_failures_even_the_right_password_is_refused(hq_user):
    fail_until_locked("hq_person", ATTACKER_IP)
    client = Client()

    response = sign_in(client, "hq_person", PASSWORD, ATTACKER_IP)

    assert response.status_code == 429
    assert not signed_in(client)


def test_the_lock_out_cools_off(hq_user):
    fail_until_locked("hq_person", ATTACKER_IP)
    # When the cool-off has passed since the failures …
    cool_off = timedelta(hours=settings.AXES_COOLOFF_TIME)
    AccessAttempt.objects.update(attempt_time=timezone.now() - cool_off - timedelta(minutes=1))
    client = Client()

    sign_in(client, "hq_person", PASSWORD, ATTACKER_IP)

    assert signed_in(client)


def test_the_cool_off_is_short_not_a_permanent_lock_out():
    assert settings.AXES_COOLOFF_TIME is not None
    assert timedelta(hours=settings.AXES_COOLOFF_TIME) <= timedelta(hours=1)


def test_a_lock_out_from_one_address_does_not_lock_the_user_out_elsewhere(hq_user):
    fail_until_locked("hq_person", ATTACKER_IP)
    client = Client()

    sign_in(client, "hq_person", PASSWORD, OTHER_IP)

    assert signed_in(client)


def test_a_lock_out_of_one_user_name_does_not_lock_other_users_on_that_address(hq_user):
    UserFactory(username="colleague", role=Role.HQ_MANAGER)
    fail_until_locked("hq_person", ATTACKER_IP)
    client = Client()

    sign_in(client, "colleague", PASSWORD, ATTACKER_IP)

    assert signed_in(client)


# Sign-in required everywhere -----------------------------------------------------------

# Values tried for each URL argument until the URL resolves back to its own view.
DUMMY_ARGUMENTS = (
    "1",
    "x",
    "2026-10",
    "GL0001",
    "2026-10:GL0001",
    "dealers",
    "json",
    ".json",
    "00000000-0000-0000-0000-000000000001",
)


def walk(patterns, prefix: str = "", namespace: str = ""):
    """Yield (full regex, view name or None, URLPattern) for every pattern, nested includes too."""
    for p in patterns:
        regex = prefix + p.pattern.regex.pattern.lstrip("^")
        if isinstance(p, URLResolver):
            inner = f"{namespace}{p.namespace}:" if p.namespace else namespace
            yield from walk(p.url_patterns, regex, inner)
        elif isinstance(p, URLPattern):
            yield regex, (f"{namespace}{p.name}" if p.name else None), p


def group_patterns(regex: str) -> dict[str, str]:
    """The sub-pattern of every named group, e.g. {'fmt': 'csv|xlsx'}."""
    groups = {}
    for start in re.finditer(r"\(\?P<(\w+)>", regex):
        depth, i = 1, start.end()
        while depth:
            depth += {"(": 1, ")": -1}.get(regex[i], 0) if regex[i - 1] != "\\" else 0
            i += 1
        groups[start.group(1)] = regex[start.end() : i - 1]
    return groups


def dummy_value(name: str, group: str) -> str | None:
    """A value that the group's pattern accepts: a common dummy, or one of its alternatives."""
    preferred = ["json", ".json"] if name == "format" else []  # DRF answers 404 to an unknown format
    candidates = [*preferred, *DUMMY_ARGUMENTS, *group.split("|")]
    return next((c for c in candidates if re.fullmatch(group, c)), None)


def example_path(regex: str, pattern: URLPattern) -> str | None:
    """A concrete path that resolves to `pattern`, built from its regex with dummy arguments."""
    groups = group_patterns(regex)
    for template, params in normalize(regex):
        values = {name: dummy_value(name, groups.get(name, "[^/]+")) for name in params}
        if None in values.values():
            continue
        path = "/" + template % values
        try:
            match = resolve(path)
        except Resolver404:
            continue
        if match.func is pattern.callback:
            return path
    return None


def every_url() -> list[tuple[str, str]]:
    """(path, view name) for every pattern; the path is '' where no dummy argument fits."""
    seen: dict[str, str] = {}
    for regex, name, pattern in walk(get_resolver().url_patterns):
        path = example_path(regex, pattern) or ""
        seen.setdefault(path or f"<{regex}>", name or regex)
    return sorted(seen.items())


def is_redirect_to_sign_in(response) -> bool:
    if response.status_code != 302:
        return False
    target = response["Location"]
    return target.startswith(reverse("login")) or target.startswith(reverse("admin:login"))


@pytest.mark.parametrize(("path", "name"), every_url())
def test_every_view_needs_sign_in_unless_it_is_on_the_public_list(db, path, name):
    assert not path.startswith("<"), f"no dummy argument fits {path} ({name}): add one to DUMMY_ARGUMENTS"
    response = Client().get(path)

    if name in PUBLIC_VIEWS:
        return
    # The API answers 401; its docs page is for people and asks them to sign in, like every page.
    if (path.startswith("/api/") and name != "api-docs") or name in SCRIPT_ENDPOINTS:
        assert response.status_code == 401, (
            f"{path} ({name}) answered {response.status_code} without credentials"
        )
    else:
        assert is_redirect_to_sign_in(response), (
            f"{path} ({name}) answered {response.status_code} to an anonymous visitor instead of asking to sign in"
        )


def test_the_public_views_exist():
    names = {name for _regex, name, _p in walk(get_resolver().url_patterns)}

    assert set(PUBLIC_VIEWS) <= names


def test_the_public_views_answer_anonymous_visitors(db):
    client = Client()

    assert client.get(reverse("login")).status_code == 200
    assert client.get(reverse("admin:login")).status_code == 200
    assert client.get(reverse("healthz")).json()["status"] == "ok"


# Health -------------------------------------------------------------------------------


def closed_port_url(scheme: str = "redis") -> str:
    """An address where nothing listens: a port the system just handed out and took back."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    return f"{scheme}://127.0.0.1:{port}/0"


def redis_cache_at(url: str) -> dict:
    return {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": url,
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }


def test_healthz_without_a_broker_says_the_database_and_cache_are_ok_and_no_broker_is_configured(
    db, settings
):
    settings.CELERY_BROKER_URL = ""

    response = Client().get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json() == {"status": "ok", "database": "ok", "broker": "not configured", "cache": "ok"}


@pytest.mark.skipif(
    not os.environ.get("CELERY_BROKER_URL"), reason="no broker configured (CELERY_BROKER_URL)"
)
def test_healthz_checks_the_configured_broker_and_finds_it_up(db):
    response = Client().get(reverse("healthz"))

    assert response.status_code == 200
    assert response.json()["broker"] == "ok"


def test_healthz_answers_503_naming_the_broker_when_the_broker_is_down(db, settings):
    settings.CELERY_BROKER_URL = closed_port_url()

    response = Client().get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {"status": "unavailable", "database": "ok", "broker": "down", "cache": "ok"}


def test_healthz_answers_503_naming_the_cache_when_the_cache_is_down(db, settings):
    settings.CELERY_BROKER_URL = ""
    settings.CACHES = redis_cache_at(closed_port_url())

    response = Client().get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json() == {
        "status": "unavailable",
        "database": "ok",
        "broker": "not configured",
        "cache": "down",
    }


class UnreachableDatabase:
    """The default connection as it behaves when the database server has gone away."""

    def cursor(self):
        raise OperationalError("could not connect to server: Connection refused")


def test_healthz_answers_503_naming_the_database_when_the_database_is_down(db, settings, monkeypatch):
    settings.CELERY_BROKER_URL = ""
    monkeypatch.setattr(health, "connection", UnreachableDatabase())

    response = Client().get(reverse("healthz"))

    assert response.status_code == 503
    assert response.json()["database"] == "down"
    assert response.json()["status"] == "unavailable"
