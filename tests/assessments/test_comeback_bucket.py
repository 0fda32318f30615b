"""The comeback look-up reads the index by 30-day bucket (issue #21, five years of history).

The bucket is only a way into the index: the rule is still scoring.md's "another repair RO of
the same VIN and fault opened in (delivery, delivery + 2,592,000 s]". So these tests put the
delivery and the repair that follows on either side of bucket boundaries and check the rule's
answer there, and that the database's bucket is Python's.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from django.db import connection

from assessments.db_functions import COMEBACK_BUCKET_SECONDS, ComebackBucket, comeback_bucket
from assessments.kpis import comeback_exists
from assessments.kpis.repair_orders import vehicle_repairs
from assessments.models import RepairOrder
from assessments.services.freeze import _repairs_opened_after
from tests.factories import RepairOrderFactory, local

pytestmark = pytest.mark.django_db

WINDOW = timedelta(seconds=2_592_000)
US = timedelta(microseconds=1)
SECOND = timedelta(seconds=1)


def boundary_after(moment: datetime) -> datetime:
    """The first bucket boundary after `moment` (an instant in UTC)."""
    bucket = comeback_bucket(moment) + 1
    return datetime(1970, 1, 1, tzinfo=UTC) + bucket * timedelta(seconds=COMEBACK_BUCKET_SECONDS)


EDGE = boundary_after(local("2026-10-15 00:00:00"))


def test_the_bucket_is_thirty_days_wide_and_the_same_in_python_and_the_database(dealer):
    instants = [
        EDGE - SECOND,
        EDGE - US,
        EDGE,
        EDGE + US,
        EDGE + WINDOW - US,
        EDGE + WINDOW,
        local("2021-10-01 00:00"),
    ]
    for n, instant in enumerate(instants):
        RepairOrderFactory(dealer=dealer, ro_number=f"B{n}", opened_at=instant)
    stored = dict(
        RepairOrder.objects.annotate(bucket=ComebackBucket("opened_at")).values_list("opened_at", "bucket")
    )
    assert stored == {instant: comeback_bucket(instant) for instant in instants}
    assert comeback_bucket(EDGE) == comeback_bucket(EDGE - US) + 1
    assert (
        comeback_bucket(EDGE + WINDOW) == comeback_bucket(EDGE + WINDOW - US) + 1 == comeback_bucket(EDGE) + 1
    )


@pytest.mark.parametrize(
    "closed_at",
    [EDGE - SECOND, EDGE - US, EDGE, EDGE + US, EDGE - WINDOW + SECOND],
    ids=[
        "a second before a boundary",
        "a microsecond before",
        "on the boundary",
        "a microsecond after",
        "a bucket before",
    ],
)
@pytest.mark.parametrize(
    ("gap", "counts"),
    [
        (US, True),
        (SECOND, True),
        (WINDOW - US, True),
        (WINDOW, True),
        (WINDOW + US, False),
        (timedelta(0), False),
    ],
    ids=[
        "a microsecond later",
        "a second later",
        "30 days less a microsecond",
        "exactly 30 days",
        "30 days and a microsecond",
        "the same instant",
    ],
)
def test_a_comeback_is_found_across_bucket_boundaries_exactly_as_the_rule_says(
    dealer, other_dealer, closed_at, gap, counts
):
    # Given a repair delivered near a boundary and the same vehicle's same fault opened `gap` later
    first = RepairOrderFactory(
        dealer=dealer,
        ro_number="FIRST",
        vin="LB3E8MAL8RV000001",
        opened_at=closed_at - timedelta(hours=5),
        closed_at=closed_at,
    )
    RepairOrderFactory(
        dealer=other_dealer,
        ro_number="NEXT",
        vin=first.vin,
        fault_code=first.fault_code,
        opened_at=closed_at + gap,
        closed_at=None,
    )
    # Then the engine's rule counts it exactly when the gap is in (0, 30 days]
    assert RepairOrder.objects.filter(pk=first.pk).filter(comeback_exists()).exists() is counts
    # and the look-up that closing a month freezes finds the same repairs
    found = _repairs_opened_after([first.vin], closed_at, closed_at + WINDOW)[(first.vin, first.fault_code)]
    assert [row["ro_number"] for row in found] == (["NEXT"] if counts else [])


def _plan(queryset) -> str:
    sql, params = queryset.query.sql_with_params()
    with connection.cursor() as cursor:
        if connection.vendor == "postgresql":
            # Near-empty tables: ask which index can serve the look-up, not which is cheapest.
            for setting in ("enable_seqscan", "enable_hashjoin", "enable_mergejoin", "enable_bitmapscan"):
                cursor.execute(f"SET LOCAL {setting} = off")
            cursor.execute("EXPLAIN " + sql, params)
        else:
            cursor.execute("EXPLAIN QUERY PLAN " + sql, params)
        return "\n".join(str(row[-1]) for row in cursor.fetchall())


def test_the_comeback_look_up_reads_the_bucketed_index_on_both_databases(dealer):
    RepairOrderFactory(dealer=dealer)
    plan = _plan(RepairOrder.objects.filter(comeback_exists()).values("pk"))
    assert "ro_comeback_bucket" in plan, plan


def test_a_vehicles_whole_history_is_found_through_the_bucketed_index(dealer, other_dealer):
    # Given one vehicle's repairs over years, at two dealers, and another vehicle's
    vin = "LB3E8MAL8RV000009"
    dates = [local("2000-01-01 00:00"), local("2021-10-03 08:00"), local("2026-10-10 09:00")]
    for n, opened in enumerate(dates):
        RepairOrderFactory(dealer=(dealer, other_dealer)[n % 2], ro_number=f"V{n}", vin=vin, opened_at=opened)
    RepairOrderFactory(dealer=dealer, ro_number="OTHER", vin="LB3E8MAL8RV000010")
    # Then all of them are found, and no other vehicle's
    found = vehicle_repairs(RepairOrder.objects.all(), vin).order_by("opened_at")
    assert [ro.ro_number for ro in found] == ["V0", "V1", "V2"]
    # through the index, not by reading the table
    assert "ro_comeback_bucket" in _plan(found.order_by().values("pk"))
