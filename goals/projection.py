"""The arithmetic of goals: targets, a month's status and the month-to-date projection.

Pure functions over plain numbers (no ORM), testable in microseconds; the selectors load
the figures and call them. The method is written out in `PROJECTION_METHOD` for the page.

Status of a month (comparator ≤ for a KPI where lower is better, ≥ where higher is):
- an ended month: **met** when the actual satisfies the target (equal counts as met),
  **missed** when not, **no data** when the actual or the target is empty;
- the month in progress: the projection to the month's end with a 95 % interval
  [low, high]; **at risk** when the interval's unfavourable end misses the target
  (for ≤: high > target; for ≥: low < target) — which covers a projection on the wrong
  side of the target and a target inside the interval — else **on track**; **no data**
  when nothing has been measured yet (n = 0) or the target is empty;
- a month not started: **upcoming**.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from typing import Literal

from django.utils.translation import gettext_lazy as _

from .choices import Comparator, MonthStatus

Measure = Literal["count", "sum", "proportion", "per_mille", "mean", "median"]
Z95 = 1.959964

# KPIs that add up over the month (paced by elapsed days); every other KPI is a rate or a mean.
COUNTS = frozenset({"repair_count"})
SUMS = frozenset({"repair_output_value"})
MEDIANS = frozenset({"repair_cycle_hours"})

PROJECTION_METHOD = _(
    "Month in progress: counts and sums (repair count, repair output value) are paced by elapsed "
    "days: projection = month-to-date value × days in the month / elapsed days; rates and means "
    "are projected as they stand. The interval (95 per cent): Poisson (Byar) for counts and for the "
    "complaint rate per 1,000 ROs, the count's relative error for sums, Wilson for percentages, "
    "normal (value ± 1.96 · s / √n) for means and medians, s estimated from the spread of the "
    "group's dealers (none for one dealer). A goal is at risk when the interval's unfavourable end "
    "misses the target (for ≤: its upper end is above the target; for ≥: its lower end is below "
    "it), on track otherwise."
)


def measure_of(code: str, unit: str) -> Measure:
    """How a KPI behaves over a month: added up (count, sum) or a rate or mean of its sample."""
    if code in COUNTS:
        return "count"
    if code in SUMS:
        return "sum"
    if code in MEDIANS:
        return "median"
    if unit == "%":
        return "proportion"
    if unit == "‰":
        return "per_mille"
    return "mean"


def comparator_for(direction: str) -> str:
    """The comparator a KPI's direction implies: lower is better → ≤, higher is better → ≥."""
    return Comparator.AT_MOST if direction == "lower" else Comparator.AT_LEAST


def change_target(last_year: float | None, change_pct: float) -> float | None:
    """A change goal's target: last year's value × (1 + change); empty without last year's value."""
    if last_year is None:
        return None
    return last_year * (1 + change_pct / 100)


def satisfies(value: float, target: float, comparator: str) -> bool:
    return value <= target if comparator == Comparator.AT_MOST else value >= target


def ended_status(actual: float | None, target: float | None, comparator: str) -> str:
    """Met or missed for a month that has ended; no data when either side is empty."""
    if actual is None or target is None:
        return MonthStatus.NO_DATA
    return MonthStatus.MET if satisfies(actual, target, comparator) else MonthStatus.MISSED


@dataclass(frozen=True)
class Projection:
    """The month-to-date figure carried to the month's end, with its 95 % interval."""

    value: float
    low: float
    high: float


def wilson(p: float, n: int, z: float = Z95) -> tuple[float, float]:
    """Wilson score interval of a proportion p (0..1) from n trials."""
    if n <= 0:
        return (0.0, 1.0)
    denominator = 1 + z * z / n
    centre = (p + z * z / (2 * n)) / denominator
    half = z * math.sqrt(p * (1 - p) / n + z * z / (4 * n * n)) / denominator
    return (max(0.0, centre - half), min(1.0, centre + half))


def poisson(k: float, z: float = Z95) -> tuple[float, float]:
    """Byar's approximation of the 95 % interval of a Poisson count k."""
    low = 0.0 if k <= 0 else k * (1 - 1 / (9 * k) - z / (3 * math.sqrt(k))) ** 3
    k1 = k + 1
    high = k1 * (1 - 1 / (9 * k1) + z / (3 * math.sqrt(k1))) ** 3
    return (max(0.0, low), high)


def project(
    measure: Measure,
    value: float,
    n: int,
    *,
    elapsed_days: float,
    days_in_month: int,
    spread: float | None = None,
) -> Projection:
    """The projection of a month-to-date `value` (sample size n) to the month's end.

    `spread` is the estimated standard deviation of one record, for means and medians;
    without it their interval is the value itself."""
    if measure in ("count", "sum"):
        pace = days_in_month / max(elapsed_days, 1e-9)
        projected = value * pace
        if measure == "count":
            low, high = poisson(value)
            return Projection(projected, low * pace, high * pace)
        relative = Z95 / math.sqrt(n) if n > 0 else 1.0
        return Projection(projected, max(0.0, projected * (1 - relative)), projected * (1 + relative))
    if measure == "proportion":
        low, high = wilson(value / 100, n)
        return Projection(value, low * 100, high * 100)
    if measure == "per_mille":
        events = value * n / 1000
        low, high = poisson(events)
        return Projection(value, 1000 * low / n if n else 0.0, 1000 * high / n if n else math.inf)
    half = Z95 * spread / math.sqrt(n) if spread is not None and n > 0 else 0.0
    return Projection(value, value - half, value + half)


def in_progress_status(projection: Projection | None, target: float | None, comparator: str) -> str:
    """On track or at risk for the month in progress (see the module's docstring)."""
    if projection is None or target is None:
        return MonthStatus.NO_DATA
    if comparator == Comparator.AT_MOST:
        return MonthStatus.AT_RISK if projection.high > target else MonthStatus.ON_TRACK
    return MonthStatus.AT_RISK if projection.low < target else MonthStatus.ON_TRACK


def pooled_spread(values: list[tuple[float, int]]) -> float | None:
    """The standard deviation of one record estimated from dealers' means and sample sizes:
    s² = Σ nᵢ (mᵢ − m̄)² / (k − 1), m̄ the pooled mean (the between-dealer mean square, which
    overstates s where dealers truly differ, so the interval errs on the wide side).
    None for fewer than two dealers."""
    usable = [(m, n) for m, n in values if n > 0]
    if len(usable) < 2:
        return None
    total = sum(n for _m, n in usable)
    mean = sum(m * n for m, n in usable) / total
    return math.sqrt(sum(n * (m - mean) ** 2 for m, n in usable) / (len(usable) - 1))
