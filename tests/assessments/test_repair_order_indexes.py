"""The repair-order table carries only the indexes its readers need (issue #21: every index is
paid by each of a million imported rows a month)."""

from __future__ import annotations

import pytest
from django.db import connection

from assessments.models import RepairOrder

pytestmark = pytest.mark.django_db


def _indexes() -> dict[str, list[str]]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, RepairOrder._meta.db_table)
    return {name: c["columns"] for name, c in found.items() if c["index"] or c["unique"]}


def test_the_dealer_is_looked_up_through_the_unique_key_not_an_index_of_its_own():
    indexes = _indexes()
    assert ["dealer_id"] not in indexes.values()
    assert ["dealer_id", "ro_number"] in indexes.values()


def test_a_dealers_repair_orders_are_found_by_an_index_that_starts_with_the_dealer(dealer):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: ask which index serves
        cursor.execute(
            f"EXPLAIN SELECT id FROM {RepairOrder._meta.db_table} WHERE dealer_id = %s", [dealer.pk]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    # the unique key or a (dealer, time) index: each starts with the dealer
    assert any(name in plan for name in ("uniq_ro_dealer_number", "ro_dealer_closed", "ro_dealer_opened")), (
        plan
    )


def _plan(sql: str, params: list) -> str:
    with connection.cursor() as cursor:
        cursor.execute("EXPLAIN " + sql, params)
        return "\n".join(row[0] for row in cursor.fetchall())


@pytest.fixture
def a_year_of_orders(db):
    """24,000 repair orders of 20 dealers over eleven months, written in time order as monthly
    imports write them, and analysed: the planner then chooses as it would on real data."""
    if connection.vendor != "postgresql":
        pytest.skip("the plans are PostgreSQL's")
    from tests.factories import DealerFactory

    ids = [DealerFactory().pk for _ in range(20)]
    table = RepairOrder._meta.db_table
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} (dealer_id, ro_number, vin, repair_type, opened_at, closed_at, fault_code,"
            " labor_hours, labor_amount, parts_amount, warranty_cost)"
            " SELECT (%s::bigint[])[1 + i %% 20], 'R' || i, 'LB3E8MAL8RV' || lpad((i %% 5000)::text, 6, '0'),"
            " 'repair', timestamptz '2025-11-01' + i * interval '20 minutes',"
            " timestamptz '2025-11-02' + i * interval '20 minutes', 'F001', 1, 100, 100, 0"
            " FROM generate_series(1, 24000) AS i",
            [ids],
        )
        cursor.execute(f"ANALYZE {table}")
    return ids


def test_a_month_of_every_dealer_is_found_through_the_brin_index_of_its_time(a_year_of_orders):
    from assessments.db_functions import month_scans

    table = RepairOrder._meta.db_table
    assert {"ro_closed_brin", "ro_opened_brin"} <= set(_indexes())
    with month_scans():  # as the recompute reads a month
        for column, index in (("closed_at", "ro_closed_brin"), ("opened_at", "ro_opened_brin")):
            plan = _plan(
                f"SELECT dealer_id, count(*) FROM {table} WHERE {column} >= %s AND {column} < %s GROUP BY 1",
                ["2026-05-01", "2026-06-01"],
            )
            assert index in plan, plan


def test_a_dealers_month_is_found_through_the_dealer_and_time_index(a_year_of_orders):
    table = RepairOrder._meta.db_table
    for column, index in (("closed_at", "ro_dealer_closed"), ("opened_at", "ro_dealer_opened")):
        plan = _plan(
            f"SELECT id FROM {table} WHERE dealer_id = %s AND {column} >= %s AND {column} < %s",
            [a_year_of_orders[3], "2026-05-01", "2026-06-01"],
        )
        assert index in plan, plan
