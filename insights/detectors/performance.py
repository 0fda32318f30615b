"""Dealer performance: far from its peers on a KPI, and a KPI breaking its own trend.

Both read the KPI values the recompute stored per dealer and month (GroupMember.figures:
{kpi: [value, n]}), never the raw records again. The volume KPIs (`kpi_excluded`) are left
out: the peer group is made of volume, and volume follows the season.

**Far from its peers.** Within each peer group (same city tier and volume band) and KPI:
1. The group's spread is split into real differences between dealers (τ²) and the noise of
   a value resting on n records (σ²/n), both estimated robustly (median absolute deviations
   of the group's smaller-sample and larger-sample halves; see stats.group_spread). For a
   share (% or ‰) one record's noise is at least binomial, p(1 − p) at the median share.
2. Shrinkage for small samples (empirical Bayes): a value x is pulled toward the peer median
   m as m + w·(x − m), w = τ²/(τ² + σ²/n) = n/(n + k) with k = σ²/τ² records. A value on a
   handful of records moves most of the way to the median; one on many stays put.
3. Its distance in units of its own standard deviation, z = (x − m)/√(τ² + σ²/n) (a funnel
   plot with over-dispersion): so a dealer is never "far" because of a handful of records,
   and a large dealer is not judged by a spread only small samples have.
4. Reported beyond `peer_z` (4.0) on the bad side only (KpiDefinition.direction), in groups of
   at least `peer_min_dealers` (20). For normal values the chance is 3.2e-5 per dealer-KPI
   pair; the group's spread being itself estimated from ~100 dealers raises it: measured on a
   simulated stable network (20 groups of 100, 18 KPIs, `test_false_alarms`), about 1 in
   6,000 pairs, ~6 false alarms a month over 2,000 dealers (~15 at 3.5).
   Why not one common robust scale over values shrunk with a fixed k: simulated, that gave
   26–115 false alarms a month at 3.5, depending on how much dealers really differ.

**Breaking its own trend.** An individuals (XmR) chart per dealer and KPI over the last
`trend_months` months: centre = mean of the previous months' values, MR̄ = their mean moving
range, σ̂ = MR̄/1.128, limits = centre ± `trend_sigma`·σ̂. Rule 1: this month beyond the limit
on the bad side. Months whose value rests on fewer than `trend_min_n` records are left out;
at least `trend_min_baseline` previous months are needed. Optionally (`trend_run_length`
> 0) also a run of that many months on the bad side of the centre line.
Why 5σ̂ and not the textbook 3σ (2.66·MR̄): limits estimated from 11 points are uncertain;
simulated, a stable normal series crosses the 3σ̂ bad-side limit in 1.06 % of months (~380
false alarms a month over 36,000 charts) and the 5σ̂ one in 0.07–0.09 % (~25–35).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping, Sequence
from typing import Any

from assessments.kpis import BY_CODE
from assessments.periods import Month

from .. import conf, sources
from ..choices import FindingKind
from ..drafts import EVIDENCE_CAP, Draft
from .stats import beyond_limit, control_chart, group_spread, run_on_bad_side

Point = tuple[int, float, int]  # (dealer id, value, n)
# KPIs that are shares of their records: one record's noise is at least binomial.
SHARE_SCALES = {"%": 100.0, "‰": 1000.0}


def _kpis(settings: Mapping[str, Any]) -> list[str]:
    excluded = set(settings["kpi_excluded"])
    return [code for code in BY_CODE if code not in excluded]


def _higher_is_better(kpi: str) -> bool:
    return BY_CODE[kpi].direction == "higher"


def _figure(figures: Mapping[str, Any], kpi: str) -> tuple[float, int] | None:
    """The KPI's (value, n) from stored figures; None without a value or records."""
    pair = figures.get(kpi)
    if not pair or pair[0] is None or not pair[1]:
        return None
    return float(pair[0]), int(pair[1])


# --- far from peers ------------------------------------------------------------------------


def peer_group_outliers(
    kpi: str, peer_key: str, points: Sequence[Point], month: str, settings: Mapping[str, Any]
) -> list[Draft]:
    """The dealers of one peer group far from it on one KPI, on the bad side."""
    if len(points) < settings["peer_min_dealers"]:
        return []
    spread = group_spread([(v, n) for _d, v, n in points], SHARE_SCALES.get(BY_CODE[kpi].unit))
    if spread is None:
        return []
    threshold = settings["peer_z"]
    higher = _higher_is_better(kpi)
    peers = sorted(d for d, _v, _n in points)
    drafts = []
    for dealer_id, value, n in points:
        z = spread.z(value, n)
        if (z > -threshold) if higher else (z < threshold):
            continue
        k = spread.k
        figures = {
            "value": value,
            "n": n,
            "shrunk": round(spread.shrunk(value, n), 4),
            "weight": round(spread.weight(n), 4),
            "k": None if k is None else round(k, 1),
            "peer_median": round(spread.median, 4),
            "between_sd": round(math.sqrt(spread.between), 4),
            "within_sd": round(math.sqrt(spread.within), 4),
            "sd": round(spread.sd(n), 4),
            "z": round(z, 2),
            "threshold": threshold,
            "peers": len(points),
            "peer_key": peer_key,
        }
        evidence: dict[str, list[Any]] = {
            "dealers": [d for d in peers if d != dealer_id][:EVIDENCE_CAP],
            "months": [month],
        }
        drafts.append(Draft(FindingKind.PEER_OUTLIER.value, kpi, dealer_id, month, abs(z), figures, evidence))
    return drafts


