"""Reads of technical support: the queue, a case's conversation, similar solved cases."""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection
from django.db.models import Exists, OuterRef, Q, QuerySet

from assessments.kpis.repair_orders import vehicle_repairs
from assessments.models import RepairOrder
from assessments.periods import Month
from dealers.choices import Role
from dealers.models import User

from .choices import OPEN_STATUSES, CaseStatus, MessageKind
from .models import CaseMessage, SupportCase, terms_of
from .services import breached_q, is_hq_side

SOLVED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


def cases_for(user: User) -> QuerySet[SupportCase]:
    return SupportCase.objects.for_user(user).select_related("dealer", "expert", "dealer_owner")


def queue(
    user: User,
    *,
    status: str = "open",
    urgency: str = "",
    mine: bool = False,
    breached: bool = False,
    now: datetime,
) -> QuerySet[SupportCase]:
    cases = cases_for(user)
    if status == "open":
        cases = cases.filter(status__in=OPEN_STATUSES)
    elif status in CaseStatus.values:
        cases = cases.filter(status=status)
    if urgency:
        cases = cases.filter(urgency=urgency)
    if mine:
        cases = cases.filter(Q(expert=user) | Q(dealer_owner=user))
    if breached:
        cases = cases.filter(breached_q(now))
    # Vehicles off road first, then the oldest.
    return cases.order_by("-urgency", "opened_at") if status == "open" else cases.order_by("-opened_at")


def conversation(case: SupportCase, user: User, after: int = 0) -> QuerySet[CaseMessage]:
    """The case's lines the user may read: a dealer never sees HQ's internal notes."""
    messages = CaseMessage.objects.for_user(user).filter(case=case, pk__gt=after)
    if not is_hq_side(user):
        messages = messages.exclude(kind=MessageKind.NOTE)
    return messages.select_related("author").prefetch_related("attachments")


def is_breached(case: SupportCase, now: datetime) -> bool:
    if not case.is_open:
        return False
    return (case.first_response_at is None and now > case.first_response_due) or now > case.resolution_due


def solutions(
    query: str = "", *, fault_code: str = "", exclude: int | None = None, limit: int = 50
) -> list[Any]:
    """Solved cases (the knowledge base), best first: same fault code, then most terms shared.

    Terms are the fault code, English words and pairs of Chinese characters (models.terms_of),
    stored per case in `search_terms`. On PostgreSQL the search is full-text over them (a GIN
    index on to_tsvector('simple', search_terms); any term matches, ranked by ts_rank); on SQLite
    a plain containment test per term. Every user who works cases may read solutions of every
    dealer, without the dealer's name (see the pages): what fixed a car is the network's
    knowledge, not one dealer's data."""
    solved = SupportCase.objects.filter(status__in=SOLVED).exclude(solution="")
    if exclude:
        solved = solved.exclude(pk=exclude)
    terms = terms_of(query)[:12]
    # A fault code is letters and digits: nothing else of the user's input reaches the query.
    code = re.sub(r"[^0-9a-z]", "", fault_code.lower())
    wanted = list(dict.fromkeys([*([code] if code else []), *terms]))
    if not wanted:
        return list(solved.order_by("-resolved_at")[:limit])
    if connection.vendor == "postgresql":
        from django.contrib.postgres.search import SearchQuery, SearchRank, SearchVector

        vector = SearchVector("search_terms", config="simple")
        # Each term quoted as a phrase of one lexeme; any of them matches.
        search = SearchQuery(
            " | ".join(f"'{t}'" for t in wanted if "'" not in t), config="simple", search_type="raw"
        )
        found = list(
            solved.annotate(document=vector, rank=SearchRank(vector, search))
            .filter(document=search)
            .order_by("-rank", "-resolved_at")[:500]
        )
    else:
        condition = Q()
        for term in wanted:
            condition |= Q(search_terms__contains=term)
        found = list(solved.filter(condition).order_by("-resolved_at")[:500])

    def score(case: SupportCase) -> tuple[int, int]:
        have = set(case.search_terms.split())
        same_code = int(bool(code) and case.fault_code.lower() == code)
        return (same_code, sum(1 for t in terms if t in have))

    found.sort(key=score, reverse=True)  # stable: PostgreSQL's rank breaks ties
    return found[:limit]


def workbench_cases(user: User, now: datetime) -> list[tuple[str, SupportCase]]:
    """The cases waiting for this user, with why: (reason, case), oldest first.

    reason: "new" (an expert: nobody has taken it), "answer" (the other side wrote since this
    side last read it), "waiting" (a dealer: the expert waits for its answer), "breached"
    (past a service level: the expert's own, and escalated ones for managers)."""
    cases = cases_for(user).filter(status__in=OPEN_STATUSES)
    found: dict[int, tuple[str, SupportCase]] = {}
    if user.role == Role.TECH_EXPERT:
        for case in cases.filter(expert__isnull=True).order_by("opened_at")[:50]:
            found[case.pk] = ("new", case)
        mine = cases.filter(expert=user)
        for case in mine.filter(breached_q(now)).order_by("opened_at")[:50]:
            found.setdefault(case.pk, ("breached", case))
        for case in _answered_since(mine, from_hq=False, seen="expert_seen_at")[:50]:
            found.setdefault(case.pk, ("answer", case))
    elif user.role == Role.DEALER_USER:
        for case in _answered_since(cases, from_hq=True, seen="dealer_seen_at")[:50]:
            found[case.pk] = ("answer", case)
        for case in cases.filter(status=CaseStatus.WAITING_DEALER).order_by("opened_at")[:50]:
            found.setdefault(case.pk, ("waiting", case))
    elif user.role in (Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER):
        for case in cases.filter(escalated_at__isnull=False).order_by("opened_at")[:50]:
            found[case.pk] = ("breached", case)
    return sorted(found.values(), key=lambda item: item[1].opened_at)


