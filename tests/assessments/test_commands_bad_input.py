"""No command prints a traceback for bad input (interfaces.md, issue 13 Must 4).

Each case is run with call_command (the message, and that it is a CommandError, which
Django prints as one line), and the ones that need no database also as a real process
(exit status, no traceback on stderr).
"""

from __future__ import annotations

import json
import os
import subprocess
import sys
from io import StringIO
from pathlib import Path

import pytest
from django.conf import settings
from django.core.management import CommandError, call_command
from django.utils.translation import gettext as _

from assessments.choices import SchemeStatus
from assessments.models import Period, Scheme


@pytest.fixture
def scheme_file(sample_dir: Path) -> Path:
    return sample_dir / "scheme-std-2026.json"


@pytest.fixture
def deeply_nested_json(tmp_path: Path) -> Path:
    path = tmp_path / "deep.json"
    path.write_text("[" * 100_000 + "]" * 100_000)
    return path


def run(*args: str) -> str:
    out = StringIO()
    call_command(*args, stdout=out, stderr=StringIO())
    return out.getvalue()


# --- load_scheme ------------------------------------------------------------------------


@pytest.mark.django_db
def test_load_scheme_refuses_deeply_nested_json_in_plain_words(deeply_nested_json):
    schemes = Scheme.objects.count()
    with pytest.raises(CommandError, match="nested too deeply"):
        run("load_scheme", str(deeply_nested_json))
    assert Scheme.objects.count() == schemes


@pytest.mark.django_db
def test_load_scheme_refuses_a_directory_in_plain_words(tmp_path):
    with pytest.raises(CommandError, match="is a directory, not a file"):
        run("load_scheme", str(tmp_path))


@pytest.mark.django_db
def test_load_scheme_refuses_a_file_too_large_to_be_a_scheme(tmp_path):
    path = tmp_path / "big.json"
    path.write_text(json.dumps({"padding": "x" * 2_000_000}))
    with pytest.raises(CommandError, match="larger than 1,048,576 bytes"):
        run("load_scheme", str(path))


@pytest.mark.django_db
def test_load_scheme_publish_prints_the_status_it_published(scheme_file):
    summary = run("load_scheme", str(scheme_file), "--publish")

    scheme = Scheme.objects.order_by("-pk").first()
    assert scheme.status == SchemeStatus.PUBLISHED
    assert f"version={scheme.version} status=published" in summary


@pytest.mark.django_db
def test_load_scheme_without_publish_prints_draft(scheme_file):
    summary = run("load_scheme", str(scheme_file))

    assert Scheme.objects.order_by("-pk").first().status == SchemeStatus.DRAFT
    assert "status=draft" in summary


# --- import_data ------------------------------------------------------------------------


@pytest.mark.django_db
def test_import_data_says_a_directory_is_a_directory_not_that_it_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="is a directory, not a file"):
        run("import_data", "dealers", str(tmp_path))


@pytest.mark.django_db
def test_import_data_says_a_missing_file_does_not_exist(tmp_path):
    with pytest.raises(CommandError, match="No such file"):
        run("import_data", "dealers", str(tmp_path / "missing.csv"))


# --- periods ----------------------------------------------------------------------------


@pytest.mark.django_db
@pytest.mark.parametrize("period", ["2026-13", "abc", "", "2026-00", "1999-12", "26-10"])
@pytest.mark.parametrize(
    "command",
    [
        ["close_period", "{period}"],
        ["recompute_scores", "--period", "{period}"],
        ["export_scorecards", "--period", "{period}"],
    ],
)
def test_a_bad_period_is_a_plain_message_and_creates_nothing(command, period):
    args = [arg.format(period=period) for arg in command]

    with pytest.raises(CommandError, match="bad period .*: use YYYY-MM"):
        run(*args)
    assert not Period.objects.exists()


@pytest.mark.django_db
def test_export_scorecards_to_a_directory_is_a_plain_message(tmp_path):
    with pytest.raises(CommandError, match="cannot write .*: Is a directory"):
        run("export_scorecards", "--period", "2026-10", "--output", str(tmp_path))


@pytest.mark.django_db
def test_export_scorecards_into_a_missing_folder_is_a_plain_message(tmp_path):
    with pytest.raises(CommandError, match="cannot write .*: No such file or directory"):
        run("export_scorecards", "--period", "2026-10", "--output", str(tmp_path / "missing" / "cards.json"))


# --- as a process: exit status and no traceback -----------------------------------------


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["load_scheme", "{deep}"], "nested too deeply"),
        (["load_scheme", "{tmp}"], "is a directory, not a file"),
        (["load_scheme", "{tmp}/missing.json"], "no such file"),
        (["import_data", "dealers", "{tmp}"], "is a directory, not a file"),
        (["import_data", "dealers", "{tmp}/missing.csv"], "No such file"),
        (["import_data", "nonsense", "{tmp}/missing.csv"], "invalid choice"),
        (["close_period", "2026-13"], "bad period"),
        (["close_period", "abc"], "bad period"),
        (["recompute_scores", "--period", "2026-13"], "bad period"),
        (["recompute_scores", "--period", "abc"], "bad period"),
        (["export_scorecards", "--period", "abc"], "bad period"),
        (["export_scorecards", "--period", "2026-10", "--format", "pdf"], "invalid choice"),
    ],
)
def test_no_command_prints_a_traceback_for_bad_input(tmp_path, deeply_nested_json, args, message):
    argv = [arg.format(tmp=tmp_path, deep=deeply_nested_json) for arg in args]
    env = {**os.environ, "DATABASE_URL": f"sqlite:///{tmp_path}/unused.sqlite3"}
    env.pop("CELERY_BROKER_URL", None)

    result = subprocess.run(
        [sys.executable, "manage.py", *argv],
        cwd=settings.BASE_DIR,
        env=env,
        capture_output=True,
        text=True,
        timeout=120,
    )

    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    assert message in result.stderr


# --- the same deeply nested scheme file through the page and the API ---------------------


@pytest.mark.django_db
def test_the_scheme_import_page_refuses_deeply_nested_json_in_plain_words(hq_admin):
    from django.core.files.uploadedfile import SimpleUploadedFile
    from django.urls import reverse

    from tests.conftest import client_for

    upload = SimpleUploadedFile("deep.json", b"[" * 100_000 + b"]" * 100_000, content_type="application/json")
    schemes = Scheme.objects.count()

    response = client_for(hq_admin).post(reverse("schemes:import"), {"file": upload})

    assert response.status_code == 200
    assert str(_("The file's JSON is nested too deeply to be a scheme file.")) in response.content.decode()
    assert Scheme.objects.count() == schemes


@pytest.mark.django_db
def test_the_api_answers_400_not_500_for_deeply_nested_json(hq_admin):
    from config.api_parsers import JSON_TOO_DEEP
    from tests.api.conftest import api_client

    client = api_client(hq_admin)
    client.raise_request_exception = False

    response = client.post(
        "/api/v1/schemes/", data="[" * 100_000 + "]" * 100_000, content_type="application/json"
    )

    assert response.status_code == 400
    assert response.json()["detail"] == str(JSON_TOO_DEEP)
