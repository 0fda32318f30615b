"""The SQLite fast path stores exactly what the ORM would (assessments/importing/writing.py)."""

from __future__ import annotations

import pytest
from django.db import connection
from django.test.utils import CaptureQueriesContext

from assessments.choices import ImportStatus
from assessments.importing import import_file, service
from assessments.importing.values import local_to_aware
from assessments.importing.writing import OrmWriter, _local_text_to_utc_text
from assessments.models import Complaint, RepairOrder
from tests.factories import RepairOrderFactory

from .import_helpers import ro_rows, table, write

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


# --- staging: the check pass stages all-new chunks, the writing pass moves them ------------

STAGED = "FROM import_stage_"


def _moves(queries):
    """The statements that moved staged rows into a real table."""
    return [
        q["sql"]
        for q in queries.captured_queries
        if q["sql"].startswith("INSERT INTO") and STAGED in q["sql"]
    ]


def _ro_file(tmp_path, count, prefix="RO", name="data.csv"):

    rows = [{"ro_number": f"{prefix}{i:05d}", "vin": f"LB3E8MAL8RV{i:06d}"} for i in range(count)]
    return write(tmp_path, ro_rows(*rows), name=name)


def _stored(model):
    skip = {"id", "imported_at"}
    fields = [f.attname for f in model._meta.concrete_fields if f.attname not in skip]
    return sorted(model.objects.values_list(*fields))


@pytest.mark.django_db
def test_an_all_new_file_is_written_from_the_stage_exactly_as_the_direct_insert_writes_it(
    tmp_path, dealer, hq_manager
):

    # given a file of new repair orders, imported all-or-nothing (checked, then written)
    path = _ro_file(tmp_path, 120)
    with CaptureQueriesContext(connection) as queries:
        job = import_file("repair_orders", path, user=hq_manager)
    # then the writing pass moved the staged rows by one INSERT … SELECT
    assert job.status == ImportStatus.SUCCEEDED and job.created == 120
    assert len(_moves(queries)) == 1
    staged = _stored(RepairOrder)
    # and they are the rows the direct INSERT (a partial import: no check pass) stores
    RepairOrder.objects.all().delete()
    direct = import_file("repair_orders", path, user=hq_manager, partial=True)
    assert direct.created == 120
    assert _stored(RepairOrder) == staged
    # and one import stamps all its rows with one time
    assert RepairOrder.objects.values("imported_at").distinct().count() == 1


@pytest.mark.django_db
def test_the_stage_is_gone_after_the_import_and_a_dry_run_stages_nothing(tmp_path, dealer, hq_manager):

    def stages():
        with connection.cursor() as cursor:
            cursor.execute("SELECT name FROM sqlite_temp_master WHERE name LIKE 'import_stage_%'")
            return cursor.fetchall()

    import_file("repair_orders", _ro_file(tmp_path, 5), user=hq_manager, dry_run=True)
    assert stages() == []
    import_file("repair_orders", _ro_file(tmp_path, 5, name="b.csv"), user=hq_manager)
    assert stages() == []


@pytest.mark.django_db
def test_a_file_with_existing_keys_is_not_staged_and_updates_as_before(tmp_path, dealer, hq_manager):

    import_file("repair_orders", _ro_file(tmp_path, 3), user=hq_manager)
    RepairOrder.objects.filter(ro_number="RO00001").update(fault_code="X999")
    with CaptureQueriesContext(connection) as queries:
        job = import_file("repair_orders", _ro_file(tmp_path, 4, name="again.csv"), user=hq_manager)
    assert (job.created, job.updated, job.unchanged) == (1, 1, 2)
    assert _moves(queries) == []
    assert RepairOrder.objects.get(ro_number="RO00001").fault_code == "F001"


@pytest.mark.django_db
def test_a_key_taken_between_the_check_and_the_write_starts_the_import_again(
    tmp_path, dealer, hq_manager, monkeypatch
):

    # given another writer that takes one of the file's keys after the check pass staged it
    # (when the writing pass begins to replay the checked chunks)

    replay = service._ChunkSpool.chunks
    moved = OrmWriter.write_staged
    calls = []

    def racing_replay(self):
        if not calls:
            RepairOrderFactory(dealer=dealer, ro_number="RO00002", fault_code="OTHER")
        yield from replay(self)

    def counted(self, staged):
        calls.append(staged)
        return moved(self, staged)

    monkeypatch.setattr(service._ChunkSpool, "chunks", racing_replay)
    monkeypatch.setattr(OrmWriter, "write_staged", counted)
    job = import_file("repair_orders", _ro_file(tmp_path, 5), user=hq_manager)
    # then the unique key refuses the staged rows, the import starts again from a clean check
    # and ends with every row, the taken one updated to the file's values
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.created, job.updated) == (4, 1)
    assert len(calls) == 1  # the second check found the key: that chunk was not staged
    assert RepairOrder.objects.count() == 5
    assert RepairOrder.objects.get(ro_number="RO00002").fault_code == "F001"


@pytest.mark.django_db
@pytest.mark.parametrize(
    "opened", ["2000-01-01 00:00:00", "2000-01-01 07:59:59", "2024-02-29 23:30:00", "2025-12-31 23:59:59"]
)
def test_staged_times_are_stored_as_the_direct_insert_stores_them(tmp_path, dealer, hq_manager, opened):

    # given repair orders opened across a UTC day boundary, a leap day, a year's end
    rows = [
        {"ro_number": "RO1", "booked_at": "", "opened_at": opened, "promised_at": "", "closed_at": ""},
        {"ro_number": "RO2"},
    ]
    path = write(tmp_path, ro_rows(*rows))
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.created == 2, job.errors
    staged = _stored(RepairOrder)
    assert RepairOrder.objects.get(ro_number="RO1").opened_at == local_to_aware(opened)
    RepairOrder.objects.all().delete()
    import_file("repair_orders", path, user=hq_manager, partial=True)
    assert _stored(RepairOrder) == staged


@pytest.mark.django_db
def test_staged_complaints_keep_their_repair_order(tmp_path, dealer, hq_manager):

    ro = RepairOrderFactory(dealer=dealer, ro_number="RO-C1")
    header = ["complaint_id", "dealer_code", "ro_number", "received_at", "category", "severity", "closed_at"]
    rows = [
        [f"C{i}", dealer.code, "RO-C1" if i % 2 else "", "2026-10-10 10:00:00", "quality", "normal", ""]
        for i in range(6)
    ]
    path = write(tmp_path, table(header, *rows))
    job = import_file("complaints", path, user=hq_manager)
    assert job.created == 6, job.message
    staged = _stored(Complaint)
    assert Complaint.objects.filter(repair_order=ro).count() == 3
    Complaint.objects.all().delete()
    import_file("complaints", path, user=hq_manager, partial=True)
    assert _stored(Complaint) == staged
