"""Big API imports run in the background, uploads are limited per user, and a preview on
SQLite holds no write lock (so nobody's sign-in waits for an import)."""

from __future__ import annotations

import io
import threading

import pytest
from django.core.cache import cache
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import Client, override_settings
from django.urls import reverse
from rest_framework.throttling import ScopedRateThrottle

from assessments.choices import ImportStatus
from assessments.importing import import_file, service
from assessments.importing import messages as msg
from assessments.importing.writing import LOOKUP_TABLE
from assessments.models import ImportJob, RepairOrder
from tests.assessments.import_helpers import ro_rows, write
from tests.conftest import client_for
from tests.factories import RepairOrderFactory, local

from .conftest import api_client

pytestmark = pytest.mark.django_db

THREE_ORDERS = ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}, {"ro_number": "RO3"})


def orders_upload(text: str = THREE_ORDERS, name: str = "orders.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


# --- 202 for a big file --------------------------------------------------------------------------


@override_settings(IMPORT_BACKGROUND_ROWS=2)
def test_a_big_api_upload_answers_202_with_the_jobs_url_and_runs_after_commit(
    cast, dealer, django_capture_on_commit_callbacks
):
    client = api_client(cast["dealer_user"])

    # Given a file over the background threshold, when it is uploaded through the API
    with django_capture_on_commit_callbacks(execute=False) as queued:
        response = client.post(
            "/api/v1/imports/", {"kind": "repair_orders", "file": orders_upload()}, format="multipart"
        )

    # then it is accepted, not run: 202 with where to follow it and its progress so far
    assert response.status_code == 202, response.content
    body = response.json()
    job = ImportJob.objects.get()
    assert response["Location"] == body["url"]
    assert body["url"].endswith(reverse("api:importjob-detail", args=[job.pk]))
    assert body["status"] == ImportStatus.PENDING and body["finished_at"] is None
    assert (body["rows_done"], body["progress_percent"]) == (0, 0)
    assert body["rows_total"] >= 3
    assert len(queued) == 1 and not RepairOrder.objects.exists()

    # and when the queued task runs, the job's URL shows the finished import.
    queued[0]()
    followed = client.get(body["url"]).json()
    assert followed["status"] == ImportStatus.SUCCEEDED
    assert (followed["created"], followed["rows_done"], followed["progress_percent"]) == (3, 3, 100)
    assert RepairOrder.objects.filter(dealer=dealer).count() == 3


@override_settings(IMPORT_BACKGROUND_ROWS=2)
def test_a_big_api_dry_run_is_previewed_in_the_background_too(
    cast, dealer, django_capture_on_commit_callbacks
):
    client = api_client(cast["hq_manager"])

    with django_capture_on_commit_callbacks(execute=True):
        response = client.post(
            "/api/v1/imports/",
            {"kind": "repair_orders", "file": orders_upload(), "dry_run": True},
            format="multipart",
        )

    assert response.status_code == 202
    job = client.get(response["Location"]).json()
    assert job["status"] == ImportStatus.PREVIEWED and job["created"] == 3
    assert not RepairOrder.objects.exists()


def test_a_small_api_upload_is_still_imported_at_once_and_keeps_the_file(cast, dealer):
    response = api_client(cast["dealer_user"]).post(
        "/api/v1/imports/", {"kind": "repair_orders", "file": orders_upload()}, format="multipart"
    )

    assert response.status_code == 201
    assert response.json()["status"] == ImportStatus.SUCCEEDED
    assert ImportJob.objects.get().upload.read() == THREE_ORDERS.encode()


def test_the_schema_documents_202_for_a_background_import(cast):
    schema = api_client(cast["hq_admin"]).get("/api/v1/schema/", {"format": "json"}).json()
    responses = schema["paths"]["/api/v1/imports/"]["post"]["responses"]
    assert {"201", "202", "429"} <= set(responses)
    assert "url" in schema["components"]["schemas"]["ImportJob"]["properties"]


# --- uploads per user ----------------------------------------------------------------------------


def test_api_uploads_are_throttled_per_user(cast, dealer, other_dealer, monkeypatch):
    cache.clear()
    monkeypatch.setitem(ScopedRateThrottle.THROTTLE_RATES, "uploads", "2/hour")
    client = api_client(cast["dealer_user"])

    def post(c):  # noqa: ANN001, ANN202
        return c.post(
            "/api/v1/imports/", {"kind": "repair_orders", "file": orders_upload()}, format="multipart"
        )

    # Given two uploads in the hour, a third is refused with a time to retry
    assert [post(client).status_code for _ in range(2)] == [201, 201]
    refused = post(client)
    assert refused.status_code == 429 and "Retry-After" in refused
    # while reading is not limited, and another user may still upload.
    assert client.get("/api/v1/imports/").status_code == 200
    other = api_client(cast["other_dealer_user"])
    assert post(other).status_code == 201
    assert ImportJob.objects.count() == 3


@override_settings(IMPORT_UPLOADS_PER_HOUR=1)
def test_the_upload_page_limits_imports_per_user(dealer, dealer_user, other_dealer_user):
    def upload(user):  # noqa: ANN001, ANN202
        file = SimpleUploadedFile("orders.csv", THREE_ORDERS.encode(), content_type="text/csv")
        return client_for(user).post(reverse("imports:upload"), {"kind": "repair_orders", "file": file})

    assert upload(dealer_user).status_code == 302
    refused = upload(dealer_user)

    assert refused.status_code == 200
    assert str(msg.UPLOAD_LIMIT_REACHED % {"limit": 1}) in refused.content.decode()
    assert ImportJob.objects.filter(user=dealer_user).count() == 1
    assert ImportJob.objects.filter(user=other_dealer_user).count() == 0


# --- a preview on SQLite takes no write lock -------------------------------------------------------


def _statements_of(run):  # noqa: ANN001, ANN202
    """Run `run()` and return each SQL statement with the transaction depth it ran at."""
    seen: list[tuple[str, int]] = []

    def spy(execute, sql, params, many, context):  # noqa: ANN001, ANN202
        seen.append((sql, len(connection.atomic_blocks)))
        return execute(sql, params, many, context)

    with connection.execute_wrapper(spy):
        result = run()
    return result, seen


@pytest.mark.skipif(connection.vendor != "sqlite", reason="SQLite's single writer; PostgreSQL rolls back")
def test_a_dry_run_on_sqlite_opens_no_transaction_and_writes_only_its_job(
    tmp_path, dealer, hq_manager, monkeypatch
):
    # Given a file of several chunks (so the import would write chunk by chunk)
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}"} for i in range(7))))
    depth = len(connection.atomic_blocks)  # the test's own transaction

    # when it is previewed
    job, statements = _statements_of(
        lambda: import_file("repair_orders", path, user=hq_manager, dry_run=True)
    )

    # then it counts every row, and no statement runs inside a transaction of the import
    # (on SQLite, with IMMEDIATE transactions, that would be the write lock for the whole file)
    assert job.status == ImportStatus.PREVIEWED and job.created == 7
    assert statements and all(level == depth for _, level in statements)
    writes = [sql for sql, _ in statements if sql.lstrip().upper().startswith(("INSERT", "UPDATE", "DELETE"))]
    # only its job record — and the key look-up's TEMP table, which locks no database file
    assert writes and all(ImportJob._meta.db_table in sql or LOOKUP_TABLE in sql for sql in writes)
    assert any(ImportJob._meta.db_table in sql for sql in writes)
    assert not RepairOrder.objects.exists()


