"""Consequences of closed scorecards: proposals from rules, decisions, rectifications, appeals.

Every state change is audited (incentives/events.py). Proposals are idempotent: one action
per cause (rule or failed rectification), dealer and period.
"""

from __future__ import annotations

import uuid
from datetime import date, timedelta
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.choices import PeriodStatus, RecordChannel
from assessments.models import Complaint, Period, Scorecard
from assessments.periods import Month
from assessments.services.provenance import records_change
from dealers.choices import DealerStatus
from dealers.events import dealer_status_changed
from dealers.models import Dealer, User
from surveys.models import SurveyResponse

from . import events
from .choices import ActionStatus, ActionType, AppealStatus, CorrectionKind, RectificationStatus
from .defaults import DEFAULT_LADDER
from .models import (
    Appeal,
    IncentiveAction,
    IncentiveRule,
    LedgerEntry,
    RectificationEvidence,
    RectificationOrder,
)
from .rules import CardFacts, bonus_amount, evaluate


class IncentiveError(Exception):
    """A decision that is not allowed; the message is for the user."""


EVIDENCE_EXTENSIONS = {
    ".pdf",
    ".jpg",
    ".jpeg",
    ".png",
    ".xlsx",
    ".xls",
    ".docx",
    ".doc",
    ".csv",
    ".txt",
    ".zip",
}
EVIDENCE_MAX_BYTES = 20 * 1024 * 1024
EVIDENCE_MAX_FILES = 10


def check_evidence(files: list[UploadedFile]) -> None:
    """Evidence files: at most ten, each at most 20 MB, of a document or image type."""
    if len(files) > EVIDENCE_MAX_FILES:
        raise IncentiveError(_("At most %(n)s evidence files.") % {"n": EVIDENCE_MAX_FILES})
    for f in files:
        name = (f.name or "").lower()
        if not any(name.endswith(ext) for ext in EVIDENCE_EXTENSIONS):
            raise IncentiveError(
                _("%(name)s: evidence must be a PDF, image, Office document, CSV, text or zip file.")
                % {"name": f.name}
            )
        if f.size is not None and f.size > EVIDENCE_MAX_BYTES:
            raise IncentiveError(_("%(name)s is larger than 20 MB.") % {"name": f.name})


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
    if action.action_type == ActionType.BONUS:
        LedgerEntry.objects.create(dealer=dealer, period=action.period, action=action, amount=action.amount)
    elif action.action_type in (ActionType.SUSPENSION, ActionType.LIFT_SUSPENSION):
        new = DealerStatus.SUSPENDED if action.action_type == ActionType.SUSPENSION else DealerStatus.ACTIVE
        before = dealer.status
        if before != DealerStatus.TERMINATED and before != new:
            Dealer.objects.filter(pk=dealer.pk).update(status=new)
            dealer_status_changed(actor=actor, dealer=dealer, before=before, after=new, comment=action.reason)
    elif action.action_type == ActionType.RECTIFICATION:
        days = action.rule.rectification_days if action.rule else 30
        order = RectificationOrder.objects.create(
            action=action, dealer=dealer, deadline=timezone.localdate() + timedelta(days=days)
        )
        events.rectification_changed(actor=actor, order=order, before="")


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


def appeal_window_open(period: Period, now: Any = None) -> bool:
    """Appeals are taken from when the scorecards appear, for APPEAL_WINDOW_DAYS, and never after close."""
    now = now or timezone.now()
    if period.status == PeriodStatus.CLOSED or period.scorecards_published_at is None:
        return False
    return now <= period.scorecards_published_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)


def appeal_file(
    *, scorecard: Scorecard, kpi_code: str, reason: str, actor: User, evidence: UploadedFile | None = None
) -> Appeal:
    if not actor.is_dealer_user or actor.dealer_id != scorecard.dealer_id:
        raise IncentiveError(_("Only the dealer appeals its own scorecard."))
    if not appeal_window_open(scorecard.period):
        raise IncentiveError(_("The appeal window for this period is closed."))
    if not scorecard.kpi_results.filter(kpi_code=kpi_code).exists():
        raise IncentiveError(_("This KPI is not on the scorecard."))
    if not reason.strip():
        raise IncentiveError(_("Give the reason for the appeal."))
    if evidence is not None:
        check_evidence([evidence])
    appeal = Appeal.objects.create(
        scorecard=scorecard,
        dealer_id=scorecard.dealer_id,
        period=scorecard.period.code,
        kpi_code=kpi_code,
        reason=reason.strip(),
        evidence=evidence or "",
        filed_by=actor,
    )
    events.appeal_changed(actor=actor, appeal=appeal, before=None)
    return appeal


def appeal_decide(
    *, appeal: Appeal, actor: User, uphold: bool, decision: str, correction: str = "", target: str = ""
) -> Appeal:
    """Uphold (correcting the data, which recomputes the period) or reject, with a reason."""
    from assessments.tasks import queue_recompute

    if not actor.is_manager or not Appeal.objects.for_user(actor).filter(pk=appeal.pk).exists():
        raise IncentiveError(_("Only a manager of this dealer decides its appeals."))
    if not decision.strip():
        raise IncentiveError(_("Give the reason for the decision."))
    with transaction.atomic():
        locked = Appeal.objects.select_for_update().get(pk=appeal.pk)
        if locked.status != AppealStatus.SUBMITTED:
            raise IncentiveError(_("This appeal was already decided."))
        period = Period.objects.select_for_update().get(code=locked.period)
        if uphold and period.status == PeriodStatus.CLOSED:
            raise IncentiveError(_("The period is closed; its scorecards are frozen."))
        if uphold and correction:
            _apply_correction(locked, correction, target.strip(), decision, actor)
        locked.status = AppealStatus.UPHELD if uphold else AppealStatus.REJECTED
        locked.decided_by, locked.decided_at, locked.decision = actor, timezone.now(), decision.strip()
        locked.correction, locked.correction_target = (correction, target.strip()) if uphold else ("", "")
        locked.save()
        events.appeal_changed(actor=actor, appeal=locked, before=AppealStatus.SUBMITTED, comment=decision)
        if uphold:
            queue_recompute([locked.period])
    return locked


def _apply_correction(appeal: Appeal, correction: str, target: str, reason: str, actor: User) -> None:
    if correction == CorrectionKind.EXCLUDE_COMPLAINT:
        records = Complaint.objects.filter(dealer_id=appeal.dealer_id, complaint_id=target)
    elif correction == CorrectionKind.EXCLUDE_SURVEY:
        records = SurveyResponse.objects.filter(dealer_id=appeal.dealer_id, response_id=target)
    else:
        raise IncentiveError(_("Unknown correction."))
    found = list(records.select_for_update())
    # Voiding changes what the record counts for: stamped and kept in the change history.
    records_change(
        found, {"excluded": True, "excluded_reason": reason}, user=actor, channel=RecordChannel.SYSTEM
    )
    if not found:
        raise IncentiveError(_("No record %(target)s of this dealer to correct.") % {"target": target})
