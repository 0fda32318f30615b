"""Writing validated records: checks that need the database, then a set-based upsert.

PostgreSQL: each chunk is COPied into a temporary staging table and merged set-based:
`UPDATE … FROM staging WHERE key matches AND (columns) IS DISTINCT FROM (staged)`, then
`INSERT … SELECT … WHERE NOT EXISTS (key)`; identical rows are left alone, and the two
row counts give created / updated / unchanged.
Other databases (SQLite in development and tests): bulk look-ups of the chunk's keys,
`bulk_create` and `bulk_update`.

Both run inside the caller's transaction; neither commits. On SQLite, which has one
writer at a time, a dry run (and the check before an all-or-nothing import) takes the ORM
path with `counting=True`: the same look-ups decide created / updated / unchanged, and
nothing is written, so it needs no transaction and holds no write lock.
"""

from __future__ import annotations

import io
import re
import uuid
from collections.abc import Callable, Iterable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from operator import itemgetter
from typing import Any

from django.db import IntegrityError, connection, transaction
from django.db.models import NOT_PROVIDED, Model, Q

from assessments.choices import DEALER_CHANNELS, ImportKind, RecordChannel, SubmissionStatus
from assessments.models import Complaint, MonthlySubmission, PartsOrder, RecordChange, RepairOrder
from assessments.models.provenance import history_value
from dealers.choices import Role
from dealers.models import Dealer, Region
from surveys.models import SurveyResponse

from . import messages as msg
from .closed_months import check_closed_months
from .kinds import Context, Kind, Record
from .values import fail, local_to_aware, to_decimal

Counts = tuple[int, int, int]  # created, updated, unchanged


def lookup_slice() -> int:
    """How many keys one look-up query may carry (SQLite limits query parameters)."""
    limit = connection.features.max_query_params or 50_000
    return max(100, min(limit - 100, 50_000))


def _slices(items: Sequence[Any], size: int | None = None) -> Iterable[Sequence[Any]]:
    size = size or lookup_slice()
    for start in range(0, len(items), size):
        yield items[start : start + size]


# The look-up's keys: a TEMP table, private to the connection and kept in memory
# (temp_store=MEMORY), so filling it takes no lock on the database file.
LOOKUP_TABLE = "import_lookup_keys"


def _ids_by_key(table: str, first: str, second: str, keys: Sequence[tuple[Any, Any]]) -> dict[tuple, int]:
    """{key: id} of the rows of `table` whose (first, second) is one of `keys`, by a join
    with a temporary table of the keys (SQLite): one index probe per key, whatever the
    table's size."""
    found: dict[tuple, int] = {}
    if not keys:
        return found
    quote = connection.ops.quote_name
    with connection.cursor() as cursor:
        cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {LOOKUP_TABLE} (first_value, second_value)")
        cursor.execute(f"DELETE FROM {LOOKUP_TABLE}")
        cursor.executemany(f"INSERT INTO {LOOKUP_TABLE} VALUES (%s, %s)", list(keys))
        cursor.execute(
            f"SELECT t.{quote(first)}, t.{quote(second)}, t.id FROM {LOOKUP_TABLE} k"
            f" CROSS JOIN {quote(table)} t"  # CROSS JOIN: SQLite probes t's index per key
            f" WHERE t.{quote(first)} = k.first_value AND t.{quote(second)} = k.second_value"
        )
        for a, b, pk in cursor.fetchall():
            found[(a, b)] = pk
        cursor.execute(f"DELETE FROM {LOOKUP_TABLE}")
    return found


def _utc_text(value: datetime) -> str:
    """An aware datetime as Django stores it on SQLite: naive UTC, ISO with a space."""
    return str(value.astimezone(UTC).replace(tzinfo=None))


_AS_IS = {
    "AutoField",
    "BigAutoField",
    "BigIntegerField",
    "BooleanField",
    "CharField",
    "DecimalField",  # sqlite3 adapts Decimal to text, as Django registers it
    "ForeignKey",
    "IntegerField",
    "PositiveIntegerField",
    "PositiveSmallIntegerField",
    "SmallIntegerField",
    "TextField",
}


_EIGHT_HOURS = timedelta(hours=8)
_SHANGHAI_FIXED_FROM = "1992"  # UTC+8 all year from here on (no summer time since 1991)


def _local_text_to_utc_text(text: str) -> str:
    """'YYYY-MM-DD HH:MM:SS' Shanghai time as Django stores it on SQLite (naive UTC text).

    Asia/Shanghai has been UTC+8 without daylight saving since September 1991: the offset is
    subtracted as it is; older times take the time-zone database.
    """
    if text >= _SHANGHAI_FIXED_FROM:
        return str(datetime.fromisoformat(text) - _EIGHT_HOURS)
    return _utc_text(local_to_aware(text))  # type: ignore[arg-type]


def _fast_converter(convert: Callable[[Any], Any], field: Any) -> Callable[[Any], Any]:
    """A record's non-None value as the SQLite driver takes it for `field`, cheaper than
    converting to Python and then `get_db_prep_save` per value (the record is validated)."""
    internal = field.get_internal_type()
    if convert is _ts:
        return _local_text_to_utc_text
    if convert is to_decimal:
        # The validated text as it is: the driver would be handed str(Decimal(text)), the same.
        return _same
    if internal in _AS_IS:
        return convert
    if internal == "DateTimeField":
        return lambda value: _utc_text(convert(value))
    if internal == "DateField":
        return lambda value: str(convert(value))
    return lambda value: field.get_db_prep_save(convert(value), connection)


