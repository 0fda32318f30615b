"""Store a period's group figures with its scorecards (scoring.md → network, regional and group
figures): every KPI for the network, each region, city tier and peer group, and each group's
average total. Written in the transaction that swaps the scorecards in, from the dealers' values
the recompute has in hand: the sums and weighted means are pooled from them exactly
(kpis.groups.pool); only the median reads the records again, one grouped query per grouping.
Pages and the API read the stored rows only."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from django.db import connection
from django.db.models import Case, CharField, Count, F, Value, When
from django.db.models.functions import Cast

from dealers.models import Dealer

from ..choices import REPAIR_TYPES_FOR_REPAIR_KPIS, Grouping, ScorecardStatus
from ..db_functions import EpochSeconds
from ..kpis import CATALOGUE
from ..kpis.base import HOUR
from ..kpis.groups import MEDIAN_KPIS, Figure, pool, rounded
from ..kpis.peers import peer_key
from ..kpis.repair_orders import Median
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
    """The repair cycle's median per group of every grouping, over the members' repair ROs."""
    month = period.month
    member_ids = {m.dealer_id for m in members}
    if not member_ids:
        return {}
    others = [pk for pk in Dealer.objects.values_list("pk", flat=True) if pk not in member_ids]
    qs = RepairOrder.objects.filter(
        closed_at__gte=month.start, closed_at__lt=month.end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
    ).exclude(dealer_id__in=others)
    seconds = EpochSeconds("closed_at") - EpochSeconds("opened_at")
    peers: dict[str, list[int]] = defaultdict(list)
    for m in members:
        if m.peer_key:
            peers[m.peer_key].append(m.dealer_id)
    text = CharField()
    keys: dict[str, Any] = {
        Grouping.NETWORK: Value("", output_field=text),
        Grouping.REGION: Cast(F("dealer__region_id"), text),
        Grouping.CITY_TIER: Cast(F("dealer__city_tier"), text),
        Grouping.PEER: Case(
            *(When(dealer_id__in=ids, then=Value(key)) for key, ids in sorted(peers.items())),
            default=Value(""),
            output_field=text,
        ),
    }
    code = next(iter(MEDIAN_KPIS))
    out: dict[tuple[str, str, str], Figure] = {}
    if connection.vendor == "postgresql":
        for grouping, key in keys.items():
            grouped = (
                qs.annotate(group_key=key).values("group_key").annotate(median=Median(seconds), n=Count("id"))
            )
            for row in grouped.order_by():
                if row["median"] is not None:
                    out[(code, grouping, row["group_key"])] = (float(row["median"]) / HOUR, row["n"])
        return out
    # Elsewhere (SQLite, the tests and the demo): the durations once, the medians in Python.
    import statistics

    place = {m.dealer_id: m.keys() for m in members}
    durations: dict[tuple[str, str], list[float]] = defaultdict(list)
    for dealer_id, value in (
        qs.annotate(cycle=seconds).values_list("dealer_id", "cycle").order_by().iterator()
    ):
        for grouping, key in place[dealer_id].items():
            durations[(grouping, key)].append(float(value))
    return {
        (code, grouping, key): (statistics.median(found) / HOUR, len(found))
        for (grouping, key), found in durations.items()
    }
