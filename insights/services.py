"""Writes of findings: storing a night's drafts (idempotent), triage, the 复盘 that closes one,
and re-measuring a closed finding's figure once a later month is complete."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import date, datetime
from typing import Any

from django.conf import settings
from django.db import transaction
from django.db.models import Q
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from assessments.periods import Month
from dealers.choices import ASSESSMENT_ROLES, Role
from dealers.models import Dealer, Region, User
from dealers.services import notice_send

from . import events
from .choices import FindingKind, FindingStatus
from .drafts import Draft
from .errors import FindingError
from .models import ACTIVE, AnalysisRun, Finding, Review


@dataclass(frozen=True)
class StoreResult:
    found: int
    new: int
    withdrawn: int


def findings_store(
    *, month: str, kind: str, drafts: Sequence[Draft], now: datetime | None = None
) -> StoreResult:
    """Store one detector's drafts of one month: a finding per fingerprint, updated in place
    when a later run finds it again (its status, owner and review stay). An untriaged finding
    of this month and kind that the run no longer finds (the data were corrected) is
    withdrawn; one already triaged stays, as the record of what was decided."""
    now = now or timezone.now()
    drafts = [d for d in drafts if d.kind == kind and d.month == month]
    with transaction.atomic():
        existing = {f.fingerprint: f for f in Finding.objects.filter(kind=kind, month=month)}
        new, changed = [], []
        for draft in drafts:
            finding = existing.pop(draft.fingerprint, None)
            if finding is None:
                new.append(
                    Finding(
                        kind=kind,
                        subject=draft.subject,
                        dealer_id=draft.dealer_id,
                        month=month,
                        fingerprint=draft.fingerprint,
                        severity=draft.severity,
                        figures=draft.figures,
                        evidence=draft.evidence,
                        found_at=now,
                        last_seen_at=now,
                    )
                )
            else:
                finding.severity, finding.figures, finding.evidence = (
                    draft.severity,
                    draft.figures,
                    draft.evidence,
                )
                finding.last_seen_at = now
                changed.append(finding)
        Finding.objects.bulk_create(new, batch_size=500)
        Finding.objects.bulk_update(
            changed, ["severity", "figures", "evidence", "last_seen_at"], batch_size=500
        )
        gone = [f.pk for f in existing.values() if f.status == FindingStatus.NEW]
        Finding.objects.filter(pk__in=gone).delete()
    return StoreResult(found=len(drafts), new=len(new), withdrawn=len(gone))


def analysis_run(*, month: str, kind: str, detect: Any) -> AnalysisRun:
    """Run one detector over a month and store what it found, recording the run (and its
    error, if it fails: the other detectors' runs are not affected)."""
    started = timezone.now()
    run = AnalysisRun.objects.create(month=month, kind=kind, started_at=started)
    try:
        drafts = detect(Month.parse(month))
        result = findings_store(month=month, kind=kind, drafts=drafts)
    except Exception as exc:
        run.error = f"{type(exc).__name__}: {exc}"[:2000]
        run.finished_at = timezone.now()
        run.save(update_fields=["error", "finished_at"])
        raise
    run.finished_at = timezone.now()
    run.seconds = (run.finished_at - started).total_seconds()
    run.found, run.new = result.found, result.new
    run.save(update_fields=["finished_at", "seconds", "found", "new"])
    return run


# --- triage ----------------------------------------------------------------------------------


def _may_triage(user: User, finding: Finding) -> bool:
    return user.is_manager and Finding.objects.for_user(user).filter(pk=finding.pk).exists()


def may_close(user: User, finding: Finding) -> bool:
    """The owner closes a finding, or a manager who may see it."""
    return finding.status == FindingStatus.OPEN and (
        finding.owner_id == user.pk or _may_triage(user, finding)
    )


def owner_choices(finding: Finding) -> Any:
    """Who may own a finding: a manager who sees it, or a user of its dealer (never the
    technical expert, whose portal is technical support)."""
    users = User.objects.filter(is_active=True, role__in=ASSESSMENT_ROLES)
    who = Q(role__in=[Role.HQ_ADMIN, Role.HQ_MANAGER])
    if finding.dealer is not None:
        who |= Q(role=Role.REGIONAL_MANAGER, regions=finding.dealer.region_id)
        who |= Q(role=Role.DEALER_USER, dealer_id=finding.dealer.pk)
    else:
        who |= Q(role=Role.REGIONAL_MANAGER)
    return users.filter(who).distinct().order_by("role", "username")


def finding_dismiss(*, finding: Finding, actor: User, reason: str) -> Finding:
    """A manager dismisses a finding that needs no action, saying why (kept, never deleted)."""
    if not _may_triage(actor, finding):
        raise FindingError(_("Only a manager who sees this finding may triage it."))
    if finding.status not in ACTIVE:
        raise FindingError(
            _("This finding is already %(status)s.") % {"status": finding.get_status_display()}
        )
    reason = reason.strip()
    if len(reason) < 5:
        raise FindingError(_("Say why the finding is dismissed (at least 5 characters)."))
    finding.status = FindingStatus.DISMISSED
    finding.dismissed_reason = reason
    finding.triaged_by, finding.triaged_at = actor, timezone.now()
    finding.save(update_fields=["status", "dismissed_reason", "triaged_by", "triaged_at"])
    events.finding_dismissed(actor=actor, finding=finding, reason=reason)
    return finding


def finding_open(*, finding: Finding, actor: User, owner: User, due_date: date) -> Finding:
    """A manager opens a finding (or hands an open one to someone else): an owner who will
    close it with a 复盘, and a due date. The owner hears of it and sees it on the workbench."""
    if not _may_triage(actor, finding):
        raise FindingError(_("Only a manager who sees this finding may triage it."))
    if finding.status not in ACTIVE:
        raise FindingError(
            _("This finding is already %(status)s.") % {"status": finding.get_status_display()}
        )
    if not owner_choices(finding).filter(pk=owner.pk).exists():
        raise FindingError(_("The owner must be a manager who sees this finding or a user of its dealer."))
    if due_date < timezone.localdate():
        raise FindingError(_("The due date is in the past."))
    before = {"status": finding.status, "owner": finding.owner_id, "due": str(finding.due_date)}
    finding.status = FindingStatus.OPEN
    finding.owner, finding.due_date = owner, due_date
    finding.triaged_by, finding.triaged_at = actor, timezone.now()
    finding.save(update_fields=["status", "owner", "due_date", "triaged_by", "triaged_at"])
    events.finding_opened(actor=actor, finding=finding, before=before)
    if owner.pk != actor.pk:
        with override(settings.LANGUAGE_CODE):
            notice_send(
                users=[owner],
                text=_("A finding is yours to close with a review (复盘) by %(due)s: %(finding)s")
                % {"due": due_date.isoformat(), "finding": finding.get_kind_display()},
                url=reverse("insights:detail", args=[finding.pk]),
                email_subject=_("A finding to close"),
            )
    return finding


@dataclass(frozen=True)
class ReviewInput:
    root_cause: str
    countermeasure: str
    lesson: str
    dealers: Sequence[Dealer] = ()
    regions: Sequence[Region] = ()


def finding_close(*, finding: Finding, actor: User, data: ReviewInput) -> Review:
    """Close an open finding with its 复盘. The lesson goes (举一反三) to the users of the
    dealers and the managers of the regions picked — only ones the closer may see — without
    naming the dealer the finding was about."""
    if not may_close(actor, finding):
        raise FindingError(_("Only the finding's owner or a manager who sees it may close it."))
    fields = {
        _("Root cause"): data.root_cause,
        _("Countermeasure"): data.countermeasure,
        _("Where else it applies"): data.lesson,
    }
    for label, text in fields.items():
        if len(text.strip()) < 5:
            raise FindingError(_("%(field)s: write at least 5 characters.") % {"field": label})
    visible = set(
        Dealer.objects.for_user(actor)
        .filter(pk__in=[d.pk for d in data.dealers])
        .values_list("pk", flat=True)
    )
    if len(visible) != len({d.pk for d in data.dealers}):
        raise FindingError(_("You may only tell dealers you see."))
    if data.regions and not actor.is_hq:
        allowed = set(actor.regions.values_list("pk", flat=True)) if actor.is_manager else set()
        if not {r.pk for r in data.regions} <= allowed:
            raise FindingError(_("You may only tell regions you manage."))
    now = timezone.now()
    with transaction.atomic():
        locked = Finding.objects.select_for_update().get(pk=finding.pk)
        if locked.status != FindingStatus.OPEN:
            raise FindingError(
                _("This finding is already %(status)s.") % {"status": locked.get_status_display()}
            )
        review = Review.objects.create(
            finding=locked,
            root_cause=data.root_cause.strip(),
            countermeasure=data.countermeasure.strip(),
            lesson=data.lesson.strip(),
            closed_by=actor,
            closed_at=now,
            before_value=locked.value,
        )
        review.notified_dealers.set(data.dealers)
        review.notified_regions.set(data.regions)
        locked.status = FindingStatus.CLOSED
        locked.save(update_fields=["status"])
        finding.status = locked.status
        events.finding_closed(actor=actor, finding=locked, review=review)
        _tell_lesson(review, actor)
    return review


def lesson_recipients(review: Review) -> list[User]:
    """The users the lesson goes to: the active users of the dealers told and the regional
    managers of the regions told (each once)."""
    dealers = list(review.notified_dealers.all())
    regions = list(review.notified_regions.all())
    users = User.objects.filter(is_active=True).filter(
        Q(role=Role.DEALER_USER, dealer__in=dealers) | Q(role=Role.REGIONAL_MANAGER, regions__in=regions)
    )
    return list(users.distinct().order_by("pk"))


def _tell_lesson(review: Review, actor: User) -> int:
    users = [u for u in lesson_recipients(review) if u.pk != actor.pk]
    if not users:
        return 0
    finding = review.finding
    with override(settings.LANGUAGE_CODE):
        text = _(
            "A lesson to apply (举一反三) from a review of “%(kind)s”: %(lesson)s — countermeasure: %(measure)s"
        ) % {
            "kind": finding.get_kind_display(),
            "lesson": review.lesson,
            "measure": review.countermeasure,
        }
        return notice_send(
            users=users,
            text=text,
            url=reverse("insights:lesson", args=[review.pk]),
            email_subject=_("A lesson to apply"),
        )


# --- before and after ------------------------------------------------------------------------


def after_month(review: Review) -> Month:
    """The month whose figure shows the measure's effect: the first whole month after closing."""
    return Month.of(review.closed_at).shift(1)


def reviews_remeasure(*, now: datetime | None = None, remeasure: Any = None) -> int:
    """Measure, for each closed finding whose month after closing has ended, the same figure
    again (insights.remeasure); once measured it is kept. Returns how many were measured."""
    if remeasure is None:
        from .remeasure import remeasure
    now = now or timezone.now()
    this_month = Month.of(now)
    measured = 0
    for review in Review.objects.filter(after_month="").select_related("finding"):
        month = after_month(review)
        if not month < this_month:
            continue
        finding = review.finding
        value = remeasure(FindingKind(finding.kind), finding.subject, finding.dealer_id, month)
        review.after_value, review.after_month = value, str(month)
        review.save(update_fields=["after_value", "after_month"])
        measured += 1
    return measured


def open_findings_owned(user: User) -> Iterable[Finding]:
    return Finding.objects.filter(owner=user, status=FindingStatus.OPEN).select_related("dealer")
