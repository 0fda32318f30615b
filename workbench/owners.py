"""Which items have an owner (过程所有者), who may own them and who may hand them on.

Five kinds of open item carry an `owner`: complaints and hot alerts (the dealer's), rectification
orders and appeals (the dealer's, answered by HQ), and proposed incentive actions (HQ's). A
dealer-side item is owned by a user of its dealer; a proposal by a manager whose scope holds
its dealer. Everything here is pure look-up; writes are in `services.owner_assign`.
"""

from __future__ import annotations

from typing import Any

from django.db.models import Model, Q, QuerySet
from django.urls import reverse
from django.utils.translation import gettext_lazy as _

from assessments.models import Complaint
from dealers.choices import HQ_ROLES, Role
from dealers.models import User
from incentives.choices import ActionStatus, AppealStatus, RectificationStatus
from incentives.models import Appeal, IncentiveAction, RectificationOrder
from surveys.models import HotAlertCase

OWNED_MODELS: dict[str, type[Model]] = {
    "complaint": Complaint,
    "hot_alert": HotAlertCase,
    "rectification": RectificationOrder,
    "appeal": Appeal,
    "proposal": IncentiveAction,
}
KIND_LABELS: dict[str, Any] = {
    "complaint": _("Complaint"),
    "hot_alert": _("Hot alert"),
    "rectification": _("Rectification order"),
    "appeal": _("Appeal"),
    "proposal": _("Proposed action"),
}
# Items whose next step is the dealer's: owned by one of its users. An appeal, once filed,
# waits for HQ's decision, so like a proposal it is owned by a manager who may decide it.
DEALER_SIDE = frozenset({"complaint", "hot_alert", "rectification"})

# What "still open" means for each kind: an owner is asked for only while the item is open.
OPEN_FILTERS: dict[str, Q] = {
    "complaint": Q(closed_at__isnull=True, excluded=False),
    "hot_alert": Q(closed_at__isnull=True),
    "rectification": Q(status__in=[RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED]),
    "appeal": Q(status=AppealStatus.SUBMITTED),
    "proposal": Q(status=ActionStatus.PROPOSED),
}


def kind_of(item: Model) -> str:
    for kind, model in OWNED_MODELS.items():
        if isinstance(item, model):
            return kind
    raise ValueError(f"{type(item).__name__} has no owner")


def is_open(kind: str, item: Any) -> bool:
    """The same test as OPEN_FILTERS, on an instance already loaded."""
    if kind in ("complaint", "hot_alert"):
        return item.closed_at is None and not getattr(item, "excluded", False)
    if kind == "rectification":
        return item.status in (RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED)
    if kind == "appeal":
        return item.status == AppealStatus.SUBMITTED
    return item.status == ActionStatus.PROPOSED


def open_items(kind: str, user: Any) -> QuerySet:
    """The user's open items of one kind, through the one scoping method."""
    return OWNED_MODELS[kind].objects.for_user(user).filter(OPEN_FILTERS[kind])  # type: ignore[attr-defined]


def item_ref(kind: str, item: Any) -> str:
    if kind == "complaint":
        return str(item.complaint_id)
    if kind == "hot_alert":
        return f"HA-{item.pk}"
    if kind == "rectification":
        return f"RO-{item.pk}"
    if kind == "appeal":
        return f"AP-{item.pk}"
    return f"{item.period} #{item.pk}"


def item_url(kind: str, item: Any) -> str:
    """The page where the item's job is done."""
    if kind == "complaint":
        return reverse("surveys:board")  # complaints have no page of their own; the board lists them
    if kind == "hot_alert":
        return reverse("surveys:alert_detail", args=[item.pk])
    if kind == "rectification":
        return reverse("incentives:rectification", args=[item.pk])
    if kind == "appeal":
        return reverse("incentives:appeal", args=[item.pk])
    return f"{reverse('incentives:queue')}?period={item.period}&status={ActionStatus.PROPOSED}"


def dealer_managers_q(dealer_id: int) -> Q:
    return Q(dealer_id=dealer_id, role=Role.DEALER_USER, is_active=True, is_dealer_manager=True)


def owner_candidates(kind: str, item: Any) -> QuerySet[User]:
    """Who may own the item: someone who can see it. One query when evaluated."""
    users = User.objects.filter(is_active=True)
    if kind in DEALER_SIDE:
        users = users.filter(role=Role.DEALER_USER, dealer_id=item.dealer_id)
    else:
        region_id = item.dealer.region_id
        users = users.filter(Q(role__in=HQ_ROLES) | Q(role=Role.REGIONAL_MANAGER, regions__id=region_id))
    return users.distinct().order_by("first_name", "last_name", "username")


def may_assign(user: Any, kind: str, item: Any) -> bool:
    """Managers in scope hand on anything; on the dealer's side its service manager (or, when the
    dealer has none, any of its users) and the present owner hand on the dealer's items.

    The caller has already found the item through `for_user`, so scope is settled."""
    if not getattr(user, "is_authenticated", False) or not user.role:
        return False
    if user.is_manager:
        return True
    if kind not in DEALER_SIDE or not user.is_dealer_user or user.dealer_id != item.dealer_id:
        return False
    if user.is_dealer_manager or item.owner_id == user.pk:
        return True
    # Memoised on the user: a list of the dealer's items asks once, not once per row.
    memo = getattr(user, "_dealer_has_manager", None)
    if memo is None:
        memo = User.objects.filter(dealer_managers_q(item.dealer_id)).exists()
        user._dealer_has_manager = memo
    return not memo
