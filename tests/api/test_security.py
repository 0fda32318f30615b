"""Secure defaults of the API: who may call without signing in, both ways of signing in,
throttling, one error body, paging limits, and a browsable API that shows nothing out of scope."""

from __future__ import annotations

import logging
import re
import socket
import uuid

import pytest
from django.conf import settings
from django.contrib.staticfiles import finders
from django.core.cache.backends.locmem import LocMemCache
from django.test import override_settings
from django.urls import URLPattern, URLResolver, get_resolver
from rest_framework.serializers import Serializer
from rest_framework.test import APIClient
from rest_framework.throttling import SimpleRateThrottle

from assessments.models import RepairOrder
from config import api_throttles
from config.api_base import ScopedSlugRelatedField, scope_queryset
from config.api_throttles import ApiAnonRateThrottle, ApiUserRateThrottle, FailOpenCache
from dealers.models import Dealer, Region
from tests.conftest import client_for
from tests.factories import RepairOrderFactory

from .conftest import api_client

#: API addresses outside the v1 router: the schema and its docs page, behind sign-in unless API_DOCS_PUBLIC=1.
API_DOCS = {"api-schema", "api-docs"}


def _api_routes(patterns, prefix: str = "") -> dict[str, str]:
    """Route name → path of every named route outside the v1 router (which test_isolation covers)."""
    routes: dict[str, str] = {}
    for pattern in patterns:
        path = prefix + str(pattern.pattern)
        if isinstance(pattern, URLResolver):
            if getattr(pattern, "namespace", None) == "api":
                continue
            routes |= _api_routes(pattern.url_patterns, path)
        elif isinstance(pattern, URLPattern) and path.startswith("api/") and pattern.name:
            routes[pattern.name] = path
    return routes


def test_no_api_address_answers_without_sign_in_by_default(db):
    routes = _api_routes(get_resolver().url_patterns)

    assert set(routes) == API_DOCS, "a new API address must be signed-in only, and listed here"
    assert APIClient().get("/api/v1/schema/").status_code == 401
    docs = APIClient().get("/api/v1/docs/")
    assert docs.status_code == 302
    assert docs["Location"].startswith("/accounts/login/?next=/api/v1/docs/")


def test_signed_in_users_read_the_schema_and_docs_by_session_or_token(cast):
    assert api_client(cast["dealer_user"]).get("/api/v1/schema/").status_code == 200
    assert api_client(cast["dealer_user"], token=True).get("/api/v1/schema/").status_code == 200
    assert client_for(cast["dealer_user"]).get("/api/v1/docs/").status_code == 200


@override_settings(API_DOCS_PUBLIC=True)
def test_api_docs_public_opens_the_schema_and_docs_to_anyone(db):
    for name in API_DOCS:
        path = "/" + _api_routes(get_resolver().url_patterns)[name]
        assert APIClient().get(path).status_code == 200, name


def test_the_docs_page_runs_no_inline_script_or_style(cast):
    client = client_for(cast["dealer_user"])
    page = client.get("/api/v1/docs/")
    html = page.content.decode()
    script_url = re.findall(r'<script src="([^"]+script=[^"]*)"', html)

    assert page["Content-Security-Policy"] == settings.CONTENT_SECURITY_POLICY
    assert "<style" not in html
    assert re.findall(r"<script(?![^>]*\bsrc=)[^>]*>", html) == []
    assert len(script_url) == 1
    script = client.get(script_url[0].replace("&amp;", "&"))
    assert script.status_code == 200
    assert script["Content-Type"].startswith("application/javascript")
    assert "SwaggerUIBundle" in script.content.decode()


def test_the_schema_describes_every_endpoint_of_the_router(cast):
    from config.api_router import router

    schema = (
        api_client(cast["hq_admin"])
        .get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )

    prefixes = {f"/api/v1/{prefix}/" for prefix, _viewset, _basename in router.registry}
    assert prefixes <= set(schema["paths"])
    for path, operations in schema["paths"].items():
        for method, operation in operations.items():
            assert operation.get("description"), f"{method} {path} has no description"
            for parameter in operation.get("parameters", []):
                assert parameter.get("description"), f"{method} {path} {parameter['name']}"


def test_every_field_of_the_schema_is_described(cast):
    schema = (
        api_client(cast["hq_admin"])
        .get("/api/v1/schema/", HTTP_ACCEPT="application/vnd.oai.openapi+json")
        .json()
    )

    bare = [
        f"{name}.{field}"
        for name, component in schema["components"]["schemas"].items()
        for field, spec in (component.get("properties") or {}).items()
        if not spec.get("description")
    ]
    assert not bare