def bulk_insert(model: type[Model], objs: Sequence[Model]) -> None:
    """Insert new model instances whose ids nobody needs back: on SQLite by one prepared
    INSERT run over all of them (`executemany`, the import's path for new rows), elsewhere
    by `bulk_create`. Columns left to a database default in the first instance are left to
    it in all of them."""
    if not objs:
        return
    if connection.vendor != "sqlite":
        model._default_manager.bulk_create(objs, batch_size=2000)
        return
    from django.db.models.expressions import DatabaseDefault

    first = objs[0]
    fields: list[Any] = [
        f
        for f in model._meta.concrete_fields
        if not f.primary_key and not isinstance(getattr(first, f.attname), DatabaseDefault)
    ]
    quote = connection.ops.quote_name
    table: Any = model._meta.db_table
    sql = (
        f"INSERT INTO {quote(table)} ({', '.join(quote(f.column) for f in fields)})"
        f" VALUES ({', '.join(['%s'] * len(fields))})"
    )
    params = [[f.get_db_prep_save(f.pre_save(obj, True), connection) for f in fields] for obj in objs]
    with connection.cursor() as cursor:
        cursor.executemany(sql, params)


# --- checks against the database --------------------------------------------------------


@dataclass
class Actor:
    """Who imports, as the writers need it. `user` None is a system import with HQ rights."""

    user: Any
    approves: bool  # submissions are stored approved (HQ and managers) or submitted (dealer users)
    channel: str = RecordChannel.SYSTEM  # stamped on the rows it creates and changes
    # A dealer user: may change only the rows its own dealer's channels created.
    dealer_only: bool = False

    @property
    def user_id(self) -> int | None:
        return self.user.pk if self.user is not None and self.user.pk else None


def import_channel(user: Any, through_api: bool = False) -> str:
    """The channel an import by `user` writes through: None is the command line (HQ system)."""
    if user is None or not user.pk:
        return RecordChannel.SYSTEM
    if user.role == Role.DEALER_USER:
        return RecordChannel.DMS_API if through_api else RecordChannel.DEALER_IMPORT
    return RecordChannel.HQ_IMPORT


def check_chunk(
    kind: Kind, records: list[Record], context: Context, actor: Actor
) -> tuple[dict[int, str], dict]:
    """Rules that need the database, set-wise for a chunk.

    Returns {index of the rejected record: (column, reason)} and the ids of the repair
    orders the records refer to, {(dealer_id, ro_number): id}.
    """
    rejected: dict[int, Any] = {}
    repair_orders: dict[tuple[int, str], int] = {}
    if kind.references_repair_orders:
        repair_orders = _existing_repair_orders({(r[1], r[2]) for r in records if r[2] is not None})
        for i, record in enumerate(records):
            if record[2] is not None and (record[1], record[2]) not in repair_orders:
                code = next(c for c, pk in context.dealers.items() if pk == record[1])
                rejected[i] = (
                    "ro_number",
                    fail(msg.ROW_UNKNOWN_REPAIR_ORDER, value=record[2], dealer=code).message,
                )
    _check_provenance(kind, records, actor, rejected)
    _check_reserved_ids(kind, records, rejected)
    if kind.kind == ImportKind.SUBMISSIONS and not actor.approves:
        approved = set()
        for part in _slices(list({r[0] for r in records})):
            approved.update(
                MonthlySubmission.objects.filter(
                    dealer_id__in=part, status=SubmissionStatus.APPROVED
                ).values_list("dealer_id", "period")
            )
        for i, record in enumerate(records):
            if (record[0], record[1]) in approved:
                rejected.setdefault(i, ("period", fail(msg.ROW_ALREADY_APPROVED, value=record[1]).message))
    check_closed_months(kind, records, context, actor, repair_orders, rejected)
    return rejected, repair_orders


def _existing_repair_orders(pairs: set[tuple[int, str]]) -> dict[tuple[int, str], int]:
    found: dict[tuple[int, str], int] = {}
    if not pairs:
        return found
    numbers = sorted({number for _, number in pairs})
    dealers = sorted({dealer for dealer, _ in pairs})
    half = lookup_slice() // 2
    for part in _slices(numbers, half):
        for dealer_part in _slices(dealers, half):
            rows = RepairOrder.objects.filter(dealer_id__in=dealer_part, ro_number__in=part).values_list(
                "dealer_id", "ro_number", "id"
            )
            for dealer_id, number, pk in rows:
                if (dealer_id, number) in pairs:
                    found[(dealer_id, number)] = pk
    return found


@dataclass(frozen=True)
class RecordKey:
    """Where a service record's natural key (dealer, id) sits in a kind's record."""

    model: type[Model]
    field: str  # the id's model field
    position: int  # the id's position in the record
    dealer_position: int


# The kinds of service records, keyed per dealer (docs/data-keys.md), with provenance.
RECORD_KEYS: dict[str, RecordKey] = {
    ImportKind.REPAIR_ORDERS: RecordKey(RepairOrder, "ro_number", 1, 0),
    ImportKind.COMPLAINTS: RecordKey(Complaint, "complaint_id", 0, 1),
    ImportKind.SURVEY_RESPONSES: RecordKey(SurveyResponse, "response_id", 0, 1),
    ImportKind.PARTS_ORDERS: RecordKey(PartsOrder, "order_id", 0, 1),
}

# Ids the portal gives its own records (the customer's link, follow-up calls): no file may
# create one, or a dealer could take the id of an answer before the customer gives it.
RESERVED_PREFIXES: dict[str, str] = {
    ImportKind.SURVEY_RESPONSES: "WEB-",
    ImportKind.COMPLAINTS: "CALL-",
}


def _existing_keys(spec: RecordKey, records: list[Record], *filters: Q) -> dict[tuple[int, str], str]:
    """{(dealer_id, id): the channel that made it what it is} of the records' existing rows:
    the creation's, unless the row came through a dealer's channel and was changed since
    through another one."""
    pairs = {(r[spec.dealer_position], r[spec.position]) for r in records}
    found: dict[tuple[int, str], str] = {}
    dealers = sorted({dealer for dealer, _ in pairs})
    ids = sorted({key for _, key in pairs})
    half = lookup_slice() // 2
    for part in _slices(ids, half):
        for dealer_part in _slices(dealers, half):
            rows = spec.model.objects.filter(
                *filters, dealer_id__in=dealer_part, **{f"{spec.field}__in": part}
            ).values_list("dealer_id", spec.field, "created_channel", "changed_channel")
            for dealer_id, key, created, changed in rows:
                if (dealer_id, key) in pairs:
                    found[(dealer_id, key)] = changed if created in DEALER_CHANNELS and changed else created
    return found


