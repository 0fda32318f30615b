"""A repair order's dealer and users are checked by the database once per statement, not by a
foreign key per row (issue #21; assessments/migrations/0017).

On PostgreSQL a statement-level trigger checks every row an INSERT, COPY or UPDATE wrote,
and row triggers on the dealers and users refuse to delete one still named; on SQLite the
foreign keys stay. Either way no repair order can name a dealer or user that does not
exist, and Django's PROTECT (dealer) and SET_NULL (users) behave as before.
"""

from __future__ import annotations

import threading

import psycopg2
import pytest
from django.db import IntegrityError, connection, transaction
from django.db.models import ProtectedError

from assessments.importing.writing import copy_into, copy_lines
from assessments.models import RepairOrder
from dealers.models import Dealer, User
from tests.factories import DealerFactory, RepairOrderFactory, UserFactory

RO = RepairOrder._meta.db_table

postgresql_only = pytest.mark.skipif(
    connection.vendor != "postgresql", reason="the statement-level check is PostgreSQL's"
)


def _foreign_keys() -> dict[str, str]:
    with connection.cursor() as cursor:
        found = connection.introspection.get_constraints(cursor, RO)
    return {c["columns"][0]: c["foreign_key"][0] for c in found.values() if c["foreign_key"]}


def _refused(action) -> str:
    """Run `action` in a savepoint; return the database's message of the refusal."""
    with pytest.raises(IntegrityError) as refused, transaction.atomic():
        action()
        connection.check_constraints()  # SQLite's foreign keys are checked at COMMIT
    return str(refused.value)


def _delete_behind_djangos_back(instance) -> None:
    """DELETE the row in SQL, past Django's on_delete: the database's own guard answers."""
    with connection.cursor() as cursor:
        cursor.execute(f"DELETE FROM {instance._meta.db_table} WHERE id = %s", [instance.pk])


@pytest.mark.django_db
def test_the_database_says_which_references_it_checks_and_how():
    keys = _foreign_keys()
    if connection.vendor == "postgresql":
        # no per-row foreign key on the three references; the repair orders' own referrers keep theirs
        assert not {"dealer_id", "created_by_id", "changed_by_id"} & set(keys)
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT tgname FROM pg_trigger WHERE NOT tgisinternal AND tgname LIKE 'ro\\_%%' ORDER BY 1"
            )
            triggers = [name for (name,) in cursor.fetchall()]
        assert triggers == [
            "ro_keep_dealer_dealer_id_delete",
            "ro_keep_dealer_dealer_id_update",
            "ro_keep_user_changed_by_id_delete",
            "ro_keep_user_changed_by_id_update",
            "ro_keep_user_created_by_id_delete",
            "ro_keep_user_created_by_id_update",
            "ro_references_insert",
            "ro_references_update",
        ]
    else:
        assert keys == {
            "dealer_id": Dealer._meta.db_table,
            "created_by_id": User._meta.db_table,
            "changed_by_id": User._meta.db_table,
        }


@pytest.mark.django_db
def test_a_repair_order_naming_a_dealer_that_does_not_exist_is_refused(dealer):
    missing = Dealer.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    message = _refused(lambda: RepairOrderFactory(dealer_id=missing))
    if connection.vendor == "postgresql":
        assert f"Key (dealer_id)=({missing}) is not present" in message, message
    assert not RepairOrder.objects.exists()

    order = RepairOrderFactory(dealer=dealer)
    _refused(lambda: RepairOrder.objects.filter(pk=order.pk).update(dealer_id=missing))
    assert RepairOrder.objects.get(pk=order.pk).dealer_id == dealer.pk


@pytest.mark.django_db
def test_a_repair_order_naming_a_user_that_does_not_exist_is_refused(dealer, hq_manager):
    missing = User.objects.order_by("-pk").values_list("pk", flat=True).first() + 1000
    message = _refused(lambda: RepairOrderFactory(dealer=dealer, created_by_id=missing))
    if connection.vendor == "postgresql":
        assert f'=({missing}) is not present in table "dealers_user"' in message, message
    order = RepairOrderFactory(dealer=dealer, created_by=hq_manager)
    _refused(lambda: RepairOrder.objects.filter(pk=order.pk).update(changed_by_id=missing))
    RepairOrder.objects.filter(pk=order.pk).update(changed_by_id=hq_manager.pk)  # one that exists
    assert RepairOrder.objects.get(pk=order.pk).changed_by_id == hq_manager.pk


