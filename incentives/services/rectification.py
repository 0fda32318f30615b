"""Rectification orders (整改) as action plans, and interview records (约谈).

An order opens with tasks from the templates of the KPI(s) that caused it; the dealer edits,
adds and ticks tasks, attaches evidence and submits; a manager verifies. Passing stores the
re-measure (the KPIs before and after); failing, or letting the deadline pass without a plan,
proposes the escalation (a second rectification, then a suspension). Interviews get a record
the managers fill and the dealer reads.
"""

from __future__ import annotations

from datetime import date, timedelta
from functools import partial
from typing import Any

from django.conf import settings
from django.core.files.uploadedfile import UploadedFile
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.models import KpiResult, Scorecard
from dealers.choices import Role
from dealers.models import User
from dealers.services import notice_send

from .. import events
from ..choices import ActionType, ConditionKind, RectificationStatus
from ..models import (
    IncentiveAction,
    InterviewRecord,
    RectificationEvidence,
    RectificationOrder,
    RectificationTask,
    TaskStatus,
)
from ..rectification_templates import tasks_for
from ..rules import screen
from .common import IncentiveError, check_evidence
from .states import dealer_states

ANSWERABLE = (RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED)
KPI_CONDITIONS = (ConditionKind.KPI_VALUE, ConditionKind.KPI_SCORE)

# Messages users see, reused by tests.
ONLY_DEALER = gettext_lazy("Only the dealer answers its rectification order.")
ORDER_CLOSED = gettext_lazy("This order is closed.")
DUE_AFTER_DEADLINE = gettext_lazy("A task is due on or before the order's deadline (%(deadline)s).")
NEEDS_PLAN = gettext_lazy("Add at least one task, or describe the plan.")
ONLY_MANAGER_INTERVIEW = gettext_lazy("Only a manager of this dealer records the interview.")


# --- who is concerned ------------------------------------------------------------------------


def order_kpis(order: RectificationOrder) -> list[str]:
    """The KPI codes that caused the order: the rule's "kpi", or those of the order it escalates.

    Empty for a grade rule (the whole scorecard is concerned)."""
    action: IncentiveAction | None = order.action
    seen = 0
    while action is not None and seen < 10:
        seen += 1
        rule = action.rule
        if rule is not None:
            if rule.condition in KPI_CONDITIONS and rule.params.get("kpi"):
                return [str(rule.params["kpi"])]
            return []
        if not action.origin_key.startswith("rectification:"):
            return []
        previous = RectificationOrder.objects.filter(pk=action.origin_key.split(":", 1)[1]).first()
        action = previous.action if previous else None
    return []


def _dealer_users(order: RectificationOrder) -> Any:
    return User.objects.filter(is_active=True, role=Role.DEALER_USER, dealer_id=order.dealer_id)


def _managers_of(order: RectificationOrder) -> Any:
    return (
        User.objects.filter(is_active=True)
        .filter(Q(role=Role.HQ_MANAGER) | Q(role=Role.REGIONAL_MANAGER, regions=order.dealer.region_id))
        .distinct()
    )


def _check_dealer(order: RectificationOrder, actor: User) -> None:
    if not actor.is_dealer_user or actor.dealer_id != order.dealer_id:
        raise IncentiveError(str(ONLY_DEALER))


def _check_answerable(order: RectificationOrder) -> None:
    if order.status not in ANSWERABLE:
        raise IncentiveError(str(ORDER_CLOSED))


def _check_due(order: RectificationOrder, due_date: date) -> None:
    if due_date > order.deadline:
        raise IncentiveError(str(DUE_AFTER_DEADLINE) % {"deadline": order.deadline.isoformat()})


# --- opening ---------------------------------------------------------------------------------


def rectification_open(action: IncentiveAction, actor: User) -> RectificationOrder:
    """The order an approved rectification action opens, due after the rule's number of days,
    with its first tasks from the templates of the KPI(s) that caused it."""
    days = action.rule.rectification_days if action.rule else 30
    today = timezone.localdate()
    order = RectificationOrder.objects.create(
        action=action, dealer=action.dealer, deadline=today + timedelta(days=days)
    )
    # The tasks and the notice are written for the dealer, in the portal's language, whatever
    # language the approving manager reads in.
    with translation.override(settings.LANGUAGE_CODE):
        for title, due in tasks_for(order_kpis(order), today, order.deadline):
            RectificationTask.objects.create(order=order, title=str(title), due_date=due, from_template=True)
        text = _("A rectification order was opened; answer it by %(deadline)s.") % {
            "deadline": order.deadline.isoformat()
        }
    events.rectification_changed(actor=actor, order=order, before="")
    url = reverse("incentives:rectification", args=[order.pk])
    transaction.on_commit(lambda: notice_send(users=_dealer_users(order), text=text, url=url))
    return order


def interview_open(action: IncentiveAction, actor: User) -> InterviewRecord | None:
    """An approved interview (约谈) gets a record to fill; any other action gets none."""
    if action.action_type != ActionType.INTERVIEW:
        return None
    record, created = InterviewRecord.objects.get_or_create(action=action, defaults={"dealer": action.dealer})
    if created:
        events.interview_changed(actor=actor, interview=record, what="opened")
    return record


