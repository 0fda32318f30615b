"""Template tags of the incentives app, for panels included in other apps' pages."""

from __future__ import annotations

from typing import Any

from django import template

from ..choices import ActionStatus, ActionType
from ..models import IncentiveAction

register = template.Library()


@register.simple_tag(takes_context=True)
def dealer_honours(context: dict[str, Any], dealer: Any) -> list[IncentiveAction]:
    """The dealer's approved honours, newest first, as the signed-in user may see them."""
    request = context.get("request")
    if dealer is None or request is None:
        return []
    return list(
        IncentiveAction.objects.for_user(request.user)
        .filter(dealer=dealer, action_type=ActionType.HONOUR, status=ActionStatus.APPROVED)
        .select_related("rule")
        .order_by("-period", "-pk")[:6]
    )
