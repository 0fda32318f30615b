"""Proposals from rules, a manager's own proposals, and decisions on them."""

from __future__ import annotations

import uuid
from collections import Counter, defaultdict
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.choices import PeriodStatus
from assessments.models import KpiResult, Period, Scorecard, VetoIncident
from assessments.pages.cache import scorecards_changed
from assessments.periods import Month
from dealers.choices import DealerStatus
from dealers.events import dealer_status_changed
from dealers.models import Dealer, User

from .. import events
from ..choices import REWARD_TYPES, ActionStatus, ActionType
from ..defaults import DEFAULT_LADDER
from ..models import (
    IncentiveAction,
    IncentiveRule,
    LedgerEntry,
)
from ..rules import CardFacts, bonus_amount, evaluate, screen
from .common import IncentiveError
from .rectification import interview_open, rectification_open
from .states import dealer_states

REJECT_NEEDS_REASON = gettext_lazy("Give a reason when rejecting.")
VETOED_REWARD = gettext_lazy(
    "%(dealer)s has a veto for %(month)s: no bonus or honour can be approved for that month."
)


class AlreadyDecided(IncentiveError):
    """The action was decided before (a second click, a re-posted form)."""


def rules_install_defaults() -> int:
    """Create the default ladder if there is no rule yet."""
    if IncentiveRule.objects.exists():
        return 0
    for order, spec in enumerate(DEFAULT_LADDER):
        IncentiveRule.objects.create(sort_order=order, **spec)
    return len(DEFAULT_LADDER)


def _facts(period_code: str) -> dict[int, CardFacts]:
    """The month's scorecards as rules see them: two plain reads (cards, then their KPI
    results), no model instances (a month's close reads three months of them)."""
    values: dict[int, dict[str, float | None]] = defaultdict(dict)
    scores: dict[int, dict[str, float | None]] = defaultdict(dict)
    for card_id, code, value, valid, score in KpiResult.objects.filter(
        scorecard__period__code=period_code
    ).values_list("scorecard_id", "kpi_code", "value", "valid", "score"):
        if valid:
            values[card_id][code] = value
        if score is not None:
            scores[card_id][code] = float(score)
    out = {}
    for pk, dealer_id, region, status, total, grade, rank, region_rank, veto in Scorecard.objects.filter(
        period__code=period_code
    ).values_list(
        "pk", "dealer_id", "region_name", "status", "total_score", "grade", "rank", "region_rank", "veto"
    ):
        out[dealer_id] = CardFacts(
            scorecard_id=pk,
            dealer_id=dealer_id,
            region=region,
            status=status,
            total=total,
            grade=grade,
            rank=rank,
            region_rank=region_rank,
            veto=veto,
            kpi_values=values[pk],
            kpi_scores=scores[pk],
        )
    return out


@dataclass(frozen=True)
class Proposal:
    """What one rule would propose for one dealer and month, and the scorecards behind it."""

    rule: IncentiveRule
    dealer_id: int
    cards: list[CardFacts]
    amount: Decimal


def rules_proposals(period_code: str) -> list[Proposal]:
    """What the active rules propose for a month, screened, without writing anything.

    Which candidates become proposals is `rules.screen`: a veto blocks rewards, the
    INCENTIVE_PRECEDENCE setting blocks weaker tiers, and nothing is proposed again while the
    same rule's proposal is pending or the dealer is already under that sanction. The close
    page previews with this; `rules_evaluate` writes exactly these.
    """
    rules = list(IncentiveRule.objects.filter(active=True))
    by_id = {r.pk: r for r in rules}
    deepest = max([int(r.params.get("months", 1)) for r in rules] or [1])
    month = Month.parse(period_code)
    history = [_facts(str(month.shift(-i))) for i in range(deepest)]
    candidates: dict[int, list[tuple[int, str]]] = {}
    causes: dict[tuple[int, int], list[CardFacts]] = {}
    for rule in rules:
        for dealer_id, cards in evaluate(rule.condition, rule.params, history).items():
            candidates.setdefault(dealer_id, []).append((rule.pk, rule.action_type))
            causes[(dealer_id, rule.pk)] = cards
    states = dealer_states(period_code, set(candidates), history[0] if history else {})
    precedence = settings.INCENTIVE_PRECEDENCE
    out: list[Proposal] = []
    for dealer_id, wanted in candidates.items():
        for rule_id, _type in screen(wanted, states[dealer_id], precedence):
            rule, cards = by_id[rule_id], causes[(dealer_id, rule_id)]
            amount = Decimal(0)
            if rule.action_type == ActionType.BONUS:
                amount = bonus_amount(
                    rule.bonus_base, rule.bonus_per_point, rule.bonus_threshold, cards[0].total
                )
            out.append(Proposal(rule=rule, dealer_id=dealer_id, cards=cards, amount=amount))
    return out


def rules_evaluate(period_code: str, *, actor: User | None = None) -> list[IncentiveAction]:
    """Propose the actions the active rules give for a closed period. Running it again adds nothing."""
    period = Period.objects.get(code=period_code)
    if period.status != PeriodStatus.CLOSED:
        raise IncentiveError(_("Rules are evaluated on closed periods only."))
    created: list[IncentiveAction] = []
    for proposal in rules_proposals(period_code):
        rule = proposal.rule
        action, was_created = IncentiveAction.objects.get_or_create(
            origin_key=f"rule:{rule.pk}",
            dealer_id=proposal.dealer_id,
            period=period_code,
            defaults={
                "rule": rule,
                "action_type": rule.action_type,
                "amount": proposal.amount,
                "reason": rule.name,
                "proposed_by": actor,
            },
        )
        if was_created:
            action.scorecards.set([c.scorecard_id for c in proposal.cards])
            events.action_changed(actor=actor, action=action, before="")
            created.append(action)
    return created


