"""The workbench (待办): what is due, overdue or waiting for the user, oldest deadline first.

Every source reads through `Model.objects.for_user(user)` and costs a fixed number of queries
(counts and capped lists, never a query per row), so the page and the navigation badge stay
cheap however large the network. Dealer users get one row per item (capped); managers, who
see thousands of items, get one row per kind and month with a count and a link to the
filtered list that does the job.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Count, Min, Q
from django.urls import reverse
from django.utils import timezone
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.choices import ImportStatus, PeriodStatus, SubmissionStatus
from assessments.kpis import kpi_name
from assessments.models import ImportJob, MonthlySubmission, Period, Scorecard
from assessments.periods import SHANGHAI, Month
from assessments.services.submissions import deadline_for
from dealers.choices import HQ_ROLES, DealerStatus
from dealers.models import Dealer, User
from goals.selectors import owned_at_risk
from incentives.choices import ActionStatus, AppealStatus, RectificationStatus
from incentives.models import Appeal, IncentiveAction, RectificationOrder
from incentives.services import appeal_window_end
from insights.choices import FindingStatus
from insights.models import Finding
from surveys.rules import OVERNIGHT_AFTER

from .owners import DEALER_SIDE, KIND_LABELS, dealer_managers_q, item_ref, item_url, open_items

CAP = 20  # rows per source before "and N more"


@dataclass
class Todo:
    """One line of the workbench: what to do, by when, and the link that does it."""

    key: str
    title: str
    due: datetime
    url: str
    action: str
    detail: str = ""
    dealer: Dealer | None = None
    count: int = 1
    kind: str = ""  # an owned item's kind, when the row is one item
    item: Any = None
    due_is_date: bool = False
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def owner(self) -> User | None:
        return getattr(self.item, "owner", None) if self.item is not None else None

    @property
    def has_owner_slot(self) -> bool:
        return self.item is not None and bool(self.kind)


def _end_of(day: date) -> datetime:
    """The last instant of a day in Shanghai: a date deadline is met until then."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=SHANGHAI)


def _days(name: str, default: int) -> timedelta:
    return timedelta(days=int(getattr(settings, name, default)))


def _item_due(kind: str, item: Any) -> datetime:
    if kind == "complaint":
        return item.received_at + OVERNIGHT_AFTER
    if kind == "hot_alert":
        return item.opened_at + OVERNIGHT_AFTER
    if kind == "rectification":
        return _end_of(item.deadline)
    if kind == "appeal":
        return item.filed_at + _days("WORKBENCH_DECIDE_WITHIN_DAYS", 7)
    return item.proposed_at + _days("WORKBENCH_DECIDE_WITHIN_DAYS", 7)


def _more(key: str, title: str, total: int, shown: list[Todo], url: str, action: str) -> list[Todo]:
    """A last row standing for the items beyond the cap."""
    if total <= len(shown) or not shown:
        return shown
    rest = total - len(shown)
    more = Todo(key=f"{key}_more", title=title, due=shown[-1].due, url=url, action=action, count=rest)
    more.detail = _("and %(n)s more") % {"n": rest}
    return [*shown, more]


# --- dealer users --------------------------------------------------------------------------


def _monthly_reports(user: User, today: date) -> list[Todo]:
    """The month being reported now when it has no report yet, and any draft or returned report."""
    dealer = user.dealer
    if dealer is None or dealer.status == DealerStatus.TERMINATED:
        return []
    current = str(Month.of(today).shift(-1))
    closed = set(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("code", flat=True))
    reports = list(
        MonthlySubmission.objects.for_user(user)
        .filter(Q(status__in=[SubmissionStatus.DRAFT, SubmissionStatus.RETURNED]) | Q(period=current))
        .exclude(period__in=closed)
        .order_by("period")
    )
    todos = []
    for report in reports:
        if report.status not in (SubmissionStatus.DRAFT, SubmissionStatus.RETURNED):
            continue
        returned = report.status == SubmissionStatus.RETURNED
        todos.append(
            Todo(
                key="report_returned" if returned else "report_draft",
                title=(
                    _("Monthly report returned: correct and resubmit")
                    if returned
                    else _("Monthly report not yet submitted")
                ),
                detail=report.period,
                due=_end_of(deadline_for(report.period)),
                due_is_date=True,
                url=reverse("submissions:detail", args=[report.period, dealer.code]),
                action=_("Correct") if returned else _("Submit"),
                dealer=dealer,
            )
        )
    opened_in_time = dealer.opened_on is None or dealer.opened_on <= Month.parse(current).last_day
    if current not in closed and opened_in_time and not any(r.period == current for r in reports):
        todos.append(
            Todo(
                key="report_due",
                title=_("Monthly report due"),
                detail=current,
                due=_end_of(deadline_for(current)),
                due_is_date=True,
                url=reverse("submissions:detail", args=[current, dealer.code]),
                action=_("Fill in"),
                dealer=dealer,
            )
        )
    return todos