def _check_provenance(kind: Kind, records: list[Record], actor: Actor, rejected: dict[int, Any]) -> None:
    """A dealer changes only the rows its own channels made; the others are read-only to it.

    A row is the dealer's while it came through the dealer's channels (dealer import, DMS
    API) and nobody else changed it since: once HQ corrects it (or voids it on appeal),
    the dealer cannot import the correction away. Records are keyed per dealer and a
    dealer user imports only its own dealer's rows, so the look-up never reaches another
    dealer's data: an id another dealer uses is a new record here.
    """
    spec = RECORD_KEYS.get(kind.kind)
    if spec is None or not actor.dealer_only or not records:
        return
    theirs = ~Q(created_channel__in=DEALER_CHANNELS) | Q(changed_channel__in=_NOT_DEALER_CHANNELS)
    foreign = _existing_keys(spec, records, theirs)
    if not foreign:
        return
    for i, record in enumerate(records):
        channel = foreign.get((record[spec.dealer_position], record[spec.position]))
        if channel is not None:
            message = fail(msg.ROW_NOT_DEALERS_RECORD, channel=RecordChannel(channel).label).message
            rejected.setdefault(i, (spec.field, message))


_NOT_DEALER_CHANNELS = sorted(set(RecordChannel.values) - set(DEALER_CHANNELS))


def _check_reserved_ids(kind: Kind, records: list[Record], rejected: dict[int, Any]) -> None:
    """No file creates a record under an id the portal gives (WEB-…, CALL-…)."""
    prefix = RESERVED_PREFIXES.get(kind.kind)
    if prefix is None:
        return
    spec = RECORD_KEYS[kind.kind]
    reserved = [(i, r) for i, r in enumerate(records) if r[spec.position].upper().startswith(prefix)]
    if not reserved:
        return
    existing = _existing_keys(spec, [r for _, r in reserved])
    for i, record in reserved:
        if (record[spec.dealer_position], record[spec.position]) not in existing:
            message = fail(msg.ROW_RESERVED_ID, value=record[spec.position], prefix=prefix).message
            rejected.setdefault(i, (spec.field, message))


# --- the ORM path -----------------------------------------------------------------------


def _ts(value: str | None) -> datetime | None:
    return local_to_aware(value)


def _day(value: str | None) -> date | None:
    return None if value is None else date.fromisoformat(value)


def _same(value: Any) -> Any:
    return value


@dataclass(frozen=True)
class OrmTable:
    """How a kind's record maps onto its model for the ORM path."""

    model: type[Model]
    fields: tuple[str, ...]  # model field of each record position
    convert: tuple[Callable[[Any], Any], ...]
    key: tuple[str, ...]


ORM_TABLES: dict[str, OrmTable] = {
    ImportKind.DEALERS: OrmTable(
        Dealer,
        ("code", "name", "region_id", "province", "city", "city_tier", "status", "opened_on"),
        (_same, _same, _same, _same, _same, _same, _same, _day),
        ("code",),
    ),
    ImportKind.REPAIR_ORDERS: OrmTable(
        RepairOrder,
        (
            "dealer_id",
            "ro_number",
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
        ),
        (
            _same,
            _same,
            _same,
            _same,
            _ts,
            _ts,
            _ts,
            _ts,
            _same,
            to_decimal,
            to_decimal,
            to_decimal,
            to_decimal,
        ),
        ("dealer_id", "ro_number"),
    ),
    ImportKind.COMPLAINTS: OrmTable(
        Complaint,
        (
            "complaint_id",
            "dealer_id",
            "repair_order_id",
            "received_at",
            "closed_at",
            "category",
            "severity",
            "description",
        ),
        (_same, _same, _same, _ts, _ts, _same, _same, _same),
        ("dealer_id", "complaint_id"),
    ),
    ImportKind.SURVEY_RESPONSES: OrmTable(
        SurveyResponse,
        (
            "response_id",
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
            "comment",
        ),
        (_same, _same, _same, _ts, _same, _same, _same, _same, _same, _same, _same, _same),
        ("dealer_id", "response_id"),
    ),
    ImportKind.PARTS_ORDERS: OrmTable(
        PartsOrder,
        ("order_id", "dealer_id", "part_number", "quantity", "ordered_at", "fulfilled_at"),
        (_same, _same, _same, _same, _ts, _ts),
        ("dealer_id", "order_id"),
    ),
    ImportKind.SUBMISSIONS: OrmTable(
        MonthlySubmission,
        (
            "dealer_id",
            "period",
            "technicians",
            "certified_technicians",
            "equipment_total",
            "equipment_ok",
            "training_hours",
        ),
        (_same, _same, _same, _same, _same, _same, to_decimal),
        ("dealer_id", "period"),
    ),
}


