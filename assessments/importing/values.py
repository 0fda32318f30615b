"""Parsers for one cell: text in, a canonical value out, or `CellError` with the reason.

They are called a million times for a large file, so the common case takes a fast path
(one compiled regular expression) and only unusual input pays for more work. Canonical
values are plain text where the database reads text anyway (timestamps as local
'YYYY-MM-DD HH:MM:SS', money as '1234.50'), so the COPY path writes them as they are.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta, timezone
from decimal import Decimal
from typing import Any

from assessments.periods import SHANGHAI

from . import messages as msg


class CellError(Exception):
    """The reason one cell is not acceptable, already in the user's language."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


def fail(message: Any, **params: Any) -> CellError:
    """The message (a lazy translation) in the active language, with its parameters filled in."""
    text = str(message)
    return CellError(text % params if params else text)


# --- timestamps ------------------------------------------------------------------------

_CANONICAL_TS = re.compile(r"(\d{4}-[01]\d-[0-3]\d) (?:[01]\d|2[0-3]):[0-5]\d:[0-5]\d")
_TS = re.compile(
    r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})[ T](\d{1,2}):(\d{2})(?::(\d{2})(?:[.,]\d+)?)?"
    r"\s*(Z|[+-]\d{2}(?::?\d{2})?)?"
)
# A spreadsheet date cell arrives as midnight of that day.
_DATE = re.compile(r"(\d{4})[-/](\d{1,2})[-/](\d{1,2})(?: 00:00(?::00)?)?")
# Calendar days seen so far: 'YYYY-MM-DD' -> True. A file spans few days, so this stays small.
_real_days: dict[str, bool] = {}


def _is_real_day(year: int, month: int, day: int) -> bool:
    try:
        date(year, month, day)
    except ValueError:
        return False
    return True


def is_real_day(day: str) -> bool:
    """Whether 'YYYY-MM-DD' (digits in place) is a day of the calendar; remembered per day."""
    known = _real_days.get(day)
    if known is None:
        known = _real_days[day] = _is_real_day(int(day[:4]), int(day[5:7]), int(day[8:10]))
    return known


def parse_timestamp(text: str) -> str:
    """A local Asia/Shanghai time as 'YYYY-MM-DD HH:MM:SS' (whole seconds)."""
    if _CANONICAL_TS.fullmatch(text):
        if is_real_day(text[:10]):
            return text
        raise fail(msg.ROW_NO_SUCH_DAY, value=text)
    match = _TS.fullmatch(text)
    if not match:
        raise fail(msg.ROW_BAD_TIMESTAMP, value=text)
    year, month, day, hour, minute = (int(g) for g in match.group(1, 2, 3, 4, 5))
    second = int(match.group(6) or 0)
    if not _is_real_day(year, month, day):
        raise fail(msg.ROW_NO_SUCH_DAY, value=text)
    if hour > 23 or minute > 59 or second > 59:
        raise fail(msg.ROW_BAD_TIMESTAMP, value=text)
    offset = match.group(7)
    if offset:
        moment = datetime(year, month, day, hour, minute, second, tzinfo=_parse_offset(offset))
        local = moment.astimezone(SHANGHAI)
        year, month, day, hour, minute, second = (
            local.year,
            local.month,
            local.day,
            local.hour,
            local.minute,
            local.second,
        )
    return f"{year:04d}-{month:02d}-{day:02d} {hour:02d}:{minute:02d}:{second:02d}"


def _parse_offset(text: str) -> timezone:
    if text == "Z":
        return UTC
    sign = -1 if text[0] == "-" else 1
    digits = text[1:].replace(":", "")
    hours, minutes = int(digits[:2]), int(digits[2:4] or 0)
    return timezone(sign * timedelta(hours=hours, minutes=minutes))


def local_to_aware(text: str | None) -> datetime | None:
    """'YYYY-MM-DD HH:MM:SS' local time as an aware datetime (for the ORM path)."""
    if text is None:
        return None
    return datetime(
        int(text[:4]),
        int(text[5:7]),
        int(text[8:10]),
        int(text[11:13]),
        int(text[14:16]),
        int(text[17:19]),
        tzinfo=SHANGHAI,
    )


def parse_date(text: str) -> str:
    """A calendar day as 'YYYY-MM-DD'."""
    match = _DATE.fullmatch(text)
    if not match:
        raise fail(msg.ROW_BAD_DATE, value=text)
    year, month, day = (int(g) for g in match.groups())
    if not _is_real_day(year, month, day):
        raise fail(msg.ROW_NO_SUCH_DAY, value=text)
    return f"{year:04d}-{month:02d}-{day:02d}"


# --- sane ranges of dates --------------------------------------------------------------


@dataclass(frozen=True)
class DateRange:
    """Where a kind of date may lie: from a fixed first day to some days after today.

    A date outside it is a typing slip (9999-12-31, 0202-05-01, a day and month swapped into
    the wrong year) that would otherwise be stored silently. The window is fixed once per
    import (`today` in Asia/Shanghai) and checked on the canonical text by its first `width`
    characters: 10 compares days, 7 compares months. Both ends are inclusive.
    """

    earliest: date
    days_ahead: int
    message: Any
    width: int = 10

    def limits(self, today: date) -> tuple[str, str]:
        latest = today + timedelta(days=self.days_ahead)
        return self.earliest.isoformat()[: self.width], latest.isoformat()[: self.width]

    def bounded(self, parse: Callable[[str], str], today: date) -> Callable[[str], str]:
        """`parse`, then the range check."""
        earliest, latest = self.limits(today)
        width, message = self.width, self.message

        def parse_within(text: str) -> str:
            value = parse(text)
            if earliest <= value[:width] <= latest:
                return value
            raise fail(message, value=text, earliest=earliest, latest=latest)

        return parse_within


