"""What a detector hands over: a finding not yet stored (plain data, no ORM)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class Draft:
    """One finding as a detector computed it for one month.

    `kind` is a `choices.FindingKind` value; (`kind`, `subject`, `dealer_id`, `month`) is its
    identity: a second run over the same month finds the same draft and updates it, never a
    second one. `subject` is the fault code or KPI code the finding is about ("" when none);
    `dealer_id` is None for a network-wide finding (a fault code rising at many dealers).
    `severity` orders findings (larger is more surprising; e.g. −log10 of the p-value or |z|).
    `figures` are the numbers the explanation and the page show (JSON-able; keys per kind,
    documented in `explain.py`), including `value` — the figure a 复盘 later re-measures.
    `evidence` lists the records behind it (JSON-able): {"repair_orders": [ids], "dealers":
    [ids], "responses": [ids], "months": ["YYYY-MM", …]} — at most `EVIDENCE_CAP` ids per list.
    """

    kind: str
    subject: str
    dealer_id: int | None
    month: str
    severity: float
    figures: dict[str, Any] = field(default_factory=dict)
    evidence: dict[str, list[Any]] = field(default_factory=dict)

    @property
    def fingerprint(self) -> str:
        return f"{self.kind}|{self.subject}|{self.dealer_id or ''}|{self.month}"


EVIDENCE_CAP = 200
