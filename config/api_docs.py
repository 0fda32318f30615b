"""The OpenAPI schema's Swagger UI page: behind sign-in unless API_DOCS_PUBLIC=1 (config.api_base.ApiDocsAccess).

The docs page is drf-spectacular's split view: the page loads Swagger UI's files and its
start-up script from URLs of the portal, with no inline script, so it meets the portal's
Content-Security-Policy unchanged (templates/drf_spectacular/swagger_ui.html moves the
view's inline <style> into static/css/api-docs.css).
"""

from __future__ import annotations

from typing import Any

from django.contrib.auth.views import redirect_to_login
from django.core.signals import setting_changed
from django.http import HttpResponse
from django.utils import translation
from drf_spectacular.views import SpectacularAPIView, SpectacularSwaggerSplitView
from rest_framework import exceptions
from rest_framework.request import Request


class ApiDocsView(SpectacularSwaggerSplitView):
    """Swagger UI for people: an anonymous visitor is sent to the sign-in page, then back."""

    def handle_exception(self, exc: Exception) -> HttpResponse:
        if isinstance(exc, exceptions.NotAuthenticated | exceptions.AuthenticationFailed):
            return redirect_to_login(self.request.get_full_path())
        return super().handle_exception(exc)


# --- the schema, made once per process ---------------------------------------------------------
#
# drf-spectacular walks every endpoint and serializer on each request for the schema (0.1–0.2 s
# here, seconds on a busy server) and renders it to YAML (another 0.15 s), though it changes only
# with the code, i.e. with a deployment, which starts new processes. So each process makes it once
# per language (descriptions are translated), API version and format, and serves those bytes.
# The access rule is unchanged: DRF checks ApiDocsAccess before `get` runs.

_rendered_schemas: dict[tuple[str, str, str], tuple[bytes | str, str]] = {}


def clear_schema_cache(**kwargs: Any) -> None:
    """Forget the schemas made so far (a test that changes settings; never needed in production)."""
    _rendered_schemas.clear()


setting_changed.connect(clear_schema_cache)


class ApiSchemaView(SpectacularAPIView):
    """The OpenAPI schema, generated and rendered once per process, language, version and format."""

    def _get_schema_response(self, request: Request) -> HttpResponse:
        version = self.api_version or request.version or self._get_version_parameter(request)
        renderer, media_type = request.accepted_renderer, request.accepted_media_type
        key = (translation.get_language() or "", str(version), media_type)
        if key not in _rendered_schemas:
            generator = self.generator_class(
                urlconf=self.urlconf, api_version=version, patterns=self.patterns
            )
            schema = generator.get_schema(request=request, public=self.serve_public)
            content = renderer.render(schema, media_type, {"request": request, "view": self})
            content_type = f"{media_type}; charset={renderer.charset}" if renderer.charset else media_type
            _rendered_schemas[key] = (content, content_type)
        content, content_type = _rendered_schemas[key]
        response = HttpResponse(content, content_type=content_type)
        response["Content-Disposition"] = f'inline; filename="{self._get_filename(request, version)}"'
        return response
