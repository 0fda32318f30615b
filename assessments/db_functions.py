"""Database functions the KPI queries need, written once per database vendor."""

from __future__ import annotations

from typing import Any

from django.db.models import FloatField, Func


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
