"""import_data, exactly as interfaces.md describes it."""

from __future__ import annotations

import io

import pytest
from django.core.management import call_command

from assessments.importing import messages as msg
from assessments.models import Complaint, ImportJob, MonthlySubmission, PartsOrder, RepairOrder
from dealers.models import Dealer
from surveys.models import SurveyResponse

from .import_helpers import ro_rows, write

pytestmark = pytest.mark.django_db

SAMPLE_ORDER = ["dealers", "repair_orders", "complaints", "survey_responses", "parts_orders", "submissions"]


def run(*args: str) -> tuple[int, str, str]:
    out, err = io.StringIO(), io.StringIO()
    try:
        call_command("import_data", *args, stdout=out, stderr=err)
        code = 0
    except SystemExit as exit_:
        code = int(exit_.code or 0)
    return code, out.getvalue(), err.getvalue()


def test_sample_files_import_cleanly_and_a_second_run_changes_nothing(sample_dir):
    expected = {}
    for kind in SAMPLE_ORDER:
        rows = sum(1 for line in (sample_dir / f"{kind}.csv").open(encoding="utf-8-sig")) - 1
        code, out, err = run(kind, str(sample_dir / f"{kind}.csv"))
        assert (code, err) == (0, ""), (kind, err)
        assert out.strip() == f"created={rows} updated=0 unchanged=0 rejected=0"
        expected[kind] = rows
    assert Dealer.objects.count() == expected["dealers"]
    assert RepairOrder.objects.count() == expected["repair_orders"]
    assert Complaint.objects.count() == expected["complaints"]
    assert SurveyResponse.objects.count() == expected["survey_responses"]
    assert PartsOrder.objects.count() == expected["parts_orders"]
    assert MonthlySubmission.objects.filter(status="approved").count() == expected["submissions"]
    assert SurveyResponse.objects.filter(repair_order__isnull=False).exists()
    for kind in SAMPLE_ORDER:
        code, out, _ = run(kind, str(sample_dir / f"{kind}.csv"))
        assert (code, out.strip()) == (0, f"created=0 updated=0 unchanged={expected[kind]} rejected=0")


def test_atomic_import_with_a_bad_row_exits_1_lists_the_errors_and_writes_nothing(tmp_path, dealer):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "vin": "LB3E8MAL8RVO00001"}))
    code, out, err = run("repair_orders", str(path))
    assert code == 1
    assert out.strip() == "created=0 updated=0 unchanged=0 rejected=1"
    assert "row 3, vin:" in err
    assert "Traceback" not in err
    assert not RepairOrder.objects.exists()


def test_partial_import_exits_0_and_names_the_error_file(tmp_path, dealer):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "vin": "BAD"}))
    code, out, err = run("repair_orders", str(path), "--partial")
    assert code == 0
    assert out.strip() == "created=1 updated=0 unchanged=0 rejected=1"
    job = ImportJob.objects.get()
    assert job.error_file.path in err
    assert RepairOrder.objects.count() == 1


def test_partial_import_with_no_valid_row_exits_1(tmp_path, dealer):
    code, _, _ = run("repair_orders", str(write(tmp_path, ro_rows({"vin": "BAD"}))), "--partial")
    assert code == 1


@pytest.mark.parametrize(
    ("content", "name"),
    [
        (b"", "empty.csv"),
        (bytes(range(256)) * 10, "junk.csv"),
        (b"not a zip", "book.xlsx"),
        (b"a,b\n", "x.csv"),
    ],
)
def test_bad_file_exits_1_with_a_plain_message_and_no_traceback(tmp_path, dealer, content, name):
    code, out, err = run("repair_orders", str(write(tmp_path, content, name=name)))
    assert code == 1
    assert out.strip() == "created=0 updated=0 unchanged=0 rejected=0"
    assert err.strip() and "Traceback" not in err


def test_missing_path_is_a_plain_error(tmp_path):
    from django.core.management.base import CommandError

    with pytest.raises(CommandError, match="No such file"):
        call_command("import_data", "repair_orders", str(tmp_path / "nope.csv"))


def test_dry_run_prints_the_counts_and_writes_nothing(tmp_path, dealer):
    code, out, _ = run("repair_orders", str(write(tmp_path, ro_rows({}))), "--dry-run")
    assert (code, out.strip()) == (0, "created=1 updated=0 unchanged=0 rejected=0")
    assert not RepairOrder.objects.exists()


def test_as_user_imports_with_that_users_scope(tmp_path, dealer, other_dealer, dealer_user):
    path = write(tmp_path, ro_rows({"dealer_code": "GL0002"}))
    code, _, err = run("repair_orders", str(path), "--as-user", "dealer_user")
    assert code == 1
    assert str(msg.ROW_NOT_YOUR_DEALER) % {"value": "GL0002"} in err
    assert ImportJob.objects.get().user == dealer_user


def test_without_as_user_it_runs_with_hq_rights(tmp_path, dealer, other_dealer):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "dealer_code": "GL0002"}))
    assert run("repair_orders", str(path))[0] == 0
    assert RepairOrder.objects.count() == 2


def test_printed_row_errors_are_capped_with_a_count_of_the_rest(tmp_path, dealer):
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}", "vin": "BAD"} for i in range(60))))
    code, _, err = run("repair_orders", str(path))
    assert code == 1
    assert sum(1 for line in err.splitlines() if line.startswith("row ")) == 50
    assert "and 10 more" in err