def test_a_counted_preview_agrees_with_the_import_it_previews(tmp_path, dealer, hq_manager, monkeypatch):
    # Given an unchanged order, a changed one and new ones, over several chunks
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    same = {"ro_number": "SAME"}
    path = write(
        tmp_path,
        ro_rows(
            same, {"ro_number": "CHANGED", "fault_code": "P0420"}, *({"ro_number": f"N{i}"} for i in range(4))
        ),
    )
    import_file(
        "repair_orders",
        write(tmp_path, ro_rows(same, {"ro_number": "CHANGED"}), "first.csv"),
        user=hq_manager,
    )
    RepairOrderFactory(dealer=dealer, ro_number="OTHER", opened_at=local("2026-10-02 09:00"))

    preview = import_file("repair_orders", path, user=hq_manager, dry_run=True)
    done = import_file("repair_orders", path, user=hq_manager)

    assert (preview.created, preview.updated, preview.unchanged) == (4, 1, 1)
    assert (preview.created, preview.updated, preview.unchanged) == (
        done.created,
        done.updated,
        done.unchanged,
    )


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # as the browser tests, or their data clash
@pytest.mark.parametrize(
    ("dry_run", "status", "written"), [(True, ImportStatus.PREVIEWED, 0), (False, ImportStatus.SUCCEEDED, 6)]
)
def test_signing_in_works_while_an_import_is_halfway_through_a_file(
    tmp_path, monkeypatch, dry_run, status, written
):
    from django.db import connections

    from dealers.choices import Role
    from tests.conftest import PASSWORD
    from tests.factories import DealerFactory, UserFactory

    # Given a file of several chunks, imported (or previewed) by another thread that pauses
    # after its first chunk (where the old import held one transaction for the whole file)
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    DealerFactory(code="GL0001")
    uploader = UserFactory(role=Role.HQ_MANAGER)
    UserFactory(username="signing_in", role=Role.HQ_MANAGER)
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}"} for i in range(6))))
    halfway, resume = threading.Event(), threading.Event()
    outcome: dict[str, object] = {}

    def pause_once(rows_done: int) -> None:
        if not halfway.is_set():
            halfway.set()
            resume.wait(timeout=60)

    def run() -> None:
        try:
            outcome["job"] = import_file(
                "repair_orders", path, user=uploader, dry_run=dry_run, progress=pause_once
            )
        except BaseException as exc:  # handed to the test's thread
            outcome["error"] = exc
        finally:
            halfway.set()
            connections.close_all()

    thread = threading.Thread(target=run)
    thread.start()
    assert halfway.wait(timeout=60)

    # when somebody signs in meanwhile
    client = Client()
    try:
        response = client.post(reverse("login"), {"username": "signing_in", "password": PASSWORD})
        signed_in = "_auth_user_id" in client.session
    finally:
        resume.set()
        thread.join(timeout=60)

    # then the sign-in succeeds, and the import finishes all the same
    assert response.status_code == 302 and signed_in
    assert "error" not in outcome, outcome.get("error")
    assert outcome["job"].status == status and outcome["job"].created == 6
    assert RepairOrder.objects.count() == written