def test_docs_load_their_assets_locally_not_from_a_cdn(cast):
    page = client_for(cast["dealer_user"]).get("/api/v1/docs/").content.decode()

    assert not re.search(r"https?://(cdn\.|unpkg|cdnjs|fonts\.googleapis)", page)
    assets = re.findall(r'(?:src|href)="/static/([^"?]+)', page)
    assert any("swagger-ui" in asset for asset in assets)
    for asset in assets:
        assert finders.find(asset), f"missing static asset {asset}"


def test_token_authentication_works(cast):
    assert api_client(cast["dealer_user"], token=True).get("/api/v1/dealers/").status_code == 200


def test_a_wrong_token_is_401(db):
    client = APIClient()
    client.credentials(HTTP_AUTHORIZATION="Token not-a-real-token")

    response = client.get("/api/v1/dealers/")

    assert response.status_code == 401
    assert set(response.json()) == {"detail", "errors"}


def test_session_authentication_works_and_writes_need_the_csrf_token(cast, scheme_file):
    session = APIClient(enforce_csrf_checks=True)
    session.force_login(cast["hq_admin"])

    assert session.get("/api/v1/dealers/").status_code == 200
    assert session.post("/api/v1/schemes/", scheme_file, format="json").status_code == 403


def test_a_token_client_needs_no_csrf_token(cast, scheme_file):
    client = api_client(cast["hq_admin"], token=True)
    client.handler.enforce_csrf_checks = True

    assert client.post("/api/v1/schemes/", scheme_file, format="json").status_code == 201


def test_an_inactive_users_token_is_refused(cast):
    client = api_client(cast["dealer_user"], token=True)
    cast["dealer_user"].is_active = False
    cast["dealer_user"].save()

    assert client.get("/api/v1/dealers/").status_code == 401


def test_a_user_without_a_role_may_not_read(db):
    from tests.factories import UserFactory

    nobody = UserFactory(username="no_role", role="")

    assert api_client(nobody).get("/api/v1/kpis/").status_code == 403


@pytest.fixture
def tight_throttles(monkeypatch):
    """Low rates, counted in a cache of this test's own (the shared cache may be Redis, used by other workers)."""
    own_cache = LocMemCache(f"throttle-{uuid.uuid4()}", {})
    for throttle in (ApiAnonRateThrottle, ApiUserRateThrottle):
        monkeypatch.setattr(throttle, "cache", own_cache)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"})


