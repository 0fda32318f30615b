"""With the broker down, users' work is saved and they are told the background work is delayed."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import IntegrityError
from django.test import override_settings
from django.urls import reverse

from assessments import tasks, tasks_imports
from assessments.choices import ImportStatus
from assessments.importing import messages as msg
from assessments.importing import service as import_service
from assessments.importing.service import import_file
from assessments.models import ImportJob, RecomputeRequest, RepairOrder
from config.celery_app import app as celery_app
from tests.conftest import client_for

from .import_helpers import ro_rows

pytestmark = pytest.mark.django_db


@pytest.fixture
def broker_down(monkeypatch):
    monkeypatch.setitem(tasks.recompute_period.app.conf, "task_always_eager", False)

    def refuse(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6379. Connection refused.")

    monkeypatch.setattr(celery_app, "send_task", refuse)  # the recompute nudge
    monkeypatch.setattr(tasks_imports.run_import, "apply_async", refuse)


def upload(client, content: str):  # noqa: ANN001, ANN201
    file = SimpleUploadedFile("orders.csv", content.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("imports:upload"), {"kind": "repair_orders", "file": file})


# Real commits (not a test transaction), so on-commit work runs inside the request as in production.
@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # as the browser tests, or their data clash
def test_an_import_confirmed_while_the_broker_is_down_is_saved_and_says_the_scores_follow(
    dealer, hq_manager, broker_down
):
    client = client_for(hq_manager)
    upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}))
    preview = ImportJob.objects.get()
    response = client.post(reverse("imports:confirm", args=[preview.pk]), {"mode": "all"})
    assert response.status_code == 302
    assert RepairOrder.objects.count() == 2
    assert RecomputeRequest.objects.filter(run__isnull=True).exists()
    assert "recompute" in response["X-Background-Delayed"]
    page = client.get(response["Location"]).content.decode()
    assert "scores of" in page or "分数" in page


@pytest.mark.django_db(
    transaction=True, serialized_rollback=True
)  # as the browser tests, or their data clash
@override_settings(IMPORT_BACKGROUND_ROWS=1)
def test_a_large_upload_while_the_broker_is_down_waits_and_the_sweep_queues_it(
    dealer, hq_manager, broker_down, monkeypatch
):
    client = client_for(hq_manager)
    response = upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}))
    assert response.status_code == 302
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING and job.queued_at is None
    assert "import" in response["X-Background-Delayed"]

    # The broker is back: the sweep queues the job it never got.
    sent = []
    monkeypatch.setattr(tasks_imports.run_import, "apply_async", lambda args, **kw: sent.append(args))
    ImportJob.objects.filter(pk=job.pk).update(started_at=job.started_at.replace(year=2020))
    assert tasks.sweep_background_work()["imports_queued"] == 1
    assert sent == [[job.pk, None]]
    job.refresh_from_db()
    assert job.queued_at is not None


def test_an_import_racing_another_on_the_same_keys_is_retried_then_reported_without_a_traceback(
    dealer, tmp_path, monkeypatch
):
    path = tmp_path / "orders.csv"
    path.write_text(ro_rows({"ro_number": "RO1"}), encoding="utf-8")
    real_run = import_service._run
    calls = []

    def race_once(*args, **kwargs):
        calls.append(1)
        if len(calls) == 1:
            raise IntegrityError('duplicate key value violates unique constraint "uniq_ro_dealer_number"')
        return real_run(*args, **kwargs)

    monkeypatch.setattr(import_service, "_run", race_once)
    job = import_file("repair_orders", path)
    assert job.status == ImportStatus.SUCCEEDED and job.created == 1 and len(calls) > 1  # retried

    def race_always(*args, **kwargs):
        raise IntegrityError("duplicate key")

    monkeypatch.setattr(import_service, "_run", race_always)
    job = import_file("repair_orders", path)
    assert job.status == ImportStatus.FAILED
    # One transaction rolls back whole; SQLite's chunk-by-chunk import says what stays.
    expected = msg.IMPORT_CONFLICT_CHUNKS if service_writes_in_chunks() else msg.IMPORT_CONFLICT
    assert job.message == str(expected)


def service_writes_in_chunks() -> bool:
    return import_service._one_writer()
