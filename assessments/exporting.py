"""Table exports (CSV and XLSX) whose cells can never run as formulas in Excel.

Every text cell that starts with = + - @, a tab or a carriage return is prefixed with a
single quote. CSV is UTF-8 with a BOM so Chinese Excel opens it as UTF-8.

`safe_cell` is the one escaping helper of every file the portal writes: these writers,
the import error files (assessments.importing.service) and the admin's exports
(`FormulaSafeResource` in assessments.resources). tests/security/test_safe_files.py walks
them all.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Any

from openpyxl import Workbook

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")


def safe_cell(value: Any) -> Any:
    """Neutralise a text cell that a spreadsheet would run as a formula. Numbers pass through."""
    if isinstance(value, str) and value.startswith(FORMULA_STARTS):
        return "'" + value
    return value


def safe_row(row: Iterable[Any]) -> list[Any]:
    """A row of cells, each neutralised by `safe_cell`."""
    return [safe_cell(value) for value in row]


def write_csv(rows: Iterable[Sequence[Any]], header: Sequence[str]) -> bytes:
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")
    writer.writerow([safe_cell(h) for h in header])
    for row in rows:
        writer.writerow(["" if v is None else safe_cell(v) for v in row])
    return ("\ufeff" + buffer.getvalue()).encode("utf-8")


def write_xlsx(rows: Iterable[Sequence[Any]], header: Sequence[str], sheet_title: str = "data") -> bytes:
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    sheet.append([safe_cell(h) for h in header])
    for row in rows:
        sheet.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _xlsx_value(value: Any) -> Any:
    if hasattr(value, "tzinfo") and getattr(value, "tzinfo", None) is not None:
        # Excel has no time zones: write local (Shanghai) wall time.
        from django.utils import timezone

        return timezone.localtime(value).replace(tzinfo=None)
    return safe_cell(value)
