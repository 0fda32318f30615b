"""The statistics every detector shares: pure functions over plain numbers, no ORM, no scipy.

- **Binomial upper tail** P(X ≥ k) for X ~ Binomial(n, p), exact: the first term from
  log-gamma, the rest by the ratio recurrence t(j+1) = t(j)·(n−j)/(j+1)·p/(1−p), summed until
  the terms no longer change the sum; the lower tail instead when k is below the mean, so the
  sum is always over decreasing terms. Returned as a natural log too, since p-values of real
  findings underflow a float (severity is −log10 p).
- **Empirical-Bayes shrinkage with a funnel-plot standardisation**: the values of a group
  spread for two reasons, real differences between dealers (variance τ²) and the noise of
  a value resting on n records (variance σ²/n). Both are estimated robustly from the group
  (the median absolute deviation of its smaller-sample half and of its larger-sample half
  give two equations). A value x is then pulled toward the group median m as m + w·(x − m)
  with w = τ² / (τ² + σ²/n) = n / (n + k), k = σ²/τ² — a value on few records says little,
  so it moves toward what its group usually shows — and judged by z = (x − m) / √(τ² + σ²/n),
  the shrunk value's distance from the median in units of its own standard deviation. So a
  small sample needs a larger gap to count, and a large dealer is not held to a spread that
  only small samples have.
- **Modified z-score** (Iglewicz & Hoaglin 1993): 0.6745·(x − median) / MAD, where MAD is
  the median absolute deviation; with MAD = 0 (more than half the group equal), the mean
  absolute deviation scaled by 1.253314 instead. Robust: outliers do not inflate the scale
  that is meant to expose them.
- **Individuals (XmR) control chart**: centre = mean of the baseline values, MR̄ = mean of
  the absolute differences of consecutive baseline values, σ̂ = MR̄ / 1.128 (d2 for ranges of
  two), limits = centre ± sigma·σ̂ (sigma 3 gives the textbook ± 2.66·MR̄).
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Sequence
from dataclasses import dataclass
from decimal import Decimal
from typing import TypeVar

D2 = 1.128  # E[|X1 − X2|] / σ for two independent normal values (control-chart constant d2)
MAD_SCALE = 0.6745  # Φ⁻¹(0.75): MAD / 0.6745 estimates σ for normal data
MEAN_AD_SCALE = 1.253314  # √(π/2): mean absolute deviation × 1.2533 estimates σ for normal data
CHI2_1_MEDIAN = 0.454936  # the median of χ² with one degree of freedom
LN10 = math.log(10)
MAX_SEVERITY = 300.0  # −log10 of a p-value too small to matter (and to print)
_NEGLIGIBLE = 1e-17
Number = TypeVar("Number", int, float, Decimal)


def _log_binomial_term(j: int, n: int, p: float) -> float:
    """log P(X = j) for X ~ Binomial(n, p), 0 < p < 1."""
    return (
        math.lgamma(n + 1)
        - math.lgamma(j + 1)
        - math.lgamma(n - j + 1)
        + j * math.log(p)
        + (n - j) * math.log1p(-p)
    )


def _log_tail_from(start: int, stop: int, step: int, n: int, p: float) -> float:
    """log of Σ P(X = j) for j = start, start+step, … up to stop (inclusive), the terms
    decreasing from `start` on (the caller starts at the side of the mode)."""
    log_first = _log_binomial_term(start, n, p)
    odds = p / (1.0 - p)
    total, term, j = 1.0, 1.0, start
    while j != stop:
        # ratio P(X = j + step) / P(X = j)
        term *= (n - j) / (j + 1) * odds if step == 1 else j / (n - j + 1) / odds
        j += step
        total += term
        if term < total * _NEGLIGIBLE:
            break
    return log_first + math.log(total)


def binomial_log_sf(k: int, n: int, p: float) -> float:
    """log P(X ≥ k) for X ~ Binomial(n, p): the natural log of the exact upper-tail p-value."""
    if k <= 0 or p >= 1.0:
        return 0.0
    if k > n or p <= 0.0:
        return -math.inf
    mode = math.floor((n + 1) * p)
    if k > mode:  # terms decrease from k upwards
        return min(0.0, _log_tail_from(k, n, 1, n, p))
    # k at or below the mode: P(X ≥ k) = 1 − P(X ≤ k − 1), the lower tail decreasing downwards
    lower = math.exp(_log_tail_from(k - 1, 0, -1, n, p))
    return math.log1p(-lower) if lower < 1.0 else -math.inf


def binomial_sf(k: int, n: int, p: float) -> float:
    """P(X ≥ k) for X ~ Binomial(n, p)."""
    return math.exp(binomial_log_sf(k, n, p))


def severity_of(log_p: float) -> float:
    """−log10 of a p-value given as a natural log, capped (a p-value of 0.001 is severity 3)."""
    if log_p == -math.inf:
        return MAX_SEVERITY
    return min(MAX_SEVERITY, max(0.0, -log_p / LN10))


def bonferroni(alpha: float, tests: int) -> float:
    """The per-test level that keeps the chance of any false finding among `tests` ≤ alpha."""
    return alpha / max(1, tests)


def robust_sd(deviations: Sequence[float]) -> float:
    """A robust σ from deviations around a centre: median |d| / 0.6745, or 1.253314 × the mean
    |d| when more than half are zero (0.0 when all are)."""
    absolute = [abs(d) for d in deviations]
    mad = statistics.median(absolute)
    if mad > 0:
        return mad / MAD_SCALE
    return MEAN_AD_SCALE * sum(absolute) / len(absolute)


@dataclass(frozen=True)
class GroupSpread:
    """A group's median and the two parts of its spread: between dealers (τ²) and the noise of
    one record (σ²; a value on n records has noise σ²/n)."""

    median: float
    between: float  # τ²
    within: float  # σ²

    def sd(self, n: float) -> float:
        """The standard deviation of a member's value resting on n records: √(τ² + σ²/n)."""
        return math.sqrt(self.between + self.within / n)

    def weight(self, n: float) -> float:
        """The empirical-Bayes weight τ² / (τ² + σ²/n) its own value keeps against the median."""
        total = self.between + self.within / n
        return self.between / total if total > 0 else 0.0

    @property
    def k(self) -> float | None:
        """The records the median is worth (σ²/τ²: w = n/(n + k)); None when τ² = 0 (all noise)."""
        return self.within / self.between if self.between > 0 else None

    def shrunk(self, value: float, n: float) -> float:
        return self.median + self.weight(n) * (value - self.median)

    def z(self, value: float, n: float) -> float:
        return (value - self.median) / self.sd(n)


