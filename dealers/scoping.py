"""The one place that decides which dealers a user may see.

Every dealer-owned queryset goes through `ScopedQuerySet.for_user`, which asks
`dealer_scope_q` for a filter on the dealer relation. Views, the API, exports and
selectors never filter by role themselves.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

from django.db import models
from django.db.models import Q

from .choices import AREA_ASSESSMENT, AREA_SUPPORT, HQ_ROLES, Role

if TYPE_CHECKING:
    from .models import User


NOTHING = Q(pk__in=[])


def dealer_scope_q(user: User | Any, dealer_path: str, area: str = AREA_ASSESSMENT) -> Q | None:
    """Return the filter that limits `dealer_path` (a path to a Dealer) to the user's scope.

    None means "everything" (HQ roles). A user with no role, inactive or anonymous sees nothing.
    A technical expert sees every dealer's rows of the support area and nothing of any other.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return NOTHING
    prefix = f"{dealer_path}__" if dealer_path else ""
    if user.role in HQ_ROLES:
        return None
    if user.role == Role.TECH_EXPERT:
        return None if area == AREA_SUPPORT else NOTHING
    if user.role == Role.REGIONAL_MANAGER:
        return Q(**{f"{prefix}region__in": user.regions.all()})
    if user.role == Role.DEALER_USER and user.dealer_id:
        return Q(**{f"{dealer_path}_id" if dealer_path else "pk": user.dealer_id})
    return NOTHING


class ScopedQuerySet(models.QuerySet):
    """A queryset of rows that belong to a dealer. `dealer_path` names the way to the dealer."""

    dealer_path: str = "dealer"
    area: str = AREA_ASSESSMENT  # which kind of data (see dealers.choices: AREA_*)

    def for_user(self, user: User | Any) -> ScopedQuerySet:
        condition = dealer_scope_q(user, self.dealer_path, self.area)
        if condition is None:
            return self.all()
        if condition is NOTHING:
            return self.none()
        return self.filter(condition)


class DealerQuerySet(ScopedQuerySet):
    dealer_path = ""


def scope_key(user: User | Any) -> str:
    """A short text naming the user's scope, the same for two users who see the same dealers.

    Mirrors `dealer_scope_q`: "all" for HQ roles, "r:<sorted region ids>" for a regional
    manager, "d:<dealer id>" for a dealer user, "none" for anyone who sees nothing. Caches of
    scoped data put it in their keys, so one scope's data never serves another's.
    """
    if user is None or not getattr(user, "is_authenticated", False) or not user.is_active:
        return "none"
    if user.role in HQ_ROLES:
        return "all"
    if user.role == Role.REGIONAL_MANAGER:
        ids = sorted(user.regions.values_list("pk", flat=True))
        return "r:" + ",".join(str(pk) for pk in ids) if ids else "none"
    if user.role == Role.DEALER_USER and user.dealer_id:
        return f"d:{user.dealer_id}"
    return "none"
