"""Demo content of the workbench: service managers flagged, owners on part of the open items.

Call after the demo's dealers, users, service data, hot alerts and proposals exist:

    from workbench.demo import seed_workbench
    seed_workbench()                    # or seed_workbench(share=0.6, seed=7)

Owners are written directly (not through `owner_assign`) so that seeding sends no notices or
e-mails; a real hand-over always goes through the service, which audits and notifies.
"""

from __future__ import annotations

import random

from django.db import transaction

from dealers.choices import HQ_ROLES, Role
from dealers.models import User

from .owners import DEALER_SIDE, OPEN_FILTERS, OWNED_MODELS


@transaction.atomic
def seed_workbench(*, share: float = 0.5, seed: int = 15) -> dict[str, int]:
    """Flag one user per dealer as its service manager (服务经理) and give about `share` of the open
    items an owner who can see them, leaving the rest unowned (a to-do for that manager).

    Idempotent: items that already have an owner keep it. Returns counts per kind."""
    rng = random.Random(seed)
    users_by_dealer: dict[int, list[User]] = {}
    for user in User.objects.filter(role=Role.DEALER_USER, is_active=True, dealer__isnull=False).order_by(
        "username"
    ):
        users_by_dealer.setdefault(user.dealer_id, []).append(user)  # type: ignore[arg-type]
    managers = [users[0].pk for users in users_by_dealer.values()]
    User.objects.filter(pk__in=managers).update(is_dealer_manager=True)
    counts = {"dealer_managers": len(managers)}

    for kind in sorted(DEALER_SIDE):
        model = OWNED_MODELS[kind]
        items = (
            model.objects.filter(OPEN_FILTERS[kind], owner__isnull=True, dealer_id__in=list(users_by_dealer))  # type: ignore[attr-defined]
            .order_by("pk")
            .values_list("pk", "dealer_id")
        )
        assigned = 0
        for pk, dealer_id in items:
            if rng.random() < share:
                owner = rng.choice(users_by_dealer[dealer_id])
                model.objects.filter(pk=pk).update(owner=owner)  # type: ignore[attr-defined]
                assigned += 1
        counts[kind] = assigned

    # Proposals: an HQ manager (never the admin, if a manager exists) owns part of them.
    hq = (
        User.objects.filter(role=Role.HQ_MANAGER, is_active=True).order_by("username").first()
        or User.objects.filter(role__in=HQ_ROLES, is_active=True).order_by("username").first()
    )
    counts["proposal"] = 0
    if hq is not None:
        model = OWNED_MODELS["proposal"]
        pks = list(
            model.objects.filter(OPEN_FILTERS["proposal"], owner__isnull=True)
            .order_by("pk")
            .values_list("pk", flat=True)
        )  # type: ignore[attr-defined]
        chosen = [pk for pk in pks if rng.random() < share]
        counts["proposal"] = model.objects.filter(pk__in=chosen).update(owner=hq)  # type: ignore[attr-defined]
    return counts