def group_spread(points: Sequence[tuple[float, int]], share_scale: float | None = None) -> GroupSpread | None:
    """The median and robust variance parts of a group of (value, n) points, or None when the
    values do not vary.

    With v = robust variance and h = median of 1/n in the half of smaller samples (L) and of
    larger ones (U), v = τ² + σ²·h gives σ² = (v_L − v_U)/(h_L − h_U) (at least 0; 0 when every
    n is the same). For a share — `share_scale` 100 for a percentage, 1000 for per mille — one
    record's noise is at least binomial, σ² ≥ p(1 − p)·scale² at the median share p, so a rate
    on three records never looks precise. Then τ² = v_U − σ²·h_U (the plain robust variance
    when every n is the same), at least 0; if it comes out 0 the spread is all noise and σ² is
    at least the median of (x − m)²·n over 0.4549 (the median of χ² with one degree of freedom).
    """
    if len(points) < 2:
        return None
    median = statistics.median(x for x, _n in points)
    ordered = sorted(points, key=lambda p: p[1])
    smaller, larger = ordered[: len(ordered) // 2], ordered[len(ordered) // 2 :]
    h_small = statistics.median(1 / n for _x, n in smaller)
    h_large = statistics.median(1 / n for _x, n in larger)
    v_large = robust_sd([x - median for x, _n in larger]) ** 2
    within = 0.0
    if h_small > h_large:
        v_small = robust_sd([x - median for x, _n in smaller]) ** 2
        within = max(0.0, (v_small - v_large) / (h_small - h_large))
    else:
        v_large, h_large = robust_sd([x - median for x, _n in points]) ** 2, h_small
    if share_scale:
        p = min(1.0, max(0.0, median / share_scale))
        within = max(within, p * (1 - p) * share_scale**2)
    between = max(0.0, v_large - within * h_large)
    if between == 0:
        within = max(within, statistics.median((x - median) ** 2 * n for x, n in points) / CHI2_1_MEDIAN)
    if between <= 0 and within <= 0:
        return None
    return GroupSpread(median, between, within)


@dataclass(frozen=True)
class RobustScale:
    """A group's centre (median) and robust spread, to express a value as a modified z-score."""

    median: float
    scale: float  # the denominator: MAD / 0.6745, or 1.253314 × mean absolute deviation
    mad: float

    def z(self, value: float) -> float:
        return (value - self.median) / self.scale


def robust_scale(values: Sequence[float]) -> RobustScale | None:
    """Median and robust σ estimate of the values (None when they do not vary at all)."""
    if not values:
        return None
    median = statistics.median(values)
    deviations = [v - median for v in values]
    scale = robust_sd(deviations)
    if scale <= 0:
        return None
    return RobustScale(median, scale, statistics.median(abs(d) for d in deviations))


def modified_z(value: float, values: Sequence[float]) -> float | None:
    """Iglewicz–Hoaglin modified z-score of `value` within `values` (None without spread)."""
    scale = robust_scale(values)
    return None if scale is None else scale.z(value)


def normal_sf(z: float) -> float:
    """P(Z > z) for a standard normal Z (the false-alarm rate of a one-sided z cut-off)."""
    return 0.5 * math.erfc(z / math.sqrt(2.0))


@dataclass(frozen=True)
class ControlChart:
    """An individuals chart's centre line and limits, from the baseline values."""

    centre: float
    mr_bar: float
    sigma_hat: float
    lower: float
    upper: float
    points: int


def control_chart(baseline: Sequence[float], sigma: float) -> ControlChart | None:
    """Centre, mean moving range and limits centre ± sigma·MR̄/1.128 of an XmR chart (None
    with fewer than two points, or when the baseline never moved: no scale to judge by)."""
    if len(baseline) < 2:
        return None
    centre = sum(baseline) / len(baseline)
    ranges = [abs(b - a) for a, b in zip(baseline, baseline[1:], strict=False)]
    mr_bar = sum(ranges) / len(ranges)
    if mr_bar <= 0:
        return None
    sigma_hat = mr_bar / D2
    return ControlChart(
        centre, mr_bar, sigma_hat, centre - sigma * sigma_hat, centre + sigma * sigma_hat, len(baseline)
    )


def beyond_limit(value: float, chart: ControlChart, higher_is_better: bool) -> bool:
    """Rule 1, bad side only: below the lower limit for a KPI where higher is better, else above."""
    return value < chart.lower if higher_is_better else value > chart.upper


def run_on_bad_side(values: Sequence[float], centre: float, higher_is_better: bool, length: int) -> bool:
    """The last `length` values all on the bad side of the centre line (a run rule)."""
    if length <= 0 or len(values) < length:
        return False
    tail = values[-length:]
    return all(v < centre for v in tail) if higher_is_better else all(v > centre for v in tail)


def quantile_disc(counted: Sequence[tuple[Number, int]], q: float) -> Number:
    """The smallest value whose cumulative share is at least q (SQL's percentile_disc), over
    (value, how many times) pairs in any order."""
    pairs = sorted(counted, key=lambda pair: pair[0])
    total = sum(n for _v, n in pairs)
    if total <= 0:
        raise ValueError("no values")
    rank = max(1, math.ceil(q * total))
    seen = 0
    for value, n in pairs:
        seen += n
        if seen >= rank:
            return value
    return pairs[-1][0]