class OrmWriter:
    """Chunked bulk upsert through the ORM: one look-up of existing keys per slice.

    `counting` only counts what the upsert would do and writes nothing. That is faithful
    because no row of a file depends on another row's write: keys are unique within a file
    and the checks look at other tables (repair orders) or at rows the file does not hold.
    """

    def __init__(
        self, kind: Kind, actor: Actor, now: datetime, *, counting: bool = False, staging: bool = False
    ) -> None:
        self.kind = kind
        self.table = ORM_TABLES[kind.kind]
        self.actor = actor
        self.now = now
        self.counting = counting
        self.regions: dict[str, int] = {}
        # SQLite and a key of (dealer, id): look-ups by a join on the key, inserts by executemany.
        self.fast = connection.vendor == "sqlite" and len(self.table.key) == 2
        self.key_positions = tuple(self.table.fields.index(name) for name in self.table.key)
        self.insert_sql = ""
        self.insert_converters: list[Callable[[Any], Any]] = []
        self.insert_constants: list[Any] = []
        self.insert_columns: list[str] = []
        # The check pass of an all-or-nothing import on SQLite (counting) stages the typed rows
        # of chunks whose keys are all new; the writing pass moves them with one INSERT … SELECT.
        self.staging = staging and counting and self.fast
        self.staged: tuple[int, int] | None = None  # the rowids the last chunk staged

    def begin(self) -> None:
        if self.kind.kind == ImportKind.DEALERS:
            self.regions = dict(Region.objects.values_list("name", "id"))

    def end(self) -> None:
        pass

    def write(
        self, records: list[Record], repair_orders: dict[tuple[int, str], int], payload: bytes | None = None
    ) -> Counts:
        """`payload` is the COPY path's (CopyWriter.copy_text); the ORM path has no use for it."""
        created = updated = unchanged = 0
        self.staged = None
        # SQLite: the whole chunk at once (keys looked up through a join, new rows inserted by
        # one prepared statement); elsewhere slices the size of one look-up query.
        size = max(len(records), 1) if self.fast else 500
        for part in _slices(records, size):
            c, u, n = self._write_slice(part, repair_orders)
            created, updated, unchanged = created + c, updated + u, unchanged + n
        return created, updated, unchanged

    def _values(self, record: Record, repair_orders: dict[tuple[int, str], int]) -> dict[str, Any]:
        table = self.table
        values = {
            name: convert(value)
            for name, convert, value in zip(table.fields, table.convert, record, strict=True)
        }
        if "repair_order_id" in values:
            number = record[2]
            values["repair_order_id"] = None if number is None else repair_orders[(record[1], number)]
        if self.kind.kind == ImportKind.DEALERS:
            values["region_id"] = self._region_id(record[2])
        return values

    def _region_id(self, name: str) -> int:
        region_id = self.regions.get(name)
        if region_id is None and self.counting:
            # A region the file would create: an id no existing region has, nothing written.
            region_id = self.regions[name] = -1 - len(self.regions)
        elif region_id is None:
            region_id = self.regions[name] = Region.objects.get_or_create(name=name)[0].pk
        return region_id

    def _existing(self, rows: list[dict[str, Any]]) -> dict[tuple[Any, ...], Model]:
        key = self.table.key
        model = self.table.model
        if len(key) == 1:
            found = model.objects.filter(**{f"{key[0]}__in": [r[key[0]] for r in rows]})
        else:
            found = model.objects.filter(
                **{f"{key[0]}__in": {r[key[0]] for r in rows}, f"{key[1]}__in": {r[key[1]] for r in rows}}
            )
        return {tuple(getattr(obj, k) for k in key): obj for obj in found}

    def _ids_by_key(self, records: Sequence[Record]) -> dict[tuple, int]:
        meta: Any = self.table.model._meta
        first, second = self.table.key
        a, b = self.key_positions
        return _ids_by_key(
            meta.db_table,
            meta.get_field(first).column,
            meta.get_field(second).column,
            [(r[a], r[b]) for r in records],
        )

    def _load(self, rows: list[dict[str, Any]], found: dict[tuple, int]) -> dict[tuple[Any, ...], Model]:
        """The existing rows among `rows`, by the ids the key look-up found."""
        first, second = self.table.key
        ids = [found[(r[first], r[second])] for r in rows]
        existing: dict[tuple[Any, ...], Model] = {}
        for part in _slices(ids):
            for obj in self.table.model._default_manager.filter(pk__in=part):
                existing[(getattr(obj, first), getattr(obj, second))] = obj
        return existing

    def _insert(self, records: list[Record], repair_orders: dict) -> None:
        """New rows by one prepared INSERT run over all of them (`executemany`): no model
        instances, no statement rebuilt per batch of 999 parameters as `bulk_create` does."""
        params = self._insert_params(records, repair_orders)
        with connection.cursor() as cursor:
            cursor.executemany(self.insert_sql, params)

    # Staging (SQLite): a TEMP table, private to the connection and kept in memory, so the
    # check pass fills it without locking the database file, while the parsing thread goes on
    # (sqlite3 lets go of the GIL while it steps). It has the INSERT's columns without types,
    # so every value keeps the type it was bound with, as the direct INSERT binds it.

    @property
    def stage_table(self) -> str:
        return f"import_stage_{self.table.model._meta.db_table}"

    def stage_clear(self) -> None:
        """Drop the staged rows (before a check pass, and once the import is over)."""
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS temp.{self.stage_table}")

    def _stage(self, records: list[Record], repair_orders: dict) -> tuple[int, int] | None:
        """Stage the records' own columns; the rowids they got, first and last.

        The local times stay as they are (SQLite converts them when the rows move, see
        `_moved`) and the values every new row shares are added then too, so a chunk of repair
        orders goes in as the validated tuples, with no Python per row. Only what SQLite cannot
        do is done here: other conversions, the id of a complaint's repair order. A chunk with
        a time before 1992 (summer time: the time-zone database's work; service records start
        in 2000, so it does not happen) is not staged and takes the direct INSERT.
        """
        if not self.insert_sql:
            self._prepare_insert()
        width = len(self.table.fields)
        times = [i for i, convert in enumerate(self.insert_converters) if convert is _local_text_to_utc_text]
        others = [
            (i, convert)
            for i, convert in enumerate(self.insert_converters)
            if convert is not _same and convert is not _local_text_to_utc_text
        ]
        for i in times:  # min() over the column runs in C: no Python loop per row
            earliest = min(filter(None, map(itemgetter(i), records)), default=None)
            if earliest is not None and earliest < _SHANGHAI_FIXED_FROM:
                return None
        rows: Sequence[Any] = records
        if others or "repair_order_id" in self.table.fields:
            rows = [list(r) for r in records]
            for row in rows:
                for i, convert in others:
                    if row[i] is not None:
                        row[i] = convert(row[i])
            if "repair_order_id" in self.table.fields:
                position = self.table.fields.index("repair_order_id")
                for record, row in zip(records, rows, strict=True):
                    number = record[2]
                    row[position] = None if number is None else repair_orders[(record[1], number)]
        with connection.cursor() as cursor:
            columns = ", ".join(f"c{i}" for i in range(width))
            cursor.execute(f"CREATE TEMP TABLE IF NOT EXISTS {self.stage_table} ({columns})")
            cursor.execute(f"SELECT coalesce(max(rowid), 0) FROM {self.stage_table}")
            first = cursor.fetchone()[0] + 1
            cursor.executemany(f"INSERT INTO {self.stage_table} VALUES ({', '.join(['%s'] * width)})", rows)
        return first, first + len(rows) - 1

    def _staged_ids(self, staged: tuple[int, int]) -> dict[tuple, int]:
        """{key: id} of the existing rows whose key a staged row has (one index probe per row)."""
        meta: Any = self.table.model._meta
        quote = connection.ops.quote_name
        first, second = (quote(meta.get_field(name).column) for name in self.table.key)
        a, b = self.key_positions
        with connection.cursor() as cursor:
            cursor.execute(
                f"SELECT t.{first}, t.{second}, t.id FROM {self.stage_table} s"
                f" CROSS JOIN {quote(meta.db_table)} t"  # CROSS JOIN: SQLite probes t's index per row
                f" WHERE s.rowid BETWEEN %s AND %s AND t.{first} = s.c{a} AND t.{second} = s.c{b}",
                list(staged),
            )
            return {(x, y): pk for x, y, pk in cursor.fetchall()}

    def _unstage(self, staged: tuple[int, int]) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DELETE FROM {self.stage_table} WHERE rowid BETWEEN %s AND %s", list(staged))

    def _moved(self, i: int) -> str:
        """The SELECT's expression for the staged column `i`: a local time (from 1992 on: see
        `_stage`) becomes UTC text by SQLite's `datetime`, 'YYYY-MM-DD HH:MM:SS', what Django
        stores for whole seconds (validated times are whole seconds)."""
        if self.insert_converters[i] is _local_text_to_utc_text:
            return f"datetime(c{i}, '-8 hours')"
        return f"c{i}"

    def write_staged(self, staged: tuple[int, int]) -> int:
        """Insert the rows the check pass staged (rowids first to last) into the real table:
        one INSERT … SELECT, no Python per row. Their keys were all new at the check; one taken
        since by another import fails the unique key, and the import starts again (service)."""
        if not self.insert_sql:
            self._prepare_insert()
        quote = connection.ops.quote_name
        selected = [self._moved(i) for i in range(len(self.table.fields))]
        selected += ["%s"] * len(self.insert_constants)
        with connection.cursor() as cursor:
            cursor.execute(
                f"INSERT INTO {quote(self.table.model._meta.db_table)}"
                f" ({', '.join(quote(c) for c in self.insert_columns)})"
                f" SELECT {', '.join(selected)} FROM {self.stage_table}"
                f" WHERE rowid BETWEEN %s AND %s ORDER BY rowid",
                [*self.insert_constants, *staged],
            )
            return cursor.rowcount

    def _insert_params(self, records: list[Record], repair_orders: dict) -> list[list[Any]]:
        """The INSERT's parameters for `records`: converted as Django stores them, then the
        values every new row shares."""
        if not self.insert_sql:
            self._prepare_insert()
        constants = self.insert_constants
        converted = [(i, convert) for i, convert in enumerate(self.insert_converters) if convert is not _same]
        params: list[list[Any]] = []
        append = params.append
        for record in records:
            row = [*record, *constants]
            for i, convert in converted:
                value = row[i]
                if value is not None:
                    row[i] = convert(value)
            append(row)
        if "repair_order_id" in self.table.fields:
            position = self.table.fields.index("repair_order_id")
            for record, row in zip(records, params, strict=True):
                number = record[2]
                row[position] = None if number is None else repair_orders[(record[1], number)]
        return params

    def _prepare_insert(self) -> None:
        """The INSERT of the record's columns, then the values every new row shares (the
        creation stamps, the Python defaults); columns with a database default are left to it."""
        meta: Any = self.table.model._meta
        fields: list[Any] = [meta.get_field(name) for name in self.table.fields]
        self.insert_converters = [
            _fast_converter(convert, field) for convert, field in zip(self.table.convert, fields, strict=True)
        ]
        shared = {**self._extra_values(), **self._on_create()}
        columns = [field.column for field in fields]
        for field in meta.concrete_fields:
            if field.primary_key or field.attname in self.table.fields:
                continue
            if field.attname in shared or field.name in shared:
                value = shared.get(field.attname, shared.get(field.name))
                if isinstance(value, Model):
                    value = value.pk
            elif field.db_default is not NOT_PROVIDED:
                continue
            else:
                value = field.get_default()
            columns.append(field.column)
            self.insert_constants.append(field.get_db_prep_save(value, connection))
        quote = connection.ops.quote_name
        self.insert_columns = columns
        self.insert_sql = (
            f"INSERT INTO {quote(meta.db_table)} ({', '.join(quote(c) for c in columns)})"
            f" VALUES ({', '.join(['%s'] * len(columns))})"
        )

    def _write_slice(self, records: Sequence[Record], repair_orders: dict) -> Counts:
        fresh: list[Record] = []
        if self.fast:
            # New keys go straight from the record to the INSERT's parameters; only the rows
            # whose key exists become model instances, to be compared and maybe updated.
            # The check pass stages the chunk first and finds its existing keys by a join with
            # the stage (which is then the look-up's table); the chunk stays staged if none exist.
            staged = self._stage(records, repair_orders) if self.staging else None
            found = self._staged_ids(staged) if staged else self._ids_by_key(records)
            first, second = self.key_positions
            fresh = [r for r in records if (r[first], r[second]) not in found]
            if fresh:
                records = [r for r in records if (r[first], r[second]) in found]
            if fresh and not self.counting:
                self._insert(fresh, repair_orders)
            if staged and records:
                self._unstage(staged)  # some keys exist: this chunk takes the way of compare and update
            elif staged:
                self.staged = staged
        rows = [self._values(r, repair_orders) for r in records]
        existing = self._load(rows, found) if self.fast else self._existing(rows)
        key = self.table.key
        compare = [f for f in self.table.fields if f not in key] + self._extra_compared()
        new: list[Model] = []
        changed: list[Model] = []
        history: list[RecordChange] = []
        unchanged = 0
        for values in rows:
            values.update(self._extra_values())
            obj = existing.get(tuple(values[k] for k in key))
            if obj is None:
                new.append(self.table.model(**values, **self._on_create()))
                continue
            differ = [f for f in compare if getattr(obj, f) != values[f]]
            if not differ:
                unchanged += 1
                continue
            if self.keeps_history:
                history.append(self._change(obj, differ, values))
            for f in compare:
                setattr(obj, f, values[f])
            for f, value in self._on_change().items():
                setattr(obj, f, value)
            changed.append(obj)
        model = self.table.model
        if self.counting:
            return len(new) + len(fresh), len(changed), unchanged
        if new:
            model.objects.bulk_create(new)
        if changed:
            fields = compare + list(self._on_change())
            model.objects.bulk_update(changed, fields)
        if history:
            RecordChange.objects.bulk_create(history)
        return len(new) + len(fresh), len(changed), unchanged

    def _change(self, obj: Model, fields: list[str], values: dict[str, Any]) -> RecordChange:
        return RecordChange(
            model=obj._meta.label_lower,
            record_id=obj.pk,
            dealer_id=obj.dealer_id,  # type: ignore[attr-defined]
            changed_at=self.now,
            user_id=self.actor.user_id,
            channel=self.actor.channel,
            before={f: history_value(getattr(obj, f)) for f in fields},
            after={f: history_value(values[f]) for f in fields},
        )

    @property
    def keeps_history(self) -> bool:
        """Every kind but dealers is a record that counts in a KPI."""
        return self.kind.kind != ImportKind.DEALERS

    # Per-kind extras: what is compared, what is stamped on a created or changed row.

    def _extra_compared(self) -> list[str]:
        return ["status"] if self.kind.kind == ImportKind.SUBMISSIONS else []

    def _extra_values(self) -> dict[str, Any]:
        if self.kind.kind == ImportKind.SUBMISSIONS:
            return {
                "status": SubmissionStatus.APPROVED if self.actor.approves else SubmissionStatus.SUBMITTED
            }
        return {}

    def _stamps(self) -> dict[str, Any]:
        stamps: dict[str, Any] = {}
        if self.kind.kind != ImportKind.DEALERS:
            stamps["imported_at"] = self.now
        if self.kind.kind == ImportKind.SUBMISSIONS:
            user = self.actor.user
            if self.actor.approves:
                stamps.update(
                    reviewed_at=self.now, reviewed_by=user if user is not None and user.pk else None
                )
            else:
                stamps.update(submitted_at=self.now)
        return stamps

    def _on_change(self) -> dict[str, Any]:
        stamps = self._stamps()
        if self.kind.kind in RECORD_KEYS:
            stamps.update(
                changed_at=self.now, changed_by_id=self.actor.user_id, changed_channel=self.actor.channel
            )
        return stamps

    def _on_create(self) -> dict[str, Any]:
        stamps = self._stamps()
        if self.kind.kind == ImportKind.SUBMISSIONS and self.actor.approves:
            stamps["submitted_at"] = self.now
        if self.kind.kind == ImportKind.SURVEY_RESPONSES:
            stamps["source"] = SurveyResponse.Source.IMPORT
        if self.kind.kind in RECORD_KEYS:
            stamps.update(created_channel=self.actor.channel, created_by_id=self.actor.user_id)
        return stamps


