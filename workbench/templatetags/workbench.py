"""Deadlines in words ("in 3 days", "overdue 2 days") and the owner box of an item."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django import template
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.periods import SHANGHAI

from ..owners import is_open, kind_of, may_assign, owner_candidates

register = template.Library()


@register.simple_tag
def due_words(due: datetime, now: datetime | None = None, by_day: bool = False) -> str:
    """How far the deadline is: whole days by the Shanghai calendar, hours within a day."""
    now = now or timezone.now()
    if by_day:
        days = (due.astimezone(SHANGHAI).date() - now.astimezone(SHANGHAI).date()).days
        if days == 0:
            return _("due today")
        if days > 0:
            return ngettext("in %(n)s day", "in %(n)s days", days) % {"n": days}
        return ngettext("overdue %(n)s day", "overdue %(n)s days", -days) % {"n": -days}
    seconds = (due - now).total_seconds()
    hours = int(abs(seconds) // 3600)
    days = hours // 24
    if seconds >= 0:
        if days:
            return ngettext("in %(n)s day", "in %(n)s days", days) % {"n": days}
        return ngettext("in %(n)s hour", "in %(n)s hours", hours) % {"n": hours}
    if days:
        return ngettext("overdue %(n)s day", "overdue %(n)s days", days) % {"n": days}
    return ngettext("overdue %(n)s hour", "overdue %(n)s hours", hours) % {"n": hours}


@register.simple_tag
def owner_box(item: Any, user: Any, compact: bool = False) -> dict[str, Any]:
    """What the owner include shows: the owner, whether the user may hand it on, and to whom.

    Compact (a list row) links to the owner page instead of listing candidates, so a list
    costs no query per row."""
    kind = kind_of(item)
    still_open = is_open(kind, item)
    allowed = still_open and may_assign(user, kind, item)
    return {
        "kind": kind,
        "open": still_open,
        "pk": item.pk,
        # No query for an item without owner; a list of owned items should select_related("owner").
        "owner": item.owner if item.owner_id else None,
        "allowed": allowed,
        "candidates": list(owner_candidates(kind, item)) if allowed and not compact else [],
    }