def peer_outliers(
    rows: Sequence[sources.MemberRow], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Every dealer far from its peers on a KPI in the month (pure: stored figures in)."""
    label = str(month)
    groups: dict[tuple[str, str], list[Point]] = defaultdict(list)
    kpis = _kpis(settings)
    for row in rows:
        if row.month != label or not row.peer_key:
            continue
        for kpi in kpis:
            figure = _figure(row.figures, kpi)
            if figure is not None:
                groups[(kpi, row.peer_key)].append((row.dealer_id, *figure))
    drafts = []
    for (kpi, peer_key), points in sorted(groups.items()):
        drafts.extend(peer_group_outliers(kpi, peer_key, points, label, settings))
    return drafts


def peer_outlier(month: Month) -> list[Draft]:
    """Detector: one query for the month's stored figures, then the statistics."""
    return peer_outliers(sources.kpi_members([month]), month, conf.current())


# --- breaking its own trend ----------------------------------------------------------------


def chart_months(month: Month, settings: Mapping[str, Any]) -> list[Month]:
    """The months of the chart, oldest first, ending with `month`."""
    return [month.shift(-i) for i in range(settings["trend_months"] - 1, -1, -1)]


def series_break(
    kpi: str,
    dealer_id: int,
    series: Sequence[tuple[str, float, int]],
    month: str,
    settings: Mapping[str, Any],
) -> Draft | None:
    """The trend finding of one dealer's KPI series [(month, value, n)…] ending in `month`,
    or None when the month is within its limits (or the series too short to judge)."""
    usable = [(m, v, n) for m, v, n in series if n >= settings["trend_min_n"]]
    if not usable or usable[-1][0] != month:
        return None
    baseline = usable[:-1]
    if len(baseline) < settings["trend_min_baseline"]:
        return None
    chart = control_chart([v for _m, v, _n in baseline], settings["trend_sigma"])
    if chart is None:
        return None
    _m, value, n = usable[-1]
    higher = _higher_is_better(kpi)
    values = [v for _m, v, _n in usable]
    # Beyond the limit, and a move big enough to act on (trend_min_change of the centre line).
    rule_1 = beyond_limit(value, chart, higher) and abs(value - chart.centre) >= settings[
        "trend_min_change"
    ] * abs(chart.centre)
    run = run_on_bad_side(values, chart.centre, higher, settings["trend_run_length"])
    if not (rule_1 or run):
        return None
    z = (value - chart.centre) / chart.sigma_hat
    figures = {
        "value": value,
        "n": n,
        "centre": round(chart.centre, 4),
        "limit": round(chart.lower if higher else chart.upper, 4),
        "lower": round(chart.lower, 4),
        "upper": round(chart.upper, 4),
        "mr_bar": round(chart.mr_bar, 4),
        "sigma_hat": round(chart.sigma_hat, 4),
        "sigma": settings["trend_sigma"],
        "z": round(z, 2),
        "baseline_months": chart.points,
        "rule": "limit" if rule_1 else "run",
    }
    evidence = {"months": [m for m, _v, _n in usable]}
    return Draft(FindingKind.TREND_BREAK.value, kpi, dealer_id, month, abs(z), figures, evidence)


def trend_breaks(rows: Sequence[sources.MemberRow], month: Month, settings: Mapping[str, Any]) -> list[Draft]:
    """Every dealer KPI beyond its own control limit this month (pure: stored figures in)."""
    months = [str(m) for m in chart_months(month, settings)]
    order = {m: i for i, m in enumerate(months)}
    by_dealer: dict[int, list[sources.MemberRow]] = defaultdict(list)
    for row in rows:
        if row.month in order:
            by_dealer[row.dealer_id].append(row)
    kpis = _kpis(settings)
    drafts = []
    for dealer_id, dealer_rows in sorted(by_dealer.items()):
        dealer_rows.sort(key=lambda r: order[r.month])
        if dealer_rows[-1].month != months[-1]:
            continue
        for kpi in kpis:
            series = [(r.month, *f) for r in dealer_rows if (f := _figure(r.figures, kpi)) is not None]
            draft = series_break(kpi, dealer_id, series, months[-1], settings)
            if draft is not None:
                drafts.append(draft)
    return drafts


def trend_break(month: Month) -> list[Draft]:
    """Detector: one query for the chart months' stored figures, then the statistics."""
    settings = conf.current()
    return trend_breaks(sources.kpi_members(chart_months(month, settings)), month, settings)
