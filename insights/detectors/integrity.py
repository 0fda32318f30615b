"""Data that looks manufactured: round timestamps, repair cycles without spread, survey bursts.

- **Round timestamps.** Over the opened and closed times of a dealer's orders closed in the
  month (local time), the count x of timestamps whose minute is a multiple of
  `round_minute_step` (15: :00, :15, :30, :45) among n. A clock stamping real events hits those
  minutes by chance 4 times in 60; the expected share p0 is that, or the network's median
  share if higher (appointments on the hour are real). Exact binomial upper tail P(X ≥ x) for
  X ~ Binomial(n, p0), reported at p ≤ `dealer_family_alpha` / (dealers tested) (Bonferroni:
  ≤ 0.05 false findings a month) with a share at least `round_min_ratio` × p0. Dealers with
  fewer than `round_min_timestamps` timestamps are not tested.
- **Repair cycles without spread.** Per dealer, the repair and warranty orders closed in the
  month (the repair cycle KPI's orders): mean and standard deviation of (closed − opened)
  from exact sums of whole seconds, and their coefficient of variation CV = sd / mean (a
  spread that does not depend on how long repairs take). Real cycle times vary widely; typed
  in, they repeat. The CV's modified z-score among the network's dealers (Iglewicz–Hoaglin)
  below −`flat_cycle_z` (3.5; for normal values 2.3e-4 by chance, ~0.5 a month over 2,000
  dealers) *and* a CV at most `flat_cycle_max_cv_ratio` (half) of the network's median. Dealers
  with fewer than `flat_cycle_min_orders` orders are not tested.
- **Survey bursts.** The survey integrity check flags every top score that lies, with at least
  4 others, within 10 minutes at one dealer (surveys.services, FlagKind.BURST). A dealer with
  at least `survey_burst_min_flagged` such responses of the month whose flags HQ has not
  reviewed and kept is reported: the detector joins those flags, it does not test again.
"""

from __future__ import annotations

import math
import statistics
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from assessments.periods import Month
from surveys.services import BURST_SIZE, BURST_WINDOW

from .. import conf, sources
from ..choices import FindingKind
from ..drafts import EVIDENCE_CAP, Draft
from .common import percent, with_records
from .stats import binomial_log_sf, bonferroni, robust_scale, severity_of

HOUR = 3600.0


# --- round timestamps ------------------------------------------------------------------------


def chance_share(step: int) -> float:
    """The share of minutes of the hour that are multiples of `step` (4/60 for 15)."""
    return math.ceil(60 / step) / 60


