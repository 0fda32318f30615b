"""The upload pages: preview, confirm, progress, downloads, and isolation."""

from __future__ import annotations

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import override_settings
from django.urls import reverse

from assessments.choices import ImportStatus
from assessments.importing import messages as msg
from assessments.models import ImportJob, RepairOrder
from tests.conftest import client_for

from .import_helpers import ro_rows

pytestmark = pytest.mark.django_db


def upload(client, content: str, kind: str = "repair_orders", name: str = "orders.csv"):  # noqa: ANN001, ANN201
    file = SimpleUploadedFile(name, content.encode("utf-8"), content_type="text/csv")
    return client.post(reverse("imports:upload"), {"kind": kind, "file": file})


def test_upload_shows_a_dry_run_preview_with_counts_and_row_errors(dealer, hq_manager):
    client = client_for(hq_manager)
    response = upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "vin": "BAD"}))
    job = ImportJob.objects.get()
    assert response.status_code == 302 and response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.status == ImportStatus.PREVIEWED and (job.created, job.rejected) == (1, 1)
    assert not RepairOrder.objects.exists()
    page = client.get(response["Location"]).content.decode()
    assert 'data-testid="errors-table"' in page and "BAD" in page
    assert 'data-testid="confirm-partial"' in page
    assert 'data-testid="confirm-import"' not in page


def test_confirm_imports_the_previewed_file(dealer, hq_manager):
    client = client_for(hq_manager)
    upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}))
    preview = ImportJob.objects.get()
    response = client.post(reverse("imports:confirm", args=[preview.pk]), {"mode": "all"})
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert response["Location"] == reverse("imports:detail", args=[job.pk])
    assert job.status == ImportStatus.SUCCEEDED and job.created == 2 and not job.dry_run
    assert RepairOrder.objects.count() == 2


def test_import_valid_rows_only_writes_them_and_offers_the_rejected_rows(dealer, hq_manager):
    client = client_for(hq_manager)
    upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "vin": "BAD"}))
    preview = ImportJob.objects.get()
    client.post(reverse("imports:confirm", args=[preview.pk]), {"mode": "partial"})
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert job.status == ImportStatus.PARTIAL
    assert list(RepairOrder.objects.values_list("ro_number", flat=True)) == ["RO1"]
    rejected = client.get(reverse("imports:error_file", args=[job.pk]))
    body = b"".join(rejected.streaming_content)
    assert body.startswith(b"\xef\xbb\xbf") and b"RO2" in body and b"error" in body.splitlines()[0]
    errors = client.get(reverse("imports:errors_csv", args=[job.pk]))
    assert errors.content.startswith(b"\xef\xbb\xbf") and b"vin" in errors.content


def test_confirm_is_post_only_and_only_for_a_preview(dealer, hq_manager):
    client = client_for(hq_manager)
    upload(client, ro_rows({}))
    preview = ImportJob.objects.get()
    assert client.get(reverse("imports:confirm", args=[preview.pk])).status_code == 405
    client.post(reverse("imports:confirm", args=[preview.pk]), {"mode": "all"})
    job = ImportJob.objects.exclude(pk=preview.pk).get()
    assert client.post(reverse("imports:confirm", args=[job.pk]), {"mode": "all"}).status_code == 404


@override_settings(IMPORT_BACKGROUND_ROWS=1)
def test_large_file_runs_in_the_background_with_progress(
    dealer, hq_manager, django_capture_on_commit_callbacks
):
    client = client_for(hq_manager)
    with django_capture_on_commit_callbacks(execute=True) as callbacks:
        upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}, {"ro_number": "RO3"}))
    assert len(callbacks) == 1  # the Celery task, run eagerly here
    job = ImportJob.objects.get()
    progress = client.get(reverse("imports:progress", args=[job.pk])).json()
    assert progress["finished"] and progress["status"] == ImportStatus.PREVIEWED
    assert progress["rows_done"] == progress["rows_total"] == 3 and progress["percent"] == 100


@override_settings(IMPORT_BACKGROUND_ROWS=1)
def test_a_running_import_shows_a_progress_bar(dealer, hq_manager):
    client = client_for(hq_manager)
    upload(client, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}))  # the task waits for a commit
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PENDING
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert 'data-testid="import-progress"' in page and reverse("imports:progress", args=[job.pk]) in page


@override_settings(IMPORT_MAX_FILE_BYTES=50)
def test_file_over_the_limit_is_refused_with_a_record_and_not_stored(dealer, hq_manager):
    client = client_for(hq_manager)
    upload(client, ro_rows({}))
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.REJECTED and not job.upload
    page = client.get(reverse("imports:detail", args=[job.pk])).content.decode()
    assert job.message in page and job.message.startswith(str(msg.FILE_TOO_LARGE).split("%")[0])


def test_dealer_user_sees_only_their_dealers_imports(dealer, other_dealer, dealer_user, other_dealer_user):
    upload(client_for(dealer_user), ro_rows({}))
    job = ImportJob.objects.get()
    other = client_for(other_dealer_user)
    for name in ("detail", "progress", "errors_csv", "error_file"):
        assert other.get(reverse(f"imports:{name}", args=[job.pk])).status_code == 404, name
    assert other.post(reverse("imports:confirm", args=[job.pk]), {"mode": "all"}).status_code == 404
    assert job.file_name not in other.get(reverse("imports:list")).content.decode()
    mine = client_for(dealer_user)
    assert mine.get(reverse("imports:detail", args=[job.pk])).status_code == 200
    assert job.file_name in mine.get(reverse("imports:list")).content.decode()


def test_dealer_user_upload_form_offers_no_dealers_kind(dealer_user):
    page = client_for(dealer_user).get(reverse("imports:upload")).content.decode()
    assert 'value="repair_orders"' in page and 'value="dealers"' not in page


def test_regional_manager_may_not_upload(regional_manager):
    assert client_for(regional_manager).get(reverse("imports:upload")).status_code == 403


def test_anonymous_is_sent_to_sign_in(db):
    response = client_for(None).get(reverse("imports:list"))
    assert response.status_code == 302 and "login" in response["Location"]


def test_list_page_query_count_does_not_grow_with_imports(dealer, hq_manager, django_assert_max_num_queries):
    client = client_for(hq_manager)
    for i in range(3):
        upload(client, ro_rows({"ro_number": f"RO{i}"}))
    with django_assert_max_num_queries(12):
        assert client.get(reverse("imports:list")).status_code == 200
