"""Store a period's group figures with its scorecards (scoring.md → network, regional and group
figures): every KPI for the network, each region, city tier and peer group, and each group's
average total. Written in the transaction that swaps the scorecards in, from the dealers' values
the recompute has in hand: the sums and weighted means are pooled from them exactly
(kpis.groups.pool); only the median reads the records again, one grouped query per grouping.
Pages and the API read the stored rows only."""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import DurationField, ExpressionWrapper, F, Func, TextField
from django.db.models.functions import Cast

from dealers.models import Dealer

from ..choices import REPAIR_TYPES_FOR_REPAIR_KPIS, Grouping, ScorecardStatus
from ..db_functions import EpochSeconds, month_scans
from ..kpis import CATALOGUE
from ..kpis.base import HOUR
from ..kpis.groups import MEDIAN_KPIS, Figure, pool, rounded
from ..kpis.peers import peer_key
from ..models import AVERAGE_TOTAL, GroupFigure, GroupMember, Period, RepairOrder
from ..scoring.rounding import round_half_up


@dataclass(frozen=True)
class Member:
    """A scored dealer of the period: its groups and its own (unrounded) KPI figures."""

    dealer_id: int
    region_id: int | None
    city_tier: int
    peer_key: str
    figures: dict[str, Figure]
    total: Decimal | None
    scored: bool

    def keys(self) -> dict[str, str]:
        """The dealer's group in each grouping ("" where it has none, e.g. no peer group)."""
        return {
            Grouping.NETWORK: "",
            Grouping.REGION: "" if self.region_id is None else str(self.region_id),
            Grouping.CITY_TIER: str(self.city_tier),
            Grouping.PEER: self.peer_key,
        }


def group_members(values: Mapping[int, Mapping[str, Any]], outcomes: Iterable[Any]) -> list[Member]:
    """The period's members from the recompute's values ({dealer id: {"values": {code: [v, n]}}})
    and its scorecard outcomes (one query: the dealers' region and city tier)."""
    cards = {o.dealer_id: o for o in outcomes}
    places = {
        pk: (region_id, tier)
        for pk, region_id, tier in Dealer.objects.values_list("pk", "region_id", "city_tier")
        if pk in cards
    }
    members = []
    for dealer_id, outcome in cards.items():
        region_id, tier = places[dealer_id]
        figures = {code: (v[0], int(v[1])) for code, v in values[dealer_id]["values"].items()}
        repairs = figures.get("repair_count", (None, 0))[0]
        members.append(
            Member(
                dealer_id,
                region_id,
                tier,
                peer_key(tier, repairs) or "",
                figures,
                outcome.total,
                outcome.status == ScorecardStatus.SCORED,
            )
        )
    return members


def group_figures_store(period: Period, members: list[Member]) -> int:
    """Replace the period's stored group figures and members; returns the figures written.

    Call it in the transaction that swaps the period's scorecards in (readers see both or
    neither). Queries: one median per grouping, two deletes, two inserts.
    """
    groups: dict[tuple[str, str], list[Member]] = defaultdict(list)
    for member in members:
        for grouping, key in member.keys().items():
            if grouping == Grouping.NETWORK or key:
                groups[(grouping, key)].append(member)
    medians = _medians(period, members)
    rows = []
    for (grouping, key), mine in groups.items():
        for kpi in CATALOGUE:
            if kpi.code in MEDIAN_KPIS:
                value, n = medians.get((kpi.code, grouping, key), (None, 0))
            else:
                value, n = pool(kpi.code, [m.figures.get(kpi.code, (None, 0)) for m in mine])
            rows.append(
                GroupFigure(
                    period=period,
                    grouping=grouping,
                    group_key=key,
                    kpi_code=kpi.code,
                    value=rounded(value),
                    n=n,
                    dealers=len(mine),
                )
            )
        totals = [m.total for m in mine if m.scored and m.total is not None]
        average = round_half_up(sum(totals) / len(totals), 4) if totals else None
        rows.append(
            GroupFigure(
                period=period,
                grouping=grouping,
                group_key=key,
                kpi_code=AVERAGE_TOTAL,
                value=None if average is None else float(average),
                n=len(totals),
                dealers=len(mine),
            )
        )
    GroupFigure.objects.filter(period=period).delete()
    GroupFigure.objects.bulk_create(rows, batch_size=2000)
    GroupMember.objects.filter(period=period).delete()
    GroupMember.objects.bulk_create(
        (
            GroupMember(
                period=period,
                dealer_id=m.dealer_id,
                region_id=m.region_id,
                city_tier=m.city_tier,
                peer_key=m.peer_key,
                total_score=m.total,
                figures={code: list(figure) for code, figure in m.figures.items()},
            )
            for m in members
        ),
        batch_size=1000,
    )
    return len(rows)


def _medians(period: Period, members: list[Member]) -> dict[tuple[str, str, str], Figure]:
    """The repair cycle's median per group of every grouping, over the members' repair ROs.

    Each member's durations are read once (on PostgreSQL as one array per dealer) and the groups'
    medians taken in Python: one scan of the month's ROs instead of one sort per grouping in SQL
    (four `percentile_cont` queries cost about as much as the whole recompute's measuring).
    """
    month = period.month
    if not members:
        return {}
    member_ids = {m.dealer_id for m in members}
    others = [pk for pk in Dealer.objects.values_list("pk", flat=True) if pk not in member_ids]
    qs = RepairOrder.objects.filter(
        closed_at__gte=month.start, closed_at__lt=month.end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
    ).exclude(dealer_id__in=others)
    seconds = EpochSeconds("closed_at") - EpochSeconds("opened_at")
    durations: dict[int, list[float]] = defaultdict(list)
    if connection.vendor == "postgresql":
        # As text, one string per dealer: the cheapest way found to move 500,000 numbers
        # (an array of float8 took a third longer to build and send).
        from django.contrib.postgres.aggregates import StringAgg

        interval = ExpressionWrapper(F("closed_at") - F("opened_at"), output_field=DurationField())
        as_text = Cast(Func(interval, template="EXTRACT(EPOCH FROM %(expressions)s)"), TextField())
        with month_scans():
            joined_by_dealer = list(
                qs.values("dealer_id")
                .annotate(cycles=StringAgg(as_text, ","))
                .values_list("dealer_id", "cycles")
                .order_by()
            )
        for dealer_id, joined in joined_by_dealer:
            durations[dealer_id] = [float(v) for v in joined.split(",")]
    else:
        for dealer_id, value in (
            qs.annotate(cycle=seconds).values_list("dealer_id", "cycle").order_by().iterator()
        ):
            durations[dealer_id].append(float(value))
    pooled: dict[tuple[str, str], list[float]] = defaultdict(list)
    for m in members:
        mine = durations.get(m.dealer_id)
        if mine:
            for grouping, key in m.keys().items():
                pooled[(grouping, key)].extend(mine)
    code = next(iter(MEDIAN_KPIS))
    return {
        (code, grouping, key): (statistics.median(found) / HOUR, len(found))
        for (grouping, key), found in pooled.items()
    }
