"""What to upload, per kind of file: every column's rule in words and one example row (data-formats.md).

The upload page lists it; `/assessments/imports/template/<kind>.<csv|xlsx>` is a file with
the Chinese headers and the example row, ready to fill in. A test checks that every column
of every kind has its entry here and that each example row passes the kind's own checks,
so the guide cannot drift from the importer.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext_lazy as _

from assessments.choices import ImportKind

from .kinds import Column, get_kind

DEALER_CODE = "GL0001"  # the example rows' dealer (the demo's first dealer)

TIMESTAMP = _("Beijing time, YYYY-MM-DD HH:MM (seconds optional; / accepted for -)")
MONEY = _("CNY, at most 2 decimals, not negative; default 0")
SCORE = _("whole number 1–5")
ID40 = _("1–40 characters; unique for the dealer")
EXISTING_DEALER = _("a dealer you may import for (a dealer user: their own)")
RO_OF_DEALER = _("if given, a repair order of that dealer")

# kind → column → (example value, rule). An empty rule: just text.
GUIDE: dict[str, dict[str, tuple[str, Any]]] = {
    ImportKind.DEALERS: {
        "dealer_code": ("GL0121", _("1–20 of A–Z, a–z, 0–9 and -; unique")),
        "name": ("上海示例汽车销售服务有限公司", ""),
        "region": ("华东", _("created on first use")),
        "province": ("上海", ""),
        "city": ("上海", ""),
        "city_tier": ("1", _("whole number 1–5")),
        "status": ("正常", _("正常 (active, the default), 暂停 (suspended) or 终止 (terminated)")),
        "opened_on": ("2019-06-18", _("YYYY-MM-DD")),
    },
    ImportKind.REPAIR_ORDERS: {
        "ro_number": ("RO202611-0001", ID40),
        "dealer_code": (DEALER_CODE, EXISTING_DEALER),
        "vin": ("LSVAB4BM0NN000001", _("17 characters, A–Z and 0–9 without I, O, Q")),
        "repair_type": ("维修", _("保养 (maintenance), 维修 (repair), 索赔 (warranty) or 事故 (accident)")),
        "booked_at": (
            "2026-11-03 08:30",
            _("when the customer booked; empty for a walk-in; not after the opening"),
        ),
        "opened_at": ("2026-11-03 09:05", TIMESTAMP),
        "promised_at": ("2026-11-03 17:00", _("not before the opening")),
        "closed_at": (
            "2026-11-03 16:40",
            _("when the car was handed back; empty while open; not before the opening"),
        ),
        "fault_code": ("P0301", _("1–20 characters; required for repair and warranty orders")),
        "labor_hours": ("2.5", _("hours, not negative; default 0")),
        "labor_amount": ("450.00", MONEY),
        "parts_amount": ("1,280.00", MONEY),
        "warranty_cost": ("0", MONEY),
    },
    ImportKind.COMPLAINTS: {
        "complaint_id": ("TS202611-0001", ID40),
        "dealer_code": (DEALER_CODE, EXISTING_DEALER),
        "ro_number": ("", RO_OF_DEALER),
        "received_at": ("2026-11-05 10:12", TIMESTAMP),
        "closed_at": ("2026-11-05 18:30", _("not before it was received")),
        "category": (
            "质量",
            _("质量 (quality), 态度 (attitude), 时效 (timeliness), 价格 (price) or 其他 (other)"),
        ),
        "severity": ("一般", _("一般 (normal, the default) or 重大 (major)")),
        "description": ("维修后异响未消除", ""),
    },
    ImportKind.SURVEY_RESPONSES: {
        "response_id": ("WJ202611-0001", ID40),
        "dealer_code": (DEALER_CODE, EXISTING_DEALER),
        "ro_number": ("", RO_OF_DEALER),
        "responded_at": ("2026-11-06 14:20", TIMESTAMP),
        "overall": ("5", SCORE),
        "reception": ("5", SCORE),
        "diagnosis": ("4", SCORE),
        "repair_quality": ("5", SCORE),
        "attitude": ("5", SCORE),
        "timeliness": ("4", SCORE),
        "nps": ("9", _("whole number 0–10")),
        "comment": ("接待热情，交车准时", ""),
    },
    ImportKind.PARTS_ORDERS: {
        "order_id": ("PO202611-0001", ID40),
        "dealer_code": (DEALER_CODE, EXISTING_DEALER),
        "part_number": ("12345-ABC-000", _("1–60 characters")),
        "quantity": ("2", _("whole number, at least 1; default 1")),
        "ordered_at": ("2026-11-04 09:00", TIMESTAMP),
        "fulfilled_at": ("2026-11-06 15:30", _("not before the order")),
    },
    ImportKind.SUBMISSIONS: {
        "dealer_code": (DEALER_CODE, EXISTING_DEALER),
        "period": ("2026-11", _("the month reported, YYYY-MM; a closed month is refused")),
        "technicians": ("24", _("whole number, not negative")),
        "certified_technicians": ("18", _("whole number, at most the technicians")),
        "equipment_total": ("40", _("whole number, not negative")),
        "equipment_ok": ("38", _("whole number, at most the equipment in total")),
        "training_hours": ("96", _("hours, not negative")),
    },
}


@dataclass(frozen=True)
class ColumnGuide:
    name: str
    alias: str
    required: bool
    example: str
    rule: Any


def columns_of(kind: str) -> list[ColumnGuide]:
    """The kind's columns in file order, each with its rule and example value."""
    entries = GUIDE[kind]
    return [_guide(column, *entries[column.name]) for column in get_kind(kind).columns]


def _guide(column: Column, example: str, rule: Any) -> ColumnGuide:
    return ColumnGuide(column.name, column.alias, column.required, example, rule)


def template_rows(kind: str) -> tuple[list[str], list[str]]:
    """The template's header (Chinese aliases, which the importer reads) and example row."""
    columns = columns_of(kind)
    return [c.alias for c in columns], [c.example for c in columns]
