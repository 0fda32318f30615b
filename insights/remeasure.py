"""The figure a finding is judged by, measured again for a later month: once a finding is
closed with its 复盘, the page shows `value` before and after.

`remeasure(kind, subject, dealer_id, month)` returns the same `value` the detector stored —
the same loader narrowed to the one dealer (or the one fault code), the same arithmetic, the
thresholds in force now — or None where the month has nothing to measure (no orders, no
stored KPI). A call is one query (about 0.01 s on 1,000,000 orders a month; the network-wide
ones, a fault code's share and the expensive claims, which need the month's network
distribution, about 0.6–1 s), so a few hundred a night are cheap.
"""

from __future__ import annotations

from collections.abc import Callable

from assessments.periods import Month

from . import conf, sources
from .choices import FindingKind
from .detectors.common import percent
from .detectors.integrity import spread
from .detectors.quality import PER_THOUSAND
from .detectors.warranty import code_costs


def _fault_rising(subject: str, dealer_id: int | None, month: Month) -> float | None:
    with_code, repairs = sources.fault_code_share(month, subject)
    return round(PER_THOUSAND * with_code / repairs, 4) if repairs else None


def _kpi(subject: str, dealer_id: int | None, month: Month) -> float | None:
    if dealer_id is None:
        return None
    for row in sources.kpi_members([month], [dealer_id]):
        pair = row.figures.get(subject)
        if pair and pair[0] is not None:
            return float(pair[0])
    return None


def _share(counts: dict[int, tuple[int, int]], dealer_id: int | None) -> float | None:
    whole, part = counts.get(dealer_id or 0, (0, 0))
    return percent(part, whole)


def _warranty_repeat(subject: str, dealer_id: int | None, month: Month) -> float | None:
    days = conf.setting("warranty_repeat_days")
    return _share(sources.warranty_repeats(month, days, [dealer_id or 0]), dealer_id)


def _warranty_cost(subject: str, dealer_id: int | None, month: Month) -> float | None:
    """The network's claim costs of the month are needed for the thresholds: the detector's own
    query and arithmetic, the dealer's share read from the same rows."""
    costs = sources.warranty_costs(month)
    codes = code_costs(costs, conf.current())
    claims = above = 0
    for row in costs:
        code = codes.get(row.fault_code)
        if row.dealer_id == dealer_id and code is not None:
            claims += row.claims
            above += row.claims if row.cost > code.threshold else 0
    return percent(above, claims)


def _warranty_bunching(subject: str, dealer_id: int | None, month: Month) -> float | None:
    days = conf.setting("bunching_days")
    return _share(sources.warranty_month_end(month, days, [dealer_id or 0]), dealer_id)


def _round_times(subject: str, dealer_id: int | None, month: Month) -> float | None:
    step = conf.setting("round_minute_step")
    return _share(sources.round_timestamps(month, step, [dealer_id or 0]), dealer_id)


def _flat_cycle(subject: str, dealer_id: int | None, month: Month) -> float | None:
    sums = sources.repair_cycle_sums(month, [dealer_id or 0]).get(dealer_id or 0)
    measured = None if sums is None else spread(sums)
    return None if measured is None else round(measured.cv, 4)


def _survey_burst(subject: str, dealer_id: int | None, month: Month) -> float | None:
    return _share(sources.survey_bursts(month, [dealer_id or 0]), dealer_id)


_REMEASURE: dict[str, Callable[[str, int | None, Month], float | None]] = {
    FindingKind.FAULT_RISING: _fault_rising,
    FindingKind.PEER_OUTLIER: _kpi,
    FindingKind.TREND_BREAK: _kpi,
    FindingKind.WARRANTY_REPEAT: _warranty_repeat,
    FindingKind.WARRANTY_COST: _warranty_cost,
    FindingKind.WARRANTY_BUNCHING: _warranty_bunching,
    FindingKind.ROUND_TIMES: _round_times,
    FindingKind.FLAT_CYCLE: _flat_cycle,
    FindingKind.SURVEY_BURST: _survey_burst,
}


def remeasure(kind: str, subject: str, dealer_id: int | None, month: Month | str) -> float | None:
    """The finding's `value` figure measured for `month` (a Month or "YYYY-MM")."""
    if isinstance(month, str):
        month = Month.parse(month)
    return _REMEASURE[kind](subject, dealer_id, month)