# --- the PostgreSQL COPY path -----------------------------------------------------------

_NEEDS_ESCAPE = re.compile(r"[\\\t\n\r]")


def _escape(text: str) -> str:
    return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")


@dataclass(frozen=True)
class CopyTable:
    """How a kind's record is staged and merged on PostgreSQL."""

    model: type[Model]
    stage: tuple[tuple[str, str], ...]  # (staging column, type) in record order
    free_text: tuple[int, ...]  # record positions that may hold tabs, newlines or backslashes
    conflict: tuple[str, ...]
    insert_only: tuple[tuple[str, str], ...] = ()  # (column, SQL value) set on creation only
    resolves_repair_order: bool = False

    @property
    def direct(self) -> bool:
        """Whether the record can be COPied straight into the table (nothing to resolve)."""
        return not self.resolves_repair_order and not self.insert_only


COPY_TABLES: dict[str, CopyTable] = {
    ImportKind.REPAIR_ORDERS: CopyTable(
        RepairOrder,
        (
            ("dealer_id", "bigint"),
            ("ro_number", "text"),
            ("vin", "text"),
            ("repair_type", "text"),
            ("booked_at", "timestamp"),
            ("opened_at", "timestamp"),
            ("promised_at", "timestamp"),
            ("closed_at", "timestamp"),
            ("fault_code", "text"),
            ("labor_hours", "numeric"),
            ("labor_amount", "numeric"),
            ("parts_amount", "numeric"),
            ("warranty_cost", "numeric"),
        ),
        free_text=(1, 8),
        conflict=("dealer_id", "ro_number"),
    ),
    ImportKind.COMPLAINTS: CopyTable(
        Complaint,
        (
            ("complaint_id", "text"),
            ("dealer_id", "bigint"),
            ("ro_number", "text"),
            ("received_at", "timestamp"),
            ("closed_at", "timestamp"),
            ("category", "text"),
            ("severity", "text"),
            ("description", "text"),
        ),
        free_text=(0, 2, 7),
        conflict=("dealer_id", "complaint_id"),
        resolves_repair_order=True,
    ),
    ImportKind.SURVEY_RESPONSES: CopyTable(
        SurveyResponse,
        (
            ("response_id", "text"),
            ("dealer_id", "bigint"),
            ("ro_number", "text"),
            ("responded_at", "timestamp"),
            ("overall", "smallint"),
            ("reception", "smallint"),
            ("diagnosis", "smallint"),
            ("repair_quality", "smallint"),
            ("attitude", "smallint"),
            ("timeliness", "smallint"),
            ("nps", "smallint"),
            ("comment", "text"),
        ),
        free_text=(0, 2, 11),
        conflict=("dealer_id", "response_id"),
        insert_only=(("source", "'import'"), ("excluded", "false"), ("excluded_reason", "''")),
        resolves_repair_order=True,
    ),
    ImportKind.PARTS_ORDERS: CopyTable(
        PartsOrder,
        (
            ("order_id", "text"),
            ("dealer_id", "bigint"),
            ("part_number", "text"),
            ("quantity", "integer"),
            ("ordered_at", "timestamp"),
            ("fulfilled_at", "timestamp"),
        ),
        free_text=(0, 2),
        conflict=("dealer_id", "order_id"),
    ),
}


