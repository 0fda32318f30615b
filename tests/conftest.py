"""The cast of users every isolation test uses, and shared fixtures.

Two regions (华东, 华南); in 华东 two dealers ("dealer", "other_dealer"), in 华南 one
("far_dealer"). Users: this dealer's user, another dealer's user, a regional manager of
华东, one of 华南, an HQ manager and an HQ admin.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from django.core.servers.basehttp import WSGIServer
from django.db import connection
from django.test import Client
from django.test.testcases import LiveServerThread

from dealers.choices import Role
from dealers.models import Dealer, Region, User

from .factories import DealerFactory, RegionFactory, UserFactory

PASSWORD = "Secret-pass-2026"
SHARED = Path(__file__).resolve().parent.parent.parent / "shared"
SAMPLE_DIR = SHARED / "sample"


class OneRequestAtATime(WSGIServer):
    """The browser tests' live server on SQLite's in-memory test database: one request at a
    time, in the server's own thread (Django then closes each connection after its answer).

    Django's threaded live server hands every request thread the test's one in-memory SQLite
    connection. Two requests at once (a page and the badge counts it fetches) then deadlock
    for good: one thread, inside SQLite's statement and holding its connection's mutex, calls
    one of Django's SQL functions written in Python and waits for the interpreter's lock; the
    other holds that lock while it binds parameters and waits for the mutex. A suite hung on
    exactly this. PostgreSQL gives each thread its own connection and keeps the threads."""

    def __init__(self, *args, connections_override=None, **kwargs):
        # The requests run in the server thread, which already uses the shared connections.
        super().__init__(*args, **kwargs)


if connection.vendor == "sqlite" and not connection.settings_dict.get("TEST", {}).get("NAME"):
    LiveServerThread.server_class = OneRequestAtATime


@pytest.fixture
def east(db) -> Region:
    return RegionFactory(name="华东")


@pytest.fixture
def south(db) -> Region:
    return RegionFactory(name="华南")


@pytest.fixture
def dealer(east: Region) -> Dealer:
    return DealerFactory(code="GL0001", name="吉利南京01店", region=east)


@pytest.fixture
def other_dealer(east: Region) -> Dealer:
    return DealerFactory(code="GL0002", name="吉利苏州02店", region=east, city="苏州")


@pytest.fixture
def far_dealer(south: Region) -> Dealer:
    return DealerFactory(
        code="GL0003", name="吉利广州03店", region=south, province="广东", city="广州", city_tier=1
    )


@pytest.fixture
def dealer_user(dealer: Dealer) -> User:
    return UserFactory(username="dealer_user", role=Role.DEALER_USER, dealer=dealer)


@pytest.fixture
def other_dealer_user(other_dealer: Dealer) -> User:
    return UserFactory(username="other_dealer_user", role=Role.DEALER_USER, dealer=other_dealer)


@pytest.fixture
def regional_manager(east: Region) -> User:
    return UserFactory(username="east_manager", role=Role.REGIONAL_MANAGER, regions=[east])


@pytest.fixture
def other_regional_manager(south: Region) -> User:
    return UserFactory(username="south_manager", role=Role.REGIONAL_MANAGER, regions=[south])


@pytest.fixture
def hq_manager(db) -> User:
    return UserFactory(username="hq_manager", role=Role.HQ_MANAGER)


@pytest.fixture
def hq_admin(db) -> User:
    return UserFactory(username="hq_admin", role=Role.HQ_ADMIN, is_staff=True, is_superuser=True)


@pytest.fixture
def cast(
    dealer,
    other_dealer,
    far_dealer,
    dealer_user,
    other_dealer_user,
    regional_manager,
    other_regional_manager,
    hq_manager,
    hq_admin,
) -> dict[str, User]:
    """Every role at once, by name."""
    return {
        "dealer_user": dealer_user,
        "other_dealer_user": other_dealer_user,
        "regional_manager": regional_manager,
        "other_regional_manager": other_regional_manager,
        "hq_manager": hq_manager,
        "hq_admin": hq_admin,
    }


def client_for(user: User | None) -> Client:
    """A test client signed in as `user` (anonymous for None)."""
    client = Client()
    if user is not None:
        client.force_login(user)
    return client


@pytest.fixture
def sample_dir() -> Path:
    if not SAMPLE_DIR.exists():
        pytest.skip("../shared/sample is not beside the repository")
    return SAMPLE_DIR
