"""What the detector modules share besides statistics: shares as percentages, and adding the
records behind the drafts with one query for all the dealers found."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace

from ..drafts import EVIDENCE_CAP, Draft


def percent(part: float, whole: float) -> float | None:
    """part / whole as a percentage (12.3 for 12.3 %), None without a whole."""
    return round(100.0 * part / whole, 4) if whole else None


def with_records(
    drafts: list[Draft], load: Callable[[list[int]], dict[int, list[int]]], key: str = "repair_orders"
) -> list[Draft]:
    """The drafts with the records behind each under `key`: `load` gets the dealers found and
    returns their record ids ({dealer id: [ids]}, one query for all of them)."""
    if not drafts:
        return []
    records = load([d.dealer_id for d in drafts if d.dealer_id is not None])
    return [
        replace(d, evidence={**d.evidence, key: records.get(d.dealer_id or 0, [])[:EVIDENCE_CAP]})
        for d in drafts
    ]
