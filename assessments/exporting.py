"""Table exports (CSV and XLSX) whose cells can never run as formulas in Excel.

Every text cell that starts with = + - @, a tab or a carriage return is prefixed with a
single quote. CSV is UTF-8 with a BOM so Chinese Excel opens it as UTF-8.

`safe_cell` is the one escaping helper of every file the portal writes: these writers,
the import error files (assessments.importing.service) and the admin's exports
(`FormulaSafeResource` in assessments.resources). tests/security/test_safe_files.py walks
them all.

`export_response` is the one way a page answers an export: every export URL is
`<list path>/export.<fmt:fmt>` (the `fmt` converter registered here accepts csv|xlsx), and
the view hands its header (in the reader's language) and rows (numbers as numbers) to it.
"""

from __future__ import annotations

import csv
import io
import unicodedata
from collections.abc import Iterable, Sequence
from datetime import date, datetime
from itertools import islice
from typing import Any

from django.http import Http404, HttpResponse
from django.urls import register_converter
from django.utils import timezone
from openpyxl import Workbook
from openpyxl.cell import WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.utils import get_column_letter

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


#: How many rows the column widths are measured on (the rest stream through unmeasured).
WIDTH_SAMPLE_ROWS = 200
MIN_WIDTH, MAX_WIDTH = 8, 60


def write_xlsx(rows: Iterable[Sequence[Any]], header: Sequence[str], sheet_title: str = "data") -> bytes:
    """A one-sheet workbook: a bold, frozen header row and columns as wide as their text.

    A write-only sheet takes its column widths and panes before its first row, so the first
    `WIDTH_SAMPLE_ROWS` rows are held back and measured, then everything is streamed.
    """
    workbook = Workbook(write_only=True)
    sheet = workbook.create_sheet(title=sheet_title[:31])
    titles = [safe_cell(str(h)) for h in header]
    lines = iter(rows)
    sample = [[_xlsx_value(v) for v in row] for row in islice(lines, WIDTH_SAMPLE_ROWS)]
    for index, width in enumerate(column_widths([titles, *sample]), start=1):
        sheet.column_dimensions[get_column_letter(index)].width = width
    sheet.freeze_panes = "A2"
    sheet.append([_bold(sheet, title) for title in titles])
    for line in sample:
        sheet.append(line)
    for row in lines:
        sheet.append([_xlsx_value(v) for v in row])
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


def _bold(sheet: Any, value: Any) -> WriteOnlyCell:
    cell = WriteOnlyCell(sheet, value=value)
    cell.font = Font(bold=True)
    return cell


def column_widths(rows: Iterable[Sequence[Any]]) -> list[float]:
    """Each column's width in Excel characters: its longest cell, a CJK character counting
    two, plus a margin, kept between MIN_WIDTH and MAX_WIDTH."""
    widths: list[int] = []
    for row in rows:
        for index, value in enumerate(row):
            if index == len(widths):
                widths.append(0)
            widths[index] = max(widths[index], text_width(value))
    return [float(min(MAX_WIDTH, max(MIN_WIDTH, width + 2))) for width in widths]


def text_width(value: Any) -> int:
    """How many Latin characters wide a cell shows (full-width characters count two)."""
    if value is None:
        return 0
    if isinstance(value, datetime):
        return 19  # 2026-10-15 10:00:00
    if isinstance(value, date):
        return 10  # 2026-10-15
    text = str(value)
    return max(
        (
            sum(2 if unicodedata.east_asian_width(c) in ("W", "F") else 1 for c in line)
            for line in text.splitlines()
        ),
        default=0,
    )


def _xlsx_value(value: Any) -> Any:
    if isinstance(value, datetime) and value.tzinfo is not None:
        # Excel has no time zones: write local (Shanghai) wall time.
        return timezone.localtime(value).replace(tzinfo=None)
    return safe_cell(value)


# --- the one export response and URL style ------------------------------------------------

EXPORT_FORMATS = ("csv", "xlsx")
CONTENT_TYPES = {
    "csv": "text/csv; charset=utf-8",
    "xlsx": "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
}


class ExportFormatConverter:
    """`<fmt:fmt>` in an export URL: csv or xlsx, nothing else (anything else is 404)."""

    regex = "csv|xlsx"

    def to_python(self, value: str) -> str:
        return value

    def to_url(self, value: str) -> str:
        return str(value)


register_converter(ExportFormatConverter, "fmt")


def _csv_value(value: Any) -> Any:
    # XLSX cells hold datetimes; in CSV a time is Shanghai wall time to the second.
    if isinstance(value, datetime):
        if value.tzinfo is not None:
            value = timezone.localtime(value)
        return value.strftime("%Y-%m-%d %H:%M:%S")
    return value


def export_response(
    rows: Iterable[Sequence[Any]],
    header: Sequence[Any],
    fmt: str,
    filename: str,
    sheet_title: str | None = None,
) -> HttpResponse:
    """The download of a table as CSV or XLSX; 404 for any other format.

    `header` may hold lazy translations (written in the active language); `rows` should give
    numbers as numbers (Decimal and float alike) so a spreadsheet can sum them.
    """
    if fmt not in CONTENT_TYPES:
        raise Http404
    titles = [str(h) for h in header]
    if fmt == "csv":
        content = write_csv(([_csv_value(v) for v in row] for row in rows), titles)
    else:
        content = write_xlsx(rows, titles, sheet_title or filename)
    response = HttpResponse(content, content_type=CONTENT_TYPES[fmt])
    response["Content-Disposition"] = f'attachment; filename="{filename}.{fmt}"'
    return response
