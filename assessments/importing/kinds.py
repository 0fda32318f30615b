"""The six kinds of file of data-formats.md: their columns, rules and natural keys.

Each kind turns the cells of one row into a *record*: a tuple of canonical values in the
order its writer stores them, or a list of (column, reason) errors. Everything here is
pure Python over plain data, so the parsing thread needs no database.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import date, datetime
from typing import Any

from assessments.choices import ComplaintCategory, ImportKind, RepairType, Severity
from assessments.periods import SHANGHAI
from dealers.choices import DealerStatus

from . import messages as msg
from .reading import FileRejected
from .values import (
    OPENING,
    PROMISE,
    REPORT_MONTH,
    SERVICE_EVENT,
    CellError,
    DateRange,
    choice_parser,
    decimal_parser,
    fail,
    integer_parser,
    is_real_day,
    parse_date,
    parse_dealer_code,
    parse_period,
    parse_timestamp,
    parse_vin,
    text_parser,
)

Record = tuple[Any, ...]
# Stands in for a formula cell without a value, so its column reports that and nothing else.
FORMULA_PLACEHOLDER = "\x00formula"
Errors = list[tuple[str, str]]


@dataclass(frozen=True)
class Column:
    """One column of a kind of file: its English name, Chinese alias and rule.

    `within`: for a date, the sane range it must lie in (values.py), checked after `parse`.
    """

    name: str
    alias: str
    required: bool
    parse: Callable[[str], Any]
    default: Any = None
    within: DateRange | None = None


@dataclass
class Context:
    """What validating a row needs to know about the world, loaded once before reading.

    `dealers` maps the codes of the dealers in the importer's scope to their ids;
    `sees_all` is true when that scope is every dealer (HQ), so an unknown code can be
    called unknown; otherwise it is "not your dealer", which reveals nothing. `today`
    (Asia/Shanghai) fixes the sane ranges of dates for the whole import.
    """

    dealers: dict[str, int] = field(default_factory=dict)
    sees_all: bool = True
    closed_periods: frozenset[str] = frozenset()  # rows changing them are refused (closed_months.py)
    today: date = field(default_factory=lambda: datetime.now(SHANGHAI).date())


@dataclass
class BoundRow:
    """A kind bound to one file's header: where each column is, and how it is labelled."""

    positions: list[int]  # index in the row's cells, -1 when the (optional) column is absent
    labels: list[str]  # the column's header as the file spells it, for messages
    width: int  # the number of header cells


def _choices(enum: Any, aliases: dict[str, str]) -> Callable[[str], str]:
    values = {str(v): str(v) for v in enum.values}
    values.update(aliases)
    return choice_parser(values)


money = decimal_parser(grouping=True)
hours = decimal_parser(grouping=False, max_integer_digits=6)
training_hours = decimal_parser(grouping=False, max_integer_digits=8)
ident = text_parser(40)
score_1_5 = integer_parser(1, 5)
count = integer_parser(0)

REPAIR_TYPE = _choices(
    RepairType, {"保养": "maintenance", "维修": "repair", "索赔": "warranty", "事故": "accident"}
)
DEALER_STATUS = _choices(DealerStatus, {"正常": "active", "暂停": "suspended", "终止": "terminated"})
CATEGORY = _choices(
    ComplaintCategory,
    {"质量": "quality", "态度": "attitude", "时效": "timeliness", "价格": "price", "其他": "other"},
)
SEVERITY = _choices(Severity, {"一般": "normal", "重大": "major"})


