"""The OpenAPI schema is made once per process (and language, version, format), then served as made."""

from __future__ import annotations

import json
from unittest import mock

import pytest
from drf_spectacular.generators import SchemaGenerator

from config.api_docs import clear_schema_cache
from tests.api.conftest import api_client

JSON = "application/vnd.oai.openapi+json"


@pytest.fixture(autouse=True)
def fresh_cache():
    clear_schema_cache()
    yield
    clear_schema_cache()


def test_the_second_request_serves_the_schema_without_generating_it_again(hq_admin):
    client = api_client(hq_admin)

    with mock.patch.object(
        SchemaGenerator, "get_schema", autospec=True, side_effect=SchemaGenerator.get_schema
    ) as gen:
        first = client.get("/api/v1/schema/", HTTP_ACCEPT=JSON)
        second = client.get("/api/v1/schema/", HTTP_ACCEPT=JSON)

    assert first.status_code == second.status_code == 200
    assert gen.call_count == 1
    assert second.content == first.content


def test_the_cached_schema_is_the_schema_drf_spectacular_makes(hq_admin):
    served = json.loads(api_client(hq_admin).get("/api/v1/schema/", HTTP_ACCEPT=JSON).content)

    assert served == json.loads(json.dumps(SchemaGenerator().get_schema(request=None, public=True)))
    assert "/api/v1/scorecards/" in served["paths"]


def test_each_format_and_language_is_its_own_schema(hq_admin):
    client = api_client(hq_admin)

    as_yaml = client.get("/api/v1/schema/")
    as_json = client.get("/api/v1/schema/", HTTP_ACCEPT=JSON)
    in_english = client.get("/api/v1/schema/?lang=en", HTTP_ACCEPT=JSON)
    in_chinese = client.get("/api/v1/schema/?lang=zh-hans", HTTP_ACCEPT=JSON)

    assert as_yaml["Content-Type"].startswith("application/vnd.oai.openapi")
    assert as_yaml.content.startswith(b"openapi:")
    assert as_json["Content-Type"] == JSON
    assert json.loads(as_json.content)["openapi"]
    assert in_chinese.content != in_english.content
    assert 'filename="' in as_json["Content-Disposition"]


def test_the_cached_schema_keeps_the_access_rule(hq_admin):
    api_client(hq_admin).get("/api/v1/schema/")  # made and cached

    assert api_client().get("/api/v1/schema/").status_code == 401


def test_docs_page_starts_with_closed_groups_and_the_portals_icon(client, hq_admin):
    """What keeps the docs page quick to draw: groups closed, no list of every schema, no colouring."""
    client.force_login(hq_admin)

    page = client.get("/api/v1/docs/").content.decode()
    script = client.get("/api/v1/docs/?script=").content.decode()

    assert "img/favicon.svg" in page
    assert '"docExpansion": "none"' in script
    assert '"defaultModelsExpandDepth": -1' in script
    assert '"deepLinking": true' in script
