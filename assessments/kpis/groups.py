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