class Kind:
    """A kind of file. Subclasses list the columns and turn parsed values into a record."""

    kind: str
    columns: tuple[Column, ...]
    key_columns: tuple[str, ...]
    references_repair_orders: bool = False

    def __init__(self) -> None:
        self.index = {column.name: i for i, column in enumerate(self.columns)}

    # -- header ----------------------------------------------------------------------

    def bind(self, header: Sequence[str]) -> BoundRow:
        """Find each column in the header by English name (any case) or Chinese alias."""
        lookup: dict[str, int] = {}
        for i, column in enumerate(self.columns):
            lookup[column.name.lower()] = i
            lookup[column.alias] = i
        positions = [-1] * len(self.columns)
        labels = [column.name for column in self.columns]
        for cell_index, cell in enumerate(header):
            text = cell.strip()
            i = lookup.get(text, lookup.get(text.lower(), -1))
            if i < 0:
                continue  # unknown columns are ignored
            if positions[i] >= 0:
                raise FileRejected(msg.FILE_DUPLICATE_COLUMN, column=text)
            positions[i] = cell_index
            labels[i] = text
        missing = [
            f"{column.name} ({column.alias})"
            for i, column in enumerate(self.columns)
            if column.required and positions[i] < 0
        ]
        if missing:
            raise FileRejected(msg.FILE_MISSING_COLUMNS, columns=", ".join(missing))
        return BoundRow(positions=positions, labels=labels, width=len(header))

    # -- rows ------------------------------------------------------------------------

    def validator(
        self, bound: BoundRow, context: Context, *, whole_rows: bool = True, fast: bool = True
    ) -> Callable[[list[str], tuple[int, ...]], Any]:
        """A function of (cells, formula cells) -> (record, key, months) or a list of errors.

        `whole_rows`: every row should have as many cells as the header (CSV). A spreadsheet
        row simply ends after its last filled cell. `fast`: try the kind's `fast_validator`
        first (False: the full rules only, which the tests compare it with).
        """
        width = bound.width
        # An absent (optional) column reads the empty cell padded in at index `width`.
        plan = [
            (
                position if position >= 0 else width,
                bound.labels[i],
                column.required,
                column.parse if column.within is None else column.within.bounded(column.parse, context.today),
                column.default,
            )
            for i, (position, column) in enumerate(zip(bound.positions, self.columns, strict=True))
        ]
        needed = max(position for position, *_ in plan) + 1
        finish = self.finish
        required_message = str(msg.ROW_REQUIRED)
        labels = bound.labels

        def validate(cells: list[str], formulas: tuple[int, ...]) -> Any:
            found = len(cells)
            if found != width:
                if found > width:
                    if any(cell.strip() for cell in cells[width:]):
                        return [("", str(msg.ROW_LONG))]
                elif whole_rows and any(
                    required and position >= found for position, _, required, _, _ in plan
                ):
                    # Cut short: a spreadsheet row may end early, but not before a required cell.
                    return [("", str(msg.ROW_SHORT) % {"found": found, "expected": width})]
            if found < needed:
                cells = cells + [""] * (needed - found)
            errors: Errors = []
            if formulas:
                # A formula saved without its value is an error of its own, not an empty cell.
                cells = list(cells)
                for position, label, *_ in plan:
                    if position in formulas:
                        errors.append((label, str(msg.ROW_FORMULA_NO_VALUE)))
                        cells[position] = FORMULA_PLACEHOLDER
            values: list[Any] = []
            append = values.append
            for position, label, required, parse, default in plan:
                text = cells[position].strip()
                if text:
                    try:
                        append(parse(text))
                    except CellError as error:
                        if text != FORMULA_PLACEHOLDER:
                            errors.append((label, error.message))
                        append(None)
                elif required:
                    errors.append((label, required_message))
                    append(None)
                else:
                    append(default)
            return finish(values, errors, labels, context)

        quick = self.fast_validator(bound, context) if whole_rows and fast else None
        if quick is None:
            return validate

        def validate_fast_first(cells: list[str], formulas: tuple[int, ...]) -> Any:
            if not formulas:
                result = quick(cells)
                if result is not None:
                    return result
            return validate(cells, formulas)

        return validate_fast_first

    def fast_validator(self, bound: BoundRow, context: Context) -> Callable[[list[str]], Any] | None:
        """A cheaper check of a row in the kind's canonical spelling, or None (no such path).

        It returns the very (record, key, months) the full rules give, or None for any row
        it is not sure of: that row then takes the full rules, which say what is wrong. So
        it may refuse a good row (which costs time), never accept a bad one or change a value
        (tests/assessments/test_importing_fast_rows.py compares the two on thousands of rows).
        """
        return None

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        raise NotImplementedError

    def key_label(self, bound: BoundRow) -> str:
        """How the natural key is named in messages, with the file's own column names."""
        return " + ".join(bound.labels[self.index[name]] for name in self.key_columns)

    # -- shared checks ---------------------------------------------------------------

    @staticmethod
    def dealer_id(code: str | None, label: str, errors: Errors, context: Context) -> int | None:
        if code is None:
            return None
        dealer_id = context.dealers.get(code)
        if dealer_id is None:
            message = msg.ROW_UNKNOWN_DEALER if context.sees_all else msg.ROW_NOT_YOUR_DEALER
            errors.append((label, fail(message, value=code).message))
        return dealer_id

    @staticmethod
    def not_before(later: str | None, earlier: str | None, label: str, other: str, errors: Errors) -> None:
        if later is not None and earlier is not None and later < earlier:
            errors.append((label, fail(msg.ROW_BEFORE, other=other).message))


