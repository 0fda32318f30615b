"""Reading a roster file (CSV or XLSX, Chinese headers) into rows, or into row-by-row errors.

One row per technician, certificate or course: 姓名, 岗位 and 入职日期 name the technician;
证书名称 … 有效期至 add a certificate, 课程 … 完成日期 add training hours. The export
(`ROSTER_HEADER`) writes the same columns, so an exported file imports again unchanged.
Nothing is written here: `services.roster_import` writes all rows or, if any row is bad, none.
"""

from __future__ import annotations

import csv
import io
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal, InvalidOperation
from typing import Any

from django.utils import translation
from django.utils.translation import gettext_lazy

from .choices import CertificationLevel, TechnicianRole

ROSTER_HEADER = [
    "姓名",
    "岗位",
    "入职日期",
    "离职日期",
    "证书名称",
    "证书等级",
    "证书编号",
    "发证日期",
    "有效期至",
    "课程",
    "学时",
    "完成日期",
]
REQUIRED = ("姓名", "岗位", "入职日期")
CERTIFICATE_COLUMNS = ("证书名称", "证书等级", "发证日期", "有效期至")
TRAINING_COLUMNS = ("课程", "学时", "完成日期")
MAX_ROWS = 5000

UNREADABLE = gettext_lazy("The file could not be read as CSV or XLSX.")
NO_ROWS = gettext_lazy("The file has no rows.")
TOO_MANY_ROWS = gettext_lazy("The file has more than %(max)s rows.")
MISSING_COLUMNS = gettext_lazy("Missing columns: %(columns)s.")
REQUIRED_VALUE = gettext_lazy("%(column)s is required.")
BAD_DATE = gettext_lazy("%(column)s is not a date (YYYY-MM-DD): %(value)s.")
BAD_CHOICE = gettext_lazy("%(column)s is not one of %(allowed)s: %(value)s.")
BAD_HOURS = gettext_lazy("学时 must be a number of hours between 0 and 1000: %(value)s.")
INCOMPLETE = gettext_lazy(
    "A certificate needs 证书名称, 证书等级, 发证日期 and 有效期至; a course needs 课程, 学时 and 完成日期."
)
EXPIRES_BEFORE_ISSUED = gettext_lazy("有效期至 is before 发证日期.")
LEFT_BEFORE_HIRED = gettext_lazy("离职日期 is before 入职日期.")


@dataclass(frozen=True)
class RosterRow:
    name: str
    role: str
    hire_date: date
    left_on: date | None
    certificate: str
    level: str
    certificate_number: str
    issued_on: date | None
    expires_on: date | None
    course: str
    hours: Decimal | None
    completed_on: date | None


@dataclass
class ParseResult:
    rows: list[RosterRow]
    errors: list[tuple[int, str]]  # (line in the file, message); line 0 is the whole file


def choice_lookup(choices: Any) -> dict[str, str]:
    """Every spelling a file may use for a choice: its value, its Chinese and its English label."""
    lookup: dict[str, str] = {}
    for value, label in choices.choices:
        lookup[value.lower()] = value
        for language in ("zh-hans", "en"):
            with translation.override(language):
                lookup[str(label).strip().lower()] = value
    return lookup


def chinese_labels(choices: Any) -> str:
    with translation.override("zh-hans"):
        return "、".join(str(label) for _value, label in choices.choices)


def read_table(content: bytes, file_name: str) -> list[list[Any]]:
    """The file's rows as lists of cells (XLSX by its name or signature, else UTF-8 CSV)."""
    if file_name.lower().endswith(".xlsx") or content[:2] == b"PK":
        from openpyxl import load_workbook

        workbook = load_workbook(io.BytesIO(content), read_only=True, data_only=True)
        sheet = workbook.worksheets[0]
        rows = [list(r) for r in sheet.iter_rows(values_only=True)]
        workbook.close()
        return rows
    text = content.decode("utf-8-sig")
    return [list(r) for r in csv.reader(io.StringIO(text))]


def _text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return str(value).strip()


def _date(value: Any) -> date | None:
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = _text(value)
    for fmt in ("%Y-%m-%d", "%Y/%m/%d", "%Y.%m.%d"):
        try:
            return datetime.strptime(text, fmt).date()
        except ValueError:
            continue
    raise ValueError(text)


