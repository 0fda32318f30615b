"""Small builders of import files for the import tests."""

from __future__ import annotations

import io
from pathlib import Path
from typing import Any

RO_COLUMNS = [
    "ro_number",
    "dealer_code",
    "vin",
    "repair_type",
    "booked_at",
    "opened_at",
    "promised_at",
    "closed_at",
    "fault_code",
    "labor_hours",
    "labor_amount",
    "parts_amount",
    "warranty_cost",
]
RO_DEFAULTS = {
    "ro_number": "RO0001",
    "dealer_code": "GL0001",
    "vin": "LB3E8MAL8RV000001",
    "repair_type": "repair",
    "booked_at": "2026-10-09 09:00",
    "opened_at": "2026-10-10 09:00:00",
    "promised_at": "2026-10-11 09:00",
    "closed_at": "2026-10-11 08:00:00",
    "fault_code": "F001",
    "labor_hours": "2.5",
    "labor_amount": "300.00",
    "parts_amount": "500",
    "warranty_cost": "0",
}


def csv_line(cells: list[str]) -> str:
    out = []
    for cell in cells:
        if any(c in cell for c in ',"\n\r'):
            cell = '"' + cell.replace('"', '""') + '"'
        out.append(cell)
    return ",".join(out)


def ro_rows(*rows: dict[str, str], columns: list[str] | None = None) -> str:
    """A repair-orders CSV: each row is RO_DEFAULTS with the given changes."""
    columns = columns or RO_COLUMNS
    lines = [",".join(columns)]
    for changes in rows:
        values = {**RO_DEFAULTS, **changes}
        lines.append(csv_line([values.get(c, "") for c in columns]))
    return "\n".join(lines) + "\n"


def table(header: list[str], *rows: list[Any]) -> str:
    return "\n".join([csv_line(header), *(csv_line([str(c) for c in row]) for row in rows)]) + "\n"


def write(tmp_path: Path, text: str | bytes, name: str = "data.csv", encoding: str = "utf-8") -> Path:
    path = tmp_path / name
    path.write_bytes(text if isinstance(text, bytes) else text.encode(encoding))
    return path


def xlsx_bytes(header: list[str], *rows: list[Any]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    sheet = workbook.active
    sheet.append(header)
    for row in rows:
        sheet.append(row)
    workbook.create_sheet("ignored").append(["not", "read"])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()