def _overnight_items(user: User, now: datetime) -> list[Todo]:
    """Each complaint and hot alert of the dealer still open after 24 hours (问题不过夜)."""
    cutoff = now - OVERNIGHT_AFTER
    complaints = (
        open_items("complaint", user).filter(received_at__lt=cutoff).select_related("owner", "dealer")
    )
    cases = (
        open_items("hot_alert", user)
        .filter(opened_at__lt=cutoff)
        .select_related("owner", "dealer", "response")
    )
    board = reverse("surveys:board")
    todos: list[Todo] = []
    shown = [
        Todo(
            key="complaint_overnight",
            title=_("Complaint open more than 24 hours"),
            detail=f"{c.complaint_id} · {c.get_category_display()}",
            due=_item_due("complaint", c),
            url=board,
            action=_("Open the board"),
            dealer=c.dealer,
            kind="complaint",
            item=c,
        )
        for c in complaints.order_by("received_at", "pk")[:CAP]
    ]
    total = complaints.count() if len(shown) == CAP else len(shown)
    todos += _more(
        "complaint_overnight",
        _("Complaints open more than 24 hours"),
        total,
        shown,
        board,
        _("Open the board"),
    )
    shown = [
        Todo(
            key="hot_alert_overnight",
            title=_("Hot alert open more than 24 hours"),
            detail=f"HA-{case.pk} · {case.response.response_id} · {case.response.overall}/5",
            due=_item_due("hot_alert", case),
            url=reverse("surveys:alert_detail", args=[case.pk]),
            action=_("Handle"),
            dealer=case.dealer,
            kind="hot_alert",
            item=case,
        )
        for case in cases.order_by("opened_at", "pk")[:CAP]
    ]
    total = cases.count() if len(shown) == CAP else len(shown)
    todos += _more(
        "hot_alert_overnight",
        _("Hot alerts open more than 24 hours"),
        total,
        shown,
        reverse("surveys:alerts"),
        _("Open the list"),
    )
    return todos


def _rectifications_to_answer(user: User) -> list[Todo]:
    orders = (
        RectificationOrder.objects.for_user(user)
        .filter(status=RectificationStatus.OPEN)  # a failed order is closed; its escalation is HQ's
        .select_related("owner", "dealer", "action")
        .order_by("deadline", "pk")[:CAP]
    )
    return [
        Todo(
            key="rectification_open",
            title=_("Rectification order: answer with a plan and evidence"),
            detail=f"RO-{order.pk} · {order.action.period}",
            due=_end_of(order.deadline),
            due_is_date=True,
            url=reverse("incentives:rectification", args=[order.pk]),
            action=_("Respond"),
            dealer=order.dealer,
            kind="rectification",
            item=order,
        )
        for order in orders
    ]


def _appeal_windows(user: User, now: datetime) -> list[Todo]:
    """Open months whose scorecards are out and whose appeal window ends within the notice days."""
    window = _days("APPEAL_WINDOW_DAYS", 7)
    notice = _days("WORKBENCH_APPEAL_NOTICE_DAYS", 3)
    cards = (
        Scorecard.objects.for_user(user)
        .filter(
            period__status=PeriodStatus.OPEN,
            period__scorecards_published_at__isnull=False,
            period__scorecards_published_at__gte=now - window,
            period__scorecards_published_at__lte=now - window + notice,
        )
        .select_related("period", "dealer")
        .order_by("period__code")
    )
    return [
        Todo(
            key="appeal_window",
            title=_("Appeal window closing"),
            detail=card.period.code,
            due=card.period.scorecards_published_at + window,
            url=reverse("assessments:scorecard", args=[card.dealer.code, card.period.code]),
            action=_("Check the scorecard"),
            dealer=card.dealer,
        )
        for card in cards[:CAP]
    ]


