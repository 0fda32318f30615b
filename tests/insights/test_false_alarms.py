"""False alarms: a simulated network of 2,000 dealers with no problem planted, run through the
detectors' pure statistics at the default thresholds. Each test prints the measured rate and
asserts it is within a bound computed from the significance level and the number of tests.

Pure Python (no database): the loaders' outputs are simulated in the shape they return.
Seeds are fixed, so the counts are reproducible; the bounds are what the method promises
(expected false alarms plus four standard deviations of a Poisson count, rounded up).
"""

from __future__ import annotations

import math
import random
from collections.abc import Callable
from datetime import datetime, timedelta
from decimal import Decimal
from typing import Any

from assessments.kpis import BY_CODE
from assessments.periods import SHANGHAI, Month
from insights import sources
from insights.conf import DEFAULTS
from insights.detectors.integrity import burst_dealers, chance_share, flat_cycle_dealers, round_time_dealers
from insights.detectors.performance import peer_outliers, trend_breaks
from insights.detectors.quality import code_tests, rising_fault_codes
from insights.detectors.stats import normal_sf
from insights.detectors.warranty import bunched_claims, expensive_claims, repeated_claims
from surveys.rules import burst_members
from surveys.services import BURST_SIZE, BURST_WINDOW

MONTH = Month(2026, 10)
DEALERS = 2000
# Per chart, the chance a stable normal series falls beyond the 5σ̂ bad-side limit when the
# limits come from 11 months (simulated with 400,000 series: 0.000708).
TREND_RATE_AT_5_SIGMA = 0.00071
# Per dealer-KPI pair, the chance of a peer finding at z 4.0 in a stable network of 20 peer
# groups of 100 (simulated with 12 networks like `kpi_network`, 432,000 pairs, dealers
# differing by 0, 2 or 5: 69 findings, 0.00016); the normal tail alone would be 0.000032.
PEER_RATE_AT_4 = 0.00016
# Simulated months for the dealer-level counting tests (each month ≤ 5 % chance of a false
# finding, by Bonferroni).
MONTHS = 100


def bound(expected: float) -> int:
    """Expected false alarms plus four Poisson standard deviations, rounded up."""
    return math.ceil(expected + 4 * math.sqrt(expected))


def poisson(rng: random.Random, mean: float) -> int:
    """A Poisson draw (Knuth's product of uniforms; fine for means up to a few hundred)."""
    limit, product, count = math.exp(-mean), rng.random(), 0
    while product > limit:
        product *= rng.random()
        count += 1
    return count


def binomial(rng: random.Random, n: int, p: float) -> int:
    """A binomial draw by inversion: one uniform, the terms by the ratio recurrence."""
    u, k = rng.random(), 0
    term = (1 - p) ** n
    cumulative = term
    while u > cumulative and k < n:
        term *= (n - k) / (k + 1) * p / (1 - p)
        k += 1
        cumulative += term
    return k


def test_a_stable_network_has_no_rising_fault_code_and_few_rising_dealers():
    rng = random.Random(11)
    codes = [f"P{c:04d}" for c in range(20)]
    weights = [1 / (c + 1) for c in range(20)]  # a few common codes, many rare ones
    shares = [w / sum(weights) for w in weights]
    season = 1.1  # a busier month: every code 10 % up
    by_code: dict[str, dict[int, tuple[int, int]]] = {code: {} for code in codes}
    totals: dict[int, tuple[int, int]] = {}
    for dealer in range(DEALERS):
        repairs = rng.uniform(40, 600)
        month_total = baseline_total = 0
        for code, share in zip(codes, shares, strict=True):
            now, before = poisson(rng, season * repairs * share), poisson(rng, 6 * repairs * share)
            by_code[code][dealer] = (now, before)
            month_total, baseline_total = month_total + now, baseline_total + before
        totals[dealer] = (month_total, baseline_total)

    drafts = rising_fault_codes(sources.FaultCounts(by_code, totals), MONTH, DEFAULTS)

    rising = tested = 0
    for code in codes:
        tests = code_tests(by_code[code], totals, DEFAULTS)
        rising += sum(t.rising for t in tests)
        tested += sum(t.testable for t in tests)
    rate = rising / tested
    print(
        f"fault codes: {len(drafts)} findings (≤ 0.01 expected); dealers rising {rising}/{tested} = {rate:.5f}"
    )
    assert drafts == []
    # Each tested dealer rises with probability at most α = 0.01 (less: the test is discrete).
    assert rising <= bound(DEFAULTS["fault_dealer_alpha"] * tested)


