"""The arithmetic of customer voice: pure, typed functions over plain data, no ORM.

- A *hot* response (overall ≤ 2 or NPS ≤ 6) opens a case for the dealer at once.
- A *top score* (overall 5 and, where answered, NPS 9–10) is what integrity checks count.
- An item is *overnight* (日清 board) when it has been open for **more than** 24 hours:
  received exactly 24 h ago it is not overnight yet. This is the same boundary as the
  KPI `complaint_closure_24h_rate`, where closed_at − received_at ≤ 24 h is "within 24 h".
- Confidence intervals (95 %): CSAT is a mean of 0–100 scores, mean ± 1.96·s/√n with the
  sample standard deviation s; NPS is a mean of per-response scores +1 / 0 / −1, so its
  variance is p + q − (p − q)² for promoter share p and detractor share q, and the
  interval is NPS ± 1.96·100·√(variance / n).
"""

from __future__ import annotations

import math
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

HOT_OVERALL_MAX = 2
HOT_NPS_MAX = 6
TOP_OVERALL = 5
TOP_NPS_MIN = 9
PROMOTER_MIN = 9
DETRACTOR_MAX = 6

OVERNIGHT_AFTER = timedelta(hours=24)
Z_95 = 1.96

SCORE_FIELDS = ("reception", "diagnosis", "repair_quality", "attitude", "timeliness", "overall")
DIMENSION_FIELDS = ("reception", "diagnosis", "repair_quality", "attitude", "timeliness")
QUESTION_FIELDS = (*SCORE_FIELDS, "nps", "comment")


def is_hot(overall: int, nps: int | None) -> bool:
    """A response that must be acted on today: overall ≤ 2 or NPS ≤ 6."""
    return overall <= HOT_OVERALL_MAX or (nps is not None and nps <= HOT_NPS_MAX)


def hot_reasons(overall: int, nps: int | None) -> list[str]:
    """Which thresholds a hot response crossed: 'overall', 'nps' or both."""
    reasons = []
    if overall <= HOT_OVERALL_MAX:
        reasons.append("overall")
    if nps is not None and nps <= HOT_NPS_MAX:
        reasons.append("nps")
    return reasons


def is_top_score(overall: int, nps: int | None) -> bool:
    """The best answer possible: overall 5 and, where NPS was answered, 9 or 10."""
    return overall == TOP_OVERALL and (nps is None or nps >= TOP_NPS_MIN)


def burst_members(
    moments: Sequence[tuple[int, datetime]], *, size: int = 5, window: timedelta = timedelta(minutes=10)
) -> set[int]:
    """Ids of the items that lie in some window of `window` length holding at least `size` items.

    `moments` are (id, time) pairs of one dealer's top-score responses, in any order.
    Both ends of the window count: five answers from 10:00:00 to 10:10:00 are a burst.
    """
    ordered = sorted(moments, key=lambda pair: pair[1])
    members: set[int] = set()
    end = 0
    for start in range(len(ordered)):
        end = max(end, start)
        while end + 1 < len(ordered) and ordered[end + 1][1] - ordered[start][1] <= window:
            end += 1
        if end - start + 1 >= size:
            members.update(item_id for item_id, _ in ordered[start : end + 1])
    return members


def is_overnight(since: datetime, now: datetime) -> bool:
    """Open for more than 24 hours at `now` (exactly 24 h is not yet overnight)."""
    return now - since > OVERNIGHT_AFTER


def overnight_counts(
    items: Iterable[tuple[datetime, datetime | None]], checks: Sequence[datetime]
) -> list[int]:
    """For each check time, how many items were open and overnight then.

    `items` are (opened, closed) pairs; closed None means still open. An item counts at a
    check if it was opened more than 24 h before and was not yet closed at that instant.
    """
    counts = [0] * len(checks)
    for opened, closed in items:
        for index, check in enumerate(checks):
            if is_overnight(opened, check) and (closed is None or closed > check):
                counts[index] += 1
    return counts


@dataclass(frozen=True)
class Interval:
    """An estimate with its 95 % confidence interval; low/high None when n < 2."""

    value: float | None
    low: float | None
    high: float | None
    n: int

    @property
    def half_width(self) -> float | None:
        if self.low is None or self.high is None:
            return None
        return (self.high - self.low) / 2


EMPTY = Interval(None, None, None, 0)


def points_mean(n: int, answer_sum: int) -> float:
    """Mean of 25 × (answer − 1) over n answers on the 1–5 scale, from their sum (1 → 0, 5 → 100):
    CSAT over `overall`, each service-quality factor KPI over its own answer (scoring.md)."""
    return 25.0 * (answer_sum - n) / n


def nps_value(n: int, promoters: int, detractors: int) -> float:
    """100 × (promoters − detractors) / n responses with an NPS answer (scoring.md)."""
    return 100.0 * (promoters - detractors) / n


def csat_interval(n: int, overall_sum: int, overall_square_sum: int) -> Interval:
    """CSAT (mean of 25·(overall − 1)) with mean ± 1.96·s/√n, from the sums of overall and overall².

    Working from sums lets one grouped query serve every dealer of a page.
    """
    if n <= 0:
        return EMPTY
    mean_overall = overall_sum / n
    value = points_mean(n, overall_sum)  # the engine's arithmetic, to the last bit
    if n < 2:
        return Interval(value, None, None, n)
    # Sample variance of overall, then scaled by 25² for the 0–100 scores.
    variance = max(0.0, (overall_square_sum - n * mean_overall * mean_overall) / (n - 1)) * 625.0
    half = Z_95 * math.sqrt(variance) / math.sqrt(n)
    return Interval(value, max(0.0, value - half), min(100.0, value + half), n)


def nps_interval(n: int, promoters: int, detractors: int) -> Interval:
    """NPS = 100·(p − q) with ± 1.96·100·√((p + q − (p − q)²) / n)."""
    if n <= 0:
        return EMPTY
    p, q = promoters / n, detractors / n
    value = nps_value(n, promoters, detractors)  # the engine's arithmetic, to the last bit
    if n < 2:
        return Interval(value, None, None, n)
    variance = max(0.0, p + q - (p - q) ** 2)
    half = Z_95 * 100.0 * math.sqrt(variance / n)
    return Interval(value, max(-100.0, value - half), min(100.0, value + half), n)


def questions_problems(questions: object) -> list[str]:
    """What is wrong with a template's question list (empty when it is fine).

    A question is {"field": one of QUESTION_FIELDS, "text_zh": str, "text_en": str,
    "required": bool}; each field at most once; "overall" must be asked and required,
    because csat cannot be computed without it.
    """
    if not isinstance(questions, list) or not questions:
        return ["questions must be a non-empty list"]
    problems: list[str] = []
    seen: set[str] = set()
    for index, question in enumerate(questions, start=1):
        if not isinstance(question, dict):
            problems.append(f"question {index}: not an object")
            continue
        field = question.get("field")
        if field not in QUESTION_FIELDS:
            problems.append(f"question {index}: field must be one of {', '.join(QUESTION_FIELDS)}")
        elif field in seen:
            problems.append(f"question {index}: {field} is asked twice")
        else:
            seen.add(field)
        for key in ("text_zh", "text_en"):
            if not isinstance(question.get(key), str) or not question[key].strip():
                problems.append(f"question {index}: {key} is missing")
        if not isinstance(question.get("required", False), bool):
            problems.append(f"question {index}: required must be true or false")
        if field == "overall" and question.get("required") is not True:
            problems.append(f"question {index}: overall must be required")
    if "overall" not in seen:
        problems.append("the overall question is missing")
    return problems
