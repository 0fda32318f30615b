"""Rule conditions as pure functions over plain scorecard data (no ORM).

A rule looks at the period being closed and, for "N months running", the N − 1 months
before it (across a year boundary too: months are counted, not dates).
"""

from __future__ import annotations

import math
import operator
from collections.abc import Callable, Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from decimal import Decimal
from typing import Any, TypeVar

OPS: dict[str, Callable[[Any, Any], bool]] = {
    ">": operator.gt,
    ">=": operator.ge,
    "<": operator.lt,
    "<=": operator.le,
    "==": operator.eq,
}


@dataclass(frozen=True)
class CardFacts:
    """What a rule may look at on one scorecard."""

    scorecard_id: int
    dealer_id: int
    region: str
    status: str
    total: Decimal | None
    grade: str
    rank: int | None
    region_rank: int | None
    veto: bool
    kpi_values: Mapping[str, float | None] = field(default_factory=dict)
    kpi_scores: Mapping[str, float | None] = field(default_factory=dict)


# months[0] is the period being evaluated, months[1] the month before, and so on.
History = Sequence[Mapping[int, CardFacts]]


def _running(history: History, months: int, test: Callable[[CardFacts], bool]) -> dict[int, list[CardFacts]]:
    """Dealers for whom `test` holds on each of the last `months` months (all must have a card)."""
    if months < 1 or len(history) < months:
        return {}
    out = {}
    for dealer_id in history[0]:
        chain = [history[i].get(dealer_id) for i in range(months)]
        if all(c is not None and test(c) for c in chain):
            out[dealer_id] = [c for c in chain if c is not None]
    return out


def top_count(scored: int, percent: float) -> int:
    """How many ranks make the top `percent` of `scored` dealers (at least one)."""
    return max(1, math.floor(scored * percent / 100 + 1e-9)) if scored else 0


def evaluate(condition: str, params: Mapping[str, Any], history: History) -> dict[int, list[CardFacts]]:
    """The dealers a rule's condition selects, each with the scorecards that caused it."""
    current = history[0] if history else {}
    regional = params.get("scope") == "region"
    if condition == "top_percent":
        scored = [c for c in current.values() if c.status == "scored"]
        if regional:
            sizes: dict[str, int] = {}
            for c in scored:
                sizes[c.region] = sizes.get(c.region, 0) + 1
            return {
                c.dealer_id: [c]
                for c in scored
                if c.region_rank is not None
                and c.region_rank <= top_count(sizes[c.region], float(params["percent"]))
            }
        top = top_count(len(scored), float(params["percent"]))
        return {c.dealer_id: [c] for c in scored if c.rank is not None and c.rank <= top}
    if condition == "rank_at_most":
        key = "region_rank" if regional else "rank"
        return {
            c.dealer_id: [c]
            for c in current.values()
            if getattr(c, key) is not None and getattr(c, key) <= int(params["rank"])
        }
    months = int(params.get("months", 1))
    if condition == "grade":
        grades = set(params["grades"])
        return _running(history, months, lambda c: c.status == "scored" and c.grade in grades)
    if condition in ("kpi_value", "kpi_score"):
        compare = OPS[params["op"]]
        limit = float(params["value"])
        source = "kpi_values" if condition == "kpi_value" else "kpi_scores"

        def test(c: CardFacts) -> bool:
            v = getattr(c, source).get(params["kpi"])
            return v is not None and compare(float(v), limit)

        return _running(history, months, test)
    if condition == "veto":
        return {c.dealer_id: [c] for c in current.values() if c.veto}
    raise ValueError(f"unknown condition {condition!r}")


def bonus_amount(base: Decimal, per_point: Decimal, threshold: Decimal, total: Decimal | None) -> Decimal:
    """amount + per point × (total − threshold), never below the base amount; to the fen."""
    extra = max(Decimal(0), (total or Decimal(0)) - threshold) * per_point
    return (base + extra).quantize(Decimal("0.01"))


# Sanctions a dealer is "under" once approved: not proposed again while one is pending or in force.
EXCLUSIVE_SANCTIONS = frozenset({"suspension", "rectification"})
REWARDS = frozenset({"bonus", "honour"})


@dataclass(frozen=True)
class DealerState:
    """What already holds for a dealer when its month is evaluated."""

    vetoed: bool = False  # a veto for this dealer and month
    suspended: bool = False
    under_rectification: bool = False  # an open rectification order
    pending_rule_ids: frozenset[int] = frozenset()  # rules with a proposal still undecided
    pending_types: frozenset[str] = frozenset()  # action types with a proposal still undecided


def blocked_by_precedence(types: Iterable[str], precedence: Sequence[Sequence[str]]) -> set[str]:
    """Action types not proposed when a dealer's rules select `types` in one month.

    `precedence` lists tiers, strongest first: a tier with a selected type blocks every later
    tier. Types within a tier do not block each other; a type in no tier is never blocked.
    """
    present = set(types)
    blocked: set[str] = set()
    stronger_selected = False
    for tier in precedence:
        if stronger_selected:
            blocked |= set(tier)
        if present & set(tier):
            stronger_selected = True
    return blocked


# A candidate's rule id; None for a proposal no rule made (a failed rectification's escalation).
RuleId = TypeVar("RuleId", int, int | None)


def screen(
    candidates: Sequence[tuple[RuleId, str]], state: DealerState, precedence: Sequence[Sequence[str]]
) -> list[tuple[RuleId, str]]:
    """The (rule id, action type) candidates of one dealer and month that become proposals.

    In this order: a veto blocks every reward; precedence blocks weaker tiers; a sanction rule
    whose proposal for the dealer is still pending (from any month) is not proposed again; a
    suspension or rectification is not proposed while one is pending or the dealer is under it.
    Rewards are earned month by month, so a pending reward of last month does not block this
    month's (a rule and month give at most one proposal either way).
    """
    blocked = blocked_by_precedence([t for _, t in candidates], precedence)
    if state.vetoed:
        blocked |= REWARDS
    in_force = set(state.pending_types)
    if state.suspended:
        in_force.add("suspension")
    if state.under_rectification:
        in_force.add("rectification")
    out: list[tuple[RuleId, str]] = []
    for rule_id, action_type in candidates:
        if action_type in blocked:
            continue
        if action_type not in REWARDS and rule_id in state.pending_rule_ids:
            continue
        if action_type in EXCLUSIVE_SANCTIONS:
            if action_type in in_force:
                continue
            in_force.add(action_type)
        out.append((rule_id, action_type))
    return out