# --- the dealer's plan -----------------------------------------------------------------------


def rectification_task_add(
    *, order: RectificationOrder, actor: User, title: str, owner: str, due_date: date
) -> RectificationTask:
    _check_dealer(order, actor)
    _check_answerable(order)
    if not title.strip():
        raise IncentiveError(_("Say what the task is."))
    _check_due(order, due_date)
    task = RectificationTask.objects.create(
        order=order, title=title.strip()[:300], owner=owner.strip()[:100], due_date=due_date
    )
    events.rectification_task_changed(actor=actor, task=task, what="added")
    return task


def rectification_task_edit(
    *, task: RectificationTask, actor: User, title: str, owner: str, due_date: date
) -> RectificationTask:
    order = task.order
    _check_dealer(order, actor)
    _check_answerable(order)
    if not title.strip():
        raise IncentiveError(_("Say what the task is."))
    _check_due(order, due_date)
    task.title, task.owner, task.due_date = title.strip()[:300], owner.strip()[:100], due_date
    task.save(update_fields=["title", "owner", "due_date"])
    events.rectification_task_changed(actor=actor, task=task, what="edited")
    return task


def rectification_task_mark(*, task: RectificationTask, actor: User, done: bool) -> RectificationTask:
    """Tick a task done, or open it again."""
    order = task.order
    _check_dealer(order, actor)
    _check_answerable(order)
    task.status = TaskStatus.DONE if done else TaskStatus.OPEN
    task.done_at = timezone.now() if done else None
    task.save(update_fields=["status", "done_at"])
    events.rectification_task_changed(actor=actor, task=task, what=task.status)
    return task


def rectification_evidence_attach(
    *,
    order: RectificationOrder,
    actor: User,
    files: list[UploadedFile],
    task: RectificationTask | None = None,
) -> list[RectificationEvidence]:
    """Keep the dealer's evidence files, optionally for one task of the order."""
    _check_dealer(order, actor)
    _check_answerable(order)
    check_evidence(files)
    if task is not None and task.order_id != order.pk:
        raise IncentiveError(str(ORDER_CLOSED))
    kept = []
    for f in files:
        evidence = RectificationEvidence.objects.create(
            order=order,
            task=task,
            file=f,
            original_name=(f.name or "").rsplit("/", 1)[-1][:255],
            size=f.size or 0,
            uploaded_by=actor,
        )
        events.rectification_evidence_added(actor=actor, evidence=evidence)
        kept.append(evidence)
    return kept


def rectification_submit_plan(
    *, order: RectificationOrder, actor: User, plan: str, files: list[UploadedFile]
) -> RectificationOrder:
    """The dealer submits its plan (its tasks, a summary, evidence) for verification."""
    _check_dealer(order, actor)
    check_evidence(files)
    with transaction.atomic():
        locked = RectificationOrder.objects.select_for_update().get(pk=order.pk)
        if locked.status not in ANSWERABLE:
            raise IncentiveError(str(ORDER_CLOSED))
        if timezone.localdate() > locked.deadline:
            raise IncentiveError(_("The deadline has passed; contact HQ."))
        if not plan.strip() and not locked.tasks.exists():
            raise IncentiveError(str(NEEDS_PLAN))
        before = locked.status
        locked.plan = plan.strip()
        locked.plan_submitted_at = timezone.now()
        locked.status = RectificationStatus.PLAN_SUBMITTED
        locked.save()
        if files:
            rectification_evidence_attach(order=locked, actor=actor, files=files)
        events.rectification_changed(actor=actor, order=locked, before=before)
    return locked


# --- verification, re-measure and escalation -------------------------------------------------


def _kpi_value(card: Scorecard | None, code: str) -> float | None:
    if card is None:
        return None
    result = KpiResult.objects.filter(scorecard=card, kpi_code=code).first()
    return result.value if result is not None else None


def rectification_remeasure(order: RectificationOrder) -> dict[str, Any]:
    """The KPIs concerned before (the scorecard that caused the order, its newest) and after
    (the dealer's newest scorecard of a later month), as plain data to store and show.

    A grade rule concerns the whole scorecard: its total score and grade."""
    action = order.action
    causes = list(action.scorecards.select_related("period").order_by("-period__code"))
    before = causes[0] if causes else None
    if before is None:  # scorecards are replaced on recompute: the action's month then
        before = Scorecard.objects.filter(dealer=order.dealer_id, period__code=action.period).first()
    after = (
        Scorecard.objects.filter(dealer=order.dealer_id, period__code__gt=action.period)
        .select_related("period")
        .order_by("-period__code")
        .first()
    )
    rows: list[dict[str, Any]] = []
    kpis = order_kpis(order)
    for code in kpis:
        rows.append({"kpi": code, "before": _kpi_value(before, code), "after": _kpi_value(after, code)})
    if not kpis:
        rows.append(
            {
                "kpi": "",
                "before": float(before.total_score) if before and before.total_score is not None else None,
                "after": float(after.total_score) if after and after.total_score is not None else None,
                "before_grade": before.grade if before else "",
                "after_grade": after.grade if after else "",
            }
        )
    return {
        "before_period": before.period.code if before else "",
        "after_period": after.period.code if after else "",
        "rows": rows,
    }