@postgresql_only
@pytest.mark.django_db
def test_a_copy_of_many_rows_is_refused_whole_for_one_unknown_dealer(dealer):
    """The import's path: one COPY of a chunk, checked as one statement."""
    rows = [
        (dealer.pk, f"RO{i}", "LB3E8MAL8RV000001", "repair", "2026-10-10 09:00:00+08", "F1", 0, 0, 0, 0)
        for i in range(500)
    ]
    rows[377] = (dealer.pk + 1000, *rows[377][1:])
    columns = ["dealer_id", "ro_number", "vin", "repair_type", "opened_at", "fault_code", "labor_hours"]
    columns += ["labor_amount", "parts_amount", "warranty_cost"]

    def copy():
        with connection.cursor() as cursor:
            copy_into(cursor, RO, columns, copy_lines(rows, (1, 5)))

    message = _refused(copy)
    assert 'violates its reference to "dealers_dealer"' in message, message
    assert f"Key (dealer_id)=({dealer.pk + 1000}) is not present" in message
    assert not RepairOrder.objects.exists()
    rows[377] = (dealer.pk, *rows[377][1:])
    copy()
    assert RepairOrder.objects.count() == 500


@pytest.mark.django_db
def test_a_dealer_with_repair_orders_cannot_be_deleted(dealer):
    RepairOrderFactory(dealer=dealer)
    with pytest.raises(ProtectedError):
        dealer.delete()  # Django's PROTECT, as before

    message = _refused(lambda: _delete_behind_djangos_back(dealer))
    if connection.vendor == "postgresql":
        assert "still referenced by assessments_repairorder.dealer_id" in message, message
    assert Dealer.objects.filter(pk=dealer.pk).exists()
    # a dealer nobody names goes as before
    idle = DealerFactory()
    idle.delete()
    assert not Dealer.objects.filter(pk=idle.pk).exists()


@pytest.mark.django_db
def test_deleting_a_user_keeps_their_repair_orders_without_them(dealer):
    author, editor = UserFactory(), UserFactory()
    order = RepairOrderFactory(dealer=dealer, created_by=author, changed_by=editor)

    message = _refused(lambda: _delete_behind_djangos_back(editor))
    if connection.vendor == "postgresql":
        assert "still referenced by assessments_repairorder.changed_by_id" in message, message
    author.delete()
    editor.delete()  # Django's SET_NULL empties the references first
    order.refresh_from_db()
    assert (order.created_by_id, order.changed_by_id) == (None, None)


@postgresql_only
@pytest.mark.django_db(transaction=True, serialized_rollback=True)
def test_an_import_not_yet_committed_holds_off_the_deletion_of_its_dealer():
    """As a foreign key would: the check locks the dealers it names (FOR KEY SHARE) until the
    writer commits, so a deletion waits for it and then sees its rows."""
    dealer = DealerFactory()
    settings = connection.settings_dict
    dsn = {
        "dbname": settings["NAME"],
        "user": settings["USER"],
        "host": settings["HOST"] or None,
        "port": settings["PORT"] or None,
    }
    writer, deleter = psycopg2.connect(**dsn), psycopg2.connect(**dsn)
    try:
        with writer.cursor() as cursor:  # an import's transaction, open
            cursor.execute(
                f"INSERT INTO {RO} (dealer_id, ro_number, vin, repair_type, opened_at, fault_code,"
                " labor_hours, labor_amount, parts_amount, warranty_cost, comeback_waived,"
                " created_channel, changed_channel)"
                " VALUES (%s, 'RO1', 'LB3E8MAL8RV000001', 'repair', now(), 'F1', 0, 0, 0, 0, false, 'system', '')",
                [dealer.pk],
            )
        outcome: dict[str, str] = {}

        def delete():
            with deleter.cursor() as cursor:
                cursor.execute("SET lock_timeout = '20s'")
                try:
                    cursor.execute(f"DELETE FROM {Dealer._meta.db_table} WHERE id = %s", [dealer.pk])
                    outcome["result"] = "deleted"
                except psycopg2.Error as error:
                    outcome["result"] = error.pgcode
                deleter.rollback()

        waiting = threading.Thread(target=delete)
        waiting.start()
        waiting.join(timeout=1.0)
        assert waiting.is_alive(), "the deletion did not wait for the open import"
        writer.commit()
        waiting.join(timeout=20)
        assert outcome == {"result": "23503"}  # foreign_key_violation, once the rows are visible
    finally:
        writer.close()
        deleter.close()
    assert Dealer.objects.filter(pk=dealer.pk).exists()
    RepairOrder.objects.filter(dealer=dealer).delete()