class DealersKind(Kind):
    kind = ImportKind.DEALERS
    columns = (
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("name", "经销商名称", True, text_parser(200)),
        Column("region", "大区", True, text_parser(50)),
        Column("province", "省份", True, text_parser(50)),
        Column("city", "城市", True, text_parser(50)),
        Column("city_tier", "城市级别", True, integer_parser(1, 5)),
        Column("status", "状态", False, DEALER_STATUS, DealerStatus.ACTIVE.value),
        Column("opened_on", "开业日期", False, parse_date, within=OPENING),
    )
    key_columns = ("dealer_code",)

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        if errors:
            return errors
        return tuple(values), values[0], ()


class RepairOrdersKind(Kind):
    kind = ImportKind.REPAIR_ORDERS
    columns = (
        Column("ro_number", "工单号", True, ident),
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("vin", "VIN码", True, parse_vin),
        Column("repair_type", "维修类型", True, REPAIR_TYPE),
        Column("booked_at", "预约时间", False, parse_timestamp, within=SERVICE_EVENT),
        Column("opened_at", "开单时间", True, parse_timestamp, within=SERVICE_EVENT),
        Column("promised_at", "承诺交车时间", False, parse_timestamp, within=PROMISE),
        Column("closed_at", "交车时间", False, parse_timestamp, within=SERVICE_EVENT),
        Column("fault_code", "故障代码", False, text_parser(20), ""),
        Column("labor_hours", "工时", False, hours, "0"),
        Column("labor_amount", "工时费", False, money, "0"),
        Column("parts_amount", "配件费", False, money, "0"),
        Column("warranty_cost", "索赔金额", False, money, "0"),
    )
    key_columns = ("dealer_code", "ro_number")

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        (
            ro_number,
            code,
            vin,
            repair_type,
            booked_at,
            opened_at,
            promised_at,
            closed_at,
            fault_code,
            labor_hours,
            labor_amount,
            parts_amount,
            warranty_cost,
        ) = values
        dealer_id = self.dealer_id(code, labels[1], errors, context)
        if booked_at is not None and opened_at is not None and booked_at > opened_at:
            errors.append((labels[4], fail(msg.ROW_AFTER, other=labels[5]).message))
        self.not_before(promised_at, opened_at, labels[6], labels[5], errors)
        self.not_before(closed_at, opened_at, labels[7], labels[5], errors)
        if not fault_code and repair_type in ("repair", "warranty"):
            errors.append((labels[8], str(msg.ROW_FAULT_CODE_REQUIRED)))
        if errors:
            return errors
        record = (
            dealer_id,
            ro_number,
            vin,
            repair_type,
            booked_at,
            opened_at,
            promised_at,
            closed_at,
            fault_code,
            labor_hours,
            labor_amount,
            parts_amount,
            warranty_cost,
        )
        months = (opened_at[:7],) if closed_at is None else (opened_at[:7], closed_at[:7])
        return record, f"{code}\x1f{ro_number}", months

    def fast_validator(self, bound: BoundRow, context: Context) -> Callable[[list[str]], Any] | None:
        """A repair order written as the portal's template writes it (the DMS exports a million
        a month so): columns in the template's order, English repair types, upper-case VINs,
        'YYYY-MM-DD HH:MM:SS' times, plain numbers, no spaces around a cell. One regular
        expression checks the whole row; Python checks what it cannot (calendar days, the sane
        ranges, the dealer, the order of the times, the fault code a repair needs)."""
        if bound.width != len(self.columns) or bound.positions != list(range(len(self.columns))):
            return None
        match = _FAST_RO.fullmatch
        dealers = context.dealers
        event_from, event_to = SERVICE_EVENT.limits(context.today)
        promise_from, promise_to = PROMISE.limits(context.today)
        needs_fault = ("repair", "warranty")

        def fast(cells: list[str]) -> Any:
            found = match("\x00".join(cells))
            if found is None:
                return None
            (number, code, vin, repair_type, booked, opened, promised, closed, fault, *amounts) = (
                found.groups()
            )
            dealer_id = dealers.get(code)
            if (
                dealer_id is None
                or not (event_from <= opened[:10] <= event_to)
                or not is_real_day(opened[:10])
            ):
                return None
            if booked is not None and (
                booked > opened or not event_from <= booked[:10] <= event_to or not is_real_day(booked[:10])
            ):
                return None
            if promised is not None and (
                promised < opened
                or not promise_from <= promised[:10] <= promise_to
                or not is_real_day(promised[:10])
            ):
                return None
            if closed is not None and (
                closed < opened or not event_from <= closed[:10] <= event_to or not is_real_day(closed[:10])
            ):
                return None
            if not fault and repair_type in needs_fault:
                return None
            hours, labor, parts, warranty = (amount or "0" for amount in amounts)
            record = (dealer_id, number, vin, repair_type, booked, opened, promised, closed, fault)
            record += (hours, labor, parts, warranty)
            months = (opened[:7],) if closed is None else (opened[:7], closed[:7])
            return record, f"{code}\x1f{number}", months

        return fast


