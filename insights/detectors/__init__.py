"""The nightly detectors, one per kind of finding: `DETECTORS[kind](month)` returns the drafts
of that month. Each is a loader (insights.sources: one grouped query over the network) and
pure statistics over what it returned (insights.detectors.stats and the family modules), so
the task can run them side by side, one per worker.

The methods, in words for HQ, are in `insights.explain.method`; the thresholds in
`insights.conf`.
"""

from __future__ import annotations

from collections.abc import Callable

from assessments.periods import Month

from ..choices import FindingKind
from ..drafts import Draft
from .integrity import flat_cycle, round_times, survey_burst
from .performance import peer_outlier, trend_break
from .quality import fault_rising
from .warranty import warranty_bunching, warranty_cost, warranty_repeat

Detector = Callable[[Month], list[Draft]]

DETECTORS: dict[str, Detector] = {
    FindingKind.FAULT_RISING.value: fault_rising,
    FindingKind.PEER_OUTLIER.value: peer_outlier,
    FindingKind.TREND_BREAK.value: trend_break,
    FindingKind.WARRANTY_REPEAT.value: warranty_repeat,
    FindingKind.WARRANTY_COST.value: warranty_cost,
    FindingKind.WARRANTY_BUNCHING.value: warranty_bunching,
    FindingKind.ROUND_TIMES.value: round_times,
    FindingKind.FLAT_CYCLE.value: flat_cycle,
    FindingKind.SURVEY_BURST.value: survey_burst,
}

__all__ = ["DETECTORS", "Detector"]
