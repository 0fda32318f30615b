"""Reads of customer voice that serve users: every one takes the user and scopes with `for_user`.

The daily clearing board, its 30-day trend, survey results per dealer and month with
confidence intervals, hot-alert cases by age, the review queue and follow-up call lists.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime, time, timedelta
from typing import Any

from django.conf import settings
from django.db.models import Avg, Count, Exists, F, OuterRef, Q, QuerySet, Sum
from django.urls import reverse
from django.utils.translation import gettext as _

from assessments.kpis.surveys import counted
from assessments.models import Complaint, RepairOrder
from assessments.periods import SHANGHAI, Month
from dealers.models import Dealer, User

from .choices import BoardItemKind, FlagStatus
from .models import FollowUpCall, HotAlertCase, ResponseFlag, SurveyInvitation, SurveyResponse
from .rules import (
    DIMENSION_FIELDS,
    OVERNIGHT_AFTER,
    Interval,
    csat_interval,
    nps_interval,
    overnight_counts,
    points_mean,
)
from .services import dealer_contacts

MORNING_CHECK = time(8, 30)  # the reminder goes out at 08:30 Shanghai time
TREND_DAYS = 30


# --- the daily clearing board -----------------------------------------------------------


@dataclass
class BoardItem:
    """One open complaint or hot-alert case. Overnight once open more than 24 hours."""

    kind: str
    ref: str
    dealer: Dealer
    since: datetime
    age_hours: int
    summary: str
    url: str = ""
    owners: list[User] = field(default_factory=list)
    record: Any = None  # the complaint or case itself: its named owner (过程所有者) is shown

    @property
    def due_at(self) -> datetime:
        """The end of its 24 hours: still open after this instant, it is overnight."""
        return self.since + OVERNIGHT_AFTER


@dataclass
class BoardDealer:
    dealer: Dealer
    owners: list[User]
    items: list[BoardItem]

    @property
    def oldest(self) -> datetime:
        return self.items[0].since


@dataclass
class BoardRegion:
    name: str
    dealers: list[BoardDealer]

    @property
    def count(self) -> int:
        return sum(len(d.items) for d in self.dealers)


def _hours(since: datetime, now: datetime) -> int:
    return int((now - since).total_seconds() // 3600)


def _open_items(
    complaints: QuerySet[Complaint],
    cases: QuerySet[HotAlertCase],
    now: datetime,
    *,
    overnight: bool,
    tech_cases: QuerySet[Any] | None = None,
) -> list[BoardItem]:
    """Open items, oldest first: overnight ones (open strictly more than 24 h, rules.is_overnight)
    or those still within their 24 hours (due today). Voided complaints do not count. With
    `tech_cases`, open technical-support cases too (问题不过夜 holds for them as well)."""
    cutoff = now - OVERNIGHT_AFTER
    if overnight:
        complaints = complaints.filter(received_at__lt=cutoff)
        cases = cases.filter(opened_at__lt=cutoff)
    else:
        complaints = complaints.filter(received_at__gte=cutoff, received_at__lte=now)
        cases = cases.filter(opened_at__gte=cutoff, opened_at__lte=now)
    items = [
        BoardItem(
            kind=BoardItemKind.COMPLAINT,
            ref=c.complaint_id,
            dealer=c.dealer,
            since=c.received_at,
            age_hours=_hours(c.received_at, now),
            summary=c.get_category_display() + (f" · {c.description[:80]}" if c.description else ""),
            record=c,
        )
        for c in complaints.filter(closed_at__isnull=True, excluded=False).select_related(
            "dealer__region", "owner"
        )
    ]
    items += [
        BoardItem(
            kind=BoardItemKind.HOT_ALERT,
            ref=f"HA-{case.pk}",
            dealer=case.dealer,
            since=case.opened_at,
            age_hours=_hours(case.opened_at, now),
            summary=_case_summary(case),
            url=reverse("surveys:alert_detail", args=[case.pk]),
            record=case,
        )
        for case in cases.filter(closed_at__isnull=True).select_related("dealer__region", "response", "owner")
    ]
    if tech_cases is not None:
        tech_cases = (
            tech_cases.filter(opened_at__lt=cutoff)
            if overnight
            else tech_cases.filter(opened_at__gte=cutoff, opened_at__lte=now)
        )
        items += [
            BoardItem(
                kind=BoardItemKind.TECH_CASE,
                ref=case.number,
                dealer=case.dealer,
                since=case.opened_at,
                age_hours=_hours(case.opened_at, now),
                summary=f"{case.get_status_display()}{' · ' + _('Escalated') if case.escalated_at else ''} · {case.symptom[:60]}",
                url=reverse("support:detail", args=[case.pk]),
            )
            for case in tech_cases.open().select_related("dealer__region")
        ]
    owners = dealer_contacts({item.dealer.pk for item in items})
    for item in items:
        item.owners = owners.get(item.dealer.pk, [])
    items.sort(key=lambda item: (item.since, item.ref))
    return items


def _case_summary(case: HotAlertCase) -> str:
    response = case.response
    text = f"{response.response_id} · {response.overall}/5"
    if response.nps is not None:
        text += f" · NPS {response.nps}"
    return text


def board_items(user: Any, now: datetime) -> list[BoardItem]:
    """The user's overnight items (open more than 24 hours), oldest first."""
    from support.models import SupportCase

    return _open_items(
        Complaint.objects.for_user(user),
        HotAlertCase.objects.for_user(user),
        now,
        overnight=True,
        tech_cases=SupportCase.objects.for_user(user),
    )