SHARE_SCALES = {"%": 100.0, "‰": 1000.0}


def kpi_level(rng: random.Random, kpi: str) -> float:
    """A dealer's own stable level of a KPI: shares around 85 % or 20 ‰, others around 50."""
    unit = BY_CODE[kpi].unit
    if unit == "%":
        return min(99.5, rng.gauss(85, 4))
    if unit == "‰":
        return max(1.0, rng.gauss(20, 3))
    return rng.gauss(50, 5)


def kpi_value(rng: random.Random, kpi: str, level: float, n: int) -> float:
    """One month's value on n records: binomial noise for a share, else sd 20/√n."""
    scale = SHARE_SCALES.get(BY_CODE[kpi].unit)
    if scale:
        p = min(0.999, max(0.001, level / scale))
        return level + rng.gauss(0, scale * math.sqrt(p * (1 - p) / n))
    return level + rng.gauss(0, 20 / math.sqrt(n))


def kpi_network(rng: random.Random) -> tuple[list[sources.MemberRow], int]:
    """12 months of stored figures for 2,000 dealers in 20 peer groups of 100: every KPI at a
    stable level of the dealer's own plus the noise of its n records (30–400, the dealer's own)."""
    kpis = [code for code in BY_CODE if code not in DEFAULTS["kpi_excluded"]]
    months = [str(MONTH.shift(-i)) for i in range(11, -1, -1)]
    levels = {(d, k): kpi_level(rng, k) for d in range(DEALERS) for k in kpis}
    sizes = {d: rng.randint(30, 400) for d in range(DEALERS)}
    rows = []
    for month in months:
        for dealer in range(DEALERS):
            n = sizes[dealer]
            figures = {k: [kpi_value(rng, k, levels[(dealer, k)], n), n] for k in kpis}
            peer_key = f"{1 + dealer % 5}-{('S', 'M', 'L', 'XL')[dealer // 5 % 4]}"
            rows.append(sources.MemberRow(dealer, month, peer_key, None, figures))
    return rows, len(kpis)


def test_a_stable_network_has_about_the_expected_dealers_far_from_their_peers():
    rows, kpis = kpi_network(random.Random(12))

    drafts = peer_outliers(rows, MONTH, DEFAULTS)

    tests = DEALERS * kpis
    expected = PEER_RATE_AT_4 * tests
    print(
        f"peer outliers: {len(drafts)} of {tests} dealer-KPI pairs = {len(drafts) / tests:.6f} "
        f"(expected {expected:.1f}; the normal tail alone {normal_sf(DEFAULTS['peer_z']) * tests:.1f})"
    )
    assert len(drafts) <= bound(expected)


def test_a_stable_network_has_about_the_expected_trend_breaks():
    rows, kpis = kpi_network(random.Random(13))

    drafts = trend_breaks(rows, MONTH, DEFAULTS)

    charts = DEALERS * kpis
    expected = TREND_RATE_AT_5_SIGMA * charts
    print(
        f"trend breaks: {len(drafts)} of {charts} charts = {len(drafts) / charts:.6f} (expected {expected:.1f})"
    )
    assert len(drafts) <= bound(expected)


def claim_counts(rng: random.Random, share: float) -> dict[int, tuple[int, int]]:
    """Per dealer, its claims of the month (20–120) and how many of them have a property that
    every claim has with the same chance `share`."""
    out = {}
    for dealer in range(DEALERS):
        claims = rng.randint(20, 120)
        out[dealer] = (claims, binomial(rng, claims, share))
    return out


def months_with_a_false_finding(detect: Callable[[random.Random], list[Any]], months: int) -> int:
    rng = random.Random(14)
    return sum(1 for _ in range(months) if detect(rng))


