"""Issuing and revoking a user's API token (HQ admins only; audited)."""

from __future__ import annotations

from django.db import transaction
from rest_framework.authtoken.models import Token

from ..events import record
from ..models import User


def user_token_issue(*, user: User, actor: User) -> Token:
    """Give `user` a new API token; an existing one stops working at once."""
    with transaction.atomic():
        replaced = Token.objects.filter(user=user).delete()[0] > 0
        token = Token.objects.create(user=user)
        record(
            "token.issued",
            actor=actor,
            object_type="user",
            object_id=user.pk,
            dealer=user.dealer,
            after={"replaced": replaced},
        )
    return token


def user_token_revoke(*, user: User, actor: User) -> bool:
    """Revoke `user`'s API token. Returns whether there was one."""
    with transaction.atomic():
        revoked = Token.objects.filter(user=user).delete()[0] > 0
        if revoked:
            record("token.revoked", actor=actor, object_type="user", object_id=user.pk, dealer=user.dealer)
    return revoked
