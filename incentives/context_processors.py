"""What every page shows a suspended dealer's users: the suspension, its reason and the way out."""

from __future__ import annotations

from typing import Any

from django.http import HttpRequest

from dealers.choices import DealerStatus

from .choices import ActionStatus, ActionType
from .models import IncentiveAction


def sanction_banner(request: HttpRequest) -> dict[str, Any]:
    """For a suspended dealer's users: the approved suspension (reason, date) behind it."""
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated or not user.is_dealer_user or not user.dealer_id:
        return {}
    dealer = user.dealer
    if dealer.status != DealerStatus.SUSPENDED:
        return {}
    suspension = (
        IncentiveAction.objects.for_user(user)
        .filter(action_type=ActionType.SUSPENSION, status=ActionStatus.APPROVED)
        .select_related("rule")
        .order_by("-decided_at", "-pk")
        .first()
    )
    return {"sanction": {"dealer": dealer, "action": suspension}}