@pytest.mark.skipif(connection.vendor != "sqlite", reason="chunk by chunk on SQLite only")
def test_an_all_or_nothing_import_on_sqlite_checks_every_chunk_before_writing_any(
    tmp_path, dealer, hq_manager, monkeypatch
):
    # Given a file whose only bad row is in its last chunk
    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    rows = [{"ro_number": f"RO{i}"} for i in range(5)] + [{"ro_number": "RO5", "vin": "BAD"}]
    path = write(tmp_path, ro_rows(*rows))

    job = import_file("repair_orders", path, user=hq_manager)

    # then nothing is written, as on one transaction
    assert job.status == ImportStatus.REJECTED and job.rejected == 1
    assert job.message == str(msg.IMPORT_ROWS_REJECTED) % {"count": 1}
    assert not RepairOrder.objects.exists()
    assert job.error_file.read().decode("utf-8-sig").count("RO5") == 1


@pytest.mark.skipif(connection.vendor != "sqlite", reason="chunk by chunk on SQLite only")
def test_an_import_on_sqlite_that_fails_midway_says_what_was_written_and_a_rerun_completes_it(
    tmp_path, dealer, hq_manager, monkeypatch
):
    from assessments.importing.writing import OrmWriter

    monkeypatch.setattr(service, "CHUNK_ROWS", 2)
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}"} for i in range(6))))
    # The writing pass moves each checked chunk of new rows from the stage (write_staged).
    real_move = OrmWriter.write_staged
    calls: list[tuple[int, int]] = []

    def move_then_fail(self, staged):  # noqa: ANN001, ANN202
        calls.append(staged)
        if len(calls) == 2:
            raise OSError("disk full")
        return real_move(self, staged)

    monkeypatch.setattr(OrmWriter, "write_staged", move_then_fail)
    with pytest.raises(OSError):
        import_file("repair_orders", path, user=hq_manager)
    failed = ImportJob.objects.get()

    assert failed.status == ImportStatus.FAILED
    assert failed.message == str(msg.IMPORT_FAILED_AFTER_WRITING) % {"count": 2}
    assert RepairOrder.objects.count() == 2

    monkeypatch.setattr(OrmWriter, "write_staged", real_move)
    again = import_file("repair_orders", path, user=hq_manager)
    assert (again.created, again.unchanged) == (4, 2) and RepairOrder.objects.count() == 6


# --- without a broker, a thread of the web process is the worker ---------------------------------


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # as the browser tests, or their data clash
@override_settings(IMPORT_BACKGROUND_ROWS=2, IMPORT_IN_PROCESS_THREAD=True)
def test_without_a_broker_a_big_api_upload_answers_202_at_once_and_finishes_in_a_thread(cast, dealer):

    client = api_client(cast["dealer_user"])
    gate = threading.Event()
    real_run = service.run_stored_job

    def held(job, **kwargs):  # the import waits until the test has seen the answer
        gate.wait(10)
        return real_run(job, **kwargs)

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr("assessments.tasks_imports.run_stored_job", held)
        response = client.post(
            "/api/v1/imports/", {"kind": "repair_orders", "file": orders_upload()}, format="multipart"
        )
        # The request answered before the import ran: it is not running inside the request.
        assert response.status_code == 202
        assert ImportJob.objects.get().status == ImportStatus.PENDING
        gate.set()
        # Wait for the import's thread itself (its recompute after commit runs in it too), not
        # by polling the job: the test's database is one shared in-memory SQLite, where a read
        # here while the thread writes makes the thread's write fail with "table is locked"
        # (SQLITE_LOCKED waits for no busy timeout), which under load left the job pending.
        for thread in threading.enumerate():
            if thread.name.startswith("import-"):
                thread.join(90)
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.SUCCEEDED and job.created == 3
    assert RepairOrder.objects.count() == 3