def due_items(user: Any, now: datetime) -> list[BoardItem]:
    """The user's open items still within their 24 hours, oldest (most urgent) first."""
    return _open_items(
        Complaint.objects.for_user(user), HotAlertCase.objects.for_user(user), now, overnight=False
    )


def board_items_all(now: datetime, *, overnight: bool = True) -> list[BoardItem]:
    """Every dealer's items: for the morning reminder, which writes to each dealer in turn."""
    return _open_items(Complaint.objects.all(), HotAlertCase.objects.all(), now, overnight=overnight)


def board_groups(items: Iterable[BoardItem]) -> list[BoardRegion]:
    """Items per region (by name) and dealer (oldest item first), each list oldest first."""
    per_dealer: dict[int, BoardDealer] = {}
    for item in items:  # already oldest first
        group = per_dealer.get(item.dealer.pk)
        if group is None:
            group = per_dealer[item.dealer.pk] = BoardDealer(item.dealer, item.owners, [])
        group.items.append(item)
    per_region: dict[str, list[BoardDealer]] = defaultdict(list)
    for group in sorted(per_dealer.values(), key=lambda g: (g.oldest, g.dealer.code)):
        per_region[group.dealer.region.name].append(group)
    return [BoardRegion(name, dealers) for name, dealers in sorted(per_region.items())]


def morning_checks(now: datetime, days: int = TREND_DAYS) -> list[datetime]:
    """The 08:30 checks of the last `days` days that have already happened, oldest first."""
    today = now.astimezone(SHANGHAI).date()
    checks = [
        datetime.combine(today - timedelta(days=back), MORNING_CHECK, tzinfo=SHANGHAI) for back in range(days)
    ]
    return sorted(check for check in checks if check <= now)


def overnight_trend(user: Any, now: datetime, days: int = TREND_DAYS) -> dict[str, Any]:
    """How many items were overnight at each morning's 08:30 check of the last 30 days."""
    checks = morning_checks(now, days)
    if not checks:
        return {"labels": [], "complaints": [], "hot_alerts": []}
    first, last = checks[0], checks[-1]
    complaints = (
        Complaint.objects.for_user(user)
        .filter(excluded=False, received_at__lt=last - OVERNIGHT_AFTER)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=first))
        .values_list("received_at", "closed_at")
    )
    cases = (
        HotAlertCase.objects.for_user(user)
        .filter(opened_at__lt=last - OVERNIGHT_AFTER)
        .filter(Q(closed_at__isnull=True) | Q(closed_at__gt=first))
        .values_list("opened_at", "closed_at")
    )
    return {
        "labels": [check.astimezone(SHANGHAI).strftime("%m-%d") for check in checks],
        "complaints": overnight_counts(complaints, checks),
        "hot_alerts": overnight_counts(cases, checks),
    }


