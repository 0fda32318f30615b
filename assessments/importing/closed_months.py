"""A closed month is frozen in its evidence: no import row may add or change what it counted.

Each kind says where its records count (`COUNTED`): a date that places a record in a month
and the fields that month's KPIs read of it (docs/closed-months.md gives the same rules in
prose). For every row of a chunk, the record as stored (fetched by natural key, set-wise)
and the record as the row would write it are each reduced to a *footprint*: for each month
the record counts in, the values that month reads. A row is refused when the two footprints
differ in any closed month — a new record counting there, a change to what it read, a record
moving into or out of it. A row that changes only what no closed month reads (a later
month's dates, free text, labour hours) goes through, and so does an unchanged re-import.

The comeback rule looks back from later months; its flags are frozen separately, when the
period closes (assessments/services/freeze.py).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from operator import itemgetter
from typing import Any

from django.db import connection
from django.db.models import Q

from assessments.choices import ImportKind, SubmissionStatus
from assessments.periods import Month

from . import messages as msg
from .values import fail

Footprint = dict[str, tuple[str, tuple[Any, ...]]]  # month -> (deciding column, values read)


@dataclass(frozen=True)
class Counted:
    """One way a record counts in a month: the date that decides the month, what it reads."""

    date: str  # the model field (and file column) whose month the record counts in
    fields: tuple[str, ...]  # the model fields that month's KPIs read
    only_if: str | None = None  # counts only when this field has a value


RO_DELIVERED = (
    "vin",
    "repair_type",
    "fault_code",
    "opened_at",
    "promised_at",
    "closed_at",
    "labor_amount",
    "parts_amount",
    "warranty_cost",
)
SURVEY_ANSWERS = (
    "dealer_id",
    "repair_order_id",
    "responded_at",
    "overall",
    "reception",
    "diagnosis",
    "repair_quality",
    "attitude",
    "timeliness",
    "nps",
)
SUBMISSION_FIGURES = (
    "technicians",
    "certified_technicians",
    "equipment_total",
    "equipment_ok",
    "training_hours",
    "status",
)

COUNTED: dict[str, tuple[Counted, ...]] = {
    ImportKind.REPAIR_ORDERS: (
        # every delivery KPI: cycle, on time, first-time fix, complaint rate, warranty, output
        Counted("closed_at", RO_DELIVERED),
        # appointment_lead_days: booked orders opened in the month
        Counted("opened_at", ("opened_at", "booked_at"), only_if="booked_at"),
    ),
    ImportKind.COMPLAINTS: (
        Counted(
            "received_at",
            ("dealer_id", "repair_order_id", "received_at", "closed_at", "category", "severity"),
        ),
    ),
    ImportKind.SURVEY_RESPONSES: (Counted("responded_at", SURVEY_ANSWERS),),
    ImportKind.PARTS_ORDERS: (Counted("fulfilled_at", ("dealer_id", "ordered_at", "fulfilled_at")),),
    ImportKind.SUBMISSIONS: (Counted("period", SUBMISSION_FIGURES),),
}


def _month(value: Any) -> str:
    if isinstance(value, datetime):
        return str(Month.of(value))
    return str(value)[:7]  # a period 'YYYY-MM'


def footprint(kind: str, values: dict[str, Any]) -> Footprint:
    """For each month a record counts in: the column that puts it there and what is read."""
    out: dict[str, tuple[str, tuple[Any, ...]]] = {}
    for counted in COUNTED[kind]:
        moment = values[counted.date]
        if moment is None or (counted.only_if and values[counted.only_if] is None):
            continue
        month = _month(moment)
        read = tuple(values[f] for f in counted.fields)
        if month in out:  # opened and delivered in the same month: the month reads both
            column, before = out[month]
            out[month] = (column, before + read)
        else:
            out[month] = (counted.date, read)
    return out


def check_closed_months(
    kind: Any,
    records: list[tuple[Any, ...]],
    context: Any,
    actor: Any,
    repair_orders: dict[tuple[int, str], int],
    rejected: dict[int, Any],
) -> None:
    """Reject (in `rejected`, by record index) every row that would change a closed month.

    Cheap when nothing touches a closed month, the common case: the months a row would
    count in are read from its canonical text, and only stored records that count in a
    closed month are fetched (one query per slice of keys). Only rows that touch a closed
    month, before or after, are converted and compared value by value.
    """
    closed = context.closed_periods
    counted = COUNTED.get(kind.kind)
    if not closed or counted is None:
        return
    from .writing import ORM_TABLES  # writing calls this module; import it lazily

    table = ORM_TABLES[kind.kind]
    position = {name: i for i, name in enumerate(table.fields)}
    key_of = _key_getter([position[k] for k in table.key])
    dates = [(position[c.date], None if c.only_if is None else position[c.only_if]) for c in counted]
    pending = [i for i in range(len(records)) if i not in rejected] if rejected else range(len(records))
    stored = _stored(kind.kind, table.model, table.key, [key_of(records[i]) for i in pending], closed)
    for i in pending:
        record = records[i]
        before = stored.get(key_of(record)) if stored else None
        if before is None:
            for at, when in dates:
                value = record[at]
                if value is not None and value[:7] in closed and (when is None or record[when] is not None):
                    break
            else:
                continue  # neither as stored nor as imported does it count in a closed month
        after = footprint(kind.kind, _values(kind.kind, table, record, actor, repair_orders))
        before = before or {}
        for month in sorted((set(before) | set(after)) & closed):
            if before.get(month, (None, None))[1] != after.get(month, (None, None))[1]:
                column = (after.get(month) or before[month])[0]
                rejected[i] = (column, fail(msg.ROW_PERIOD_CLOSED, value=month).message)
                break


def _key_getter(positions: list[int]) -> Callable[[tuple[Any, ...]], tuple[Any, ...]]:
    if len(positions) == 1:
        (only,) = positions
        return lambda record: (record[only],)
    return itemgetter(*positions)


def _values(
    kind: str, table: Any, record: tuple[Any, ...], actor: Any, repair_orders: dict[tuple[int, str], int]
) -> dict[str, Any]:
    """The record as its writer would store it (model field → value)."""
    values = {
        name: convert(value) for name, convert, value in zip(table.fields, table.convert, record, strict=True)
    }
    if "repair_order_id" in values:
        number = record[2]
        values["repair_order_id"] = None if number is None else repair_orders.get((record[1], number))
    if kind == ImportKind.SUBMISSIONS:
        values["status"] = SubmissionStatus.APPROVED if actor.approves else SubmissionStatus.SUBMITTED
    return values


def _in_closed_months(kind: str, closed: frozenset[str]) -> Q:
    """Stored records counting in one of the closed months, by the dates of `COUNTED`."""
    condition = Q(pk__in=[])
    if kind == ImportKind.SUBMISSIONS:
        return Q(period__in=sorted(closed))
    for counted in COUNTED[kind]:
        for start, end in _ranges(closed):
            q = Q(**{f"{counted.date}__gte": start, f"{counted.date}__lt": end})
            if counted.only_if:
                q &= Q(**{f"{counted.only_if}__isnull": False})
            condition |= q
    return condition


def _ranges(closed: frozenset[str]) -> list[tuple[datetime, datetime]]:
    """The closed months as few [start, end) intervals: runs of consecutive months merge."""
    out: list[tuple[datetime, datetime]] = []
    for month in sorted(Month.parse(code) for code in closed):
        if out and out[-1][1] == month.start:
            out[-1] = (out[-1][0], month.end)
        else:
            out.append((month.start, month.end))
    return out


def _stored(
    kind: str, model: Any, key: tuple[str, ...], keys: list[tuple[Any, ...]], closed: frozenset[str]
) -> dict[tuple[Any, ...], Footprint]:
    """The footprints of the stored records under these keys that count in a closed month."""
    if not keys:
        return {}
    fields = sorted({f for c in COUNTED[kind] for f in (c.date, *c.fields, c.only_if) if f})
    columns = [*key, *(f for f in fields if f not in key)]
    wanted = set(keys)
    found: dict[tuple[Any, ...], Footprint] = {}
    for part in _slices(list(wanted), len(key)):
        if connection.vendor == "postgresql":
            rows = _pg_rows(kind, model, key, columns, part, closed)
        else:
            query = model.objects.filter(**_key_lookup(key, part)).filter(_in_closed_months(kind, closed))
            rows = query.order_by().values(*columns)
        for values in rows:
            record_key = tuple(values[k] for k in key)
            if record_key in wanted:
                found[record_key] = footprint(kind, values)
    return found


def _key_lookup(key: tuple[str, ...], keys: Sequence[tuple[Any, ...]]) -> dict[str, Any]:
    if len(key) == 1:
        return {f"{key[0]}__in": [k[0] for k in keys]}
    return {f"{key[0]}__in": {k[0] for k in keys}, f"{key[1]}__in": {k[1] for k in keys}}


SEPARATOR = "\x1f"


def _pg_rows(
    kind: str,
    model: Any,
    key: tuple[str, ...],
    columns: list[str],
    keys: Sequence[tuple[Any, ...]],
    closed: frozenset[str],
) -> list[dict[str, Any]]:
    """PostgreSQL: the keys joined as a set, one probe of the unique index each, filtered
    by the closed months' dates. (Two `= ANY` lists would make it scan the table.)"""
    meta = model._meta
    column = {name: meta.get_field(name).column for name in columns}
    sources, params, on = [], [], []
    for n, part in enumerate(key):
        values = [str(k[n]) for k in keys]
        sql_type = "bigint" if part == "dealer_id" else "text"
        if any(SEPARATOR in v for v in values):  # never in real keys; an array literal then
            sources.append(f"%s::{sql_type}[]")
            params.append([k[n] for k in keys])
        else:
            # One string split by the server: parsing a 20,000-element array literal would
            # cost more than the look-up itself.
            sources.append(f"string_to_array(%s, E'\\x1f')::{sql_type}[]")
            params.append(SEPARATOR.join(values))
        on.append(f"t.{column[part]} = k.c{n}")
    if kind == ImportKind.SUBMISSIONS:
        where = [f"t.{column['period']} = ANY(%s)"]
        params.append(sorted(closed))
    else:
        where = []
        for counted in COUNTED[kind]:
            date = f"t.{column[counted.date]}"
            for start, end in _ranges(closed):
                test = f"{date} >= %s AND {date} < %s"
                if counted.only_if:
                    test += f" AND t.{column[counted.only_if]} IS NOT NULL"
                where.append(f"({test})")
                params += [start, end]
    names = ", ".join(f"c{n}" for n in range(len(key)))
    sql = (
        f"SELECT {', '.join(f't.{column[c]}' for c in columns)} FROM {meta.db_table} t"
        f" JOIN unnest({', '.join(sources)}) AS k({names}) ON {' AND '.join(on)}"
        f" WHERE {' OR '.join(where)}"
    )
    with connection.cursor() as cursor:
        cursor.execute(sql, params)
        return [dict(zip(columns, row, strict=True)) for row in cursor.fetchall()]


def _slices(items: Sequence[Any], width: int) -> Iterable[Sequence[Any]]:
    limit = connection.features.max_query_params or 50_000
    size = max(100, min(limit - 100, 50_000) // width)
    for start in range(0, len(items), size):
        yield items[start : start + size]
