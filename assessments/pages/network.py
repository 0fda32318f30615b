"""The network page: every KPI of a group of dealers (the network, a region, a city tier, a peer
group) month by month, from the stored group figures only (services.group_figures), with the
same month a year earlier, the changes and the best month on record; the regions and city tiers
side by side for one KPI; and the drill from a group's figure to the dealers behind it.

Who sees which group: HQ every group; a regional manager only their regions (the network, city
tier and peer figures pool dealers of other regions, so they are HQ's); dealer users none.
"""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass, field
from typing import Any

from django.http import Http404, QueryDict
from django.utils.translation import gettext_lazy as _

from dealers.models import Region

from ..choices import Grouping
from ..kpis import BY_CODE, CATALOGUE, kpi_name
from ..kpis.groups import adds
from ..kpis.peers import VOLUME_BANDS
from ..models import AVERAGE_TOTAL, GroupFigure, GroupMember
from ..periods import Month
from ..scoring.catalogue import KpiDefinition

TREND_MONTHS = 24
CITY_TIERS = (1, 2, 3, 4, 5)
# Record highs for the volumes; every other KPI's best month follows its direction.
RECORD_HIGHS = frozenset({"repair_count", "repair_output_value"})


def kpi_label(kpi: KpiDefinition) -> str:
    return kpi_name(kpi.code)


def yoy_percent(value: float | None, last_year: float | None) -> float | None:
    """100 × (value − last year's) / last year's; empty where either is empty or last year's is 0."""
    if value is None or last_year is None or last_year == 0:
        return None
    return 100.0 * (value - last_year) / last_year


def change(value: float | None, before: float | None) -> float | None:
    return None if value is None or before is None else value - before


def best_of(kpi_code: str, values: dict[str, float | None]) -> str | None:
    """The month with the best value on record (the earliest of equal ones)."""
    known = [(code, v) for code, v in sorted(values.items()) if v is not None]
    if not known:
        return None
    kpi = BY_CODE.get(kpi_code)  # the average total is not a KPI: higher is better
    lower = kpi is not None and kpi_code not in RECORD_HIGHS and kpi.direction == "lower"
    best = min(known, key=lambda item: item[1]) if lower else max(known, key=lambda item: item[1])
    return best[0]


# --- groups the user may see -----------------------------------------------------------------


@dataclass(frozen=True)
class Group:
    """A group of dealers: its grouping, its key ("" for the network) and its label."""

    grouping: str
    key: str
    label: str

    @property
    def param(self) -> str:
        return self.grouping if self.grouping == Grouping.NETWORK else f"{self.grouping}:{self.key}"


def group_label(grouping: str, key: str, region_names: dict[str, str]) -> str:
    if grouping == Grouping.NETWORK:
        return str(_("Whole network"))
    if grouping == Grouping.REGION:
        return region_names.get(key, key)
    if grouping == Grouping.CITY_TIER:
        return str(_("City tier %(tier)s")) % {"tier": key}
    return str(_("Peer group %(key)s")) % {"key": key}


def visible_groups(user: Any) -> list[Group]:
    """The groups the user may see (one query: the regions), HQ's network first."""
    if user.is_hq:
        regions = list(Region.objects.order_by("name").values_list("pk", "name"))
    elif user.is_manager:
        regions = list(user.regions.order_by("name").values_list("pk", "name"))
    else:
        return []
    names = {str(pk): name for pk, name in regions}
    groups = [Group(Grouping.REGION, key, name) for key, name in names.items()]
    if not user.is_hq:
        return groups
    groups.insert(0, Group(Grouping.NETWORK, "", group_label(Grouping.NETWORK, "", names)))
    groups += [
        Group(Grouping.CITY_TIER, str(t), group_label(Grouping.CITY_TIER, str(t), names)) for t in CITY_TIERS
    ]
    groups += [
        Group(Grouping.PEER, f"{t}-{band}", group_label(Grouping.PEER, f"{t}-{band}", names))
        for t in CITY_TIERS
        for band, _lowest, _label in VOLUME_BANDS
    ]
    return groups