def _unowned(user: User) -> list[Todo]:
    """Open items of the dealer without an owner: a to-do for its service manager, or, when the
    dealer has none, for every user of the dealer."""
    if not user.is_dealer_manager and User.objects.filter(dealer_managers_q(user.dealer_id)).exists():
        return []
    todos = []
    url = reverse("workbench:unowned")
    dates = {"complaint": "received_at", "hot_alert": "opened_at", "rectification": "deadline"}
    # The oldest item's own deadline: 24 hours for complaints and alerts, a rectification's date.
    offsets = {"complaint": OVERNIGHT_AFTER, "hot_alert": OVERNIGHT_AFTER}
    for kind in sorted(DEALER_SIDE):
        found = (
            open_items(kind, user)
            .filter(owner__isnull=True)
            .aggregate(n=Count("pk"), oldest=Min(dates[kind]))
        )
        if not found["n"]:
            continue
        oldest = found["oldest"]
        by_day = not isinstance(oldest, datetime)  # a rectification's deadline is a date
        todos.append(
            Todo(
                key=f"unowned_{kind}",
                title=_("Without an owner: %(kind)s") % {"kind": KIND_LABELS[kind]},
                detail=_("name who answers for each"),
                due=_end_of(oldest) if by_day else oldest + offsets[kind],
                due_is_date=by_day,
                url=url,
                action=_("Assign owners"),
                dealer=user.dealer,
                count=found["n"],
            )
        )
    return todos


# --- managers ------------------------------------------------------------------------------


def _proposals(user: User) -> list[Todo]:
    decide = _days("WORKBENCH_DECIDE_WITHIN_DAYS", 7)
    groups = (
        IncentiveAction.objects.for_user(user)
        .filter(status=ActionStatus.PROPOSED)
        .values("period")
        .annotate(n=Count("pk"), oldest=Min("proposed_at"), mine=Count("pk", filter=Q(owner=user)))
        .order_by("period")
    )
    queue = reverse("incentives:queue")
    return [
        Todo(
            key="proposals",
            title=_("Proposed actions to decide"),
            detail=g["period"] + (" · " + _("%(n)s assigned to you") % {"n": g["mine"]} if g["mine"] else ""),
            due=g["oldest"] + decide,
            url=f"{queue}?{urlencode({'period': g['period'], 'status': ActionStatus.PROPOSED})}",
            action=_("Decide"),
            count=g["n"],
            extra={"period": g["period"]},
        )
        for g in groups
    ]


def _submissions_to_review(user: User) -> list[Todo]:
    decide = _days("WORKBENCH_DECIDE_WITHIN_DAYS", 7)
    groups = (
        MonthlySubmission.objects.for_user(user)
        .filter(status=SubmissionStatus.SUBMITTED)
        .values("period")
        .annotate(n=Count("pk"), oldest=Min("submitted_at"))
        .order_by("period")
    )
    queue = reverse("submissions:queue")
    return [
        Todo(
            key="submissions_review",
            title=_("Monthly reports to review"),
            detail=g["period"],
            due=(g["oldest"] or timezone.now()) + decide,
            url=f"{queue}?{urlencode({'period': g['period'], 'state': SubmissionStatus.SUBMITTED})}",
            action=_("Review"),
            count=g["n"],
        )
        for g in groups
    ]


def _appeals_to_decide(user: User) -> list[Todo]:
    appeals = (
        Appeal.objects.for_user(user)
        .filter(status=AppealStatus.SUBMITTED)
        .select_related("owner", "dealer")
        .order_by("filed_at", "pk")
    )
    shown = [
        Todo(
            key="appeal_decide",
            title=_("Appeal to decide"),
            detail=f"AP-{a.pk} · {a.period}",
            due=_item_due("appeal", a),
            url=reverse("incentives:appeal", args=[a.pk]),
            action=_("Decide"),
            dealer=a.dealer,
            kind="appeal",
            item=a,
        )
        for a in appeals[:CAP]
    ]
    total = appeals.count() if len(shown) == CAP else len(shown)
    return _more(
        "appeal_decide",
        _("Appeals to decide"),
        total,
        shown,
        reverse("incentives:appeals"),
        _("Open the list"),
    )


def _plans_to_verify(user: User) -> list[Todo]:
    verify = _days("WORKBENCH_DECIDE_WITHIN_DAYS", 7)
    orders = (
        RectificationOrder.objects.for_user(user)
        .filter(status=RectificationStatus.PLAN_SUBMITTED)
        .select_related("owner", "dealer")
        .order_by("plan_submitted_at", "pk")
    )
    shown = [
        Todo(
            key="rectification_verify",
            title=_("Rectification plan to verify"),
            detail=f"RO-{o.pk}",
            due=(o.plan_submitted_at or _end_of(o.deadline)) + verify,
            url=reverse("incentives:rectification", args=[o.pk]),
            action=_("Verify"),
            dealer=o.dealer,
            kind="rectification",
            item=o,
        )
        for o in orders[:CAP]
    ]
    total = orders.count() if len(shown) == CAP else len(shown)
    return _more(
        "rectification_verify",
        _("Rectification plans to verify"),
        total,
        shown,
        f"{reverse('incentives:rectifications')}?status=to_verify",
        _("Open the list"),
    )


