"""Reads of findings: the list, a finding's evidence (read back through the scoping), the
daily review (复盘) of a day, and the lessons a user was told."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, datetime, time, timedelta
from typing import Any

from django.db.models import Q, QuerySet
from django.urls import reverse

from assessments.models import Complaint, RepairOrder
from assessments.periods import SHANGHAI
from dealers.models import Dealer, Region, User
from support.models import SupportCase
from surveys.models import HotAlertCase, SurveyResponse

from .choices import FindingStatus
from .filtersets import FindingFilterSet
from .models import Finding, Review

OVERNIGHT = timedelta(hours=24)
EVIDENCE_SHOWN = 200  # records read back (the detectors keep at most this many ids per list)
ON_PAGE = 50


def findings_for(user: Any, params: Any) -> tuple[FindingFilterSet, QuerySet[Finding]]:
    """The user's findings for the list's filters (new or open by default), newest month first,
    most severe first within it; the page and its export read the same."""
    data = params.copy()
    if "status" not in data:
        data["status"] = "active"
    base = Finding.objects.for_user(user).select_related("dealer__region", "owner")
    filterset = FindingFilterSet(data, queryset=base, request=_Request(user))
    queryset = filterset.qs if filterset.is_valid() else base.none()
    return filterset, queryset.order_by("-month", "-severity", "pk")


@dataclass
class _Request:
    user: Any


@dataclass
class Evidence:
    """The records behind a finding that the user may see (scoped: a regional manager sees
    only their regions' dealers behind a network finding, a dealer user only its own)."""

    repair_orders: list[RepairOrder] = field(default_factory=list)
    dealers: list[Dealer] = field(default_factory=list)
    responses: list[SurveyResponse] = field(default_factory=list)
    months: list[str] = field(default_factory=list)
    hidden_dealers: int = 0  # behind the finding, outside the user's scope (counted, not named)

    @property
    def shown_repair_orders(self) -> list[RepairOrder]:
        """The first ones on the page; the records export holds them all."""
        return self.repair_orders[:ON_PAGE]


def evidence_for(user: Any, finding: Finding) -> Evidence:
    ids = finding.evidence or {}
    ro_ids = list(ids.get("repair_orders", []))[:EVIDENCE_SHOWN]
    dealer_ids = list(ids.get("dealers", []))
    response_ids = list(ids.get("responses", []))[:EVIDENCE_SHOWN]
    dealers = list(
        Dealer.objects.for_user(user).filter(pk__in=dealer_ids).select_related("region").order_by("code")
    )
    return Evidence(
        repair_orders=list(
            RepairOrder.objects.for_user(user)
            .filter(pk__in=ro_ids)
            .select_related("dealer")
            .order_by("dealer__code", "opened_at")
        ),
        dealers=dealers,
        responses=list(
            SurveyResponse.objects.for_user(user).filter(pk__in=response_ids).order_by("responded_at")
        ),
        months=[str(m) for m in ids.get("months", [])],
        hidden_dealers=len(set(dealer_ids)) - len(dealers),
    )


def lessons_for(user: User) -> QuerySet[Review]:
    """The 复盘 lessons a user was told of: their dealer's, or their regions' (as regional manager)."""
    who = Q(pk__in=[])
    if user.is_dealer_user and user.dealer_id:
        who = Q(notified_dealers=user.dealer_id)
    elif user.is_manager:
        who = Q(notified_regions__in=user.regions.all())
    return Review.objects.filter(who).distinct().select_related("finding").order_by("-closed_at")


def may_read_lesson(user: User, review: Review) -> bool:
    """A lesson is read by who was told of it, and by whoever may see its finding."""
    return (
        lessons_for(user).filter(pk=review.pk).exists()
        or Finding.objects.for_user(user).filter(pk=review.finding_id).exists()
    )


# --- the daily review (复盘) ---------------------------------------------------------------


@dataclass(frozen=True)
class DailyLine:
    section: str  # "overnight", "found", "closed"
    at: datetime
    dealer: Dealer | None
    item: str
    detail: str
    url: str = ""
    person: str = ""


@dataclass
class DailyReview:
    day: date
    region: Region | None
    overnight: list[DailyLine]
    found: list[DailyLine]
    closed: list[DailyLine]

    @property
    def night(self) -> date:
        return self.day + timedelta(days=1)


def _day_bounds(day: date) -> tuple[datetime, datetime]:
    start = datetime.combine(day, time.min, tzinfo=SHANGHAI)
    return start, start + timedelta(days=1)


def daily_review(user: Any, day: date, region: Region | None, *, explain: Any, person: Any) -> DailyReview:
    """What the morning meeting reviews about `day`: its items that stayed open overnight
    (complaints, hot alerts and technical cases received that day, still open 24 hours later),
    the findings of the night after it, and the findings closed that day with their lessons.
    Scoped to the user, narrowed to a region when one is given (network findings stay)."""
    start, end = _day_bounds(day)
    night_start, night_end = _day_bounds(day + timedelta(days=1))

    def in_region(queryset: QuerySet, path: str = "dealer") -> QuerySet:
        return queryset if region is None else queryset.filter(**{f"{path}__region": region})

    overnight: list[DailyLine] = []
    complaints = in_region(Complaint.objects.for_user(user)).filter(
        received_at__gte=start, received_at__lt=end, excluded=False
    )
    for c in complaints.select_related("dealer", "owner").order_by("received_at"):
        if c.closed_at is None or c.closed_at > c.received_at + OVERNIGHT:
            overnight.append(
                DailyLine(
                    "overnight",
                    c.received_at,
                    c.dealer,
                    c.complaint_id,
                    c.get_category_display(),
                    "",
                    person(c.owner),
                )
            )
    alerts = in_region(HotAlertCase.objects.for_user(user)).filter(opened_at__gte=start, opened_at__lt=end)
    for a in alerts.select_related("dealer", "response").order_by("opened_at"):
        if a.closed_at is None or a.closed_at > a.opened_at + OVERNIGHT:
            overnight.append(
                DailyLine(
                    "overnight",
                    a.opened_at,
                    a.dealer,
                    f"HA-{a.pk}",
                    f"{a.response.response_id} · {a.response.overall}/5",
                    reverse("surveys:alert_detail", args=[a.pk]),
                )
            )
    cases = in_region(SupportCase.objects.for_user(user)).filter(opened_at__gte=start, opened_at__lt=end)
    for s in cases.select_related("dealer", "expert").order_by("opened_at"):
        if s.resolved_at is None or s.resolved_at > s.opened_at + OVERNIGHT:
            overnight.append(
                DailyLine(
                    "overnight",
                    s.opened_at,
                    s.dealer,
                    s.number,
                    s.symptom[:80],
                    reverse("support:detail", args=[s.pk]),
                    person(s.expert),
                )
            )
    overnight.sort(key=lambda line: line.at)

    findings = Finding.objects.for_user(user).select_related("dealer", "owner")
    if region is not None:
        findings = findings.filter(Q(dealer__region=region) | Q(dealer__isnull=True))
    found = [
        DailyLine(
            "found",
            f.found_at,
            f.dealer,
            f.get_kind_display(),
            explain(f),
            reverse("insights:detail", args=[f.pk]),
            person(f.owner),
        )
        for f in findings.filter(found_at__gte=night_start, found_at__lt=night_end).order_by("-severity")
    ]
    closed = [
        DailyLine(
            "closed",
            r.closed_at,
            r.finding.dealer,
            r.finding.get_kind_display(),
            r.lesson,
            reverse("insights:detail", args=[r.finding_id]),
            person(r.closed_by),
        )
        for r in Review.objects.filter(
            finding__in=findings.filter(status=FindingStatus.CLOSED), closed_at__gte=start, closed_at__lt=end
        )
        .select_related("finding__dealer", "closed_by")
        .order_by("closed_at")
    ]
    return DailyReview(day=day, region=region, overnight=overnight, found=found, closed=closed)
