"""The API fuzzed from its own OpenAPI schema: whatever a client sends, no answer is a 500.

Schemathesis generates requests for every operation of /api/v1/schema/ (valid and invalid
parameters and bodies) and sends them to the WSGI app in-process, as an HQ admin (who may
call everything) and as a dealer user (who is refused or scoped), each with a token. The
run is bounded (FUZZ_EXAMPLES per operation and user) to stay within the normal suite.
"""

from __future__ import annotations

import os
from typing import Any

import pytest
import schemathesis
from django.core.signals import request_finished, request_started
from django.core.wsgi import get_wsgi_application
from django.db import close_old_connections
from django.test import override_settings
from hypothesis import HealthCheck, settings
from schemathesis.checks import not_a_server_error

from dealers.api.tokens import api_token_for_secret, api_token_issue
from tests.factories import ComplaintFactory, RepairOrderFactory, SubmissionFactory, SurveyResponseFactory

from .conftest import make_action, make_appeal, make_ledger_entry, make_rectification, make_scorecard

FUZZ_EXAMPLES = int(os.environ.get("FUZZ_EXAMPLES", "20"))

# The schema is behind sign-in by default; it is read once here, before any user exists.
with override_settings(API_DOCS_PUBLIC=True):
    schema = schemathesis.openapi.from_wsgi("/api/v1/schema/?format=json", get_wsgi_application())

fuzz_settings = settings(
    max_examples=FUZZ_EXAMPLES,
    deadline=None,
    derandomize=True,
    suppress_health_check=list(HealthCheck),
    database=None,
)


@pytest.fixture
def keep_connection_open():
    """Like Django's test client: a request must not close the test's connection as it starts or ends."""
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


@pytest.fixture
def world(keep_connection_open, cast, dealer, other_dealer, far_dealer) -> dict[str, Any]:
    """Rows for every endpoint to find, in and out of the dealer user's scope."""
    for d in (dealer, other_dealer, far_dealer):
        make_scorecard(d)
        RepairOrderFactory(dealer=d)
        ComplaintFactory(dealer=d)
        SurveyResponseFactory(dealer=d)
        SubmissionFactory(dealer=d)
        make_action(d)
        make_ledger_entry(d)
        make_rectification(d)
        make_appeal(d)
    return cast


_secrets: dict[int, str] = {}


def _call(case: Any, user: Any) -> None:
    # Checked on every call: the fuzzer may well revoke this very token.
    key = _secrets.get(user.pk)
    if key is None or api_token_for_secret(key) is None:
        key = _secrets[user.pk] = api_token_issue(user=user, actor=user, name="fuzz").secret
    case.call_and_validate(headers={"Authorization": f"Token {key}"}, checks=[not_a_server_error])


@schema.parametrize()
@fuzz_settings
def test_no_input_makes_a_500_as_hq_admin(case, world) -> None:
    _call(case, world["hq_admin"])


@schema.parametrize()
@fuzz_settings
def test_no_input_makes_a_500_as_dealer_user(case, world) -> None:
    _call(case, world["dealer_user"])