def copy_lines(records: Iterable[Record], free_text: tuple[int, ...]) -> str:
    """Records as COPY text format: tab-separated, \\N for NULL, escapes where needed; every
    line ends in a newline."""
    lines = []
    append = lines.append
    needs_escape = _NEEDS_ESCAPE.search
    for record in records:
        cells = [r"\N" if v is None else (v if type(v) is str else str(v)) for v in record]
        for i in free_text:
            value = record[i]
            if value is not None and needs_escape(value):
                cells[i] = _escape(value)
        append("\t".join(cells))
    append("")
    return "\n".join(lines)


def copy_into(cursor: Any, table: str, columns: Sequence[str], payload: str | bytes) -> None:
    """COPY text-format rows into `table` (psycopg2's copy_expert, or psycopg 3's copy)."""
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    raw = getattr(cursor, "cursor", cursor)
    data = payload if isinstance(payload, bytes) else payload.encode("utf-8")
    with connection.wrap_database_errors:  # raise Django's IntegrityError, as cursor.execute does
        if hasattr(raw, "copy_expert"):
            raw.copy_expert(sql, io.BytesIO(data), size=1 << 20)
        else:  # psycopg 3
            with raw.copy(sql) as copy:
                copy.write(data)


class CopyWriter:
    """COPY each chunk into a temporary staging table, then merge it set-based.

    Two statements per chunk instead of `INSERT … ON CONFLICT`, whose speculative
    insertion costs about 60 % more per new row: an UPDATE of the rows whose key exists
    and whose values differ, then an INSERT of the keys that do not exist yet. Imports
    of one kind are serialised by an advisory lock, so no other import can slip a key in
    between. The chunk is small next to the table, so both joins probe the unique index
    row by row; the planner is told so, rather than left to hash the whole table per chunk.

    While every chunk so far held only new keys, the next one is first tried without any
    probing, in a savepoint: COPied straight into the table where nothing needs resolving
    (repair and parts orders), else a plain INSERT from staging. A unique violation rolls
    it back and the chunk takes the two-statement path.
    """

    def __init__(self, kind: Kind, actor: Actor, now: datetime) -> None:
        self.kind = kind.kind
        self.spec = COPY_TABLES[kind.kind]
        self.now = now
        self.stage = f"import_stage_{uuid.uuid4().hex[:12]}"
        self.actor = actor
        self.update_sql, self.insert_sql, self.history_sql = self._merge_sql()
        self.plain_insert_sql = self.insert_sql.partition(" WHERE NOT EXISTS")[0]
        self.update_params = [now, now, actor.user_id, actor.channel]
        self.insert_params = [now, actor.channel, actor.user_id]
        self.history_params = [self.spec.model._meta.label_lower, now, actor.user_id, actor.channel]
        self.dealer_of = itemgetter([name for name, _ in self.spec.stage].index("dealer_id"))
        self.all_new_so_far = True
        self.time_zone = "UTC"
        self.planner: list[tuple[str, str]] = []

    def begin(self) -> None:
        columns = ", ".join(f"{name} {sql_type}" for name, sql_type in self.spec.stage)
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_xact_lock(hashtext(%s))", [f"assessments.import:{self.kind}"])
            cursor.execute(f"CREATE TEMPORARY TABLE {self.stage} ({columns}) ON COMMIT DROP")
            cursor.execute(
                "SELECT name, setting FROM pg_settings WHERE name IN ('enable_hashjoin', 'enable_mergejoin')"
            )
            self.planner = list(cursor.fetchall())
            cursor.execute("SHOW TIME ZONE")
            self.time_zone = cursor.fetchone()[0].replace("'", "")
            cursor.execute("SET LOCAL enable_hashjoin = off; SET LOCAL enable_mergejoin = off")

    def end(self) -> None:
        with connection.cursor() as cursor:
            cursor.execute(f"DROP TABLE IF EXISTS {self.stage}")
            for name, setting in self.planner:
                cursor.execute(f"SET LOCAL {name} = {'on' if setting == 'on' else 'off'}")

    def copy_text(self, records: list[Record]) -> bytes:
        """The records as the COPY text `write` takes (no database: the parsing process calls
        it, so that the importer only passes the bytes on).

        In the order of their dealers: each index that starts with the dealer (the unique key,
        a dealer's month by either time) then takes the chunk's rows in one sweep instead of
        at random places, a quarter of a million-row COPY (docs/benchmarks.md). Which row gets
        which id is not the file's order, and nothing reads it so.
        """
        return copy_lines(sorted(records, key=self.dealer_of), self.spec.free_text).encode("utf-8")

    def write(self, records: list[Record], repair_orders: dict, payload: bytes | None = None) -> Counts:
        """`payload`: the records as `copy_text` made them, if it did."""
        if not records:
            return 0, 0, 0
        if self.all_new_so_far and self.spec.direct and self._copy_straight_in(records, payload):
            return len(records), 0, 0
        if payload is None:
            payload = self.copy_text(records)
        with connection.cursor() as cursor:
            cursor.execute(f"TRUNCATE {self.stage}")
            copy_into(cursor, self.stage, [name for name, _ in self.spec.stage], payload)
            if self.all_new_so_far:
                # New data (next month's orders) is the common large import: insert the chunk
                # as it is, and let the unique index say whether a key already existed.
                try:
                    with transaction.atomic():
                        cursor.execute(self.plain_insert_sql, self.insert_params)
                    return cursor.rowcount, 0, 0
                except IntegrityError:
                    self.all_new_so_far = False
            # The history first: it reads the rows as they are before the UPDATE changes them.
            cursor.execute(self.history_sql, self.history_params)
            cursor.execute(self.update_sql, self.update_params)
            updated = cursor.rowcount
            cursor.execute(self.insert_sql, self.insert_params)
            created = cursor.rowcount
        self.all_new_so_far = created == len(records)
        return created, updated, len(records) - created - updated

    def _copy_straight_in(self, records: list[Record], text: bytes | None) -> bool:
        """COPY the chunk into the table itself, as if every key were new (the physical limit).

        Local times are read in the session time zone, set to Asia/Shanghai for the COPY
        only. A key that exists already breaks the unique index: the savepoint is rolled
        back (time zone included) and False returned, for the chunk to be merged instead.
        """
        table = self.spec.model._meta.db_table
        columns = [name for name, _ in self.spec.stage] + ["imported_at", "created_channel", "created_by_id"]
        user_id = self.actor.user_id
        extra = (self.now.isoformat(), str(self.actor.channel), r"\N" if user_id is None else str(user_id))
        if text is None:
            text = self.copy_text(records)
        # Every line ends in a newline (one inside a value is escaped): the cells go before it.
        payload = text.replace(b"\n", ("\t" + "\t".join(extra) + "\n").encode("utf-8"))
        try:
            with transaction.atomic(), connection.cursor() as cursor:
                cursor.execute("SET LOCAL TIME ZONE 'Asia/Shanghai'")
                copy_into(cursor, table, columns, payload)
                cursor.execute(f"SET LOCAL TIME ZONE '{self.time_zone}'")
        except IntegrityError:
            self.all_new_so_far = False
            return False
        return True

    def _merge_sql(self) -> tuple[str, str, str]:
        spec = self.spec
        table = spec.model._meta.db_table
        targets: list[str] = []
        selects: list[str] = []
        types: dict[str, str] = {}
        join = ""
        for name, sql_type in spec.stage:
            if name == "ro_number" and spec.resolves_repair_order:
                targets.append("repair_order_id")
                selects.append("r.id")
                types["repair_order_id"] = "bigint"
                join = (
                    f" LEFT JOIN {RepairOrder._meta.db_table} r"
                    " ON r.dealer_id = s.dealer_id AND r.ro_number = s.ro_number"
                )
                continue
            targets.append(name)
            types[name] = sql_type
            selects.append(
                f"s.{name} AT TIME ZONE 'Asia/Shanghai'" if sql_type == "timestamp" else f"s.{name}"
            )
        compared = [(c, e) for c, e in zip(targets, selects, strict=True) if c not in spec.conflict]
        same_key = " AND ".join(f"t.{c} = s.{c}" for c in spec.conflict)
        staged = (
            f"(SELECT {', '.join(f's.{c}' for c in spec.conflict)},"
            f" {', '.join(f'{e} AS {c}' for c, e in compared)} FROM {self.stage} s{join}) AS n"
        )
        differs = (
            f"{same_key.replace('s.', 'n.')}"
            f" AND ({', '.join(f't.{c}' for c, _ in compared)}) IS DISTINCT FROM"
            f" ({', '.join(f'n.{c}' for c, _ in compared)})"
        )
        update = (
            f"UPDATE {table} AS t SET {', '.join(f'{c} = n.{c}' for c, _ in compared)}, imported_at = %s,"
            " changed_at = %s, changed_by_id = %s, changed_channel = %s"
            f" FROM {staged} WHERE {differs}"
        )
        insert_columns = [
            *targets,
            "imported_at",
            "created_channel",
            "created_by_id",
            *(c for c, _ in spec.insert_only),
        ]
        insert_values = [*selects, "%s", "%s", "%s", *(v for _, v in spec.insert_only)]
        insert = (
            f"INSERT INTO {table} ({', '.join(insert_columns)})"
            f" SELECT {', '.join(insert_values)} FROM {self.stage} s{join}"
            f" WHERE NOT EXISTS (SELECT 1 FROM {table} t WHERE {same_key})"
        )

        def as_json(alias: str) -> str:
            pairs = ", ".join(f"'{c}', {_history_sql(f'{alias}.{c}', types[c])}" for c, _ in compared)
            return f"jsonb_build_object({pairs})"

        # The changed fields only, before and after, as history_value writes them on the ORM path.
        history = (
            f"INSERT INTO {RecordChange._meta.db_table}"
            " (model, record_id, dealer_id, changed_at, user_id, channel, before, after)"
            " SELECT %s, x.id, x.dealer_id, %s, %s, %s,"
            " (SELECT jsonb_object_agg(b.key, b.value) FROM jsonb_each(x.b) b WHERE b.value IS DISTINCT FROM x.a -> b.key),"
            " (SELECT jsonb_object_agg(a.key, a.value) FROM jsonb_each(x.a) a WHERE a.value IS DISTINCT FROM x.b -> a.key)"
            f" FROM (SELECT t.id, t.dealer_id, {as_json('t')} AS b, {as_json('n')} AS a"
            f" FROM {table} t, {staged} WHERE {differs}) AS x"
        )
        return update, insert, history


def _history_sql(column: str, sql_type: str) -> str:
    """A column as JSON, the way history_value writes it: UTC ISO times, money as text."""
    if sql_type == "timestamp":
        return f"""to_char({column} AT TIME ZONE 'UTC', 'YYYY-MM-DD"T"HH24:MI:SS') || '+00:00'"""
    if sql_type == "numeric":
        return f"to_char({column}::numeric(14, 2), 'FM999999999990.00')"
    return column


def writer_for(
    kind: Kind, actor: Actor, now: datetime, *, counting: bool = False, staging: bool = False
) -> OrmWriter | CopyWriter:
    """The writer for this database; `counting` (the ORM path) writes nothing and counts;
    `staging` (with counting, on SQLite) also stages the rows of all-new chunks."""
    if connection.vendor == "postgresql" and kind.kind in COPY_TABLES and not counting:
        return CopyWriter(kind, actor, now)
    return OrmWriter(kind, actor, now, counting=counting, staging=staging)