def round_time_dealers(
    counts: Mapping[int, tuple[int, int]], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Dealers with improbably many round timestamps ({dealer: (timestamps, round)} in)."""
    step = settings["round_minute_step"]
    tested = {d: c for d, c in counts.items() if c[0] >= settings["round_min_timestamps"]}
    if not tested:
        return []
    network_median = statistics.median(r / n for n, r in tested.values())
    p0 = max(chance_share(step), network_median)
    alpha = bonferroni(settings["dealer_family_alpha"], len(tested))
    drafts = []
    for dealer_id, (n, rounded) in sorted(tested.items()):
        if rounded < settings["round_min_ratio"] * p0 * n:
            continue
        log_p = binomial_log_sf(rounded, n, p0)
        if log_p > math.log(alpha):
            continue
        figures = {
            "value": percent(rounded, n),
            "round": rounded,
            "timestamps": n,
            "expected_share": round(100 * p0, 4),
            "chance_share": round(100 * chance_share(step), 4),
            "network_share": round(100 * network_median, 4),
            "expected": round(p0 * n, 2),
            "step": step,
            "p": math.exp(log_p),
            "alpha": alpha,
        }
        drafts.append(
            Draft(
                FindingKind.ROUND_TIMES.value,
                "",
                dealer_id,
                str(month),
                severity_of(log_p),
                figures,
                {"months": [str(month)]},
            )
        )
    return drafts


def round_times(month: Month) -> list[Draft]:
    """Detector: one grouped query, the tests, the orders with round times as evidence."""
    settings = conf.current()
    step = settings["round_minute_step"]
    drafts = round_time_dealers(sources.round_timestamps(month, step), month, settings)
    return with_records(drafts, lambda ids: sources.round_timestamp_orders(month, step, ids, EVIDENCE_CAP))


# --- repair cycles without spread ------------------------------------------------------------


@dataclass(frozen=True)
class Spread:
    """A dealer's repair cycle times: how many, mean and standard deviation in hours, CV."""

    n: int
    mean_hours: float
    sd_hours: float
    cv: float
    distinct: int


def spread(sums: sources.CycleSums) -> Spread | None:
    """Mean, sample standard deviation and CV from the sums of whole seconds (None when the
    mean is not positive, or fewer than two orders). With integer sums the variance
    (n·Σx² − (Σx)²) / (n(n − 1)) is exact."""
    n = sums.n
    if n < 2 or sums.total <= 0:
        return None
    numerator = n * sums.total_sq - sums.total * sums.total
    variance = max(0.0, numerator / (n * (n - 1)))
    mean = sums.total / n
    sd = math.sqrt(variance)
    return Spread(n, mean / HOUR, sd / HOUR, sd / mean, sums.distinct)


def flat_cycle_dealers(
    sums: Mapping[int, sources.CycleSums], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Dealers whose repair cycle times barely vary compared with the network."""
    spreads = {
        d: s
        for d, c in sums.items()
        if c.n >= settings["flat_cycle_min_orders"] and (s := spread(c)) is not None
    }
    scale = robust_scale([s.cv for s in spreads.values()])
    if scale is None:
        return []
    threshold = settings["flat_cycle_z"]
    drafts = []
    for dealer_id, s in sorted(spreads.items()):
        z = scale.z(s.cv)
        if z > -threshold or s.cv > settings["flat_cycle_max_cv_ratio"] * scale.median:
            continue
        figures = {
            "value": round(s.cv, 4),
            "n": s.n,
            "mean_hours": round(s.mean_hours, 2),
            "sd_hours": round(s.sd_hours, 2),
            "distinct": s.distinct,
            "network_cv": round(scale.median, 4),
            "z": round(z, 2),
            "threshold": threshold,
            "dealers_tested": len(spreads),
        }
        drafts.append(
            Draft(
                FindingKind.FLAT_CYCLE.value,
                "",
                dealer_id,
                str(month),
                abs(z),
                figures,
                {"months": [str(month)]},
            )
        )
    return drafts


def flat_cycle(month: Month) -> list[Draft]:
    """Detector: one grouped query of the sums, the robust comparison, the orders as evidence."""
    settings = conf.current()
    drafts = flat_cycle_dealers(sources.repair_cycle_sums(month), month, settings)
    return with_records(drafts, lambda ids: sources.repair_cycle_orders(month, ids, EVIDENCE_CAP))


# --- survey bursts ---------------------------------------------------------------------------


def burst_dealers(
    counts: Mapping[int, tuple[int, int]], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Dealers with at least the minimum of burst-flagged responses ({dealer: (responses,
    flagged)} in). Severity: the flagged responses in units of the minimum (≈ bursts)."""
    minimum = settings["survey_burst_min_flagged"]
    drafts = []
    for dealer_id, (responses, flagged) in sorted(counts.items()):
        if flagged < minimum:
            continue
        figures = {
            "value": percent(flagged, responses),
            "flagged": flagged,
            "responses": responses,
            "burst_size": BURST_SIZE,
            "window_minutes": round(BURST_WINDOW.total_seconds() / 60),
        }
        drafts.append(
            Draft(
                FindingKind.SURVEY_BURST.value,
                "",
                dealer_id,
                str(month),
                flagged / minimum,
                figures,
                {"months": [str(month)]},
            )
        )
    return drafts


def survey_burst(month: Month) -> list[Draft]:
    """Detector: two grouped queries (responses, flags), the responses flagged as evidence."""
    settings = conf.current()
    drafts = burst_dealers(sources.survey_bursts(month), month, settings)
    return with_records(
        drafts, lambda ids: sources.burst_responses(month, ids, EVIDENCE_CAP), key="responses"
    )
