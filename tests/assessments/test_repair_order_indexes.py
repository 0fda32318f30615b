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


def test_a_dealers_repair_orders_are_found_by_the_unique_key(dealer):
    if connection.vendor != "postgresql":
        pytest.skip("the plan is PostgreSQL's")
    with connection.cursor() as cursor:
        cursor.execute("SET LOCAL enable_seqscan = off")  # an empty table: ask which index serves
        cursor.execute(
            f"EXPLAIN SELECT id FROM {RepairOrder._meta.db_table} WHERE dealer_id = %s", [dealer.pk]
        )
        plan = "\n".join(row[0] for row in cursor.fetchall())
    assert "uniq_ro_dealer_number" in plan
