"""Writes of the workbench: handing an open item to its owner (过程所有者)."""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from dealers.choices import NoticeTopic
from dealers.models import User
from dealers.services import notice_send

from . import events
from .owners import item_ref, item_url, kind_of, may_assign, open_items, owner_candidates


class OwnerError(Exception):
    """An owner change that is not allowed; the message is for the user."""


NOT_ALLOWED = gettext_lazy("You may not hand this item on.")
NOT_A_CANDIDATE = gettext_lazy("That person cannot see this item, so cannot own it.")


@transaction.atomic
def owner_assign(item: Any, owner: User, actor: User) -> bool:
    """Make `owner` answer for `item`. Refused unless `actor` may hand it on and `owner` can see it.

    Audited with the owner before and after; the new owner gets a notice (and an e-mail).
    Returns False when the owner was already that person (nothing written)."""
    kind = kind_of(item)
    # Lock the row, found through the actor's scope: out of scope is simply not found.
    locked = open_items(kind, actor).select_for_update().filter(pk=item.pk).first()
    if locked is None or not may_assign(actor, kind, locked):
        raise OwnerError(str(NOT_ALLOWED))
    if not owner_candidates(kind, locked).filter(pk=owner.pk).exists():
        raise OwnerError(str(NOT_A_CANDIDATE))
    before = locked.owner
    if before is not None and before.pk == owner.pk:
        return False
    locked.owner = owner
    locked.save(update_fields=["owner"])
    item.owner = owner
    events.owner_assigned(actor=actor, kind=kind, item=locked, before=before, after=owner)
    if owner.pk == actor.pk:
        return True  # taking an item on oneself needs no notice
    ref = item_ref(kind, locked)
    text = _("You now own %(ref)s; handed on by %(actor)s.") % {
        "ref": ref,
        "actor": actor.get_full_name() or actor.get_username(),
    }
    notice_send(
        users=[owner], text=text, url=item_url(kind, locked), email_subject=text, topic=NoticeTopic.WORKBENCH
    )
    return True
