"""The scorecard as JSON (interfaces.md → "A scorecard as JSON"), shared by export and API."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

from django.utils import timezone

from .models import Scorecard
from .scoring.rounding import round_half_up


def _num(value: Decimal | float | None, places: int) -> float | None:
    rounded = round_half_up(value, places)
    return None if rounded is None else float(rounded)


def _time(value: Any) -> str | None:
    return None if value is None else timezone.localtime(value).isoformat(timespec="seconds")


def scorecard_as_json(card: Scorecard) -> dict[str, Any]:
    """One scorecard in the fixed JSON shape. Expects dealer, scheme, period and kpi_results loaded."""
    scored = card.status == "scored"
    return {
        "period": card.period.code,
        "dealer_code": card.dealer.code,
        "region": card.region_name,
        "scheme": {"code": card.scheme.code, "version": card.scheme.version},
        "status": card.status,
        "total_score": _num(card.total_score, 2) if scored else None,
        "grade": card.grade or None,
        "rank": card.rank,
        "region_rank": card.region_rank,
        "coverage": _num(card.coverage, 4),
        "deduction": _num(card.deduction, 2) if scored else None,
        "veto": card.veto,
        "veto_incident": card.veto_incident.title if card.veto and card.veto_incident_id else None,
        "tier_scores": {
            "base": _num(card.tier_base, 2),
            "process": _num(card.tier_process, 2),
            "result": _num(card.tier_result, 2),
        },
        "kpis": [
            {
                "code": r.kpi_code,
                "tier": r.tier,
                "value": _num(r.value, 4),
                "sample_size": r.sample_size,
                "valid": r.valid,
                "weight": float(r.weight),
                "score": _num(r.score, 2),
                "contribution": _num(r.contribution, 2),
            }
            for r in card.kpi_results.all()
        ],
        "data_as_of": _time(card.data_as_of),
        "computed_at": _time(card.computed_at),
    }


def scorecards_for_export(period_code: str) -> list[Scorecard]:
    """All scorecards of a period, ordered by dealer code, with what the JSON needs (5 queries)."""
    return list(
        Scorecard.objects.filter(period__code=period_code)
        .select_related("period", "dealer", "scheme", "veto_incident")
        .prefetch_related("kpi_results")
        .order_by("dealer__code")
    )
