"""`Authorization: Token <secret>` for the API, against the hashed, expiring tokens of dealers.api.tokens.

It replaces DRF's TokenAuthentication (which compares plain keys stored in the clear) and
keeps its header, so clients and the API docs need no change.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import gettext_lazy as _
from drf_spectacular.extensions import OpenApiAuthenticationExtension
from drf_spectacular.plumbing import build_bearer_security_scheme_object
from rest_framework import exceptions
from rest_framework.authentication import BaseAuthentication, get_authorization_header
from rest_framework.request import Request

from .tokens import api_token_for_secret, api_token_used

KEYWORD = "Token"
INVALID_TOKEN = _("Invalid or expired token.")
INVALID_HEADER = _("Invalid token header. Send 'Authorization: Token <secret>'.")
INACTIVE_USER = _("User inactive or deleted.")


class ApiTokenAuthentication(BaseAuthentication):
    """Authenticate by a token's secret: a known hash, not expired, of an active user."""

    keyword = KEYWORD

    def authenticate(self, request: Request) -> tuple[Any, Any] | None:
        parts = get_authorization_header(request).split()
        if not parts or parts[0].lower() != self.keyword.lower().encode():
            return None
        if len(parts) != 2:
            raise exceptions.AuthenticationFailed(INVALID_HEADER)
        try:
            secret = parts[1].decode()
        except UnicodeError as error:
            raise exceptions.AuthenticationFailed(INVALID_HEADER) from error
        token = api_token_for_secret(secret)
        if token is None:
            raise exceptions.AuthenticationFailed(INVALID_TOKEN)
        if not token.user.is_active:
            raise exceptions.AuthenticationFailed(INACTIVE_USER)
        api_token_used(token)
        return token.user, token

    def authenticate_header(self, request: Request) -> str:
        return self.keyword


class ApiTokenScheme(OpenApiAuthenticationExtension):
    """Describes `Authorization: Token <secret>` in the OpenAPI schema, as for DRF's own token scheme."""

    target_class = ApiTokenAuthentication
    name = "tokenAuth"

    def get_security_definition(self, auto_schema: Any) -> dict[str, Any]:
        return build_bearer_security_scheme_object(header_name="Authorization", token_prefix=KEYWORD)
