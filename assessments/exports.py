"""Scorecard tables for export (CSV/XLSX): one row per dealer, KPI values and scores as columns."""

from __future__ import annotations

from typing import Any

from .exporting import write_csv, write_xlsx
from .kpis import CATALOGUE
from .models import Scorecard
from .serializers_json import scorecard_as_json

BASE_COLUMNS = [
    "period",
    "dealer_code",
    "dealer_name",
    "region",
    "scheme",
    "status",
    "total_score",
    "grade",
    "rank",
    "region_rank",
    "coverage",
    "deduction",
    "veto",
    "tier_base",
    "tier_process",
    "tier_result",
]


def scorecards_table(cards: list[Scorecard], fmt: str) -> bytes:
    """CSV or XLSX bytes of these scorecards."""
    header = list(BASE_COLUMNS)
    for kpi in CATALOGUE:
        header += [f"{kpi.code}_value", f"{kpi.code}_n", f"{kpi.code}_score"]
    rows: list[list[Any]] = []
    for card in cards:
        data = scorecard_as_json(card)
        row: list[Any] = [
            data["period"],
            data["dealer_code"],
            card.dealer.name,
            data["region"],
            f"{data['scheme']['code']} v{data['scheme']['version']}",
            data["status"],
            data["total_score"],
            data["grade"],
            data["rank"],
            data["region_rank"],
            data["coverage"],
            data["deduction"],
            "yes" if data["veto"] else "no",
            data["tier_scores"]["base"],
            data["tier_scores"]["process"],
            data["tier_scores"]["result"],
        ]
        by_code = {k["code"]: k for k in data["kpis"]}
        for kpi in CATALOGUE:
            k = by_code.get(kpi.code)
            row += [k["value"], k["sample_size"], k["score"]] if k else [None, None, None]
        rows.append(row)
    return write_csv(rows, header) if fmt == "csv" else write_xlsx(rows, header, "scorecards")