def _fast_pattern(*cells: str) -> re.Pattern[str]:
    return re.compile("\x00".join(cells))


_TIME = r"[0-9]{4}-[01][0-9]-[0-3][0-9] (?:[01][0-9]|2[0-3]):[0-5][0-9]:[0-5][0-9]"


def _text(most: int) -> str:
    """Free text of 1 to `most` characters, nothing stripped away at either end."""
    return rf"[^\s\x00](?:[^\x00]{{0,{most - 2}}}[^\s\x00])?"


# A repair-order row in the template's spelling, its 13 cells joined by NUL (no cell holds
# one: a row whose cells do would not match, and take the full rules).
_FAST_RO = _fast_pattern(
    f"({_text(40)})",  # ro_number
    r"([A-Za-z0-9-]{1,20})",  # dealer_code
    r"([A-HJ-NPR-Z0-9]{17})",  # vin
    r"(maintenance|repair|warranty|accident)",  # repair_type
    f"({_TIME})?",  # booked_at
    f"({_TIME})",  # opened_at
    f"({_TIME})?",  # promised_at
    f"({_TIME})?",  # closed_at
    f"((?:{_text(20)})?)",  # fault_code
    r"([0-9]{1,6}(?:\.[0-9]{1,2})?)?",  # labor_hours
    r"([0-9]{1,12}(?:\.[0-9]{1,2})?)?",  # labor_amount
    r"([0-9]{1,12}(?:\.[0-9]{1,2})?)?",  # parts_amount
    r"([0-9]{1,12}(?:\.[0-9]{1,2})?)?",  # warranty_cost
)


class ComplaintsKind(Kind):
    kind = ImportKind.COMPLAINTS
    columns = (
        Column("complaint_id", "投诉编号", True, ident),
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("ro_number", "工单号", False, ident),
        Column("received_at", "投诉时间", True, parse_timestamp, within=SERVICE_EVENT),
        Column("closed_at", "结案时间", False, parse_timestamp, within=SERVICE_EVENT),
        Column("category", "投诉类别", True, CATEGORY),
        Column("severity", "严重程度", False, SEVERITY, Severity.NORMAL.value),
        Column("description", "描述", False, text_parser(), ""),
    )
    # Keyed per dealer (docs/data-keys.md): another dealer's id is another record.
    key_columns = ("dealer_code", "complaint_id")
    references_repair_orders = True

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        complaint_id, code, ro_number, received_at, closed_at, category, severity, description = values
        dealer_id = self.dealer_id(code, labels[1], errors, context)
        self.not_before(closed_at, received_at, labels[4], labels[3], errors)
        if errors:
            return errors
        record = (complaint_id, dealer_id, ro_number, received_at, closed_at, category, severity, description)
        months = (received_at[:7],) if closed_at is None else (received_at[:7], closed_at[:7])
        return record, f"{code}\x1f{complaint_id}", months


