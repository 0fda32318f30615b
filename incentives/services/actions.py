"""Proposals from rules, a manager's own proposals, and decisions on them."""

from __future__ import annotations

import uuid
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.choices import PeriodStatus
from assessments.models import Period, Scorecard
from assessments.periods import Month
from dealers.choices import DealerStatus
from dealers.events import dealer_status_changed
from dealers.models import Dealer, User

from .. import events
from ..choices import ActionStatus, ActionType
from ..defaults import DEFAULT_LADDER
from ..models import (
    IncentiveAction,
    IncentiveRule,
    LedgerEntry,
)
from ..rules import CardFacts, bonus_amount, evaluate
from .common import IncentiveError
from .rectification import interview_open, rectification_open


def rules_install_defaults() -> int:
    """Create the default ladder if there is no rule yet."""
    if IncentiveRule.objects.exists():
        return 0
    for order, spec in enumerate(DEFAULT_LADDER):
        IncentiveRule.objects.create(sort_order=order, **spec)
    return len(DEFAULT_LADDER)


def _facts(period_code: str) -> dict[int, CardFacts]:
    cards = Scorecard.objects.filter(period__code=period_code).prefetch_related("kpi_results")
    out = {}
    for c in cards:
        results = list(c.kpi_results.all())
        out[c.dealer_id] = CardFacts(
            scorecard_id=c.pk,
            dealer_id=c.dealer_id,
            region=c.region_name,
            status=c.status,
            total=c.total_score,
            grade=c.grade,
            rank=c.rank,
            region_rank=c.region_rank,
            veto=c.veto,
            kpi_values={r.kpi_code: r.value for r in results if r.valid},
            kpi_scores={r.kpi_code: float(r.score) for r in results if r.score is not None},
        )
    return out


def rules_evaluate(period_code: str, *, actor: User | None = None) -> list[IncentiveAction]:
    """Propose the actions the active rules give for a closed period. Running it again adds nothing."""
    period = Period.objects.get(code=period_code)
    if period.status != PeriodStatus.CLOSED:
        raise IncentiveError(_("Rules are evaluated on closed periods only."))
    rules = list(IncentiveRule.objects.filter(active=True))
    deepest = max([int(r.params.get("months", 1)) for r in rules] or [1])
    month = Month.parse(period_code)
    history = [_facts(str(month.shift(-i))) for i in range(deepest)]
    created: list[IncentiveAction] = []
    for rule in rules:
        for dealer_id, cards in evaluate(rule.condition, rule.params, history).items():
            amount = 0
            if rule.action_type == ActionType.BONUS:
                amount = bonus_amount(
                    rule.bonus_base, rule.bonus_per_point, rule.bonus_threshold, cards[0].total
                )
            action, was_created = IncentiveAction.objects.get_or_create(
                origin_key=f"rule:{rule.pk}",
                dealer_id=dealer_id,
                period=period_code,
                defaults={
                    "rule": rule,
                    "action_type": rule.action_type,
                    "amount": amount,
                    "reason": rule.name,
                    "proposed_by": actor,
                },
            )
            if was_created:
                action.scorecards.set([c.scorecard_id for c in cards])
                events.action_changed(actor=actor, action=action, before="")
                created.append(action)
    return created


def action_propose(
    *, dealer: Dealer, period_code: str, action_type: str, reason: str, actor: User, amount: Any = 0
) -> IncentiveAction:
    """A manager's own proposal, e.g. lifting a suspension."""
    if not actor.is_manager or not Dealer.objects.for_user(actor).filter(pk=dealer.pk).exists():
        raise IncentiveError(_("Only a manager of this dealer proposes actions for it."))
    if action_type == ActionType.LIFT_SUSPENSION and dealer.status != DealerStatus.SUSPENDED:
        raise IncentiveError(_("This dealer is not suspended."))
    action = IncentiveAction.objects.create(
        dealer=dealer,
        period=period_code,
        action_type=action_type,
        reason=reason,
        amount=amount,
        origin_key=f"manual:{uuid.uuid4().hex}",
        proposed_by=actor,
    )
    events.action_changed(actor=actor, action=action, before="")
    return action


def action_decide(
    *, action: IncentiveAction, actor: User, approve: bool, comment: str = ""
) -> IncentiveAction:
    """Approve or reject a proposal and carry out what an approval means."""
    if not actor.is_manager:
        raise IncentiveError(_("Only HQ or regional managers decide on actions."))
    if not IncentiveAction.objects.for_user(actor).filter(pk=action.pk).exists():
        raise IncentiveError(_("This action is outside your regions."))
    with transaction.atomic():
        locked = (
            IncentiveAction.objects.select_for_update(of=("self",))
            .select_related("dealer", "rule")
            .get(pk=action.pk)
        )
        if locked.status != ActionStatus.PROPOSED:
            raise IncentiveError(_("This action was already decided."))
        if not approve and not comment.strip():
            raise IncentiveError(_("Give a reason when rejecting."))
        locked.status = ActionStatus.APPROVED if approve else ActionStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision_comment = actor, timezone.now(), comment.strip()
        locked.save()
        events.action_changed(actor=actor, action=locked, before=ActionStatus.PROPOSED, comment=comment)
        if approve:
            _carry_out(locked, actor)
    return locked


def _carry_out(action: IncentiveAction, actor: User) -> None:
    dealer = action.dealer
    interview_open(action, actor)  # an interview (约谈) gets its record to fill; other actions none
    if action.action_type == ActionType.BONUS:
        LedgerEntry.objects.create(dealer=dealer, period=action.period, action=action, amount=action.amount)
    elif action.action_type in (ActionType.SUSPENSION, ActionType.LIFT_SUSPENSION):
        new = DealerStatus.SUSPENDED if action.action_type == ActionType.SUSPENSION else DealerStatus.ACTIVE
        before = dealer.status
        if before != DealerStatus.TERMINATED and before != new:
            Dealer.objects.filter(pk=dealer.pk).update(status=new)
            dealer_status_changed(actor=actor, dealer=dealer, before=before, after=new, comment=action.reason)
    elif action.action_type == ActionType.RECTIFICATION:
        rectification_open(action, actor)
