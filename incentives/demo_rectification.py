"""Demo content for rectification and interviews, so their pages have something on first start.

Call after scorecards exist and the incentive rules have proposed actions (and, ideally, some
rectification and interview actions were approved):

    from incentives.demo_rectification import seed_rectifications
    seed_rectifications()

It puts one order in progress (tasks partly done, one evidence file), passes one with its
re-measure stored, and records one interview. When too few actions were approved it approves
the oldest proposed ones as the first HQ manager. Running it again adds nothing.
"""

from __future__ import annotations

import struct
import zlib
from datetime import timedelta
from typing import Any

from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import transaction
from django.utils import timezone

from assessments.models import Scorecard
from dealers.choices import Role
from dealers.models import User

from .choices import ActionStatus, ActionType, RectificationStatus
from .models import IncentiveAction, RectificationEvidence, RectificationOrder, TaskStatus
from .services import (
    action_decide,
    action_propose,
    interview_open,
    interview_record,
    rectification_evidence_attach,
    rectification_submit_plan,
    rectification_task_mark,
    rectification_verify,
)

OWNERS = ("服务经理 王强", "车间主任 李明", "客服主管 陈静")


def _pixel_png() -> bytes:
    """A one-pixel PNG: a real image, so the evidence link opens something."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    header = struct.pack(">IIBBBBB", 1, 1, 8, 2, 0, 0, 0)
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + chunk(b"IDAT", zlib.compress(b"\x00\x2e\x7d\x32"))
        + chunk(b"IEND", b"")
    )


def _approved(action_type: str, wanted: int, actor: User) -> list[IncentiveAction]:
    """Approved actions of the type, approving the oldest proposed ones when too few are
    (those of dealers with a user first, so someone can sign in and see them)."""
    approved = list(
        IncentiveAction.objects.filter(action_type=action_type, status=ActionStatus.APPROVED).order_by("pk")
    )
    if len(approved) < wanted:
        with_users = set(User.objects.filter(role=Role.DEALER_USER).values_list("dealer_id", flat=True))
        proposed = sorted(
            IncentiveAction.objects.filter(action_type=action_type, status=ActionStatus.PROPOSED),
            key=lambda a: (a.dealer_id not in with_users, a.period, a.pk),
        )
        for action in proposed[: wanted - len(approved)]:
            approved.append(action_decide(action=action, actor=actor, approve=True, comment="演示 demo"))
    return approved


def _dealer_user(order: RectificationOrder) -> User | None:
    return User.objects.filter(role=Role.DEALER_USER, dealer_id=order.dealer_id, is_active=True).first()


def _work_on(order: RectificationOrder, user: User | None, *, share_done: float, evidence_name: str) -> None:
    """The dealer's side: owners named, some tasks ticked, one evidence file. Through the
    services as the dealer's user; written directly when the dealer has no user in the demo."""
    tasks = list(order.tasks.all())
    for i, task in enumerate(tasks):
        if not task.owner:
            task.owner = OWNERS[i % len(OWNERS)]
            task.save(update_fields=["owner"])
        if i < round(len(tasks) * share_done) and task.status != TaskStatus.DONE:
            if user is not None:
                rectification_task_mark(task=task, actor=user, done=True)
            else:
                task.status, task.done_at = TaskStatus.DONE, timezone.now()
                task.save(update_fields=["status", "done_at"])
    if not order.evidence.exists():
        png = _pixel_png()
        upload = SimpleUploadedFile(evidence_name, png, content_type="image/png")
        first = tasks[0] if tasks else None
        if user is not None:
            rectification_evidence_attach(order=order, actor=user, files=[upload], task=first)
        else:
            RectificationEvidence.objects.create(
                order=order, task=first, file=upload, original_name=evidence_name, size=len(png)
            )


def _submit(order: RectificationOrder, user: User | None, plan: str) -> None:
    if user is not None:
        rectification_submit_plan(order=order, actor=user, plan=plan, files=[])
    else:
        RectificationOrder.objects.filter(pk=order.pk).update(
            plan=plan, plan_submitted_at=timezone.now(), status=RectificationStatus.PLAN_SUBMITTED
        )


