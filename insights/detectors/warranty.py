"""Warranty claims worth auditing: repeated, expensive, bunched before the month closes.

A claim is a warranty repair order with a warranty cost above zero, counted in the month its
closed_at falls in. Each detector counts, per dealer, the claims with a property and tests
the count against the network with an exact binomial upper tail, P(X ≥ x) for X ~
Binomial(claims, p0); a dealer is reported when the p-value is at most
`dealer_family_alpha` / (dealers tested) — Bonferroni, so a network without a problem raises
a false finding in at most 5 % of months per detector — and the count is materially above
what was expected (a ratio), since with thousands of claims a tiny excess is significant
and not worth an audit.

- **Repeated**: a claim with an earlier claim for the same vehicle (VIN) and fault code at
  the same dealer closed at most `warranty_repeat_days` (90) days before it. p0 = the
  network's share of repeated claims this month. At least `warranty_repeat_min` repeats and
  `warranty_repeat_min_ratio` × expected. Dealers with fewer claims than that minimum cannot
  be reported and are not counted as tested.
- **Expensive**: a claim costing more than the `warranty_cost_quantile` (90th percentile,
  percentile_disc) of its fault code's claims across the network this month, for codes with
  at least `warranty_cost_min_code_claims`. A dealer's expected count is Σ over its claims of
  the share of its code's network claims above the threshold (≤ 10 %, less with ties), so
  the fault-code mix is allowed for; the binomial with that mean is conservative for the
  sum of unequal chances (Hoeffding 1956). At least `warranty_cost_min_ratio` × expected.
- **Bunched**: claims closed in the month's last `bunching_days` (3) days (Shanghai dates).
  p0 = the network's share in those days (so a general month-end rush, or the month's
  length, is not held against anyone). At least `bunching_min_ratio` × expected.

Dealers with fewer than `warranty_min_claims` claims in the month are not tested for cost
or bunching.
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from typing import Any

from assessments.periods import Month

from .. import conf, sources
from ..choices import FindingKind
from ..drafts import EVIDENCE_CAP, Draft
from .common import percent, with_records
from .stats import binomial_log_sf, bonferroni, quantile_disc, severity_of


@dataclass(frozen=True)
class CountTest:
    """One dealer's count of claims with a property against its expectation."""

    dealer_id: int
    claims: int
    count: int
    expected: float
    log_p: float


def count_tests(
    counts: Mapping[int, tuple[int, int, float]], min_claims: int, min_count: int, min_ratio: float
) -> tuple[list[CountTest], int]:
    """The binomial tests of the dealers' counts {dealer: (claims, count, expected)}: the tests
    that pass the size and ratio conditions (p-value computed), and how many dealers were
    tested (those with at least `min_claims` claims)."""
    tested = 0
    out = []
    for dealer_id, (claims, count, expected) in counts.items():
        if claims < min_claims:
            continue
        tested += 1
        if count < min_count or count < min_ratio * expected or expected <= 0:
            continue
        out.append(
            CountTest(dealer_id, claims, count, expected, binomial_log_sf(count, claims, expected / claims))
        )
    return out, tested


def significant(
    tests: list[CountTest], tested: int, settings: Mapping[str, Any]
) -> tuple[list[CountTest], float]:
    """The tests whose p-value passes the Bonferroni level over the dealers tested."""
    alpha = bonferroni(settings["dealer_family_alpha"], tested)
    return [t for t in tests if t.log_p <= math.log(alpha)], alpha


def _base_figures(t: CountTest, alpha: float, network_share: float | None) -> dict[str, Any]:
    return {
        "value": percent(t.count, t.claims),
        "claims": t.claims,
        "expected": round(t.expected, 2),
        "ratio": round(t.count / t.expected, 3),
        "network_share": network_share,
        "p": math.exp(t.log_p),
        "alpha": alpha,
    }


# --- repeated claims -------------------------------------------------------------------------


