"""Telling users that background work is delayed (the broker is down), without failing their request.

Whatever could not be queued during a request is noted here; `DelayNoticeMiddleware` turns
the notes into a message on the next page (pages) or an `X-Background-Delayed` header (API).
The work itself waits in the database and the sweep runs it once the broker is back.
"""

from __future__ import annotations

import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager

from django.contrib import messages
from django.http import HttpRequest, HttpResponse
from django.utils.translation import gettext as _

_local = threading.local()


def note_delay(kind: str, what: str) -> None:
    notes = getattr(_local, "notes", None)
    if notes is not None:
        notes.append((kind, what))


def delays() -> list[tuple[str, str]]:
    return list(getattr(_local, "notes", None) or [])


@contextmanager
def collecting() -> Iterator[list[tuple[str, str]]]:
    """Collect the delays noted inside the block (a command tells its user afterwards)."""
    _local.notes = []
    try:
        yield _local.notes
    finally:
        _local.notes = None


class DelayNoticeMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        _local.notes = []
        try:
            response = self.get_response(request)
            notes = delays()
        finally:
            _local.notes = None
        if not notes:
            return response
        kinds = sorted({kind for kind, _what in notes})
        response["X-Background-Delayed"] = ", ".join(kinds)
        if not request.path.startswith("/api/") and hasattr(request, "_messages"):
            if "recompute" in kinds:
                months = ", ".join(sorted({what for kind, what in notes if kind == "recompute"}))
                messages.warning(
                    request,
                    _(
                        "Your change is saved. The background service is unavailable, so the scores "
                        "of %(months)s will be updated as soon as it is back."
                    )
                    % {"months": months},
                )
            if "import" in kinds:
                messages.warning(
                    request,
                    _(
                        "Your file is saved. The background service is unavailable, so the import "
                        "will start as soon as it is back."
                    ),
                )
        return response
