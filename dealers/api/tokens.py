"""API tokens: issue, revoke, and look one up by its secret (audited; only hashes are stored).

A token's secret is 43 random URL-safe characters, shown once when it is made; the database
keeps its SHA-256, so a copy of the database gives nobody a working token. A token expires
`API_TOKEN_TTL_DAYS` after it was made. Its owner lists and revokes their tokens on
/account/tokens/, HQ admins every token on /account/tokens/all/.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import timedelta

from django.conf import settings
from django.db import transaction
from django.db.models import QuerySet
from django.utils import timezone

from ..events import record
from ..models import ApiToken, User

#: last_used_at is written at most this often per token, so busy integrations do not write on every call.
LAST_USED_RESOLUTION = timedelta(minutes=1)


@dataclass(frozen=True)
class IssuedToken:
    """A token just made, with its secret: the only moment the secret exists outside the client."""

    token: ApiToken
    secret: str


def hash_secret(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def tokens_visible_to(user: User) -> QuerySet[ApiToken]:
    """The tokens `user` may list and revoke: every token for an HQ admin, otherwise their own."""
    tokens = ApiToken.objects.select_related("user")
    if user.is_hq_admin:
        return tokens
    return tokens.filter(user=user)


def api_token_issue(*, user: User, actor: User, name: str) -> IssuedToken:
    """Make a new token for `user`, valid for API_TOKEN_TTL_DAYS. The secret is returned once."""
    secret = secrets.token_urlsafe(32)
    with transaction.atomic():
        token = ApiToken.objects.create(
            user=user,
            name=name,
            key_hash=hash_secret(secret),
            hint=secret[:6],
            created_by=actor,
            expires_at=timezone.now() + timedelta(days=settings.API_TOKEN_TTL_DAYS),
        )
        record(
            "token.issued",
            actor=actor,
            object_type="user",
            object_id=user.pk,
            dealer=user.dealer,
            after={"token": token.pk, "name": name, "expires_at": token.expires_at.isoformat()},
        )
    return IssuedToken(token=token, secret=secret)


def api_token_revoke(*, token: ApiToken, actor: User) -> None:
    """Revoke one token: requests with it are refused from now on."""
    with transaction.atomic():
        record(
            "token.revoked",
            actor=actor,
            object_type="user",
            object_id=token.user_id,
            dealer=token.user.dealer,
            before={"token": token.pk, "name": token.name},
        )
        token.delete()


def user_tokens_revoke(*, user: User, actor: User) -> int:
    """Revoke every token of `user`. Returns how many there were."""
    with transaction.atomic():
        tokens = list(ApiToken.objects.filter(user=user))
        for token in tokens:
            token.user = user
            api_token_revoke(token=token, actor=actor)
    return len(tokens)


def api_token_for_secret(secret: str) -> ApiToken | None:
    """The unexpired token with this secret; None for an unknown or expired one."""
    return (
        ApiToken.objects.select_related("user")
        .filter(key_hash=hash_secret(secret), expires_at__gt=timezone.now())
        .first()
    )


def api_token_used(token: ApiToken) -> None:
    """Stamp the token's last use, at most once a minute."""
    now = timezone.now()
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_RESOLUTION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now)
        token.last_used_at = now
