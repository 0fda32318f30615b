"""The facts scoring.md's KPI catalogue gives about each KPI, as the pure engine needs them.

The catalogue itself — every KPI with its value query and records — is assembled from the
KPI families in `assessments.kpis`.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

TierCode = Literal["base", "process", "result"]
TIERS: tuple[TierCode, ...] = ("base", "process", "result")


@dataclass(frozen=True)
class KpiDefinition:
    """One row of scoring.md's KPI table; `order` is its place in the catalogue (1 first)."""

    code: str
    name_zh: str
    name_en: str
    tier: TierCode
    dimension: str
    unit: str
    direction: Literal["higher", "lower"]
    definition_zh: str
    definition_en: str
    order: int