def period_closed_evaluate(
    sender: type[Period], *, period: Period, actor: User | None = None, **kwargs: Any
) -> None:
    """Answer assessments' `period_closed` signal: evaluate the rules in the closing transaction."""
    rules_evaluate(period.code, actor=actor)


def actions_expire(now: datetime | None = None) -> int:
    """Daily: proposals undecided for INCENTIVE_PROPOSAL_MAX_AGE_DAYS become expired (audited)."""
    cutoff = (now or timezone.now()) - timedelta(days=settings.INCENTIVE_PROPOSAL_MAX_AGE_DAYS)
    expired = 0
    for pk in IncentiveAction.objects.filter(
        status=ActionStatus.PROPOSED, proposed_at__lt=cutoff
    ).values_list("pk", flat=True):
        with transaction.atomic():
            action = IncentiveAction.objects.select_for_update().select_related("dealer").get(pk=pk)
            if action.status != ActionStatus.PROPOSED:
                continue
            action.status = ActionStatus.EXPIRED
            action.save(update_fields=["status"])
            events.action_changed(
                actor=None,
                action=action,
                before=ActionStatus.PROPOSED,
                comment=f"undecided for {settings.INCENTIVE_PROPOSAL_MAX_AGE_DAYS} days",
            )
            expired += 1
    return expired


def reward_vetoed(dealer_id: int, period_code: str) -> bool:
    """Whether a veto (一票否决) stands for this dealer and month: then no reward is given."""
    return (
        VetoIncident.objects.filter(dealer_id=dealer_id, period=period_code).exists()
        or Scorecard.objects.filter(dealer_id=dealer_id, period__code=period_code, veto=True).exists()
    )


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
            raise AlreadyDecided(_("This action was already decided."))
        if not approve and not comment.strip():
            raise IncentiveError(REJECT_NEEDS_REASON)
        if approve and locked.action_type in REWARD_TYPES and reward_vetoed(locked.dealer_id, locked.period):
            raise IncentiveError(VETOED_REWARD % {"dealer": locked.dealer.code, "month": locked.period})
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
            transaction.on_commit(scorecards_changed)  # the ranking shows the dealer's status
            dealer_status_changed(actor=actor, dealer=dealer, before=before, after=new, comment=action.reason)
    elif action.action_type == ActionType.RECTIFICATION:
        rectification_open(action, actor)


@dataclass
class BulkOutcome:
    """What one bulk decision did: counts per outcome, and the refusals with their reasons."""

    approved: int = 0
    rejected: int = 0
    skipped: int = 0  # decided before: a re-posted confirmation decides nothing twice
    refused: list[tuple[IncentiveAction, str]] = field(default_factory=list)


def actions_decide_bulk(
    *, actor: User, action_ids: list[int], approve: bool, comment: str = ""
) -> BulkOutcome:
    """Decide many proposals with one reason, each in its own transaction through `action_decide`.

    Only actions in the actor's scope are looked at (others are not even counted). Actions
    already decided are skipped, so posting the same confirmation twice decides nothing twice;
    one refusal (e.g. a vetoed bonus) does not undo the others.
    """
    if not approve and not comment.strip():
        raise IncentiveError(REJECT_NEEDS_REASON)
    outcome = BulkOutcome()
    actions = (
        IncentiveAction.objects.for_user(actor)
        .filter(pk__in=action_ids)
        .order_by("period", "dealer_id", "pk")
    )
    for action in actions.select_related("dealer"):
        try:
            action_decide(action=action, actor=actor, approve=approve, comment=comment)
        except AlreadyDecided:
            outcome.skipped += 1
            continue
        except IncentiveError as exc:
            outcome.refused.append((action, str(exc)))
            continue
        if approve:
            outcome.approved += 1
        else:
            outcome.rejected += 1
    return outcome


@dataclass
class BulkSummary:
    """What a bulk decision will do, shown before it is confirmed."""

    count: int
    by_type: list[tuple[str, int]]  # (action type label, how many)
    suspensions: int
    bonus_total: Decimal
    dealers: list[Dealer]
    vetoed_rewards: int  # rewards that an approval will refuse because of a veto


def actions_bulk_summary(actor: User, action_ids: list[int]) -> BulkSummary:
    """Count what deciding these (still proposed, in-scope) actions means."""
    actions = list(
        IncentiveAction.objects.for_user(actor)
        .filter(pk__in=action_ids, status=ActionStatus.PROPOSED)
        .select_related("dealer")
    )
    labels = dict(ActionType.choices)
    counts = Counter(a.action_type for a in actions)
    dealers = {a.dealer_id: a.dealer for a in actions}
    vetoed_pairs = set(
        VetoIncident.objects.filter(dealer_id__in=dealers).values_list("dealer_id", "period")
    ) | set(
        Scorecard.objects.filter(dealer_id__in=dealers, veto=True).values_list("dealer_id", "period__code")
    )
    vetoed = [a for a in actions if a.action_type in REWARD_TYPES and (a.dealer_id, a.period) in vetoed_pairs]
    refused = {a.pk for a in vetoed}
    return BulkSummary(
        count=len(actions),
        by_type=[(str(labels.get(t, t)), n) for t, n in counts.most_common()],
        suspensions=counts.get(ActionType.SUSPENSION, 0),
        # What approval pays: a vetoed dealer's bonus is refused, so it is not in the total.
        bonus_total=sum(
            (a.amount for a in actions if a.action_type == ActionType.BONUS and a.pk not in refused),
            Decimal(0),
        ),
        dealers=sorted(dealers.values(), key=lambda d: d.code),
        vetoed_rewards=len(vetoed),
    )
