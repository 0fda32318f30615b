"""The thresholds of the nightly detectors: defaults here, any one overridable in settings.

    INSIGHTS = {"peer_z": 4.5}   # in config/settings/…: only the entries that differ

Every default is chosen so that a network with no problem in it raises few findings: the
tests on dealer counts use a family-wise significance level split over the tests a detector
runs (Bonferroni), the robust distances use the Iglewicz–Hoaglin cut-off, and each entry says
what a false alarm costs at its default (the methods page repeats it, `explain.method`).
`tests/insights/test_false_alarms.py` measures the false alarms on a simulated network.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.core.exceptions import ImproperlyConfigured

DEFAULTS: dict[str, Any] = {
    # --- Fault code rising across the network (quality) ---------------------------------
    # Months before the analysed one that form each dealer's own baseline: half a year
    # smooths a month's noise while still reflecting the current model mix.
    "fault_baseline_months": 6,
    # Per-dealer level of the exact conditional binomial test (month vs baseline share of the
    # dealer's repairs). It is not a finding by itself: it only counts the dealer as "rising".
    "fault_dealer_alpha": 0.01,
    # A dealer counts as rising only with at least this many repairs of the code in the month
    # and this many times the expected count: two cars are not a trend, 1.5× is material.
    "fault_min_count": 3,
    "fault_min_ratio": 1.5,
    # A code is reported when the number of rising dealers is improbably high for dealers
    # tested at `fault_dealer_alpha` (binomial tail) at this network level, split over the
    # fault codes tested (Bonferroni): at most 0.01 false findings a month in all.
    "fault_family_alpha": 0.01,
    # …and at least this many dealers rose: "many dealers at once", not one workshop.
    "fault_min_dealers": 3,
    # --- Far from peers on a KPI (performance) ------------------------------------------
    # Cut-off on the bad side for z, a dealer's distance from its peer
    # median in units of its own standard deviation √(τ² + σ²/n) (between dealers, plus the
    # noise of its n records; see detectors.performance). 3.5 is Iglewicz–Hoaglin's usual
    # cut-off; 4.0 because the spread itself is estimated from the group: simulated, a stable
    # network of 20 groups of 100 dealers gives ~1 false alarm per 6,000 dealer-KPI pairs at
    # 4.0 (≈ 6 a month over 2,000 dealers × 18 KPIs) and ~1 per 2,300 at 3.5 (≈ 15).
    "peer_z": 4.0,
    # Peer groups smaller than this are not compared: the spread of fewer dealers is too
    # uncertain to call anyone an outlier.
    "peer_min_dealers": 20,
    # Volume KPIs are what the peer group is made of (volume band) and follow the season:
    # neither a peer nor a trend comparison says anything about the dealer's work.
    "kpi_excluded": ["repair_count", "repair_output_value"],
    # --- KPI breaking its own trend (performance) ---------------------------------------
    # Months in the chart: the analysed month and the ones before it that set the limits.
    "trend_months": 12,
    # At least this many of the previous months must have a value resting on enough records.
    "trend_min_baseline": 9,
    # A month's value counts only if it rests on at least this many records (KPI n).
    "trend_min_n": 10,
    # Limits at centre ± trend_sigma × σ̂ with σ̂ = mean moving range / 1.128 (3 gives the
    # textbook 2.66 × MR̄). Limits estimated from only 11 months are themselves uncertain: at
    # 3σ̂ a stable normal series falls beyond the bad-side limit in 1.06 % of months
    # (simulated), i.e. ~380 false alarms a month over 36,000 charts; at 5σ̂ in 0.07 % (~25;
    # ~0.09 %, ~34, with the skewed binomial noise of shares near 100 %: test_false_alarms).
    "trend_sigma": 5.0,
    # Also signal a run of this many months on the bad side of the centre line, ending in the
    # analysed month (0 = off). Off by default: a run of 8 happens by chance in 0.4 % of
    # charts, ~140 false alarms a month over the network.
    "trend_run_length": 0,
    # A break must also matter: the month's value at least this share of the centre line away
    # from it (0.10 = 10 %). A KPI that barely moves (equipment availability at 99.5 % with a
    # moving range of 0.3 points) otherwise "breaks" at 96.9 %, statistically beyond doubt and
    # not worth HQ's morning; a first-time fix falling from 98.6 % to 81 % (18 %) still does.
    "trend_min_change": 0.10,
    # --- Dealer-level counting tests (warranty, round times) ----------------------------
    # Family-wise level of each dealer-level binomial test, split over the dealers tested
    # (Bonferroni): at most 0.05 false findings a month per detector for the whole network.
    "dealer_family_alpha": 0.05,
    # Dealers with fewer warranty claims in the month are not tested for cost or bunching.
    "warranty_min_claims": 20,
    # Same vehicle and fault claimed again at the same dealer within this many days.
    "warranty_repeat_days": 90,
    # At least this many repeated claims and this many times the network's share.
    "warranty_repeat_min": 3,
    "warranty_repeat_min_ratio": 2.0,
    # A claim is "expensive" above this quantile of its fault code's claims in the network…
    "warranty_cost_quantile": 0.9,
    # …computed only for fault codes with at least this many claims in the month.
    "warranty_cost_min_code_claims": 30,
    # A dealer is reported with at least this many times the expected expensive claims.
    "warranty_cost_min_ratio": 1.5,
    # Claims closed in the last this-many days of the month count as "bunched".
    "bunching_days": 3,
    # A dealer is reported with at least this many times the network's share in those days.
    "bunching_min_ratio": 1.5,
    # --- Data that looks manufactured (data integrity) ----------------------------------
    # A timestamp is "round" when its minute is a multiple of this (local time).
    "round_minute_step": 15,
    # Dealers with fewer timestamps (opened and closed) in the month are not tested.
    "round_min_timestamps": 100,
    # A dealer is reported with at least this many times the expected share of round
    # timestamps (the larger of chance, 1/step, and the network median share).
    "round_min_ratio": 2.0,
    # Dealers with fewer repair orders closed in the month are not tested for flat cycles.
    "flat_cycle_min_orders": 30,
    # Modified z-score of the coefficient of variation below −flat_cycle_z (Iglewicz–Hoaglin)…
    "flat_cycle_z": 3.5,
    # …and at most this fraction of the network's median coefficient of variation.
    "flat_cycle_max_cv_ratio": 0.5,
    # A dealer is reported with at least this many burst-flagged responses in the month
    # (one burst by the survey integrity rule: 5 top scores within 10 minutes).
    "survey_burst_min_flagged": 5,
}


def current() -> dict[str, Any]:
    """The thresholds in force: settings.INSIGHTS over the defaults. An unknown name in the
    settings is an error, so that a misspelt override does not silently leave the default."""
    overrides = getattr(settings, "INSIGHTS", {}) or {}
    unknown = sorted(set(overrides) - set(DEFAULTS))
    if unknown:
        raise ImproperlyConfigured(f"unknown INSIGHTS settings: {', '.join(unknown)}")
    return {**DEFAULTS, **overrides}


def setting(name: str) -> Any:
    """One threshold in force (settings.INSIGHTS[name], else its default)."""
    return current()[name]
