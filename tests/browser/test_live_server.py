"""The live server the browser tests drive (tests/conftest.py, `OneRequestAtATime`)."""

from __future__ import annotations

import socketserver
import threading
import urllib.request

import pytest
from django.db import connection
from django.urls import reverse

# As every live-server test here: the flush after it keeps the tables' serialized rows.
pytestmark = pytest.mark.django_db(transaction=True, serialized_rollback=True)


def test_on_in_memory_sqlite_the_live_server_answers_one_request_at_a_time(live_server):
    """Request threads sharing SQLite's one in-memory connection can deadlock; PostgreSQL's
    threads each have their own, and keep them."""
    threaded = isinstance(live_server.thread.httpd, socketserver.ThreadingMixIn)
    assert threaded == (connection.vendor != "sqlite")


def test_requests_sent_at_once_are_all_answered(live_server):
    """A page and what it fetches arrive together: each is answered, one after the other."""
    url = live_server.url + reverse("login")
    statuses: list[int] = []

    def fetch():
        with urllib.request.urlopen(url, timeout=30) as response:  # noqa: S310 - our own server
            statuses.append(response.status)

    threads = [threading.Thread(target=fetch) for _ in range(8)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join(60)
    assert statuses == [200] * 8
