"""Database functions the KPI queries need, written once per database vendor."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager
from datetime import UTC, datetime, timedelta
from typing import Any

from django.db import DatabaseError, connection
from django.db.models import FloatField, Func, IntegerField


class EpochSeconds(Func):
    """Seconds since 1970 of a timestamp, exact to the second (and beyond where stored).

    Differences of two of these are exact durations, as scoring.md asks; julianday()
    arithmetic on SQLite would be off in the last digits.
    """

    arity = 1
    output_field = FloatField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self.as_sql(
            compiler, connection, template="EXTRACT(EPOCH FROM %(expressions)s)::float8", **extra
        )

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Django stores UTC text 'YYYY-MM-DD HH:MM:SS[.ffffff]'; add the fraction back.
        template = (
            "(CAST(strftime('%%%%s', %(expressions)s) AS REAL)"
            " + COALESCE(CAST(NULLIF(substr(%(expressions)s, 20), '') AS REAL), 0))"
        )
        return self.as_sql(compiler, connection, template=template, **extra)


# The comeback rule's window is exactly 30 days (scoring.md → "Comeback"); cutting time into
# 30-day buckets from 1970 puts every repair that can follow a delivery at `t` into bucket(t)
# or bucket(t) + 1, because (t, t + 30 days] never spans more than one bucket boundary.
COMEBACK_BUCKET_SECONDS = 2_592_000


class ComebackBucket(Func):
    """The 30-day bucket (since 1970-01-01 UTC) a timestamp falls in.

    The comeback index leads with it, so that a month's new repair orders are written into the
    index next to each other and the look-up of a vehicle's later repairs reads two buckets, not
    a B-tree of every vehicle's whole history (docs/benchmarks.md → "Five years of history").
    The SQL is immutable on both databases (it is indexed), and the constant is part of the SQL
    text, not a parameter, so that PostgreSQL matches a query's expression to the index's.
    """

    arity = 1
    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # timestamptz − timestamptz and EXTRACT from an interval are immutable (EXTRACT from a
        # timestamptz is not); FLOOR, not a cast, rounds toward the earlier bucket.
        template = (
            "FLOOR(EXTRACT(EPOCH FROM (%(expressions)s - TIMESTAMPTZ '1970-01-01 00:00:00+00'))"
            f" / {COMEBACK_BUCKET_SECONDS})::integer"
        )
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # Whole seconds suffice (the width is a whole number of them), and the fraction must go
        # before strftime: SQLite's date functions round it to milliseconds, so 23:59:59.999999
        # would land in the next second, and perhaps the next bucket.
        template = f"(CAST(strftime('%%%%s', substr(%(expressions)s, 1, 19)) AS INTEGER) / {COMEBACK_BUCKET_SECONDS})"
        return self.as_sql(compiler, connection, template=template, **extra)


def comeback_bucket(moment: datetime) -> int:
    """`ComebackBucket` of an aware datetime, computed in Python (the same integer)."""
    return (moment - _EPOCH) // timedelta(seconds=COMEBACK_BUCKET_SECONDS)


_EPOCH = datetime(1970, 1, 1, tzinfo=UTC)


@contextmanager
def planner(**settings: bool) -> Iterator[None]:
    """Run the block's queries with these PostgreSQL planner switches (`enable_…`), put back as
    they were when it ends; elsewhere a no-op. Two statements: one reads the old values and
    sets the new ones, one puts the old ones back.

    If the block fails inside a transaction that then rolls back, the rollback undoes the
    switches too (a SET is transactional), so a failed put-back is no loss.
    """
    if connection.vendor != "postgresql":
        yield
        return
    names = sorted(settings)
    old = ", ".join(f"current_setting('{name}') AS s{i}" for i, name in enumerate(names))
    new = ", ".join(f"set_config('{name}', '{'on' if settings[name] else 'off'}', false)" for name in names)
    with connection.cursor() as cursor:
        # The CTE is read before the outer SELECT's set_config runs: the values from before.
        cursor.execute(f"WITH old AS MATERIALIZED (SELECT {old}) SELECT old.*, {new} FROM old")
        saved = cursor.fetchone()[: len(names)]
    try:
        yield
    finally:
        back = ", ".join(f"set_config('{name}', %s, false)" for name in names)
        try:
            with connection.cursor() as cursor:
                cursor.execute(f"SELECT {back}", list(saved))
        except DatabaseError:
            if not connection.in_atomic_block:
                raise  # outside a transaction nothing else will undo them


def month_scans() -> Any:
    """A month's rows read by bitmap scans of an index: never the whole table, never one heap
    fetch per index entry. For the queries that read a month of every dealer (the recompute),
    and the comeback count, whose inner side is bounded to the month's window of repairs
    (month start, month end + 30 days].

    On five years of repair orders PostgreSQL's estimates pick badly for both (measured on
    61 M rows, docs/benchmarks.md → "Five years of history"): it reads all 61 M rows for one
    month (3.4 s, where the BRIN index of the time finds the month's block ranges: 0.6 s); it
    takes the time index's overall correlation (0.91) for order within a month, which is not
    there, and fetches a month's 1 M rows one by one (1.5–2.1 s, 0.23 s by bitmap); and it
    hashes every repair order of five years for the comeback count (5.9–15.8 s, 1.0 s for the
    window read by bitmap; 1.2 s on a one-month table).
    """
    return planner(enable_seqscan=False, enable_indexscan=False)
