"""What `/healthz` checks: the database, the Celery broker and the cache, each within about a second.

Each check answers "ok", "down" or "not configured" and logs why it is down; the answer
itself names only the part, nothing about the error.
"""

from __future__ import annotations

import logging
import uuid

from django.conf import settings
from django.core.cache import caches
from django.db import DatabaseError, connection

OK = "ok"
DOWN = "down"
NOT_CONFIGURED = "not configured"
TIMEOUT_SECONDS = 1

logger = logging.getLogger(__name__)


def check_database() -> str:
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
    except DatabaseError as exc:
        logger.warning("healthz: the database is down: %s", exc)
        return DOWN
    return OK


def check_broker() -> str:
    """One connection attempt to the broker, no retries; "not configured" when tasks run in-process."""
    if not settings.CELERY_BROKER_URL:
        return NOT_CONFIGURED
    from config.celery_app import app

    try:
        with app.connection_for_write(settings.CELERY_BROKER_URL, connect_timeout=TIMEOUT_SECONDS) as conn:
            conn.ensure_connection(max_retries=1, interval_start=0, interval_step=0, timeout=TIMEOUT_SECONDS)
    except Exception as exc:  # kombu raises transport-specific errors; any failure means unreachable
        logger.warning("healthz: the broker is down: %s", exc)
        return DOWN
    return OK


def check_cache() -> str:
    """A write and a read back of a key of its own in the default cache."""
    key = f"healthz:{uuid.uuid4().hex}"
    try:
        cache = caches["default"]
        cache.set(key, OK, timeout=10)
        if cache.get(key) != OK:
            logger.error("healthz: the cache did not return what was written")
            return DOWN
        cache.delete(key)
    except Exception as exc:  # each cache backend raises its own errors; any failure means unusable
        logger.warning("healthz: the cache is down: %s", exc)
        return DOWN
    return OK


def health_report() -> tuple[bool, dict[str, str]]:
    """(all configured parts are up, the state of each part)."""
    parts = {"database": check_database(), "broker": check_broker(), "cache": check_cache()}
    healthy = DOWN not in parts.values()
    return healthy, {"status": OK if healthy else "unavailable", **parts}