# --- survey results ---------------------------------------------------------------------


@dataclass
class SurveyResult:
    """A dealer's (or a whole scope's) survey results in one month."""

    n: int
    mean_overall: float | None
    csat: Interval
    nps: Interval
    dimensions: dict[str, float | None]
    dealer: Dealer | None = None


def _result_aggregates() -> dict[str, Any]:
    return {
        "n": Count("id"),
        "overall_sum": Sum("overall"),
        "overall_square_sum": Sum(F("overall") * F("overall")),
        "nps_n": Count("id", filter=Q(nps__isnull=False)),
        "promoters": Count("id", filter=Q(nps__gte=9)),
        "detractors": Count("id", filter=Q(nps__lte=6)),
        **{f"avg_{name}": Avg(name) for name in DIMENSION_FIELDS},
    }


def _result_from(row: dict[str, Any], dealer: Dealer | None = None) -> SurveyResult:
    n = row["n"] or 0
    return SurveyResult(
        n=n,
        mean_overall=(row["overall_sum"] / n) if n else None,
        csat=csat_interval(n, row["overall_sum"] or 0, row["overall_square_sum"] or 0),
        nps=nps_interval(row["nps_n"] or 0, row["promoters"] or 0, row["detractors"] or 0),
        dimensions={name: row[f"avg_{name}"] for name in DIMENSION_FIELDS},
        dealer=dealer,
    )


def counted_responses(user: Any, month: Month) -> QuerySet[SurveyResponse]:
    """The responses that count in csat and nps of this month, in the user's scope."""
    return counted(SurveyResponse.objects.for_user(user), month)


def survey_results(user: Any, month: Month) -> tuple[list[SurveyResult], SurveyResult]:
    """One row per dealer in scope with responses in the month (by dealer code), and the total.

    Two queries whatever the number of dealers, plus one for the dealers themselves.
    """
    base = counted_responses(user, month)
    rows = list(base.values("dealer_id").annotate(**_result_aggregates()).order_by())
    dealers = Dealer.objects.for_user(user).select_related("region").in_bulk([r["dealer_id"] for r in rows])
    results = [_result_from(row, dealers[row["dealer_id"]]) for row in rows if row["dealer_id"] in dealers]
    results.sort(key=lambda r: r.dealer.code if r.dealer else "")
    total = _result_from(base.aggregate(**_result_aggregates()))
    return results, total


def dealer_result(user: Any, dealer: Dealer, month: Month) -> SurveyResult:
    row = counted_responses(user, month).filter(dealer=dealer).aggregate(**_result_aggregates())
    return _result_from(row, dealer)


def dealer_responses(user: Any, dealer: Dealer, month: Month) -> QuerySet[SurveyResponse]:
    """All of a dealer's responses in a month, excluded ones too (marked), newest first."""
    return (
        SurveyResponse.objects.for_user(user)
        .filter(dealer=dealer, responded_at__gte=month.start, responded_at__lt=month.end)
        .select_related("repair_order", "hot_alert")
        .order_by("-responded_at", "-pk")
    )


# --- hot alerts, flags, invitations, calls ----------------------------------------------


def hot_alert_cases(user: Any, state: str = "open") -> QuerySet[HotAlertCase]:
    """Open cases oldest first (by age), or closed ones last closed first."""
    qs = HotAlertCase.objects.for_user(user).select_related("dealer__region", "response__repair_order")
    if state == "closed":
        return qs.filter(closed_at__isnull=False).order_by("-closed_at", "-pk")
    return qs.filter(closed_at__isnull=True).order_by("opened_at", "pk")


