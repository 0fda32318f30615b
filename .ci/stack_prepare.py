"""Prepare the seeded demo for CI's stack journeys (run after `manage.py seed_demo`).

- Every demo user gets the password in AFTERSALES_STACK_PASSWORD, so the journeys can sign in.
- The HQ manager orders two rectifications of dealer2's dealer (approved actions, as on the
  incentives page), so the dealer user has an open order to answer at each screen size.

Run with the stack's settings: `.venv/bin/python .ci/stack_prepare.py`.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))


def main() -> None:
    import django

    django.setup()

    from assessments.models import Scorecard
    from dealers.demo import DEMO_USERNAMES
    from dealers.models import User
    from incentives.choices import ActionType, RectificationStatus
    from incentives.models import RectificationOrder
    from incentives.services import action_decide, action_propose

    password = os.environ["AFTERSALES_STACK_PASSWORD"]
    users = {user.username: user for user in User.objects.filter(username__in=DEMO_USERNAMES)}
    for user in users.values():
        user.set_password(password)
        user.save(update_fields=["password"])

    # Two open orders: the journey answers one at phone width and the other on a laptop.
    hq, dealer = users["hq"], users["dealer2"].dealer
    period = (
        Scorecard.objects.filter(dealer=dealer)
        .order_by("-period__code")
        .values_list("period__code", flat=True)[0]
    )
    while RectificationOrder.objects.filter(dealer=dealer, status=RectificationStatus.OPEN).count() < 2:
        action = action_propose(
            dealer=dealer,
            period_code=period,
            action_type=ActionType.RECTIFICATION,
            reason="CI stack journey: service quality below target",
            actor=hq,
        )
        action_decide(action=action, actor=hq, approve=True)
    print(f"stack prepared: {len(users)} demo users, two open rectification orders for {dealer.code}")


if __name__ == "__main__":
    main()
