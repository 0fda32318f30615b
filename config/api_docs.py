"""The OpenAPI schema's Swagger UI page: behind sign-in unless API_DOCS_PUBLIC=1 (config.api_base.ApiDocsAccess).

The docs page is drf-spectacular's split view: the page loads Swagger UI's files and its
start-up script from URLs of the portal, with no inline script, so it meets the portal's
Content-Security-Policy unchanged (templates/drf_spectacular/swagger_ui.html moves the
view's inline <style> into static/css/api-docs.css).
"""

from __future__ import annotations

from django.contrib.auth.views import redirect_to_login
from django.http import HttpResponse
from drf_spectacular.views import SpectacularSwaggerSplitView
from rest_framework import exceptions


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for people: an anonymous visitor is sent to the sign-in page, then back."""

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)