def hot_alert_age_buckets(user: Any, now: datetime) -> dict[str, int]:
    """Open cases by age — up to 24 h, over 24 h up to 72 h, over 72 h — in one query."""
    day_ago, three_days_ago = now - OVERNIGHT_AFTER, now - timedelta(hours=72)
    return (
        HotAlertCase.objects.for_user(user)
        .filter(closed_at__isnull=True)
        .aggregate(
            under_24h=Count("id", filter=Q(opened_at__gte=day_ago)),
            from_24_to_72h=Count("id", filter=Q(opened_at__lt=day_ago, opened_at__gte=three_days_ago)),
            over_72h=Count("id", filter=Q(opened_at__lt=three_days_ago)),
        )
    )


def review_queue(user: Any) -> list[dict[str, Any]]:
    """Responses with open integrity flags, each with its flags, newest flag first."""
    flags = (
        ResponseFlag.objects.for_user(user)
        .filter(status=FlagStatus.OPEN)
        .select_related("response__dealer", "response__repair_order")
        .order_by("-created_at", "-pk")
    )
    grouped: dict[int, dict[str, Any]] = {}
    for flag in flags:
        entry = grouped.setdefault(flag.response_id, {"response": flag.response, "flags": []})
        entry["flags"].append(flag)
    return list(grouped.values())


def invitations(user: Any) -> QuerySet[SurveyInvitation]:
    return SurveyInvitation.objects.for_user(user).select_related("dealer", "repair_order", "template")


def invitation_state_filter(qs: QuerySet[SurveyInvitation], state: str, now: datetime) -> QuerySet:
    if state == "answered":
        return qs.filter(answered_at__isnull=False)
    if state == "waiting":
        return qs.filter(answered_at__isnull=True, expires_at__gt=now)
    if state == "expired":
        return qs.filter(answered_at__isnull=True, expires_at__lte=now)
    return qs


def followup_calls(user: Any) -> QuerySet[FollowUpCall]:
    return FollowUpCall.objects.for_user(user).select_related(
        "dealer", "repair_order", "complaint", "called_by"
    )


def call_candidates(user: Any, now: datetime, days: int = 7, limit: int = 50) -> list[RepairOrder]:
    """Repair orders closed in the last week with no survey answer and no call yet: whom to call."""
    return list(
        RepairOrder.objects.for_user(user)
        .filter(closed_at__gte=now - timedelta(days=days), closed_at__lte=now)
        .exclude(Exists(SurveyResponse.objects.filter(repair_order=OuterRef("pk"))))
        .exclude(Exists(FollowUpCall.objects.filter(repair_order=OuterRef("pk"))))
        .select_related("dealer__region")  # the region: its export
        .order_by("closed_at", "pk")[:limit]
    )


# --- what drives overall satisfaction ---------------------------------------------------

FACTOR_WINDOW_MONTHS = 12  # the factor table pools the 12 months up to the selected one: more evidence


@dataclass
class FactorDriver:
    """How one factor goes with overall satisfaction, both on the 0–100 scale (25 × (score − 1)).

    `slope` is b of the single-factor least-squares line overall = a + b × factor: each point
    more on the factor goes with b points more overall. `gap` is the mean overall among
    responses scoring the factor 4–5 minus that among those scoring it 1–3. An association,
    not proof of cause.
    """

    name: str  # the SurveyResponse field, e.g. "reception"
    n: int
    mean: float | None
    r: float | None
    slope: float | None
    mean_overall_high: float | None
    mean_overall_low: float | None
    n_high: int
    n_low: int
    too_few: bool
    no_spread: bool  # every answer to the factor (or to overall) was the same: no r

    @property
    def slope_per_10(self) -> float | None:
        return None if self.slope is None else self.slope * 10

    @property
    def gap(self) -> float | None:
        if self.mean_overall_high is None or self.mean_overall_low is None:
            return None
        return self.mean_overall_high - self.mean_overall_low


