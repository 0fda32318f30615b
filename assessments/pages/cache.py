"""Cached page data: what only a recompute changes, kept per scope, language and version.

Scorecards change only when a recompute swaps a period's cards in (and a closed period
never again), so the pages' reads of them — the months in scope, the overview, the ranking
rows, a scorecard with its history, the API's scorecard lists — are cached under a key of

    pages:<name>:<scorecards version>:<scope>:<language>:<hash of the arguments>

The *scorecards version* is one token in the shared cache, replaced by `scorecards_changed()`
when a recompute's swap commits, when a period closes and when a dealer changes (its status,
name, region or city tier show in the rows): every key of the old version is never read
again and expires. The scope (dealers.scoping.scope_key) is "all" for HQ, the sorted region
ids of a regional manager, the dealer of a dealer user: one dealer's data never serves
another. What is per user or changes without a recompute (menu counts, messages, the CSRF
token, appeals filed, whether the period can be closed) is not cached; the views read it live.

Off unless settings.PAGE_CACHE (on by default with a Redis cache, the only one all web
processes and the Celery worker share: a per-process cache could not be invalidated).
Entries also expire after PAGE_CACHE_SECONDS, which bounds what a change no hook sees
(a bulk update of dealers) can leave stale. A cache that is down costs the cache, not the page.
"""

from __future__ import annotations

import hashlib
import logging
import uuid
from collections.abc import Callable
from contextvars import ContextVar
from typing import Any, TypeVar

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.utils import translation
from django.utils.safestring import mark_safe

from dealers.scoping import scope_key

log = logging.getLogger(__name__)
VERSION_KEY = "pages:scorecards-version"
T = TypeVar("T")


def enabled() -> bool:
    return bool(getattr(settings, "PAGE_CACHE", False))


# The version a request has read, kept for the rest of that request (PageVersionMiddleware):
# a page builds several keys and reads the token once, and all its parts are of one version.
_request_version: ContextVar[dict[str, str] | None] = ContextVar("pages_request_version", default=None)


class PageVersionMiddleware:
    """Reads of the scorecards version within one request come from the first one."""

    def __init__(self, get_response: Callable[[Any], Any]) -> None:
        self.get_response = get_response

    def __call__(self, request: Any) -> Any:
        token = _request_version.set({})
        try:
            return self.get_response(request)
        finally:
            _request_version.reset(token)


def scorecards_version() -> str:
    """The current scorecards version: a random token, made when none is stored."""
    memo = _request_version.get()
    if memo is not None and "version" in memo:
        return memo["version"]
    version = cache.get(VERSION_KEY)
    if version is None:
        cache.add(VERSION_KEY, uuid.uuid4().hex, None)
        version = cache.get(VERSION_KEY) or "unversioned"
    if memo is not None:
        memo["version"] = str(version)
    return str(version)


def scorecards_changed(**_kwargs: Any) -> None:
    """Every cached page is stale from now on: a new version token (never an earlier one)."""
    version = uuid.uuid4().hex
    memo = _request_version.get()
    if memo is not None:  # a request that changed the scorecards reads them anew
        memo["version"] = version
    try:
        cache.set(VERSION_KEY, version, None)
    except Exception:  # the cache is down: its entries expire after PAGE_CACHE_SECONDS
        log.warning("page cache: could not replace the scorecards version", exc_info=True)


def page_key(user: Any, name: str, *parts: Any) -> str:
    """The cache key of `name` for this user's scope, the active language and `parts`."""
    digest = hashlib.sha256(repr(parts).encode()).hexdigest()[:32]
    language = translation.get_language() or settings.LANGUAGE_CODE
    return f"pages:{name}:{scorecards_version()}:{scope_key(user)}:{language}:{digest}"


def cached(user: Any, name: str, parts: tuple[Any, ...], compute: Callable[[], T]) -> T:
    """`compute()`, or what it gave for the same user scope, language, version and parts."""
    if not enabled():
        return compute()
    try:
        key = page_key(user, name, *parts)
        found = cache.get(key)
    except Exception:
        log.warning("page cache: read failed", exc_info=True)
        return compute()
    if found is not None:
        return found[0]
    value = compute()
    try:
        cache.set(key, (value,), settings.PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache: write failed", exc_info=True)
    return value


def dealer_changed(**_kwargs: Any) -> None:
    """A dealer or region was saved or deleted: stale once its transaction commits."""
    transaction.on_commit(scorecards_changed)


def fragment_key(user: Any, name: str, *parts: Any) -> str:
    """The key of a rendered part of a page ({% cached_fragment %}); "" when the cache is off."""
    if not enabled():
        return ""
    try:
        return page_key(user, f"fragment-{name}", *parts)
    except Exception:
        log.warning("page cache: version read failed", exc_info=True)
        return ""


def cached_fragment(key: str, render: Callable[[], str]) -> str:
    """The part of a page rendered under `key` (made by fragment_key), or `render()`."""
    if not key:
        return render()
    try:
        found = cache.get(key)
    except Exception:
        found = None
    if found is not None:
        return mark_safe(found)  # noqa: S308 — our own rendered template, from our own cache
    html = render()
    try:
        cache.set(key, str(html), settings.PAGE_CACHE_SECONDS)
    except Exception:
        log.warning("page cache: write failed", exc_info=True)
    return html
