"""Rectification orders (整改): the dealer's answer, HQ's verification, escalation, overdue flags."""

from __future__ import annotations

from datetime import date, timedelta

from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from dealers.models import User

from .. import events
from ..choices import ActionType, RectificationStatus
from ..models import (
    IncentiveAction,
    RectificationEvidence,
    RectificationOrder,
)
from .common import IncentiveError, check_evidence


def rectification_open(action: IncentiveAction, actor: User) -> RectificationOrder:
    """The order an approved rectification action opens, due after the rule's number of days."""
    days = action.rule.rectification_days if action.rule else 30
    order = RectificationOrder.objects.create(
        action=action, dealer=action.dealer, deadline=timezone.localdate() + timedelta(days=days)
    )
    events.rectification_changed(actor=actor, order=order, before="")
    return order


def rectification_submit_plan(
    *, order: RectificationOrder, actor: User, plan: str, files: list[UploadedFile]
) -> RectificationOrder:
    if not actor.is_dealer_user or actor.dealer_id != order.dealer_id:
        raise IncentiveError(_("Only the dealer answers its rectification order."))
    if not plan.strip():
        raise IncentiveError(_("Describe the plan."))
    check_evidence(files)
    with transaction.atomic():
        locked = RectificationOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in (RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED):
            raise IncentiveError(_("This order is closed."))
        if timezone.localdate() > locked.deadline:
            raise IncentiveError(_("The deadline has passed; contact HQ."))
        before = locked.status
        locked.plan = plan.strip()
        locked.plan_submitted_at = timezone.now()
        locked.status = RectificationStatus.PLAN_SUBMITTED
        locked.save()
        for f in files:
            RectificationEvidence.objects.create(order=locked, file=f)
        events.rectification_changed(actor=actor, order=locked, before=before)
    return locked


def rectification_verify(
    *, order: RectificationOrder, actor: User, passed: bool, comment: str = ""
) -> RectificationOrder:
    """HQ verifies a plan: pass closes the order; fail escalates (a new order, then a suspension)."""
    if not actor.is_manager or not RectificationOrder.objects.for_user(actor).filter(pk=order.pk).exists():
        raise IncentiveError(_("Only a manager of this dealer verifies its rectification."))
    with transaction.atomic():
        locked = (
            RectificationOrder.objects.select_for_update(of=("self",))
            .select_related("action", "dealer")
            .get(pk=order.pk)
        )
        if locked.status != RectificationStatus.PLAN_SUBMITTED:
            raise IncentiveError(_("There is no submitted plan to verify."))
        locked.status = RectificationStatus.PASSED if passed else RectificationStatus.FAILED
        locked.verified_by, locked.verified_at, locked.verify_comment = actor, timezone.now(), comment
        locked.save()
        events.rectification_changed(
            actor=actor, order=locked, before=RectificationStatus.PLAN_SUBMITTED, comment=comment
        )
        if not passed:
            escalated = locked.action.origin_key.startswith("rectification:")
            next_type = ActionType.SUSPENSION if escalated else ActionType.RECTIFICATION
            reason = _("Rectification failed verification: %(comment)s") % {"comment": comment}
            action, created = IncentiveAction.objects.get_or_create(
                origin_key=f"rectification:{locked.pk}",
                dealer=locked.dealer,
                period=locked.action.period,
                defaults={"action_type": next_type, "reason": reason, "proposed_by": actor},
            )
            if created:
                action.scorecards.set(locked.action.scorecards.all())
                events.action_changed(actor=actor, action=action, before="")
    return locked


def rectifications_flag_overdue(today: date | None = None) -> int:
    """Flag open orders past their deadline (daily)."""
    today = today or timezone.localdate()
    overdue = RectificationOrder.objects.filter(
        status=RectificationStatus.OPEN, deadline__lt=today, overdue_flagged_at__isnull=True
    )
    count = 0
    for order in overdue:
        order.overdue_flagged_at = timezone.now()
        order.save(update_fields=["overdue_flagged_at"])
        events.rectification_changed(actor=None, order=order, before=order.status, comment="overdue")
        count += 1
    return count
