"""Closing a month from the portal: the checklist an HQ manager reads first, and the close itself.

The checklist is a read (selector-like): five items, each OK or a warning with its numbers.
None of them blocks the close — HQ may close a month with a report still missing — except
what `period_close` itself refuses (already closed, not ended, a recompute running). The
close is `recompute.period_close`, which freezes the scorecards, audits and evaluates the
incentive rules in one transaction.
"""

from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from typing import Any

from django.conf import settings
from django.core.exceptions import PermissionDenied
from django.db.models import Count, Max, Min, Q
from django.utils import timezone

from dealers.choices import DealerStatus
from dealers.models import Dealer, User
from incentives.choices import AppealStatus
from incentives.models import Appeal
from incentives.services import appeal_window_open, rules_proposals

from ..choices import ImportStatus, PeriodStatus, ScoreRunStatus, SubmissionStatus
from ..models import ImportJob, MonthlySubmission, Period, RecomputeRequest, Scorecard, ScoreRun
from ..periods import Month
from .recompute import MAX_ATTEMPTS, period_close


@dataclass(frozen=True)
class ReportsCheck:
    """Monthly reports of the month: dealers that should report, and how far each got."""

    dealers: int
    approved: int
    missing: int  # no report at all, or a draft never submitted
    waiting: int  # submitted, waiting for approval
    returned: int  # sent back for correction

    @property
    def ok(self) -> bool:
        return self.approved >= self.dealers

    @property
    def not_approved(self) -> int:
        return self.dealers - self.approved


@dataclass(frozen=True)
class AppealsCheck:
    """Appeals of the month still waiting for HQ, and whether dealers may still file some."""

    open_appeals: int
    window_open: bool
    window_ends: datetime | None

    @property
    def ok(self) -> bool:
        return self.open_appeals == 0 and not self.window_open


@dataclass(frozen=True)
class ImportsCheck:
    """Imports that failed and held rows of the month (what they would have written is missing)."""

    failed: list[ImportJob]

    @property
    def ok(self) -> bool:
        return not self.failed


@dataclass(frozen=True)
class FreshnessCheck:
    """Whether the scorecards show every change made to the month's data."""

    scorecards: int
    computed_at: datetime | None  # when the last recompute that landed finished
    changes_since: int  # recompute requests not yet absorbed by a landed run
    first_change_at: datetime | None
    last_change_at: datetime | None

    @property
    def ok(self) -> bool:
        return self.scorecards > 0 and self.computed_at is not None and self.changes_since == 0


@dataclass(frozen=True)
class RecomputeCheck:
    """A recompute of the month running now, or asked for and not yet started."""

    running_since: datetime | None
    pending: int
    given_up: int  # requests whose runs failed MAX_ATTEMPTS times: they wait for a person

    @property
    def running(self) -> bool:
        return self.running_since is not None

    @property
    def ok(self) -> bool:
        return not self.running and self.pending == 0 and self.given_up == 0


@dataclass(frozen=True)
class ClosePreview:
    """What closing will do: scorecards frozen, and the actions the active rules would propose."""

    scorecards: int
    actions: dict[str, int] = field(default_factory=dict)  # action type → number of proposals
    dealers: int = 0  # dealers with at least one proposal

    @property
    def total_actions(self) -> int:
        return sum(self.actions.values())


@dataclass(frozen=True)
class CloseChecklist:
    """Everything the close page shows about one month."""

    period: Period
    ended: bool
    reports: ReportsCheck
    appeals: AppealsCheck
    imports: ImportsCheck
    freshness: FreshnessCheck
    recompute: RecomputeCheck
    preview: ClosePreview

    @property
    def closed(self) -> bool:
        return self.period.status == PeriodStatus.CLOSED

    @property
    def can_close(self) -> bool:
        """The close button is offered: the month has ended, is open, and no recompute runs."""
        return self.ended and not self.closed and not self.recompute.running

    @property
    def warnings(self) -> int:
        checks = (self.reports, self.appeals, self.imports, self.freshness, self.recompute)
        return sum(1 for check in checks if not check.ok)


def may_close_periods(user: Any) -> bool:
    """Closing months is HQ's (managers and admins); regional managers and dealers never see it."""
    return bool(getattr(user, "is_hq", False))


def period_closable(user: Any, period_code: str, now: datetime | None = None) -> bool:
    """Whether to offer "Close this month" to the user: HQ, the month has ended and is open."""
    if not may_close_periods(user):
        return False
    month = Month.parse(period_code)
    if (now or timezone.now()) < month.end:
        return False
    return not Period.objects.filter(code=str(month), status=PeriodStatus.CLOSED).exists()


def reports_check(user: User, month: Month) -> ReportsCheck:
    """Dealers that should report for the month (as the submissions queue lists them) and their state.

    Two queries: the dealers that should report, and their submissions counted by status.
    """
    dealers = (
        Dealer.objects.for_user(user)
        .exclude(status=DealerStatus.TERMINATED)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=month.last_day))
    )
    total = dealers.count()
    by_status = dict(
        MonthlySubmission.objects.for_user(user)
        .filter(period=str(month), dealer__in=dealers)
        .values_list("status")
        .annotate(n=Count("id"))
        .values_list("status", "n")
    )
    approved = by_status.get(SubmissionStatus.APPROVED, 0)
    waiting = by_status.get(SubmissionStatus.SUBMITTED, 0)
    returned = by_status.get(SubmissionStatus.RETURNED, 0)
    return ReportsCheck(
        dealers=total,
        approved=approved,
        missing=max(0, total - approved - waiting - returned),
        waiting=waiting,
        returned=returned,
    )


