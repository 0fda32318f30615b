"""Rectification on other apps' pages: the dealer's open orders and interviews, and the page
an approved action leads to (its order or its interview record)."""

from __future__ import annotations

from typing import Any

from django import template
from django.core.exceptions import ObjectDoesNotExist
from django.urls import reverse
from django.utils import timezone

from ..choices import RectificationStatus
from ..models import InterviewRecord, RectificationOrder

register = template.Library()


@register.simple_tag
def open_rectifications(user: Any, dealer: Any = None) -> dict[str, Any]:
    """The open orders (deadline, days left) and the interview records the user may see,
    of one dealer when given."""
    orders = RectificationOrder.objects.for_user(user).filter(
        status__in=[RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED]
    )
    interviews = InterviewRecord.objects.for_user(user)
    if dealer is not None:
        orders, interviews = orders.filter(dealer=dealer), interviews.filter(dealer=dealer)
    today = timezone.localdate()
    rows = [
        {"order": o, "days_left": (o.deadline - today).days, "days_late": (today - o.deadline).days}
        for o in orders.select_related("action", "action__rule", "dealer").order_by("deadline")[:20]
    ]
    return {"orders": rows, "interviews": list(interviews.select_related("action", "action__rule")[:5])}


@register.simple_tag
def action_followup_url(action: Any) -> str:
    """The order an approved rectification opened, or the interview record of an interview; ''.

    Reads the action's own one-to-one relations: a list that shows many actions loads them with
    `select_related("rectification", "interview")`, so no row asks again."""
    for relation, page in (
        ("rectification", "incentives:rectification"),
        ("interview", "incentives:interview"),
    ):
        try:
            followup = getattr(action, relation)
        except ObjectDoesNotExist:
            continue
        return reverse(page, args=[followup.pk])
    return ""
