"""A recompute goes through a real Celery worker process, over the real broker.

Runs only with CELERY_BROKER_URL set and DATABASE_URL on PostgreSQL (CI's second pass).
The worker is a separate process, so it cannot see the test's uncommitted data, nor an
in-memory SQLite database: the test gives it a database of its own, migrated and seeded
by the project's commands, queues the task from this process, and watches the
scorecards appear in that database.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest
from django.utils import timezone

from assessments.periods import Month

REPO = Path(__file__).resolve().parents[2]
BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
DATABASE_URL = os.environ.get("DATABASE_URL", "")
WAIT_SECONDS = 60

# CI sets this on its PostgreSQL + Redis pass, where a skip would hide a missing worker test.
REQUIRED = os.environ.get("AFTERSALES_REQUIRE_WORKER_TEST") == "1"
# Where CI looks for worker process ids to stop them should a run be interrupted.
PID_DIR = os.environ.get("AFTERSALES_WORKER_PID_DIR", "")


def missing_services() -> str:
    if not BROKER_URL:
        return "needs CELERY_BROKER_URL (a real broker)"
    if not DATABASE_URL.startswith(("postgres://", "postgresql://")):
        return "needs DATABASE_URL on PostgreSQL: a worker process cannot share the test's SQLite database"
    return ""


pytestmark = [
    pytest.mark.celery_worker,
    pytest.mark.skipif(bool(missing_services()) and not REQUIRED, reason=missing_services()),
]


@dataclass
class WorkerDatabase:
    name: str
    url: str

    def query(self, sql: str, *params: object) -> list[tuple]:
        import psycopg2

        conn = psycopg2.connect(self.url)
        try:
            with conn, conn.cursor() as cur:
                cur.execute(sql, params)
                return cur.fetchall() if cur.description else []
        finally:
            conn.close()


def with_database(url: str, name: str) -> str:
    parts = urlsplit(url)
    return urlunsplit(parts._replace(path=f"/{name}"))


def admin_sql(sql: str) -> None:
    import psycopg2

    conn = psycopg2.connect(with_database(DATABASE_URL, "postgres"))
    conn.autocommit = True
    try:
        with conn.cursor() as cur:
            cur.execute(sql)
    finally:
        conn.close()


def project_env(**extra: str) -> dict[str, str]:
    """The environment of the project's own processes: the settings a deployment runs with."""
    env = dict(os.environ)
    env.update(DJANGO_SETTINGS_MODULE="config.settings.local", **extra)
    return env


def manage(*args: str, database_url: str) -> str:
    result = subprocess.run(
        [sys.executable, "manage.py", *args],
        cwd=REPO,
        env=project_env(DATABASE_URL=database_url),
        capture_output=True,
        text=True,
        timeout=600,
    )
    assert result.returncode == 0, f"manage.py {' '.join(args)} failed:\n{result.stdout}\n{result.stderr}"
    return result.stdout


@pytest.fixture
def worker_database() -> Iterator[WorkerDatabase]:
    """A fresh database with a month of demo data, visible to any process."""
    if missing_services():
        pytest.fail(f"AFTERSALES_REQUIRE_WORKER_TEST is set, but this test {missing_services()}")
    name = f"aftersales_worker_{uuid.uuid4().hex[:10]}"
    admin_sql(f'CREATE DATABASE "{name}"')
    db = WorkerDatabase(name=name, url=with_database(DATABASE_URL, name))
    try:
        manage("migrate", "--noinput", database_url=db.url)
        manage("seed_demo", "--dealers", "7", "--months", "1", database_url=db.url)
        yield db
    finally:
        admin_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')


@pytest.fixture
def worker(worker_database: WorkerDatabase, tmp_path: Path) -> Iterator[Path]:
    """`celery -A config worker` as its own process, on the worker database; killed afterwards."""
    from config.celery_app import app

    app.control.purge()  # tasks left on the broker by earlier runs are not ours
    log = tmp_path / "worker.log"
    with log.open("w") as out:
        process = subprocess.Popen(
            [
                sys.executable,
                "-m",
                "celery",
                "-A",
                "config",
                "worker",
                "--pool=solo",
                "--loglevel=INFO",
                "--without-gossip",
                "--without-mingle",
                "--without-heartbeat",
                f"--hostname=test-{worker_database.name}@%h",
            ],
            cwd=REPO,
            env=project_env(DATABASE_URL=worker_database.url, CELERY_BROKER_URL=BROKER_URL),
            stdout=out,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    pid_file = Path(PID_DIR or tmp_path) / f"{worker_database.name}.pid"
    pid_file.write_text(str(process.pid))
    try:
        yield log
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)
        pid_file.unlink(missing_ok=True)


def test_a_recompute_queued_here_is_done_by_a_separate_worker_process(worker_database, worker, monkeypatch):
    from assessments.tasks import recompute_period
    from config.celery_app import app

    # The rest of the suite may run tasks in-process; this test sends this one to the broker.
    monkeypatch.setitem(app.conf, "task_always_eager", False)

    period = str(Month.of(timezone.localdate()).shift(-1))  # seed_demo's last month
    # Given: the month's data, its scorecards removed, and the number of dealers to score.
    worker_database.query(
        "DELETE FROM assessments_kpiresult WHERE scorecard_id IN (SELECT s.id FROM assessments_scorecard s "
        "JOIN assessments_period p ON p.id = s.period_id WHERE p.code = %s)",
        period,
    )
    worker_database.query(
        "DELETE FROM assessments_scorecard WHERE period_id = (SELECT id FROM assessments_period WHERE code = %s)",
        period,
    )
    (eligible,) = worker_database.query("SELECT count(*) FROM dealers_dealer WHERE status <> 'terminated'")[0]
    assert eligible > 0

    # When: this process queues the recompute on the broker.
    recompute_period.delay(period)

    # Then: the worker fans it out as a chord and the scorecards appear in its database.
    deadline = time.monotonic() + WAIT_SECONDS
    cards = 0
    while time.monotonic() < deadline:
        cards = worker_database.query(
            "SELECT count(*) FROM assessments_scorecard s JOIN assessments_period p ON p.id = s.period_id "
            "WHERE p.code = %s",
            period,
        )[0][0]
        if cards:
            break
        time.sleep(0.5)
    log = worker.read_text()
    assert cards == eligible, f"no scorecards after {WAIT_SECONDS} s; worker log:\n{log[-4000:]}"
    runs = worker_database.query(
        "SELECT r.status FROM assessments_scorerun r JOIN assessments_period p ON p.id = r.period_id "
        "WHERE p.code = %s ORDER BY r.id",
        period,
    )
    assert [status for (status,) in runs] == ["succeeded", "succeeded"]  # seed_demo's run, then the worker's
    assert "assessments.tasks.recompute_period" in log
    assert "assessments.tasks.finish_run" in log