def appeals_check(period: Period, now: datetime | None = None) -> AppealsCheck:
    """Appeals of the month with status submitted, and the window as `appeal_window_open` says."""
    open_appeals = Appeal.objects.filter(period=period.code, status=AppealStatus.SUBMITTED).count()
    window_open = appeal_window_open(period, now)
    ends = None
    if period.scorecards_published_at is not None:
        ends = period.scorecards_published_at + timedelta(days=settings.APPEAL_WINDOW_DAYS)
    return AppealsCheck(open_appeals=open_appeals, window_open=window_open, window_ends=ends)


def imports_check(month: Month) -> ImportsCheck:
    """Failed imports that held rows of the month.

    An import records the months its rows touch (`periods_touched`); one that failed after
    reading them names the month. Only imports started after the month began can hold its
    rows, and failures are few, so the JSON list is checked here rather than in SQL (SQLite
    has no JSON containment lookup).
    """
    candidates = ImportJob.objects.filter(status=ImportStatus.FAILED, started_at__gte=month.start).order_by(
        "-started_at"
    )
    code = str(month)
    return ImportsCheck(failed=[job for job in candidates if code in (job.periods_touched or [])])


def freshness_check(period: Period) -> FreshnessCheck:
    """Whether the scorecards are older than the newest data of the month.

    Exact and cheap through the recompute requests rather than the records' timestamps:
    every change that can alter a month's scores (an import, an approved report, an upheld
    appeal, a veto, a published scheme) writes a RecomputeRequest for that month in its own
    transaction, and only a run that landed deletes the requests it claimed (a run that
    failed or was superseded hands them back). So the requests left for the month are
    exactly the changes its scorecards do not show yet, and their times say since when.
    Comparing the records' `imported_at`/`changed_at` with the last run instead would need a
    range query per record type and per date that ties a record to a month (a repair counts
    in the month it closed, a comeback in the month of its return, a survey by its answer),
    and legacy rows carry no timestamp at all. Two indexed queries here.
    """
    waiting = RecomputeRequest.objects.filter(period_code=period.code).aggregate(
        n=Count("id"), first=Min("requested_at"), last=Max("requested_at")
    )
    last_run = (
        ScoreRun.objects.filter(period=period, status=ScoreRunStatus.SUCCEEDED)
        .order_by("-finished_at")
        .values_list("finished_at", flat=True)
        .first()
    )
    return FreshnessCheck(
        scorecards=Scorecard.objects.filter(period=period).count(),
        computed_at=last_run,
        changes_since=waiting["n"],
        first_change_at=waiting["first"],
        last_change_at=waiting["last"],
    )


def recompute_check(period: Period, now: datetime | None = None) -> RecomputeCheck:
    """A run holding the month's lease now, requests no run has claimed, requests given up on."""
    now = now or timezone.now()
    running_since = None
    if period.recompute_lock_until and period.recompute_lock_until > now:
        running_since = (
            ScoreRun.objects.filter(period=period, status=ScoreRunStatus.RUNNING)
            .order_by("-started_at")
            .values_list("started_at", flat=True)
            .first()
        ) or now
    unclaimed = RecomputeRequest.objects.filter(period_code=period.code, run__isnull=True).aggregate(
        pending=Count("id", filter=Q(attempts__lt=MAX_ATTEMPTS)),
        given_up=Count("id", filter=Q(attempts__gte=MAX_ATTEMPTS)),
    )
    return RecomputeCheck(
        running_since=running_since, pending=unclaimed["pending"], given_up=unclaimed["given_up"]
    )


def close_preview(period: Period) -> ClosePreview:
    """The scorecards closing freezes, and what the active incentive rules would propose today.

    Exactly what `rules_evaluate` writes on close (the same `rules_proposals`, screened for
    vetoes, precedence and repeats), without writing.
    """
    scorecards = Scorecard.objects.filter(period=period).count()
    if not scorecards:
        return ClosePreview(scorecards=scorecards)
    proposals = rules_proposals(period.code)
    actions = Counter(p.rule.action_type for p in proposals)
    return ClosePreview(
        scorecards=scorecards, actions=dict(actions), dealers=len({p.dealer_id for p in proposals})
    )


def close_checklist(user: User, period: Period, now: datetime | None = None) -> CloseChecklist:
    """The whole checklist of one month for the close page (a dozen queries, none per dealer)."""
    now = now or timezone.now()
    month = period.month
    return CloseChecklist(
        period=period,
        ended=now >= month.end,
        reports=reports_check(user, month),
        appeals=appeals_check(period, now),
        imports=imports_check(month),
        freshness=freshness_check(period),
        recompute=recompute_check(period, now),
        preview=close_preview(period),
    )


def period_close_confirmed(period_code: str, *, actor: User) -> Period:
    """Close a month from the portal after its checklist was read (HQ only).

    `period_close` does the work: freeze, audit, evaluate the incentive rules; its
    RecomputeError carries the message for the user.
    """
    if not may_close_periods(actor):
        raise PermissionDenied
    return period_close(period_code, actor=actor)
