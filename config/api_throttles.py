"""API throttles that keep the API answering when the shared cache (Redis) is down.

DRF's throttles keep each client's request history in the default cache. With Redis as
that cache, a Redis outage made every `/api/v1/` request, reads included, answer 500. These
throttles fail open to a local limit instead: while the shared cache raises, the history
is kept in this process's own memory, so each server process still enforces the rate on
its own (a client spread over N processes gets at most N times the rate), and the API keeps
answering. The first failure is logged once per outage; the shared cache is tried again
after `RETRY_SHARED_AFTER_SECONDS`.
"""

from __future__ import annotations

import logging
import threading
import time
from typing import Any

from django.core.cache import caches
from django.core.cache.backends.locmem import LocMemCache
from redis.exceptions import RedisError
from rest_framework.throttling import AnonRateThrottle, UserRateThrottle

logger = logging.getLogger(__name__)

RETRY_SHARED_AFTER_SECONDS = 10
# What a cache backend raises when its server cannot be reached (socket errors are OSError).
CACHE_DOWN_ERRORS = (RedisError, OSError)


class FailOpenCache:
    """The shared default cache, or this process's own memory while the shared cache fails."""

    def __init__(self) -> None:
        self.local = LocMemCache("api-throttle-fallback", {"OPTIONS": {"MAX_ENTRIES": 10000}})
        self._lock = threading.Lock()
        self._shared_down_since: float | None = None

    def get(self, key: str, default: Any = None) -> Any:
        if self._use_shared():
            try:
                return self._recovered(caches["default"].get(key, default))
            except CACHE_DOWN_ERRORS as exc:
                self._fell_back(exc)
        return self.local.get(key, default)

    def set(self, key: str, value: Any, timeout: int | None = None) -> None:
        if self._use_shared():
            try:
                caches["default"].set(key, value, timeout)
                self._recovered(None)
                return
            except CACHE_DOWN_ERRORS as exc:
                self._fell_back(exc)
        self.local.set(key, value, timeout)

    @property
    def is_falling_back(self) -> bool:
        return self._shared_down_since is not None

    def _use_shared(self) -> bool:
        down_since = self._shared_down_since
        return down_since is None or time.monotonic() - down_since >= RETRY_SHARED_AFTER_SECONDS

    def _fell_back(self, exc: Exception) -> None:
        with self._lock:
            first = self._shared_down_since is None
            self._shared_down_since = time.monotonic()
        if first:
            logger.warning(
                "API throttle: the shared cache is unreachable (%s); limiting per process until it is back.",
                exc,
            )

    def _recovered(self, value: Any) -> Any:
        if self._shared_down_since is not None:
            with self._lock:
                was_down = self._shared_down_since is not None
                self._shared_down_since = None
            if was_down:
                logger.warning("API throttle: the shared cache is back; limiting across processes again.")
        return value


throttle_cache = FailOpenCache()


class ApiAnonRateThrottle(AnonRateThrottle):
    """Anonymous requests, per address; fails open to a per-process limit (see the module)."""

    cache = throttle_cache


class ApiUserRateThrottle(UserRateThrottle):
    """Signed-in requests, per user; fails open to a per-process limit (see the module)."""

    cache = throttle_cache