def _propose_escalation(order: RectificationOrder, actor: User | None, reason: str) -> IncentiveAction | None:
    """A second rectification after a first, a suspension after a second; once per order."""
    escalated = order.action.origin_key.startswith("rectification:")
    next_type = ActionType.SUSPENSION if escalated else ActionType.RECTIFICATION
    # The same screen as the rules' proposals: no second suspension while the dealer is
    # suspended or one waits, no rectification while another order is open or one waits.
    state = dealer_states(order.action.period, {order.dealer_id}, {})[order.dealer_id]
    if not screen([(None, next_type)], state, []):
        return None
    action, created = IncentiveAction.objects.get_or_create(
        origin_key=f"rectification:{order.pk}",
        dealer=order.dealer,
        period=order.action.period,
        defaults={"action_type": next_type, "reason": reason, "proposed_by": actor},
    )
    if not created:
        return None
    action.scorecards.set(order.action.scorecards.all())
    events.action_changed(actor=actor, action=action, before="")
    return action


def rectification_verify(
    *, order: RectificationOrder, actor: User, passed: bool, comment: str = ""
) -> RectificationOrder:
    """A manager verifies a plan: pass closes the order and stores the re-measure; fail escalates."""
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
        if passed:
            locked.remeasure = rectification_remeasure(locked)
        locked.save()
        events.rectification_changed(
            actor=actor, order=locked, before=RectificationStatus.PLAN_SUBMITTED, comment=comment
        )
        if not passed:
            reason = _("Rectification failed verification: %(comment)s") % {"comment": comment}
            _propose_escalation(locked, actor, reason)
    return locked


def rectifications_flag_overdue(today: date | None = None) -> int:
    """Daily: an open order past its deadline without a plan is flagged and fails, and its
    escalation is proposed, as a failed verification's would be; the dealer's users and the
    managers in scope are told. Running it again changes nothing."""
    today = today or timezone.localdate()
    overdue = RectificationOrder.objects.filter(
        status=RectificationStatus.OPEN, deadline__lt=today, overdue_flagged_at__isnull=True
    ).values_list("pk", flat=True)
    count = 0
    for pk in overdue:
        with transaction.atomic():
            order = (
                RectificationOrder.objects.select_for_update(of=("self",))
                .select_related("action", "dealer")
                .get(pk=pk)
            )
            if order.status != RectificationStatus.OPEN or order.overdue_flagged_at is not None:
                continue
            order.overdue_flagged_at = timezone.now()
            order.status = RectificationStatus.FAILED
            order.verify_comment = _("No plan by the deadline (%(deadline)s).") % {
                "deadline": order.deadline.isoformat()
            }
            order.save(update_fields=["overdue_flagged_at", "status", "verify_comment"])
            events.rectification_changed(
                actor=None, order=order, before=RectificationStatus.OPEN, comment="overdue"
            )
            escalation = _propose_escalation(
                order,
                None,
                _("Rectification overdue: no plan by %(deadline)s.") % {"deadline": order.deadline},
            )
            text = _(
                "%(dealer)s: the rectification order due %(deadline)s is overdue; %(next)s proposed."
            ) % {
                "dealer": order.dealer.name,
                "deadline": order.deadline.isoformat(),
                "next": escalation.get_action_type_display() if escalation else "—",
            }
            url = reverse("incentives:rectification", args=[order.pk])
            users = list(_dealer_users(order)) + list(_managers_of(order))
            transaction.on_commit(partial(notice_send, users=users, text=text, url=url, email_subject=text))
        count += 1
    return count


# --- interviews ------------------------------------------------------------------------------


def interview_record(
    *, interview: InterviewRecord, actor: User, held_on: date | None, attendees: str, minutes: str
) -> InterviewRecord:
    """A manager of the dealer records (or corrects) when the interview was held, who came, what was said."""
    if not actor.is_manager or not InterviewRecord.objects.for_user(actor).filter(pk=interview.pk).exists():
        raise IncentiveError(str(ONLY_MANAGER_INTERVIEW))
    if held_on is None or not attendees.strip() or not minutes.strip():
        raise IncentiveError(_("Give the date, the attendees and the minutes."))
    if held_on > timezone.localdate():
        raise IncentiveError(_("The interview date cannot be in the future."))
    with transaction.atomic():
        locked = InterviewRecord.objects.select_for_update().get(pk=interview.pk)
        before = {
            "held_on": str(locked.held_on or ""),
            "attendees": locked.attendees,
            "minutes": locked.minutes,
        }
        locked.held_on, locked.attendees, locked.minutes = held_on, attendees.strip(), minutes.strip()
        locked.recorded_at, locked.recorded_by = timezone.now(), actor
        locked.save()
        events.interview_changed(actor=actor, interview=locked, what="recorded", before=before)
    return locked
