"""The Content-Security-Policy header on every response (Django 5.2 has none built in).

The policy (settings.CONTENT_SECURITY_POLICY) allows scripts and styles only from the
portal's own static files: no inline <script>, <style>, style= or on*= handlers, so markup
that an attacker slips into a page cannot run. Data reaches scripts through data-*
attributes and json_script (<script type="application/json">, which is never executed).
CSP_REPORT_ONLY=1 sends the same policy as Content-Security-Policy-Report-Only, to try a
change of the policy in production without breaking a page.
"""

from __future__ import annotations

from collections.abc import Callable

from django.conf import settings
from django.http import HttpRequest, HttpResponse

ENFORCING = "Content-Security-Policy"
REPORTING = "Content-Security-Policy-Report-Only"


class ContentSecurityPolicyMiddleware:
    def __init__(self, get_response: Callable[[HttpRequest], HttpResponse]) -> None:
        self.get_response = get_response

    def __call__(self, request: HttpRequest) -> HttpResponse:
        response = self.get_response(request)
        header = REPORTING if settings.CSP_REPORT_ONLY else ENFORCING
        if ENFORCING not in response and REPORTING not in response:
            response[header] = settings.CONTENT_SECURITY_POLICY
        return response