def repeated_claims(
    counts: Mapping[int, tuple[int, int]], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Dealers with improbably many repeated claims ({dealer: (claims, repeats)} in)."""
    claims = sum(c for c, _r in counts.values())
    repeats = sum(r for _c, r in counts.values())
    if not claims or not repeats:
        return []
    share = repeats / claims
    minimum = settings["warranty_repeat_min"]
    tests, tested = count_tests(
        {d: (c, r, c * share) for d, (c, r) in counts.items()},
        minimum,
        minimum,
        settings["warranty_repeat_min_ratio"],
    )
    found, alpha = significant(tests, tested, settings)
    drafts = []
    for t in found:
        figures = {**_base_figures(t, alpha, percent(repeats, claims)), "repeats": t.count}
        figures["window_days"] = settings["warranty_repeat_days"]
        drafts.append(_draft(FindingKind.WARRANTY_REPEAT, t, month, figures))
    return drafts


def warranty_repeat(month: Month) -> list[Draft]:
    """Detector: one grouped query (with the 90-day semi-join), the tests, the repeated claims."""
    settings = conf.current()
    days = settings["warranty_repeat_days"]
    drafts = repeated_claims(sources.warranty_repeats(month, days), month, settings)
    return with_records(drafts, lambda ids: sources.warranty_repeat_orders(month, days, ids, EVIDENCE_CAP))


# --- expensive claims ------------------------------------------------------------------------


@dataclass(frozen=True)
class CodeCosts:
    """A fault code's cost distribution over the network's claims of the month."""

    threshold: Decimal  # the quantile: claims above it are "expensive"
    claims: int
    above: int
    mean: float

    @property
    def share_above(self) -> float:
        return self.above / self.claims


def code_costs(costs: list[sources.ClaimCost], settings: Mapping[str, Any]) -> dict[str, CodeCosts]:
    """Each fault code's threshold (percentile_disc of its claims' costs) and share above it,
    for codes with enough claims."""
    by_code: dict[str, list[tuple[Decimal, int]]] = defaultdict(list)
    for row in costs:
        by_code[row.fault_code].append((row.cost, row.claims))
    out = {}
    for code, pairs in by_code.items():
        total = sum(n for _c, n in pairs)
        if total < settings["warranty_cost_min_code_claims"]:
            continue
        threshold = quantile_disc(pairs, settings["warranty_cost_quantile"])
        above = sum(n for cost, n in pairs if cost > threshold)
        mean = float(sum(cost * n for cost, n in pairs)) / total
        out[code] = CodeCosts(threshold, total, above, mean)
    return out


def expensive_claims(
    costs: list[sources.ClaimCost], month: Month, settings: Mapping[str, Any]
) -> tuple[list[Draft], dict[str, Decimal]]:
    """Dealers with improbably many claims above their fault code's network quantile; also the
    thresholds, for the evidence query."""
    codes = code_costs(costs, settings)
    # {dealer: [claims, above, expected above, Σ cost, Σ code means]}
    per_dealer: dict[int, list[float]] = defaultdict(lambda: [0, 0, 0.0, 0.0, 0.0])
    for row in costs:
        code = codes.get(row.fault_code)
        if code is None:
            continue
        d = per_dealer[row.dealer_id]
        d[0] += row.claims
        d[1] += row.claims if row.cost > code.threshold else 0
        d[2] += row.claims * code.share_above
        d[3] += float(row.cost) * row.claims
        d[4] += code.mean * row.claims
    tests, tested = count_tests(
        {dealer: (int(d[0]), int(d[1]), d[2]) for dealer, d in per_dealer.items()},
        settings["warranty_min_claims"],
        1,
        settings["warranty_cost_min_ratio"],
    )
    found, alpha = significant(tests, tested, settings)
    all_claims = sum(c.claims for c in codes.values())
    network_share = percent(sum(c.above for c in codes.values()), all_claims)
    drafts = []
    for t in found:
        d = per_dealer[t.dealer_id]
        figures = {
            **_base_figures(t, alpha, network_share),
            "above": t.count,
            "quantile": settings["warranty_cost_quantile"],
            "mean_cost": round(d[3] / d[0], 2),
            "expected_cost": round(d[4] / d[0], 2),
            "cost_index": round(d[3] / d[4], 3) if d[4] else None,
        }
        drafts.append(_draft(FindingKind.WARRANTY_COST, t, month, figures))
    return drafts, {code: c.threshold for code, c in codes.items()}


def warranty_cost(month: Month) -> list[Draft]:
    """Detector: one grouped query of the month's claim costs, the tests, the claims above."""
    settings = conf.current()
    drafts, thresholds = expensive_claims(sources.warranty_costs(month), month, settings)
    return with_records(
        drafts, lambda ids: sources.warranty_cost_orders(month, thresholds, ids, EVIDENCE_CAP)
    )


# --- bunched before the month closes ---------------------------------------------------------


def bunched_claims(
    counts: Mapping[int, tuple[int, int]], month: Month, settings: Mapping[str, Any]
) -> list[Draft]:
    """Dealers with improbably many claims in the month's last days ({dealer: (claims, late)})."""
    claims = sum(c for c, _l in counts.values())
    late = sum(n for _c, n in counts.values())
    if not claims or not late:
        return []
    share = late / claims
    tests, tested = count_tests(
        {d: (c, n, c * share) for d, (c, n) in counts.items()},
        settings["warranty_min_claims"],
        1,
        settings["bunching_min_ratio"],
    )
    found, alpha = significant(tests, tested, settings)
    drafts = []
    for t in found:
        figures = {**_base_figures(t, alpha, percent(late, claims)), "late": t.count}
        figures["days"] = settings["bunching_days"]
        drafts.append(_draft(FindingKind.WARRANTY_BUNCHING, t, month, figures))
    return drafts


def warranty_bunching(month: Month) -> list[Draft]:
    """Detector: one grouped query, the tests, the claims of the last days as evidence."""
    settings = conf.current()
    days = settings["bunching_days"]
    drafts = bunched_claims(sources.warranty_month_end(month, days), month, settings)
    return with_records(drafts, lambda ids: sources.warranty_month_end_orders(month, days, ids, EVIDENCE_CAP))


# --- shared ----------------------------------------------------------------------------------


def _draft(kind: FindingKind, t: CountTest, month: Month, figures: dict[str, Any]) -> Draft:
    return Draft(
        kind.value, "", t.dealer_id, str(month), severity_of(t.log_p), figures, {"months": [str(month)]}
    )
