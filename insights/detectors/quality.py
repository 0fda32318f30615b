"""Fault code rising across the network: a likely product-quality issue for the factory.

Method. For every fault code and dealer, the repair and warranty orders with the code closed
in the month (x) are set against those of the `fault_baseline_months` before it (b), relative
to all the dealer's repair and warranty orders in the same two spans (N, B) — so a busy month,
or the season, raises every code alike and no code in particular.

1. *Per dealer*, an exact conditional test: if the code's share of the dealer's repairs did
   not change, then given the x + b orders with the code, x follows Binomial(x + b, N/(N + B)).
   The upper-tail p-value P(X ≥ x) is exact whatever the counts. (A Poisson test against
   "baseline share × N" would treat the baseline share as known; with a dozen orders a month
   it is not.) The dealer counts as *rising* when p ≤ `fault_dealer_alpha`, x ≥
   `fault_min_count` and x ≥ `fault_min_ratio` × the expected b·N/B.
2. *Per code, over the network*: only dealers that could reach p ≤ α at all are counted as
   tested (x + b ≥ `fault_min_count` and the smallest attainable p-value, (N/(N + B))^(x+b), ≤ α:
   Tarone's rule for discrete tests), D of them. With no change anywhere, each tested dealer
   rises with probability at most α, so the number rising, K, is at most Binomial(D, α);
   the code is reported when P(Binomial(D, α) ≥ K) ≤ `fault_family_alpha` / (codes tested)
   (Bonferroni over the codes) and K ≥ `fault_min_dealers`.

False alarms: at most `fault_family_alpha` (0.01) findings a month in a network without a
rising code, whatever its size. Dealers without a baseline (no repairs in the baseline
months) are not tested. Repair counts rather than comebacks: a comeback is itself a repair
order of the same code, so a code that comes back rises in the counts too, and the counts
need no 30-day look-ahead.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from dataclasses import dataclass, replace
from typing import Any

from assessments.periods import Month

from .. import conf, sources
from ..choices import FindingKind
from ..drafts import EVIDENCE_CAP, Draft
from .stats import binomial_log_sf, bonferroni, severity_of

PER_THOUSAND = 1000.0


@dataclass(frozen=True)
class DealerTest:
    """One dealer's test for one code: its counts, expectation and exact p-value (as a log)."""

    dealer_id: int
    observed: int
    baseline: int
    expected: float  # baseline share × this month's repairs
    testable: bool
    rising: bool
    log_p: float


def dealer_test(
    dealer_id: int,
    observed: int,
    baseline: int,
    month_total: int,
    baseline_total: int,
    settings: Mapping[str, Any],
) -> DealerTest:
    """The conditional binomial test of one dealer's count this month against its baseline."""
    alpha = settings["fault_dealer_alpha"]
    share = month_total / (month_total + baseline_total)
    both = observed + baseline
    expected = baseline * month_total / baseline_total
    testable = both >= settings["fault_min_count"] and both * math.log(share) <= math.log(alpha)
    big_enough = (
        observed >= settings["fault_min_count"] and observed >= settings["fault_min_ratio"] * expected
    )
    log_p = binomial_log_sf(observed, both, share) if testable and big_enough else 0.0
    return DealerTest(
        dealer_id, observed, baseline, expected, testable, big_enough and log_p <= math.log(alpha), log_p
    )


def code_tests(
    dealers: Mapping[int, tuple[int, int]],
    totals: Mapping[int, tuple[int, int]],
    settings: Mapping[str, Any],
) -> list[DealerTest]:
    """Every dealer's test for one code. A dealer with no repairs this month or in the
    baseline has nothing to compare and is left out; one without the code at all could not
    rise and adds nothing to the sums."""
    tests = []
    for dealer_id, (observed, baseline) in dealers.items():
        month_total, baseline_total = totals.get(dealer_id, (0, 0))
        if month_total <= 0 or baseline_total <= 0:
            continue
        tests.append(dealer_test(dealer_id, observed, baseline, month_total, baseline_total, settings))
    return tests


def rising_fault_codes(counts: sources.FaultCounts, month: Month, settings: Mapping[str, Any]) -> list[Draft]:
    """The fault codes rising at improbably many dealers at once (pure: counts in, drafts
    out; the evidence lists the rising dealers and the months compared, not yet the orders)."""
    alpha = settings["fault_dealer_alpha"]
    baseline_months = settings["fault_baseline_months"]
    tested_codes = {
        code: code_tests(dealers, counts.totals, settings) for code, dealers in counts.by_code.items()
    }
    tested_codes = {code: tests for code, tests in tested_codes.items() if any(t.testable for t in tests)}
    network_alpha = bonferroni(settings["fault_family_alpha"], len(tested_codes))
    all_month = sum(t[0] for t in counts.totals.values())
    all_baseline = sum(t[1] for t in counts.totals.values())
    months = [str(month.shift(-i)) for i in range(baseline_months, -1, -1)]
    drafts = []
    for code, tests in sorted(tested_codes.items()):
        tested = sum(t.testable for t in tests)
        rising = sorted((t for t in tests if t.rising), key=lambda t: (t.log_p, t.dealer_id))
        log_p = binomial_log_sf(len(rising), tested, alpha)
        if len(rising) < settings["fault_min_dealers"] or log_p > math.log(network_alpha):
            continue
        observed = sum(t.observed for t in tests)
        expected = sum(t.expected for t in tests)
        code_month = sum(c[0] for c in counts.by_code[code].values())
        code_baseline = sum(c[1] for c in counts.by_code[code].values())
        figures = {
            "value": _rate(code_month, all_month),
            "baseline_value": _rate(code_baseline, all_baseline),
            "observed": observed,
            "expected": round(expected, 2),
            "ratio": round(observed / expected, 3) if expected else None,
            "dealers_rising": len(rising),
            "dealers_tested": tested,
            "expected_rising": round(tested * alpha, 2),
            "p": math.exp(log_p),
            "alpha": network_alpha,
            "baseline_months": baseline_months,
        }
        evidence: dict[str, list[Any]] = {
            "dealers": [t.dealer_id for t in rising][:EVIDENCE_CAP],
            "months": months,
        }
        drafts.append(
            Draft(
                FindingKind.FAULT_RISING.value, code, None, str(month), severity_of(log_p), figures, evidence
            )
        )
    return drafts


def _rate(part: int, whole: int) -> float | None:
    """Orders with the code per 1,000 repair and warranty orders."""
    return round(PER_THOUSAND * part / whole, 4) if whole else None


def fault_rising(month: Month) -> list[Draft]:
    """Detector: one grouped query for the counts, the statistics, then the month's orders with
    the code at the rising dealers as evidence (one query per code found)."""
    settings = conf.current()
    counts = sources.fault_code_counts(month, settings["fault_baseline_months"])
    drafts = rising_fault_codes(counts, month, settings)
    out = []
    for draft in drafts:
        dealers = draft.evidence["dealers"]
        per_dealer = max(1, -(-EVIDENCE_CAP // len(dealers)))
        orders = sources.fault_code_orders(month, draft.subject, dealers, per_dealer)
        ids = [pk for dealer_id in dealers for pk in orders.get(dealer_id, [])][:EVIDENCE_CAP]
        out.append(replace(draft, evidence={**draft.evidence, "repair_orders": ids}))
    return out