def parse_roster(content: bytes, file_name: str) -> ParseResult:
    """Read and check every row; errors name the line and the column, in the user's language."""
    try:
        table = read_table(content, file_name)
    except Exception:  # any unreadable upload is one message, never a server error
        return ParseResult([], [(0, str(UNREADABLE))])
    table = [row for row in table if any(_text(c) for c in row)]
    if len(table) < 2:
        return ParseResult([], [(0, str(NO_ROWS))])
    if len(table) - 1 > MAX_ROWS:
        return ParseResult([], [(0, str(TOO_MANY_ROWS) % {"max": MAX_ROWS})])
    header = [_text(h) for h in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return ParseResult([], [(0, str(MISSING_COLUMNS) % {"columns": "、".join(missing)})])
    roles, levels = choice_lookup(TechnicianRole), choice_lookup(CertificationLevel)
    rows: list[RosterRow] = []
    errors: list[tuple[int, str]] = []
    for line, cells in enumerate(table[1:], start=2):
        values = {h: cells[i] if i < len(cells) else None for i, h in enumerate(header) if h}
        row_errors: list[str] = []

        def text(column: str, values: dict[str, Any] = values) -> str:
            return _text(values.get(column))

        def day(
            column: str, required: bool, values: dict[str, Any] = values, errs: list[str] = row_errors
        ) -> date | None:
            raw = values.get(column)
            if not _text(raw) and not isinstance(raw, date):
                if required:
                    errs.append(str(REQUIRED_VALUE) % {"column": column})
                return None
            try:
                return _date(raw)
            except ValueError:
                errs.append(str(BAD_DATE) % {"column": column, "value": _text(raw)})
                return None

        name = text("姓名")
        if not name:
            row_errors.append(str(REQUIRED_VALUE) % {"column": "姓名"})
        role = roles.get(text("岗位").lower(), "")
        if not role:
            row_errors.append(
                str(BAD_CHOICE)
                % {"column": "岗位", "allowed": chinese_labels(TechnicianRole), "value": text("岗位")}
            )
        hire_date = day("入职日期", True)
        left_on = day("离职日期", False)
        if hire_date and left_on and left_on < hire_date:
            row_errors.append(str(LEFT_BEFORE_HIRED))

        certificate, level, issued_on, expires_on = "", "", None, None
        if any(text(c) for c in CERTIFICATE_COLUMNS):
            certificate = text("证书名称")
            level = levels.get(text("证书等级").lower(), "")
            if text("证书等级") and not level:
                row_errors.append(
                    str(BAD_CHOICE)
                    % {
                        "column": "证书等级",
                        "allowed": chinese_labels(CertificationLevel),
                        "value": text("证书等级"),
                    }
                )
            issued_on, expires_on = day("发证日期", True), day("有效期至", True)
            if not certificate or not text("证书等级"):
                row_errors.append(str(INCOMPLETE))
            if issued_on and expires_on and expires_on < issued_on:
                row_errors.append(str(EXPIRES_BEFORE_ISSUED))

        course, hours, completed_on = "", None, None
        if any(text(c) for c in TRAINING_COLUMNS):
            course = text("课程")
            completed_on = day("完成日期", True)
            try:
                hours = Decimal(text("学时"))
                if not (0 <= hours <= 1000):
                    raise InvalidOperation
            except InvalidOperation:
                row_errors.append(str(BAD_HOURS) % {"value": text("学时")})
                hours = None
            if not course:
                row_errors.append(str(INCOMPLETE))

        if row_errors:
            errors.extend((line, message) for message in dict.fromkeys(row_errors))
            continue
        assert hire_date is not None
        rows.append(
            RosterRow(
                name=name,
                role=role,
                hire_date=hire_date,
                left_on=left_on,
                certificate=certificate,
                level=level,
                certificate_number=text("证书编号"),
                issued_on=issued_on,
                expires_on=expires_on,
                course=course,
                hours=hours,
                completed_on=completed_on,
            )
        )
    return ParseResult(rows if not errors else [], errors)
