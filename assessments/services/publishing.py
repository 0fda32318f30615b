"""Loading a scheme file and publishing a scheme version (which may recompute the open months).

Apart from `schemes.py` because publishing queues recomputes (`queueing`), and the
recompute reads the schemes: the imports run one way, publishing → queueing → recompute → schemes.
"""

from __future__ import annotations

from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import User

from .. import events
from ..choices import SchemeStatus
from ..kpis import BY_CODE
from ..models import Scheme
from ..periods import Month
from ..scoring.scheme_file import parse_scheme
from .queueing import queue_recompute
from .recompute import open_period_codes
from .schemes import SchemeError, scheme_create


def scheme_load(*, data: Any, publish: bool = False, actor: User | None = None) -> Scheme:
    """Check a decoded scheme file, save it as a new version, and publish it if asked."""
    spec = parse_scheme(data, BY_CODE)
    with transaction.atomic():
        scheme = scheme_create(spec=spec, actor=actor)
        if publish:
            scheme = scheme_publish(scheme=scheme, actor=actor)  # the published row, not the draft
    return scheme


def scheme_publish(
    *,
    scheme: Scheme,
    actor: User | None = None,
    effective_from: str | None = None,
    recompute_open: bool = False,
) -> Scheme:
    """Publish a draft, effective from a month. From then on the version never changes.

    With `recompute_open`, every open period from the effective month on is recomputed
    (queued after commit). Closed periods never change.
    """
    with transaction.atomic():
        locked = Scheme.objects.select_for_update().get(pk=scheme.pk)
        if locked.status == SchemeStatus.PUBLISHED:
            raise SchemeError(_("This scheme version is already published."))
        if effective_from is not None:
            locked.effective_from = str(Month.parse(effective_from))
        locked.status = SchemeStatus.PUBLISHED
        locked.published_at = timezone.now()
        locked.published_by = actor if actor and actor.pk else None
        locked.save(update_fields=["status", "published_at", "published_by", "effective_from"])
        events.scheme_published(actor=actor, scheme=locked)
        if recompute_open:
            queue_recompute([code for code in open_period_codes() if code >= locked.effective_from])
    return locked