class SurveyResponsesKind(Kind):
    kind = ImportKind.SURVEY_RESPONSES
    columns = (
        Column("response_id", "问卷编号", True, ident),
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("ro_number", "工单号", False, ident),
        Column("responded_at", "回访时间", True, parse_timestamp, within=SERVICE_EVENT),
        Column("overall", "总体满意度", True, score_1_5),
        Column("reception", "接待", False, score_1_5),
        Column("diagnosis", "故障诊断", False, score_1_5),
        Column("repair_quality", "维修质量", False, score_1_5),
        Column("attitude", "服务态度", False, score_1_5),
        Column("timeliness", "及时性", False, score_1_5),
        Column("nps", "推荐意愿", False, integer_parser(0, 10)),
        Column("comment", "意见", False, text_parser(), ""),
    )
    # Keyed per dealer (docs/data-keys.md): another dealer's id is another record.
    key_columns = ("dealer_code", "response_id")
    references_repair_orders = True

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        dealer_id = self.dealer_id(values[1], labels[1], errors, context)
        if errors:
            return errors
        code, values[1] = values[1], dealer_id
        return tuple(values), f"{code}\x1f{values[0]}", (values[3][:7],)


class PartsOrdersKind(Kind):
    kind = ImportKind.PARTS_ORDERS
    columns = (
        Column("order_id", "订单号", True, ident),
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("part_number", "零件号", True, text_parser(60)),
        Column("quantity", "数量", False, integer_parser(1), 1),
        Column("ordered_at", "订货时间", True, parse_timestamp, within=SERVICE_EVENT),
        Column("fulfilled_at", "到货时间", False, parse_timestamp, within=SERVICE_EVENT),
    )
    # Keyed per dealer (docs/data-keys.md): another dealer's id is another record.
    key_columns = ("dealer_code", "order_id")

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        order_id, code, part_number, quantity, ordered_at, fulfilled_at = values
        dealer_id = self.dealer_id(code, labels[1], errors, context)
        self.not_before(fulfilled_at, ordered_at, labels[5], labels[4], errors)
        if errors:
            return errors
        months = (ordered_at[:7],) if fulfilled_at is None else (ordered_at[:7], fulfilled_at[:7])
        return (
            (order_id, dealer_id, part_number, quantity, ordered_at, fulfilled_at),
            f"{code}\x1f{order_id}",
            months,
        )


class SubmissionsKind(Kind):
    kind = ImportKind.SUBMISSIONS
    columns = (
        Column("dealer_code", "经销商代码", True, parse_dealer_code),
        Column("period", "考核月份", True, parse_period, within=REPORT_MONTH),
        Column("technicians", "技师人数", True, count),
        Column("certified_technicians", "持证技师人数", True, count),
        Column("equipment_total", "设备总数", True, count),
        Column("equipment_ok", "完好设备数", True, count),
        Column("training_hours", "培训学时", True, training_hours),
    )
    key_columns = ("dealer_code", "period")

    def finish(self, values: list[Any], errors: Errors, labels: list[str], context: Context) -> Any:
        code, period, technicians, certified, equipment_total, equipment_ok, training = values
        dealer_id = self.dealer_id(code, labels[0], errors, context)
        if technicians is not None and certified is not None and certified > technicians:
            errors.append(
                (
                    labels[3],
                    fail(msg.ROW_MORE_THAN, value=certified, other=labels[2], limit=technicians).message,
                )
            )
        if equipment_total is not None and equipment_ok is not None and equipment_ok > equipment_total:
            errors.append(
                (
                    labels[5],
                    fail(
                        msg.ROW_MORE_THAN, value=equipment_ok, other=labels[4], limit=equipment_total
                    ).message,
                )
            )
        if errors:
            return errors
        record = (dealer_id, period, technicians, certified, equipment_total, equipment_ok, training)
        return record, f"{code}\x1f{period}", (period,)


KINDS: dict[str, Kind] = {
    k.kind: k
    for k in (
        DealersKind(),
        RepairOrdersKind(),
        ComplaintsKind(),
        SurveyResponsesKind(),
        PartsOrdersKind(),
        SubmissionsKind(),
    )
}


def get_kind(kind: str) -> Kind:
    try:
        return KINDS[str(kind)]
    except KeyError:
        raise FileRejected(msg.FILE_UNKNOWN_KIND, kind=kind) from None