def pick_group(groups: list[Group], asked: str | None) -> Group:
    """The group asked for (404 when the user may not see it), else the first one."""
    if not groups:
        raise Http404
    if not asked:
        return groups[0]
    for group in groups:
        if group.param == asked:
            return group
    raise Http404


# --- the page --------------------------------------------------------------------------------


@dataclass
class KpiMonth:
    """One KPI of the group in one month, with its comparisons."""

    month: str
    value: float | None
    n: int
    previous: float | None
    last_year: float | None
    best: bool = False

    @property
    def change(self) -> float | None:
        return change(self.value, self.previous)

    @property
    def change_last_year(self) -> float | None:
        return change(self.value, self.last_year)

    @property
    def yoy_percent(self) -> float | None:
        return yoy_percent(self.value, self.last_year)


@dataclass
class KpiTrend:
    """A KPI's 24 months up to the chosen one (oldest first) and its best month on record."""

    code: str
    label: str
    unit: str
    direction: str
    months: list[KpiMonth]
    best_month: str | None
    best_value: float | None

    @property
    def current(self) -> KpiMonth:
        return self.months[-1]


@dataclass
class SideRow:
    """A region or city tier in the chosen month for the chosen KPI."""

    group: Group
    figure: KpiMonth
    dealers: int


@dataclass
class NetworkPage:
    groups: list[Group]
    group: Group
    months: list[str]  # the months with figures for the group, newest first
    month: str | None
    kpi: KpiDefinition
    trends: list[KpiTrend] = field(default_factory=list)
    average: KpiTrend | None = None
    side: list[SideRow] = field(default_factory=list)

    @property
    def chosen(self) -> KpiTrend | None:
        return next((t for t in self.trends if t.code == self.kpi.code), None)


def network_page(user: Any, params: QueryDict) -> NetworkPage:
    """The page for these parameters (group, month, kpi). Three queries whatever the number of
    months and dealers: the regions, the group's figures of every month, the side-by-side rows."""
    groups = visible_groups(user)
    group = pick_group(groups, params.get("group"))
    kpi = BY_CODE.get(params.get("kpi") or "") or BY_CODE.get("complaint_rate") or CATALOGUE[0]
    figures: dict[str, dict[str, tuple[float | None, int]]] = defaultdict(dict)
    for month, code, value, n in (
        GroupFigure.objects.for_user(user)
        .filter(grouping=group.grouping, group_key=group.key)
        .values_list("period__code", "kpi_code", "value", "n")
    ):
        figures[code][month] = (value, n)
    months = sorted({m for by_month in figures.values() for m in by_month}, reverse=True)
    asked = params.get("month")
    if asked and asked not in months:
        raise Http404
    month = asked or (months[0] if months else None)
    page = NetworkPage(groups, group, months, month, kpi)
    if month is None:
        return page
    window = [str(Month.parse(month).shift(-i)) for i in range(TREND_MONTHS - 1, -1, -1)]
    for code in [k.code for k in CATALOGUE] + [AVERAGE_TOTAL]:
        trend = _trend(code, figures.get(code, {}), window)
        if code == AVERAGE_TOTAL:
            page.average = trend
        else:
            page.trends.append(trend)
    page.side = _side(user, page, groups)
    return page


def _trend(code: str, by_month: dict[str, tuple[float | None, int]], window: list[str]) -> KpiTrend:
    def value(m: Month) -> float | None:
        return by_month.get(str(m), (None, 0))[0]

    rows = []
    last = window[-1]
    record = {m: v for m, (v, _n) in by_month.items() if m <= last}
    kpi = BY_CODE.get(code)
    best = best_of(code, record)
    for m in window:
        month = Month.parse(m)
        v, n = by_month.get(m, (None, 0))
        rows.append(KpiMonth(m, v, n, value(month.shift(-1)), value(month.shift(-12)), best == m))
    return KpiTrend(
        code,
        kpi_label(kpi) if kpi else str(_("Average total")),
        kpi.unit if kpi else "",
        kpi.direction if kpi else "higher",
        rows,
        best,
        None if best is None else record.get(best),
    )