@transaction.atomic
def _order_for_a_dealer_with_a_user(actor: User) -> RectificationOrder | None:
    """An open order of a dealer someone can sign in for: its oldest proposed rectification
    approved, or else one ordered by HQ for its latest scored month (as on the dealer's page)."""
    users = User.objects.filter(role=Role.DEALER_USER, is_active=True, dealer__isnull=False).order_by(
        "-username"
    )
    dealer_ids = list(users.values_list("dealer_id", flat=True))
    if not dealer_ids:
        return None
    proposed = (
        IncentiveAction.objects.filter(
            action_type=ActionType.RECTIFICATION, status=ActionStatus.PROPOSED, dealer_id__in=dealer_ids
        )
        .order_by("period", "pk")
        .first()
    )
    if proposed is None:
        dealer = users.first().dealer  # type: ignore[union-attr]
        latest = (
            Scorecard.objects.filter(dealer=dealer)
            .order_by("-period__code")
            .values_list("period__code", flat=True)
        ).first()
        if latest is None:
            return None
        proposed = action_propose(
            dealer=dealer,
            period_code=latest,
            action_type=ActionType.RECTIFICATION,
            reason="服务质量未达标：限期整改",
            actor=actor,
        )
    action_decide(action=proposed, actor=actor, approve=True, comment="演示 demo")
    return RectificationOrder.objects.filter(action=proposed).first()


def seed_rectifications(*, actor: User | None = None) -> dict[str, Any]:
    """One order in progress, one passed with its re-measure, one interview recorded."""
    actor = actor or User.objects.filter(role=Role.HQ_MANAGER, is_active=True).order_by("pk").first()
    if actor is None:
        return {"in_progress": None, "passed": None, "interview": None}
    out: dict[str, Any] = {"in_progress": None, "passed": None, "interview": None}
    orders = [
        o
        for a in _approved(ActionType.RECTIFICATION, 2, actor)
        if (o := RectificationOrder.objects.filter(action=a).first())
    ]
    # The order in progress goes to a dealer with a user, so someone can sign in and answer it.
    if not any(_dealer_user(o) is not None for o in orders):
        signed = _order_for_a_dealer_with_a_user(actor)
        if signed is not None:
            orders.insert(0, signed)
    orders.sort(key=lambda o: (_dealer_user(o) is None, o.pk))
    if orders:
        first = orders[0]
        if first.status in (RectificationStatus.OPEN, RectificationStatus.PLAN_SUBMITTED):
            _work_on(first, _dealer_user(first), share_done=0.5, evidence_name="整改进度-车间看板.png")
        out["in_progress"] = first.pk
    if len(orders) > 1:
        second = orders[1]
        user = _dealer_user(second)
        if second.status == RectificationStatus.OPEN:
            _work_on(second, user, share_done=1.0, evidence_name="整改完成-培训签到表.png")
            _submit(second, user, "按计划完成全部整改任务，附培训签到表。")
            second.refresh_from_db()
        if second.status == RectificationStatus.PLAN_SUBMITTED:
            rectification_verify(
                order=second, actor=actor, passed=True, comment="证据齐全，指标改善，同意结案。"
            )
        out["passed"] = second.pk
    interviews = _approved(ActionType.INTERVIEW, 1, actor)
    interviews.sort(
        key=lambda a: (not User.objects.filter(role=Role.DEALER_USER, dealer_id=a.dealer_id).exists(), a.pk)
    )
    if interviews:
        record = interview_open(interviews[0], actor)  # approved before records existed: open it now
        if record is not None and not record.is_recorded:
            interview_record(
                interview=record,
                actor=actor,
                held_on=timezone.localdate() - timedelta(days=2),
                attendees="总部售后经理、区域经理、经销商总经理、服务经理",
                minutes="一、通报本月评分及主要失分指标；二、经销商说明原因；三、约定30日内提交整改计划并每周汇报进度。",
            )
        out["interview"] = record.pk if record else None
    return out
