"""The one way a page sends the user on to a target the request names (`next`).

A form posted from a list carries `next` so that the user lands back where they were. Any
view that redirects to a target taken from the request calls `redirect_to_next`: a target
on another host, another scheme or plain http from an https page is replaced by the view's
own default, so the portal is never an open redirect. tests/security/test_redirects.py
walks every view that does this.
"""

from __future__ import annotations

from django.http import HttpRequest, HttpResponseRedirect
from django.shortcuts import redirect, resolve_url
from django.utils.http import url_has_allowed_host_and_scheme

NEXT = "next"


def safe_next_url(request: HttpRequest, default: str) -> str:
    """The request's `next` (form field, else query string) when it stays on this site, else
    `default` (a URL or a URL name)."""
    target = request.POST.get(NEXT) or request.GET.get(NEXT) or ""
    if target and url_has_allowed_host_and_scheme(
        target, allowed_hosts={request.get_host()}, require_https=request.is_secure()
    ):
        return target
    return resolve_url(default)


def redirect_to_next(request: HttpRequest, default: str) -> HttpResponseRedirect:
    """Redirect to `safe_next_url(request, default)`."""
    return redirect(safe_next_url(request, default))