def assert_family_wise_rate(name: str, months_found: int, months: int) -> None:
    expected = DEFAULTS["dealer_family_alpha"] * months
    print(
        f"{name}: a false finding in {months_found} of {months} simulated months (≤ {expected:.1f} expected)"
    )
    assert months_found <= bound(expected)


def test_a_stable_network_rarely_has_a_dealer_with_too_many_repeated_claims():
    found = months_with_a_false_finding(
        lambda rng: repeated_claims(claim_counts(rng, 0.03), MONTH, DEFAULTS), MONTHS
    )

    assert_family_wise_rate("repeated claims", found, MONTHS)


def test_a_stable_network_rarely_has_a_dealer_with_too_many_claims_at_month_end():
    found = months_with_a_false_finding(
        lambda rng: bunched_claims(claim_counts(rng, 3 / 31), MONTH, DEFAULTS), MONTHS
    )

    assert_family_wise_rate("bunched claims", found, MONTHS)


def expensive_claim_month(rng: random.Random) -> list[Any]:
    medians = {f"P{c:04d}": rng.uniform(500, 5000) for c in range(20)}
    codes = list(medians)
    costs = []
    for dealer in range(DEALERS):
        for _ in range(rng.randint(20, 60)):
            code = rng.choice(codes)
            cost = Decimal(round(medians[code] * math.exp(rng.gauss(0, 0.5)), 2)).quantize(Decimal("0.01"))
            costs.append(sources.ClaimCost(dealer, code, cost, 1))
    return expensive_claims(costs, MONTH, DEFAULTS)[0]


def test_a_stable_network_rarely_has_a_dealer_with_too_many_expensive_claims():
    months = 3  # 80,000 claims a month: slower to simulate
    found = months_with_a_false_finding(expensive_claim_month, months)

    assert_family_wise_rate("expensive claims", found, months)


def round_time_month(rng: random.Random) -> list[Any]:
    p = chance_share(DEFAULTS["round_minute_step"])
    counts = {}
    for dealer in range(DEALERS):
        times = 2 * rng.randint(60, 300)
        counts[dealer] = (times, binomial(rng, times, p))
    return round_time_dealers(counts, MONTH, DEFAULTS)


def test_a_stable_network_rarely_has_a_dealer_with_too_many_round_times():
    found = months_with_a_false_finding(round_time_month, MONTHS)

    assert_family_wise_rate("round times", found, MONTHS)


def test_a_stable_network_has_few_dealers_with_flat_repair_cycles():
    rng = random.Random(18)
    sums = {}
    for dealer in range(DEALERS):
        median_hours = rng.uniform(15, 60)  # dealers differ in speed, not in spread
        seconds = [
            round(3600 * median_hours * math.exp(rng.gauss(0, 0.6))) for _ in range(rng.randint(30, 200))
        ]
        sums[dealer] = sources.CycleSums(
            len(seconds), sum(seconds), sum(s * s for s in seconds), len(set(seconds))
        )

    drafts = flat_cycle_dealers(sums, MONTH, DEFAULTS)

    expected = normal_sf(DEFAULTS["flat_cycle_z"]) * DEALERS
    print(f"flat cycles: {len(drafts)} of {DEALERS} dealers (expected ≤ {expected:.2f})")
    assert len(drafts) <= bound(expected)


def test_customers_answering_at_random_times_raise_no_survey_burst():
    rng = random.Random(19)
    counts = {}
    start = datetime(2026, 10, 1, tzinfo=SHANGHAI)
    for dealer in range(DEALERS):
        responses = rng.randint(10, 250)
        moments = []
        for i in range(responses):
            # working hours 8:00–20:00 on one of the month's 31 days
            at = start + timedelta(days=rng.randrange(31), hours=8, seconds=rng.uniform(0, 12 * 3600))
            if rng.random() < 0.5:  # a top score
                moments.append((i, at))
        flagged = burst_members(moments, size=BURST_SIZE, window=BURST_WINDOW)
        counts[dealer] = (responses, len(flagged))

    drafts = burst_dealers(counts, MONTH, DEFAULTS)

    flagged_dealers = sum(1 for _n, f in counts.values() if f)
    print(f"survey bursts: {len(drafts)} findings; dealers with any flag {flagged_dealers}/{DEALERS}")
    assert drafts == []
