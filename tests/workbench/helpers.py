"""Builders of the open items the workbench lists."""

from __future__ import annotations

from datetime import date, datetime, timedelta

from django.utils import timezone

from dealers.models import Dealer
from incentives.choices import ActionStatus, ActionType, RectificationStatus
from incentives.models import Appeal, IncentiveAction, RectificationOrder
from surveys.models import HotAlertCase
from tests.factories import ComplaintFactory, SurveyResponseFactory


def hours_ago(hours: float) -> datetime:
    return timezone.now() - timedelta(hours=hours)


def complaint(dealer: Dealer, *, hours: float = 30, **fields):  # noqa: ANN201
    return ComplaintFactory(dealer=dealer, received_at=hours_ago(hours), **fields)


def hot_alert(dealer: Dealer, *, hours: float = 30, **fields) -> HotAlertCase:
    opened = hours_ago(hours)
    response = SurveyResponseFactory(dealer=dealer, overall=1, responded_at=opened)
    return HotAlertCase.objects.create(response=response, dealer=dealer, opened_at=opened, **fields)


_n = iter(range(1, 10_000))


def proposal(
    dealer: Dealer, *, period: str = "2026-10", action_type: str = ActionType.BONUS, **fields
) -> IncentiveAction:
    return IncentiveAction.objects.create(
        dealer=dealer,
        period=period,
        action_type=action_type,
        status=fields.pop("status", ActionStatus.PROPOSED),
        reason="test",
        origin_key=f"manual:{next(_n)}",
        **fields,
    )


def rectification(
    dealer: Dealer, *, deadline: date | None = None, status: str = RectificationStatus.OPEN, **fields
) -> RectificationOrder:
    action = proposal(dealer, action_type=ActionType.RECTIFICATION, status=ActionStatus.APPROVED)
    return RectificationOrder.objects.create(
        action=action,
        dealer=dealer,
        deadline=deadline or timezone.localdate() + timedelta(days=3),
        status=status,
        **fields,
    )


def appeal(dealer: Dealer, **fields) -> Appeal:
    return Appeal.objects.create(dealer=dealer, period="2026-10", kpi_code="csat", reason="test", **fields)