def _overnight_groups(user: User, now: datetime) -> list[Todo]:
    """Complaints and hot alerts in scope still open after 24 hours: one row per kind."""
    cutoff = now - OVERNIGHT_AFTER
    todos = []
    for kind, since, title in (
        ("complaint", "received_at", _("Complaints open more than 24 hours")),
        ("hot_alert", "opened_at", _("Hot alerts open more than 24 hours")),
    ):
        found = (
            open_items(kind, user)
            .filter(**{f"{since}__lt": cutoff})
            .aggregate(n=Count("pk"), oldest=Min(since))
        )
        if found["n"]:
            todos.append(
                Todo(
                    key=f"{kind}_overnight_group",
                    title=title,
                    due=found["oldest"] + OVERNIGHT_AFTER,
                    url=reverse("surveys:board"),
                    action=_("Open the board"),
                    count=found["n"],
                )
            )
    return todos


def period_close_url(code: str) -> str:
    """The page that closes a month: its checklist and, once it may close, the button."""
    return reverse("assessments:period_close", args=[code])


def _close_due(period: Period) -> datetime:
    """A month is due to close once its appeal window is over (its last day, if no scorecards yet)."""
    month_end = _end_of(Month.parse(period.code).last_day)
    window_end = appeal_window_end(period)
    return max(month_end, window_end) if window_end else month_end


def _periods_to_close(user: User, today: date) -> list[Todo]:
    """Months that have ended and are still open. Closing is national: HQ roles only."""
    if user.role not in HQ_ROLES:
        return []
    current = str(Month.of(today))
    periods = Period.objects.filter(status=PeriodStatus.OPEN, code__lt=current).order_by("code")
    return [
        Todo(
            key="period_close",
            title=_("Month ended and still open: check and close"),
            detail=p.code,
            due=_close_due(p),
            due_is_date=False,
            url=period_close_url(p.code),
            action=_("Close the month"),
        )
        for p in periods[:CAP]
    ]


# --- everyone ------------------------------------------------------------------------------


def _failed_imports(user: User, now: datetime) -> list[Todo]:
    since = now - _days("WORKBENCH_FAILED_IMPORT_DAYS", 7)
    jobs = (
        ImportJob.objects.for_user(user)
        .filter(user=user, status__in=[ImportStatus.FAILED, ImportStatus.REJECTED], started_at__gte=since)
        .order_by("started_at", "pk")[:CAP]
    )
    return [
        Todo(
            key="import_failed",
            title=_("Import failed: fix the file and upload again"),
            detail=f"{job.get_kind_display()} · {job.file_name}",
            due=job.finished_at or job.started_at,
            url=reverse("imports:detail", args=[job.pk]),
            action=_("See why"),
        )
        for job in jobs
    ]


def _assigned_to_me(user: User, listed: set[tuple[str, int]]) -> list[Todo]:
    """Open items the user owns that no other row shows yet. A manager's proposals are counted in
    the month's row instead: a row each would bury everything else."""
    todos = []
    kinds = ["complaint", "hot_alert", "rectification", "appeal"]
    if not user.is_manager:
        kinds.append("proposal")
    for kind in kinds:
        items = open_items(kind, user).filter(owner=user).select_related("owner", "dealer")
        if kind == "hot_alert":
            items = items.select_related("response")
        for item in items[:CAP]:
            if (kind, item.pk) in listed:
                continue
            todos.append(
                Todo(
                    key=f"assigned_{kind}",
                    title=_("Assigned to you: %(kind)s") % {"kind": KIND_LABELS[kind]},
                    detail=item_ref(kind, item),
                    due=_item_due(kind, item),
                    url=item_url(kind, item),
                    action=_("Open it"),
                    dealer=item.dealer,
                    kind=kind,
                    item=item,
                )
            )
    return todos