def _side(user: Any, page: NetworkPage, groups: list[Group]) -> list[SideRow]:
    """The chosen KPI of the regions and city tiers the user may see, in the chosen month."""
    assert page.month is not None
    month = Month.parse(page.month)
    wanted = {str(month), str(month.shift(-1)), str(month.shift(-12))}
    shown = [g for g in groups if g.grouping in (Grouping.REGION, Grouping.CITY_TIER)]
    found: dict[tuple[str, str], dict[str, tuple[float | None, int, int]]] = defaultdict(dict)
    rows = GroupFigure.objects.for_user(user).filter(
        grouping__in=[Grouping.REGION, Grouping.CITY_TIER], kpi_code=page.kpi.code, period__code__in=wanted
    )
    for grouping, key, code, value, n, dealers in rows.values_list(
        "grouping", "group_key", "period__code", "value", "n", "dealers"
    ):
        found[(grouping, key)][code] = (value, n, dealers)
    out = []
    for group in shown:
        by_month = found.get((group.grouping, group.key), {})
        value, n, dealers = by_month.get(str(month), (None, 0, 0))
        out.append(
            SideRow(
                group,
                KpiMonth(
                    str(month),
                    value,
                    n,
                    by_month.get(str(month.shift(-1)), (None, 0, 0))[0],
                    by_month.get(str(month.shift(-12)), (None, 0, 0))[0],
                ),
                dealers,
            )
        )
    return out


# --- the drill -------------------------------------------------------------------------------


@dataclass
class DrillRow:
    """A dealer behind a group's figure: its own value and n, and what it adds to the figure."""

    code: str
    name: str
    value: float | None
    n: int
    adds: float | None
    share: float | None  # its share of the group's n


@dataclass
class Drill:
    group: Group
    month: str
    kpi: KpiDefinition
    value: float | None
    n: int
    rows: list[DrillRow]


def network_drill(user: Any, params: QueryDict) -> Drill:
    """The dealers behind a group's KPI in a month, largest contribution first (two queries:
    the group's stored figure, its stored members in the user's scope)."""
    groups = visible_groups(user)
    group = pick_group(groups, params.get("group"))
    kpi = BY_CODE.get(params.get("kpi") or "")
    month = params.get("month") or ""
    if kpi is None:
        raise Http404
    try:
        Month.parse(month)
    except ValueError as exc:
        raise Http404 from exc
    figure = (
        GroupFigure.objects.for_user(user)
        .filter(period__code=month, grouping=group.grouping, group_key=group.key, kpi_code=kpi.code)
        .first()
    )
    if figure is None:
        raise Http404
    members = GroupMember.objects.for_user(user).filter(period__code=month)
    if group.grouping == Grouping.REGION:
        members = members.filter(region_id=int(group.key))
    elif group.grouping == Grouping.CITY_TIER:
        members = members.filter(city_tier=int(group.key))
    elif group.grouping == Grouping.PEER:
        members = members.filter(peer_key=group.key)
    rows = []
    # Only this KPI's [value, n] out of each member's figures (a JSON key; the code is a known KPI's).
    for code, name, own in members.values_list("dealer__code", "dealer__name", f"figures__{kpi.code}"):
        value, n = own or (None, 0)
        n = int(n)
        rows.append(
            DrillRow(
                code,
                name,
                None if value is None else round(value, 4),
                n,
                adds(kpi.code, (figure.value, figure.n), (value, n)),
                100.0 * n / figure.n if figure.n and value is not None else None,
            )
        )
    rows.sort(key=lambda r: (r.adds is None, -(r.adds or 0), r.code))
    return Drill(group, month, kpi, figure.value, figure.n, rows)