@pytest.fixture
def shared_cache_down(settings, monkeypatch):
    """The shared cache is a Redis where nothing listens; the throttles start from a fresh fallback."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    settings.CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": f"redis://127.0.0.1:{closed_port}/0",
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    fallback = FailOpenCache()
    fallback.local = LocMemCache(f"throttle-fallback-{uuid.uuid4()}", {})
    for throttle in (ApiAnonRateThrottle, ApiUserRateThrottle):
        monkeypatch.setattr(throttle, "cache", fallback)
    monkeypatch.setattr(SimpleRateThrottle, "THROTTLE_RATES", {"anon": "2/minute", "user": "3/minute"})
    return fallback


@override_settings(API_DOCS_PUBLIC=True)
def test_anonymous_callers_are_throttled(db, tight_throttles):
    statuses = [APIClient().get("/api/v1/dealers/").status_code for _ in range(3)]
    schema = APIClient().get("/api/v1/schema/")

    assert statuses == [401, 401, 429]
    assert schema.status_code == 429


def test_signed_in_callers_are_throttled(cast, tight_throttles):
    client = api_client(cast["dealer_user"], token=True)

    statuses = [client.get("/api/v1/dealers/").status_code for _ in range(4)]
    throttled = client.get("/api/v1/dealers/")

    assert statuses == [200, 200, 200, 429]
    assert set(throttled.json()) == {"detail", "errors"}
    assert "Retry-After" in throttled.headers


def test_with_the_shared_cache_down_the_api_still_answers_and_throttles_per_process(
    cast, shared_cache_down, caplog
):
    client = api_client(cast["dealer_user"], token=True)

    with caplog.at_level(logging.WARNING, logger="config.api_throttles"):
        statuses = [client.get("/api/v1/dealers/").status_code for _ in range(4)]
        anonymous = [APIClient().get("/api/v1/dealers/").status_code for _ in range(3)]

    assert statuses == [200, 200, 200, 429]
    assert anonymous == [401, 401, 429]
    assert shared_cache_down.is_falling_back
    logged = [r.getMessage() for r in caplog.records if r.name == "config.api_throttles"]
    assert len(logged) == 1  # once, not on every request
    assert "shared cache is unreachable" in logged[0]


def test_the_throttle_goes_back_to_the_shared_cache_once_it_answers_again(
    cast, shared_cache_down, settings, monkeypatch, caplog
):
    client = api_client(cast["dealer_user"], token=True)
    client.get("/api/v1/dealers/")
    monkeypatch.setattr(api_throttles, "RETRY_SHARED_AFTER_SECONDS", 0)
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}
    from django.core.cache import caches

    caches["default"].clear()  # the in-memory cache outlives tests; earlier tests' counts are not ours
    caplog.clear()

    with caplog.at_level(logging.WARNING, logger="config.api_throttles"):
        response = client.get("/api/v1/dealers/")

    assert response.status_code == 200
    assert not shared_cache_down.is_falling_back
    logged = [r.getMessage() for r in caplog.records if r.name == "config.api_throttles"]
    assert logged == ["API throttle: the shared cache is back; limiting across processes again."]


@pytest.mark.parametrize(
    ("method", "path", "status"),
    [
        ("get", "/api/v1/dealers/NOPE/", 404),
        ("delete", "/api/v1/dealers/GL0001/", 405),
        ("get", "/api/v1/users/", 403),
        ("get", "/api/v1/repair-orders/?opened_in=13-2026", 400),
    ],
)
def test_every_error_has_the_same_body(cast, method, path, status):
    response = getattr(api_client(cast["dealer_user"]), method)(path)

    assert response.status_code == status
    assert set(response.json()) == {"detail", "errors"}
    assert isinstance(response.json()["errors"], dict)


def test_the_browsable_api_shows_nothing_outside_scope(cast, dealer, other_dealer, far_dealer):
    RepairOrderFactory(dealer=other_dealer, ro_number="RO-OTHER")
    RepairOrderFactory(dealer=dealer, ro_number="RO-MINE")
    browser = client_for(cast["dealer_user"])

    pages = [
        browser.get(path, HTTP_ACCEPT="text/html").content.decode()
        for path in (
            "/api/v1/",
            "/api/v1/dealers/",
            "/api/v1/repair-orders/",
            "/api/v1/imports/",
            "/api/v1/scorecards/",
        )
    ]

    html = "\n".join(pages)
    assert "RO-MINE" in html and dealer.name in html
    for secret in ("RO-OTHER", other_dealer.code, other_dealer.name, far_dealer.code, far_dealer.name):
        assert secret not in html


def test_a_writable_relation_accepts_only_rows_in_scope(cast, dealer, other_dealer):
    class PickDealer(Serializer):
        dealer = ScopedSlugRelatedField(slug_field="code", queryset=Dealer.objects.all())

    class Request:
        user = cast["dealer_user"]

    mine = PickDealer(data={"dealer": "GL0001"}, context={"request": Request()})
    theirs = PickDealer(data={"dealer": "GL0002"}, context={"request": Request()})

    assert mine.is_valid() and mine.validated_data["dealer"] == dealer
    assert not theirs.is_valid()
    # Out of scope reads exactly like a code that does not exist.
    nowhere = PickDealer(data={"dealer": "ZZ9999"}, context={"request": Request()})
    nowhere.is_valid()
    assert str(theirs.errors["dealer"][0]).replace("GL0002", "X") == str(nowhere.errors["dealer"][0]).replace(
        "ZZ9999", "X"
    )


def test_a_model_without_scope_must_be_declared_reference_data(cast):
    from django.core.exceptions import ImproperlyConfigured

    with pytest.raises(ImproperlyConfigured):
        scope_queryset(Region.objects.all(), cast["dealer_user"], reference_data=False)
    assert scope_queryset(RepairOrder.objects.all(), cast["dealer_user"], reference_data=False).query.where


def test_the_schema_generates_without_a_warning(tmp_path):
    from django.core.management import call_command

    call_command("spectacular", "--validate", "--fail-on-warn", "--file", str(tmp_path / "schema.yml"))

    assert (tmp_path / "schema.yml").read_text().startswith("openapi:")


@pytest.mark.parametrize(
    "moment", ["0716-08-06T19:46:14.2215+17:51", "2026-01-01T00:00:00+23:00", "9999-12-31T00:00:00Z"]
)
def test_an_instant_the_database_cannot_hold_is_a_400_not_a_500(cast, moment):
    response = api_client(cast["hq_admin"]).get("/api/v1/imports/", {"started_after": moment})
    assert response.status_code == 400
