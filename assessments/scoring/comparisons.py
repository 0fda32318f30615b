"""Comparisons of a dealer's KPI value: with last year's (scoring.md → "Comparisons") and with
its peer group (assessments/kpis/peers.py). Pure functions over plain numbers, no ORM.

Peer position, as the scorecard shows it:

- The *peer values* of a KPI are the valid values (sample at or above the KPI's minimum) of
  the scored dealers of the dealer's peer group in the month, the dealer itself left out.
- The *peer median* is the median of the peer values together with the dealer's own valid
  value when its card is scored (the group's median, the dealer included).
- The *percentile* is the share of the peer values the dealer does better than, in %: better
  is lower for a KPI whose direction is "lower", higher otherwise; a tie counts half
  (100 × (beaten + ½ × tied) / peers). 100 means better than every peer, 50 the middle.
- Neither is shown with fewer than MIN_PEERS peer values: a median of one or two other
  dealers would give their values away. Only counts, the median and the percentile leave
  this module; never which dealer holds which value.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from statistics import median

# Fewer peer values than this and the page says "too few peers" instead of a median.
MIN_PEERS = 3


def change_of(value: float | None, last_year: float | None) -> float | None:
    """value − last year's value; None where either is None."""
    if value is None or last_year is None:
        return None
    return value - last_year


def change_percent(value: float | None, last_year: float | None) -> float | None:
    """100 × (value − last year's) / last year's; None where either is None or last year's is 0."""
    if value is None or last_year is None or last_year == 0:
        return None
    return 100.0 * (value - last_year) / last_year


@dataclass(frozen=True)
class PeerPosition:
    """Where one KPI value stands in its peer group: counts and figures, no dealer."""

    peers: int  # peer values (other dealers of the group with a valid value)
    median: float | None  # None with fewer than MIN_PEERS peer values
    percentile: float | None  # 0–100; None without an own value or with too few peers

    @property
    def too_few(self) -> bool:
        return self.peers < MIN_PEERS


def percentile_among(own: float, peers: Sequence[float], direction: str) -> float | None:
    """The share of `peers` that `own` does better than, in % (a tie counts half)."""
    if not peers:
        return None
    if direction == "lower":
        beaten = sum(1 for value in peers if own < value)
    else:
        beaten = sum(1 for value in peers if own > value)
    tied = sum(1 for value in peers if value == own)
    return 100.0 * (beaten + 0.5 * tied) / len(peers)


def peer_position(
    own: float | None, peers: Sequence[float], direction: str, *, own_counts: bool = True
) -> PeerPosition:
    """The peer position of `own` among `peers` (the other dealers' valid values).

    `own_counts`: whether the dealer's own value joins the median (its card is scored and its
    value valid); the percentile needs an own value either way.
    """
    if len(peers) < MIN_PEERS:
        return PeerPosition(len(peers), None, None)
    pooled = [*peers, own] if own is not None and own_counts else list(peers)
    return PeerPosition(
        peers=len(peers),
        median=float(median(pooled)),
        percentile=None if own is None else percentile_among(own, peers, direction),
    )