def workbench_todos(user: Any, now: datetime | None = None) -> list[Todo]:
    """Everything the user should do, oldest deadline first."""
    if not getattr(user, "is_authenticated", False) or not user.role:
        return []
    now = now or timezone.now()
    today = now.astimezone(SHANGHAI).date()
    todos: list[Todo] = []
    if user.is_dealer_user and user.dealer_id:
        todos += _monthly_reports(user, today)
        todos += _overnight_items(user, now)
        todos += _rectifications_to_answer(user)
        todos += _appeal_windows(user, now)
        todos += _unowned(user)
    elif user.is_manager:
        todos += _proposals(user)
        todos += _submissions_to_review(user)
        todos += _appeals_to_decide(user)
        todos += _plans_to_verify(user)
        todos += _overnight_groups(user, now)
        todos += _periods_to_close(user, today)
    todos += _failed_imports(user, now)
    todos += _goals_at_risk(user, now)
    todos += _findings(user)
    todos += _support_cases(user, now)
    listed = {(t.kind, t.item.pk) for t in todos if t.item is not None}
    todos += _assigned_to_me(user, listed)
    todos.sort(key=lambda t: (t.due, t.key))
    return todos


def _goals_at_risk(user: User, now: datetime) -> list[Todo]:
    """Goals the user owns whose month in progress was last found at risk (goals.services.goal_check)."""
    return [
        Todo(
            key="goal_at_risk",
            title=_("Goal at risk this month: act before the month ends"),
            detail=f"{kpi_name(goal.kpi_code)} · {goal.group_label} · {goal.target_label}",
            due=Month.of(now).end,
            url=reverse("goals:detail", args=[goal.pk]),
            action=_("See the projection"),
        )
        for goal in owned_at_risk(user, now)[:CAP]
    ]


def _findings(user: User) -> list[Todo]:
    """Findings of the nightly analysis: for a manager, the new ones in scope to triage (one
    line, due three days after the oldest was found); for anyone, the open ones they own, to
    close with a review (复盘) by their due date."""
    todos = []
    if user.is_manager:
        new = (
            Finding.objects.for_user(user)
            .filter(status=FindingStatus.NEW)
            .aggregate(n=Count("pk"), oldest=Min("found_at"))
        )
        if new["n"]:
            todos.append(
                Todo(
                    key="findings_new",
                    title=_("New findings to triage"),
                    detail=_("open with an owner, or dismiss with a reason"),
                    due=new["oldest"] + timedelta(days=3),
                    url=reverse("insights:list") + "?status=new",
                    action=_("Triage"),
                    count=new["n"],
                )
            )
    owned = (
        Finding.objects.for_user(user).filter(owner=user, status=FindingStatus.OPEN).select_related("dealer")
    )
    for finding in owned.order_by("due_date")[:CAP]:
        todos.append(
            Todo(
                key="finding_to_close",
                title=_("Finding to close with a review (复盘)"),
                detail=f"{finding.get_kind_display()} · {finding.subject or finding.month}",
                due=_end_of(finding.due_date) if finding.due_date else finding.found_at + timedelta(days=14),
                url=reverse("insights:detail", args=[finding.pk]),
                action=_("Close it"),
                dealer=finding.dealer,
                due_is_date=finding.due_date is not None,
            )
        )
    return todos


SUPPORT_TITLES = {
    "new": gettext_lazy("New technical case: take it"),
    "answer": gettext_lazy("Technical case: a new answer to read"),
    "waiting": gettext_lazy("Technical case: HQ's expert waits for your answer"),
    "breached": gettext_lazy("Technical case past its service level"),
}


def _support_cases(user: User, now: datetime) -> list[Todo]:
    """Technical cases waiting for the user (support.selectors.workbench_cases)."""
    from support.selectors import workbench_cases

    todos = []
    for reason, case in workbench_cases(user, now)[:CAP]:
        due = case.first_response_due if case.first_response_at is None else case.resolution_due
        todos.append(
            Todo(
                key=f"support_{reason}",
                title=str(SUPPORT_TITLES[reason]),
                detail=f"{case.number} · {case.vin} · {case.symptom[:40]}",
                due=due,
                url=reverse("support:detail", args=[case.pk]),
                action=_("Open the case"),
                dealer=case.dealer,
            )
        )
    return todos


def todo_count(todos: list[Todo]) -> int:
    """The badge: how many things wait, a grouped row counting each of its items."""
    return sum(t.count for t in todos)


def unowned_items(user: Any) -> list[tuple[str, Any]]:
    """Open dealer-side items in the user's scope that have no owner, oldest first (capped)."""
    rows: list[tuple[str, Any]] = []
    for kind in sorted(DEALER_SIDE):
        items = open_items(kind, user).filter(owner__isnull=True).select_related("dealer")
        rows += [(kind, item) for item in items[: CAP * 5]]
    return rows