def _factor_aggregates() -> dict[str, Any]:
    """Per factor, over the responses answering it: count and sums of x, y, xy, x², y² on the
    1–5 answers (integers, so the sums are exact), and count and sum of overall by 4–5 vs 1–3."""
    aggregates: dict[str, Any] = {}
    for name in DIMENSION_FIELDS:
        answered = Q(**{f"{name}__isnull": False})
        high = answered & Q(**{f"{name}__gte": 4})
        low = answered & Q(**{f"{name}__lte": 3})
        aggregates |= {
            f"{name}_n": Count("id", filter=answered),
            f"{name}_x": Sum(name, filter=answered),
            f"{name}_y": Sum("overall", filter=answered),
            f"{name}_xy": Sum(F(name) * F("overall"), filter=answered),
            f"{name}_xx": Sum(F(name) * F(name), filter=answered),
            f"{name}_yy": Sum(F("overall") * F("overall"), filter=answered),
            f"{name}_high_n": Count("id", filter=high),
            f"{name}_high_y": Sum("overall", filter=high),
            f"{name}_low_n": Count("id", filter=low),
            f"{name}_low_y": Sum("overall", filter=low),
        }
    return aggregates


def _factor_driver(name: str, row: dict[str, Any], min_sample: int) -> FactorDriver:
    """The figures of one factor from its sums. On the 1–5 scale until the end: r and the slope
    are the same on the 0–100 scale (both variables are stretched by 25), means are converted."""
    n = row[f"{name}_n"] or 0
    sx, sy = row[f"{name}_x"] or 0, row[f"{name}_y"] or 0
    # n² times the (co)variances, in exact integers.
    sxx = n * (row[f"{name}_xx"] or 0) - sx * sx
    syy = n * (row[f"{name}_yy"] or 0) - sy * sy
    sxy = n * (row[f"{name}_xy"] or 0) - sx * sy
    slope = sxy / sxx if n >= 2 and sxx > 0 else None
    r = sxy / math.sqrt(sxx * syy) if n >= 2 and sxx > 0 and syy > 0 else None
    n_high, n_low = row[f"{name}_high_n"] or 0, row[f"{name}_low_n"] or 0
    return FactorDriver(
        name=name,
        n=n,
        mean=points_mean(n, sx) if n else None,
        r=r,
        slope=slope,
        mean_overall_high=points_mean(n_high, row[f"{name}_high_y"]) if n_high else None,
        mean_overall_low=points_mean(n_low, row[f"{name}_low_y"]) if n_low else None,
        n_high=n_high,
        n_low=n_low,
        too_few=n < min_sample,
        no_spread=n >= 2 and (sxx == 0 or syy == 0),
    )


def factor_window(month: Month, months: int = FACTOR_WINDOW_MONTHS) -> tuple[Month, Month]:
    """The first and last month the factor table pools."""
    return month.shift(1 - months), month


def factor_drivers(
    user: Any, month: Month, months: int = FACTOR_WINDOW_MONTHS, min_sample: int | None = None
) -> list[FactorDriver]:
    """Each factor's relation to overall satisfaction over the counted responses in the user's
    scope in the `months` months up to `month`: one aggregate query whatever the number of
    responses. Sorted by slope, steepest first; factors with too few answers or no slope last."""
    if min_sample is None:
        min_sample = settings.SURVEY_FACTOR_MIN_SAMPLE
    first, last = factor_window(month, months)
    row = (
        SurveyResponse.objects.for_user(user)
        .filter(responded_at__gte=first.start, responded_at__lt=last.end, excluded=False)
        .aggregate(**_factor_aggregates())
    )
    drivers = [_factor_driver(name, row, min_sample) for name in DIMENSION_FIELDS]
    drivers.sort(
        key=lambda d: (
            d.too_few or d.slope is None,
            -(d.slope if d.slope is not None else 0),
            -(d.r if d.r is not None else 0),
        )
    )
    return drivers