# Assessment months start in 2000 (periods.Month refuses earlier ones), so no service record
# is older. What has happened (a repair order opened or closed, a complaint received, a
# survey answered, parts ordered or delivered) is at most a day ahead of the portal's clock:
# slack for a system clock that runs ahead or a time zone converted the wrong way, no more.
SERVICE_EVENT = DateRange(date(2000, 1, 1), 1, msg.ROW_EVENT_OUT_OF_RANGE)
# A promised delivery time may lie ahead of the import: a long accident repair is promised
# weeks or months away, never more than a year.
PROMISE = DateRange(date(2000, 1, 1), 366, msg.ROW_PROMISE_OUT_OF_RANGE)
# Car dealerships in China date from the 1980s (the first joint ventures); a dealer may be
# registered before it opens, up to a year ahead. Until its opening month it is not assessed.
OPENING = DateRange(date(1980, 1, 1), 366, msg.ROW_OPENING_OUT_OF_RANGE)
# A monthly report is for a month that has begun (it is due after the month ends).
REPORT_MONTH = DateRange(date(2000, 1, 1), 0, msg.ROW_PERIOD_OUT_OF_RANGE, width=7)


_PERIOD = re.compile(r"(\d{4})[-/](\d{1,2})")


def parse_period(text: str) -> str:
    match = _PERIOD.fullmatch(text)
    if not match or not 1 <= int(match.group(2)) <= 12 or int(match.group(1)) < 1900:
        raise fail(msg.ROW_BAD_PERIOD, value=text)
    return f"{int(match.group(1)):04d}-{int(match.group(2)):02d}"


# --- numbers ---------------------------------------------------------------------------

_GROUPED_DECIMAL = re.compile(r"\d{1,3}(?:,\d{3})+(?:\.\d{1,2})?")
_ANY_NUMBER = re.compile(r"[+-]?(?:\d[\d,]*)?(?:\.\d*)?")


def decimal_parser(*, grouping: bool, max_integer_digits: int = 12) -> Callable[[str], str]:
    """A parser of a non-negative number with at most 2 decimals, returned as canonical text.

    `grouping` accepts a thousands separator (“1,234.50”): money may have one, since it
    arrives in a quoted CSV field; other numbers may not.
    """
    bad = msg.ROW_BAD_MONEY if grouping else msg.ROW_BAD_DECIMAL
    plain = re.compile(r"\d{1,%d}(?:\.\d{1,2})?" % max_integer_digits).fullmatch  # noqa: UP031 - a regex

    def parse(text: str) -> str:
        if plain(text):
            return text
        value = text.replace(",", "") if grouping and _GROUPED_DECIMAL.fullmatch(text) else text
        if value is not text and plain(value):
            return value
        if re.fullmatch(r"\d+(?:\.\d{1,2})?", value):
            raise fail(msg.ROW_TOO_BIG, value=text)
        if text.startswith("-") and _ANY_NUMBER.fullmatch(text) and any(c.isdigit() for c in text):
            raise fail(msg.ROW_NEGATIVE, value=text)
        raise fail(bad, value=text)

    return parse


_INTEGER = re.compile(r"\d{1,9}")
_INTEGER_WITH_ZERO_FRACTION = re.compile(r"(\d{1,9})\.0*")


def integer_parser(minimum: int, maximum: int | None = None) -> Callable[[str], int]:
    """A whole number within bounds ('3.0' from a spreadsheet counts as 3)."""

    def parse(text: str) -> int:
        if _INTEGER.fullmatch(text):
            number = int(text)
        else:
            match = _INTEGER_WITH_ZERO_FRACTION.fullmatch(text)
            if not match:
                if text.startswith("-") and text[1:].strip().isdigit():
                    raise fail(msg.ROW_BELOW_MIN, value=text, min=minimum)
                raise fail(msg.ROW_BAD_INTEGER, value=text)
            number = int(match.group(1))
        if maximum is not None and not minimum <= number <= maximum:
            raise fail(msg.ROW_OUT_OF_RANGE, value=number, min=minimum, max=maximum)
        if number < minimum:
            raise fail(msg.ROW_BELOW_MIN, value=number, min=minimum)
        return number

    return parse


def to_decimal(text: str | None) -> Decimal | None:
    return None if text is None else Decimal(text)


# --- text and codes --------------------------------------------------------------------


def text_parser(max_length: int | None = None) -> Callable[[str], str]:
    def parse(text: str) -> str:
        if max_length is not None and len(text) > max_length:
            raise fail(msg.ROW_TOO_LONG, max=max_length)
        return text

    return parse


_DEALER_CODE = re.compile(r"[A-Za-z0-9-]{1,20}")


def parse_dealer_code(text: str) -> str:
    if not _DEALER_CODE.fullmatch(text):
        raise fail(msg.ROW_BAD_DEALER_CODE, value=text)
    return text


_VIN = re.compile(r"[A-HJ-NPR-Z0-9]{17}")


def parse_vin(text: str) -> str:
    vin = text.upper()
    if not _VIN.fullmatch(vin):
        raise fail(msg.ROW_BAD_VIN, value=text)
    return vin


def choice_parser(values: Mapping[str, str]) -> Callable[[str], str]:
    """One of a closed list; `values` maps every accepted spelling (lower-cased) to the stored value."""
    shown = ", ".join(dict.fromkeys(values.values()))

    def parse(text: str) -> str:
        value = values.get(text) or values.get(text.lower())
        if value is None:
            raise fail(msg.ROW_BAD_CHOICE, value=text, choices=shown)
        return value

    return parse
