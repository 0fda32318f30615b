"""Network, regional and group figures (scoring.md → "Network, regional and group figures").

A group's KPI for a period is the KPI's own formula over the pooled records of the group's
dealers that have a scorecard in the period — not a mean of the dealers' values: the same
grouped queries as a dealer's figures (`kpi_measurements`), grouped by the group's key.
Values are rounded like a dealer's KPI values (4 decimals, half up).
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from ..models import Scorecard
from ..periods import Month
from ..scoring.rounding import round_half_up
from . import CATALOGUE, kpi_measurements

# The groupings of the network: the key each groups the records by (None: one group).
GROUPINGS: dict[str, str | None] = {
    "network": None,
    "region": "dealer__region_id",
    "city_tier": "dealer__city_tier",
}


@dataclass(frozen=True)
class GroupFigure:
    """One KPI of one group and month: the pooled value (rounded) and its sample size."""

    kpi_code: str
    value: float | None
    n: int


def group_figures(month: Month, grouping: str) -> dict[Any, dict[str, GroupFigure]]:
    """Every catalogue KPI for each group of `grouping` in the month (network: key 0).

    One grouped query per KPI family whatever the number of dealers; only dealers with a
    scorecard in the period count.
    """
    dealers = Scorecard.objects.filter(period__code=str(month)).values("dealer_id")
    by = GROUPINGS[grouping]
    measured = kpi_measurements(month, dealers, by=by)
    out: dict[Any, dict[str, GroupFigure]] = {}
    for found, m in measured.items():
        key = 0 if by is None else found
        figures = {}
        for kpi in CATALOGUE:
            value, n = m.values.get(kpi.code, (None, 0))
            rounded = round_half_up(value, 4)
            figures[kpi.code] = GroupFigure(kpi.code, None if rounded is None else float(rounded), n)
        out[key] = figures
    return out


# --- pooling stored dealer figures -----------------------------------------------------------
#
# Every KPI but the median and the two sums is a mean weighted by its sample size: the value is
# Σ numerator / n, with n the pooled denominator (deliveries for the complaint rate, technicians
# for the certified-staff rate, answers for a survey factor...). So a group's value is the
# n-weighted mean of its dealers' unrounded values, exactly what the grouped query over the pooled
# records gives (tests/assessments/test_group_figures.py checks it per family). The sums add up;
# the median needs the records (one grouped query per grouping at recompute, `MEDIAN_KPIS`).
SUM_KPIS = frozenset({"repair_count", "repair_output_value"})
MEDIAN_KPIS = frozenset({"repair_cycle_hours"})

Figure = tuple[float | None, int]  # (unrounded value, n)


def pool(kpi_code: str, figures: list[Figure]) -> Figure:
    """A group's (value, n) from its dealers' (value, n) for a sum or weighted-mean KPI."""
    n = sum(count for value, count in figures if value is not None)
    if n == 0:
        return None, 0
    if kpi_code in SUM_KPIS:
        return sum(value for value, count in figures if value is not None and count), n
    return sum(value * count for value, count in figures if value is not None) / n, n


def rounded(value: float | None) -> float | None:
    """A figure as stored and shown: 4 decimals, half up."""
    found = round_half_up(value, 4)
    return None if found is None else float(found)


def adds(kpi_code: str, group: Figure, dealer: Figure) -> float | None:
    """What a dealer adds to its group's figure (the drill sorts by it, largest first).

    Sums: the dealer's own value (its share of the sum). Weighted means: the group's value minus
    its value without the dealer, = n_d × (v_d − G) / (N − n_d); a dealer that is the whole group
    adds its value. The median: the same formula with the dealer's median, an approximation (the
    median without the dealer would need the records). Empty where either value is empty.
    """
    group_value, group_n = group
    value, n = dealer
    if group_value is None or value is None or not n:
        return None
    if kpi_code in SUM_KPIS:
        return value
    rest = group_n - n
    if rest <= 0:
        return value
    return n * (value - group_value) / rest
