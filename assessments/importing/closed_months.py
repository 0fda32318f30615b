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

from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import connection

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
    """Reject (in `rejected`, by record index) every row that would change a closed month."""
    closed = context.closed_periods
    if not closed or kind.kind not in COUNTED:
        return
    from .writing import ORM_TABLES  # writing calls this module; import it lazily

    table = ORM_TABLES[kind.kind]
    rows: dict[int, dict[str, Any]] = {}
    for i, record in enumerate(records):
        if i in rejected:
            continue
        values = {
            name: convert(value)
            for name, convert, value in zip(table.fields, table.convert, record, strict=True)
        }
        if "repair_order_id" in values:
            number = record[2]
            values["repair_order_id"] = None if number is None else repair_orders.get((record[1], number))
        if kind.kind == ImportKind.SUBMISSIONS:
            values["status"] = SubmissionStatus.APPROVED if actor.approves else SubmissionStatus.SUBMITTED
        rows[i] = values
    stored = _stored(kind.kind, table.model, table.key, rows.values())
    for i, values in rows.items():
        before = stored.get(tuple(values[k] for k in table.key), {})
        after = footprint(kind.kind, values)
        for month in sorted(set(before) | set(after)):
            if month in closed and before.get(month, (None, None))[1] != after.get(month, (None, None))[1]:
                column = (after.get(month) or before[month])[0]
                rejected[i] = (column, fail(msg.ROW_PERIOD_CLOSED, value=month).message)
                break


def _stored(
    kind: str, model: Any, key: tuple[str, ...], rows: Iterable[dict[str, Any]]
) -> dict[tuple[Any, ...], Footprint]:
    """The footprints of the records already stored under the rows' keys, set-wise."""
    keys = [tuple(r[k] for k in key) for r in rows]
    if not keys:
        return {}
    fields = sorted({f for c in COUNTED[kind] for f in (c.date, *c.fields, c.only_if) if f})
    columns = [*key, *(f for f in fields if f not in key)]
    wanted = set(keys)
    found: dict[tuple[Any, ...], Footprint] = {}
    for part in _slices(sorted(wanted, key=repr), len(key)):
        if len(key) == 1:
            query = model.objects.filter(**{f"{key[0]}__in": [k[0] for k in part]})
        else:
            query = model.objects.filter(
                **{f"{key[0]}__in": {k[0] for k in part}, f"{key[1]}__in": {k[1] for k in part}}
            )
        for values in query.order_by().values(*columns):
            record_key = tuple(values[k] for k in key)
            if record_key in wanted:
                found[record_key] = footprint(kind, values)
    return found


def _slices(items: Sequence[Any], width: int) -> Iterable[Sequence[Any]]:
    limit = connection.features.max_query_params or 50_000
    size = max(100, min(limit - 100, 50_000) // width)
    for start in range(0, len(items), size):
        yield items[start : start + size]