def _answered_since(cases: QuerySet[SupportCase], *, from_hq: bool, seen: str) -> QuerySet[SupportCase]:
    """Cases with a message (or session) from the other side newer than this side's last reading."""
    lines = CaseMessage.objects.filter(
        case=OuterRef("pk"), from_hq=from_hq, kind__in=(MessageKind.MESSAGE, MessageKind.SESSION)
    )
    unread = Exists(lines.filter(created_at__gt=OuterRef(seen))) | (
        Q(**{f"{seen}__isnull": True}) & Exists(lines)
    )
    return cases.filter(unread).order_by("opened_at")


@dataclass
class MonthFigures:
    """A dealer's technical cases of a month (tracked on the scorecard, not weighted)."""

    opened: int = 0
    answered_in_time: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    still_open: int = 0


def dealer_month_figures(user: User, dealer_id: int, month: Month) -> MonthFigures:
    """Cases the dealer opened in the month: how many, answered and resolved within their
    service levels (SUPPORT_SERVICE_LEVELS at reading time). One query."""
    figures = MonthFigures()
    cases = SupportCase.objects.for_user(user).filter(
        dealer_id=dealer_id, opened_at__gte=month.start, opened_at__lt=month.end
    )
    for case in cases.only("opened_at", "urgency", "status", "first_response_at", "resolved_at"):
        figures.opened += 1
        figures.answered_in_time += case.answered_in_time
        figures.resolved_in_time += case.resolved_in_time
        if case.resolved_at is not None:
            figures.resolved += 1
        if case.is_open:
            figures.still_open += 1
    return figures


@dataclass
class ReportRow:
    """Response and resolution of the cases opened in a month, for one region or one expert."""

    name: str
    opened: int = 0
    answered: int = 0
    answered_in_time: int = 0
    resolved: int = 0
    resolved_in_time: int = 0
    answer_hours: list[float] | None = None
    resolve_hours: list[float] | None = None

    def share(self, part: int) -> float | None:
        return round(100.0 * part / self.opened, 1) if self.opened else None

    @property
    def answered_in_time_pct(self) -> float | None:
        return self.share(self.answered_in_time)

    @property
    def resolved_in_time_pct(self) -> float | None:
        return self.share(self.resolved_in_time)

    @property
    def median_answer_hours(self) -> float | None:
        return _median(self.answer_hours or [])

    @property
    def median_resolve_hours(self) -> float | None:
        return _median(self.resolve_hours or [])


def _median(values: list[float]) -> float | None:
    if not values:
        return None
    ordered = sorted(values)
    middle = len(ordered) // 2
    value = ordered[middle] if len(ordered) % 2 else (ordered[middle - 1] + ordered[middle]) / 2
    return round(value, 1)


def service_report(user: User, month: Month) -> tuple[list[ReportRow], list[ReportRow]]:
    """The month's cases (opened in it) in the user's scope, per region and per expert: how
    many, answered and resolved within their service levels, median hours to each. One query."""
    regions: dict[str, ReportRow] = {}
    experts: dict[str, ReportRow] = {}
    cases = (
        SupportCase.objects.for_user(user)
        .filter(opened_at__gte=month.start, opened_at__lt=month.end)
        .select_related("dealer__region", "expert")
    )
    for case in cases:
        expert = (case.expert.get_full_name() or case.expert.username) if case.expert else "—"
        for table, name in ((regions, case.dealer.region.name), (experts, expert)):
            row = table.setdefault(name, ReportRow(name, answer_hours=[], resolve_hours=[]))
            row.opened += 1
            if case.first_response_at is not None:
                row.answered += 1
                row.answer_hours.append((case.first_response_at - case.opened_at).total_seconds() / 3600)  # type: ignore[union-attr]
                row.answered_in_time += case.answered_in_time
            if case.resolved_at is not None:
                row.resolved += 1
                row.resolve_hours.append((case.resolved_at - case.opened_at).total_seconds() / 3600)  # type: ignore[union-attr]
                row.resolved_in_time += case.resolved_in_time
    return sorted(regions.values(), key=lambda r: r.name), sorted(experts.values(), key=lambda r: r.name)


def vehicle_history(case: SupportCase) -> list[dict[str, Any]]:
    """The car's repairs at every dealer, newest first. The case's own dealer's repairs show their
    order numbers; another dealer's only the dates, repair type and fault code — never its name,
    order number or amounts (a dealer may see that the car was repaired elsewhere, not by whom)."""
    rows = []
    # Across dealers by design, and only these columns: not a scoped read of repair orders.
    for ro in vehicle_repairs(RepairOrder.objects.all(), case.vin).order_by("-opened_at")[:30]:
        own = ro.dealer_id == case.dealer_id
        rows.append(
            {
                "own": own,
                "ro_number": ro.ro_number if own else "",
                "opened_at": ro.opened_at,
                "closed_at": ro.closed_at,
                "repair_type": ro.get_repair_type_display(),
                "fault_code": ro.fault_code,
            }
        )
    return rows
