"""The SQLite fast path stores exactly what the ORM would (assessments/importing/writing.py)."""

from __future__ import annotations

import pytest
from django.db import connection

from assessments.importing.values import local_to_aware
from assessments.importing.writing import _local_text_to_utc_text

pytestmark = pytest.mark.skipif(connection.vendor != "sqlite", reason="the fast path is SQLite's")


@pytest.mark.parametrize(
    "local",
    [
        "2026-09-01 00:00:00",  # after midnight in Shanghai is the day before in UTC
        "2026-12-31 23:59:59",
        "1992-01-01 07:59:59",
        "1988-07-01 12:00:00",  # Shanghai kept summer time from 1986 to 1991: UTC+9
        "1991-09-14 12:00:00",
    ],
)
def test_a_local_time_is_stored_as_the_orm_stores_it(local):
    # given a validated local time of a file, when the fast path converts it for the INSERT
    # then it is the text Django's SQLite backend writes for the same moment
    expected = connection.ops.adapt_datetimefield_value(local_to_aware(local))
    assert _local_text_to_utc_text(local) == expected
