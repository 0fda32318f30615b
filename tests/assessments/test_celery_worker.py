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


class Workers:
    """Starts `celery -A config worker` processes on the worker database; kills what is left at the end."""

    def __init__(self, database: WorkerDatabase, tmp_path: Path) -> None:
        self.database = database
        self.tmp_path = tmp_path
        self.processes: list[subprocess.Popen] = []
        self.logs: list[Path] = []
        # A queue of its own: worker tests run side by side (xdist) on one broker, and a worker
        # must never take another test's task (it would run it on the wrong database).
        self.queue = f"test-{database.name}"

    def send(self, task, *args):  # noqa: ANN001, ANN201 - a Celery task and its arguments
        """Send a task to this test's workers, as the portal's processes send to theirs."""
        return task.apply_async(args=list(args), queue=self.queue)

    def start(self, **env: str) -> subprocess.Popen:
        number = len(self.processes)
        log = self.tmp_path / f"worker-{number}.log"
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
                    f"--hostname=test-{self.database.name}-{number}@%h",
                ],
                cwd=REPO,
                env=project_env(
                    DATABASE_URL=self.database.url,
                    CELERY_BROKER_URL=BROKER_URL,
                    DJANGO_MEDIA_ROOT=str(self.tmp_path / "media"),
                    CELERY_TASK_DEFAULT_QUEUE=self.queue,
                    **env,
                ),
                stdout=out,
                stderr=subprocess.STDOUT,
                start_new_session=True,
            )
        (Path(PID_DIR or self.tmp_path) / f"{self.database.name}-{number}.pid").write_text(str(process.pid))
        self.processes.append(process)
        self.logs.append(log)
        return process

    def kill(self, process: subprocess.Popen, sig: int = signal.SIGKILL) -> None:
        try:
            os.killpg(process.pid, sig)
        except ProcessLookupError:
            return
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait(timeout=10)

    def log(self) -> str:
        return "\n".join(
            f"--- {path.name}\n{path.read_text()[-3000:]}" for path in self.logs if path.exists()
        )

    def stop_all(self) -> None:
        for number, process in enumerate(self.processes):
            if process.poll() is None:
                self.kill(process, signal.SIGTERM)
            (Path(PID_DIR or self.tmp_path) / f"{self.database.name}-{number}.pid").unlink(missing_ok=True)


@pytest.fixture
def workers(worker_database: WorkerDatabase, tmp_path: Path, monkeypatch) -> Iterator[Workers]:
    from config.celery_app import app

    # The rest of the suite may run tasks in-process; these tests send them to the broker.
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    pool = Workers(worker_database, tmp_path)
    try:
        yield pool
    finally:
        pool.stop_all()


@pytest.fixture
def worker(workers: Workers) -> Iterator[Path]:
    workers.start()
    yield workers.logs[0]


def wait_for(what: str, check, seconds: float, workers: Workers, every: float = 0.25):
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        value = check()
        if value:
            return value
        time.sleep(every)
    raise AssertionError(f"{what}: not within {seconds} s; worker logs:\n{workers.log()}")


def ask_recompute(db: WorkerDatabase, period: str) -> None:
    """What an import or approval writes in its transaction: a durable recompute request."""
    db.query(
        "INSERT INTO assessments_recomputerequest (period_code, reason, requested_at, attempts) "
        "VALUES (%s, 'test', now(), 0)",
        period,
    )


def cards_of(db: WorkerDatabase, period: str) -> list[tuple]:
    return db.query(
        "SELECT s.dealer_id, s.total_score, s.computed_at FROM assessments_scorecard s "
        "JOIN assessments_period p ON p.id = s.period_id WHERE p.code = %s ORDER BY s.dealer_id",
        period,
    )


def runs_of(db: WorkerDatabase, period: str) -> list[tuple]:
    return db.query(
        "SELECT r.id, r.status FROM assessments_scorerun r JOIN assessments_period p ON p.id = r.period_id "
        "WHERE p.code = %s ORDER BY r.id",
        period,
    )


def test_a_recompute_queued_here_is_done_by_a_separate_worker_process(worker_database, workers, worker):
    from assessments.tasks import recompute_period

    period = str(Month.of(timezone.localdate()).shift(-1))  # seed_demo's last month
    # Given: the month's data, its scorecards removed, and the number of dealers to score.
    worker_database.query(
        "DELETE FROM assessments_kpiresult WHERE scorecard_id IN (SELECT s.id FROM assessments_scorecard s "
        "JOIN assessments_period p ON p.id = s.period_id WHERE p.code = %s)",
        period,
    )
    # What points at those scorecards lets go first, as the ORM's SET_NULL and m2m clean-up do.
    for sql in (
        "UPDATE incentives_appeal SET scorecard_id = NULL WHERE scorecard_id IN ({cards})",
        "DELETE FROM incentives_incentiveaction_scorecards WHERE scorecard_id IN ({cards})",
        "DELETE FROM assessments_scorecard WHERE id IN ({cards})",
    ):
        worker_database.query(
            sql.format(
                cards="SELECT s.id FROM assessments_scorecard s JOIN assessments_period p "
                "ON p.id = s.period_id WHERE p.code = %s"
            ),
            period,
        )
    (eligible,) = worker_database.query("SELECT count(*) FROM dealers_dealer WHERE status <> 'terminated'")[0]
    assert eligible > 0

    # When: a change asked for a recompute, and this process nudges a worker over the broker.
    ask_recompute(worker_database, period)
    workers.send(recompute_period, period)

    # Then: the worker fans it out as a chord and the scorecards appear in its database.
    deadline = time.monotonic() + WAIT_SECONDS
    cards = 0
    while time.monotonic() < deadline:
        cards = len(cards_of(worker_database, period))
        if cards:
            break
        time.sleep(0.5)
    log = worker.read_text()
    assert cards == eligible, f"no scorecards after {WAIT_SECONDS} s; worker log:\n{log[-4000:]}"
    runs = [status for _id, status in runs_of(worker_database, period)]
    assert runs == ["succeeded", "succeeded"]  # seed_demo's run, then the worker's
    assert "assessments.tasks.recompute_period" in log
    assert "assessments.tasks.finish_run" in log
    # The request was taken and is gone.
    assert worker_database.query("SELECT count(*) FROM assessments_recomputerequest")[0][0] == 0


def repair_orders_csv(path: Path, dealer_codes: list[str], rows: int, month: Month) -> Path:
    """A DMS export of `rows` repair orders delivered in `month` (data-formats.md columns)."""
    day = f"{month.year:04d}-{month.month:02d}"
    lines = [
        "ro_number,dealer_code,vin,repair_type,booked_at,opened_at,promised_at,closed_at,"
        "fault_code,labor_hours,labor_amount,parts_amount,warranty_cost"
    ]
    for i in range(rows):
        code = dealer_codes[i % len(dealer_codes)]
        d = 1 + i % 25
        lines.append(
            f"BG{i:07d},{code},LBGTEST{i:010d},repair,{day}-{d:02d} 08:00:00,{day}-{d:02d} 09:00:00,"
            f"{day}-{d:02d} 17:00:00,{day}-{d:02d} 16:00:00,F{i % 40:03d},1.5,300.0,120.5,0"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text("\n".join(lines) + "\n", encoding="utf-8")
    return path


def stored_import(db: WorkerDatabase, media: Path, rows: int, month: Month) -> int:
    """An upload as the page stores it: the file under media, a pending job by the HQ admin."""
    codes = [code for (code,) in db.query("SELECT code FROM dealers_dealer WHERE status <> 'terminated'")]
    name = f"imports/test/bulk-{uuid.uuid4().hex[:6]}.csv"
    repair_orders_csv(media / name, codes, rows, month)
    (admin_id,) = db.query("SELECT id FROM dealers_user WHERE username = 'admin'")[0]
    (job_id,) = db.query(
        "INSERT INTO assessments_importjob (kind, user_id, file_name, file_size, checksum, upload, partial, "
        "dry_run, status, rows_total, rows_done, created, updated, unchanged, rejected, errors, message, "
        "error_file, periods_touched, started_at, runner) VALUES ('repair_orders', %s, 'bulk.csv', 0, '', %s, false, "
        "false, 'pending', %s, 0, 0, 0, 0, 0, '[]', '', '', '[]', now(), '') RETURNING id",
        admin_id,
        name,
        rows,
    )[0]
    return job_id


def job_state(db: WorkerDatabase, job_id: int) -> tuple:
    return db.query(
        "SELECT status, rows_done, rows_total, created, message FROM assessments_importjob WHERE id = %s",
        job_id,
    )[0]


def test_a_background_import_runs_on_a_worker_to_100_percent_and_its_recompute_lands(
    worker_database, workers, tmp_path
):
    from assessments.tasks_imports import run_import

    workers.start()
    month = Month.of(timezone.localdate()).shift(-1)
    rows = 60_000  # three chunks, far over the background threshold
    job_id = stored_import(worker_database, tmp_path / "media", rows, month)
    before = {dealer: computed for dealer, _total, computed in cards_of(worker_database, str(month))}

    workers.send(run_import, job_id, "en")

    seen_progress: set[int] = set()

    def finished():
        status, done, total, _created, _message = job_state(worker_database, job_id)
        if status == "running" and 0 < done < total:
            seen_progress.add(done)
        return status if status not in ("pending", "running") else None

    status = wait_for("the import to finish", finished, 180, workers, every=0.05)
    state = job_state(worker_database, job_id)
    assert status == "succeeded", state
    assert state[1] == state[2] == rows and state[3] == rows  # 100 %: every row done and created
    assert seen_progress, "the progress bar never moved between 0 and 100 %"

    # The import's own transaction asked for the recompute; a worker lands it.
    def recomputed():
        after = cards_of(worker_database, str(month))
        return after and all(computed > before.get(dealer, computed) for dealer, _t, computed in after)

    wait_for("the recompute after the import", recomputed, 120, workers)
    assert "assessments.tasks_imports.run_import" in workers.log()
    assert "unregistered" not in workers.log().lower()


def test_one_beat_job_of_each_app_runs_on_a_worker(worker_database, workers):
    from assessments.tasks import sweep_background_work
    from assessments.tasks_submissions import send_submission_reminders
    from goals.tasks import remind_goals_at_risk
    from incentives.tasks import flag_overdue_rectifications
    from support.tasks import escalate_breached_cases
    from surveys.tasks import send_daily_clearing_reminders, sweep_customer_voice

    workers.start()
    results = {
        "sweep": workers.send(sweep_background_work).get(timeout=WAIT_SECONDS),
        "reminders": workers.send(send_submission_reminders).get(timeout=WAIT_SECONDS),
        "overdue": workers.send(flag_overdue_rectifications).get(timeout=WAIT_SECONDS),
        "voice": workers.send(sweep_customer_voice).get(timeout=WAIT_SECONDS),
        "clearing": workers.send(send_daily_clearing_reminders).get(timeout=WAIT_SECONDS),
        "goals": workers.send(remind_goals_at_risk).get(timeout=WAIT_SECONDS),
        "goals again": workers.send(remind_goals_at_risk).get(timeout=WAIT_SECONDS),
        "support": workers.send(escalate_breached_cases).get(timeout=WAIT_SECONDS),
        "support again": workers.send(escalate_breached_cases).get(timeout=WAIT_SECONDS),
    }
    assert set(results["sweep"]) >= {"runs_expired", "periods_queued", "imports_failed"}
    assert isinstance(results["reminders"], int) and isinstance(results["overdue"], int)
    assert set(results["voice"]) == {"invitations", "hot_alerts", "flags"}
    assert isinstance(results["clearing"], dict)
    # The goals' morning reminder: the demo's goals checked on the worker, each at-risk goal's
    # owner told once a day (a second run the same day tells nobody again).
    assert set(results["goals"]) == {"at_risk", "notices"}
    assert results["goals again"] == {"at_risk": results["goals"]["at_risk"], "notices": 0}
    told = worker_database.query("SELECT count(*) FROM dealers_notice WHERE url LIKE '/goals/%%?day=%%'")[0][
        0
    ]
    assert told == results["goals"]["notices"]
    checked = worker_database.query("SELECT count(*) FROM goals_goal WHERE status_checked_at IS NOT NULL")[0][
        0
    ]
    assert checked >= 1


def test_the_nightly_analysis_fans_out_on_a_worker_and_a_second_night_adds_nothing(worker_database, workers):
    from insights.detectors import DETECTORS
    from insights.tasks import analyse_month

    month = str(Month.of(timezone.localdate()).shift(-1))
    # seed_demo already ran every detector in-process over this month (insights.demo).
    before = worker_database.query("SELECT count(*) FROM insights_finding WHERE month = %s", month)[0][0]
    last_run = worker_database.query("SELECT coalesce(max(id), 0) FROM insights_analysisrun")[0][0]
    workers.start()
    sent = workers.send(analyse_month, month).get(timeout=WAIT_SECONDS)
    assert sent == {"month": month, "detectors": len(DETECTORS)}

    def runs_done():
        rows = worker_database.query(
            "SELECT kind, found, new, error FROM insights_analysisrun "
            "WHERE month = %s AND finished_at IS NOT NULL AND id > %s",
            month,
            last_run,
        )
        return rows if len({r[0] for r in rows}) == len(DETECTORS) else None

    rows = wait_for("every detector's run on the worker", runs_done, WAIT_SECONDS, workers)
    assert all(error == "" for _k, _f, _n, error in rows), rows
    assert sum(found for _k, found, _n, _e in rows) == before
    assert sum(new for _k, _f, new, _e in rows) == 0  # the same findings: updated, none added
    after = worker_database.query("SELECT count(*) FROM insights_finding WHERE month = %s", month)[0][0]
    assert after == before


FAST_FAULTS = {
    # Short bounds so a lost worker is noticed in seconds here; production defaults are minutes.
    "RECOMPUTE_LEASE_SECONDS": "6",
    "CELERY_VISIBILITY_TIMEOUT": "10",
    "IMPORT_STALE_SECONDS": "5",
    "RECOMPUTE_COALESCE_SECONDS": "0",
}


def test_killing_a_worker_mid_recompute_loses_nothing_and_its_run_never_writes(worker_database, workers):
    import psycopg2

    from assessments.tasks import recompute_period, sweep_background_work

    period = str(Month.of(timezone.localdate()).shift(-1))
    first = workers.start(**FAST_FAULTS)
    # Given: the worker's recompute blocked in its part (a table lock held here), then killed.
    blocker = psycopg2.connect(worker_database.url)
    blocker.autocommit = False
    with blocker.cursor() as cur:
        cur.execute("LOCK TABLE assessments_scorerunpart IN ACCESS EXCLUSIVE MODE")
    before = cards_of(worker_database, period)
    ask_recompute(worker_database, period)
    workers.send(recompute_period, period)
    lost_run = wait_for(
        "the run to start",
        lambda: [r for r in runs_of(worker_database, period) if r[1] == "running"],
        WAIT_SECONDS,
        workers,
    )[0][0]
    time.sleep(1)  # it is now waiting on the lock, inside its part
    killed_at = time.monotonic()
    workers.kill(first)
    blocker.rollback()
    blocker.close()

    # When: another worker runs (beat would send the sweep every minute; here it is sent at once).
    workers.start(**FAST_FAULTS)
    last_sweep = [0.0]

    # Then: within seconds a new run lands the request; the lost run is superseded and wrote nothing.
    def landed():
        if time.monotonic() - last_sweep[0] > 3:  # beat sends the sweep every minute; here every 3 s
            workers.send(sweep_background_work)
            last_sweep[0] = time.monotonic()
        runs = runs_of(worker_database, period)
        return [r for r in runs if r[0] > lost_run and r[1] == "succeeded"]

    wait_for("a new run to land", landed, 90, workers)
    recovered_in = time.monotonic() - killed_at
    after = cards_of(worker_database, period)
    assert len(after) == len(before)
    statuses = dict(runs_of(worker_database, period))
    assert statuses[lost_run] == "superseded"
    assert worker_database.query("SELECT count(*) FROM assessments_recomputerequest")[0][0] == 0
    # The lost run's parts come back from the broker (visibility timeout) and change nothing.
    time.sleep(12)
    assert cards_of(worker_database, period) == after
    assert dict(runs_of(worker_database, period))[lost_run] == "superseded"
    print(f"recovered from a killed worker in {recovered_in:.1f} s")
    assert recovered_in < 120


def test_killing_a_worker_mid_import_fails_the_job_writes_nothing_and_a_rerun_is_clean(
    worker_database, workers, tmp_path
):
    from assessments.tasks import sweep_background_work
    from assessments.tasks_imports import run_import

    month = Month.of(timezone.localdate()).shift(-1)
    first = workers.start(**FAST_FAULTS)
    rows = 60_000
    job_id = stored_import(worker_database, tmp_path / "media", rows, month)
    existing = worker_database.query("SELECT count(*) FROM assessments_repairorder")[0][0]
    workers.send(run_import, job_id, "en")
    wait_for(
        "the import to be running", lambda: job_state(worker_database, job_id)[1] > 0, 120, workers, 0.05
    )
    workers.kill(first)

    workers.start(**FAST_FAULTS)
    time.sleep(6)  # the heartbeat stops; after IMPORT_STALE_SECONDS the sweep fails the job
    workers.send(sweep_background_work).get(timeout=WAIT_SECONDS)
    status, _done, _total, _created, message = job_state(worker_database, job_id)
    assert status == "failed" and ("worker" in message or "后台进程" in message)
    assert worker_database.query("SELECT count(*) FROM assessments_repairorder")[0][0] == existing

    # A re-run of the same file equals a clean import.
    again = stored_import(worker_database, tmp_path / "media", rows, month)
    workers.send(run_import, again, "en")
    wait_for(
        "the re-run", lambda: job_state(worker_database, again)[0] not in ("pending", "running"), 180, workers
    )
    assert job_state(worker_database, again)[:4] == ("succeeded", rows, rows, rows)


def test_an_import_with_the_broker_down_keeps_its_rows_and_the_sweep_lands_the_recompute(
    worker_database, workers, tmp_path
):
    from assessments.tasks import sweep_background_work

    month = Month.of(timezone.localdate()).shift(-1)
    codes = [
        code
        for (code,) in worker_database.query("SELECT code FROM dealers_dealer WHERE status <> 'terminated'")
    ]
    path = repair_orders_csv(tmp_path / "down.csv", codes, 300, month)
    before = {dealer: computed for dealer, _total, computed in cards_of(worker_database, str(month))}

    # When: the command imports while its broker is unreachable.
    result = subprocess.run(
        [sys.executable, "manage.py", "import_data", "repair_orders", str(path)],
        cwd=REPO,
        env=project_env(DATABASE_URL=worker_database.url, CELERY_BROKER_URL="redis://127.0.0.1:6390/0"),
        capture_output=True,
        text=True,
        timeout=300,
    )

    # Then: it succeeds without a traceback, its rows and its recompute request are in the database.
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Traceback" not in result.stderr
    assert (
        worker_database.query("SELECT count(*) FROM assessments_repairorder WHERE ro_number LIKE 'BG%%'")[0][
            0
        ]
        == 300
    )
    assert worker_database.query("SELECT count(*) FROM assessments_recomputerequest")[0][0] >= 1

    # And once a worker and the broker are there, the sweep lands it.
    workers.start(**FAST_FAULTS)
    workers.send(sweep_background_work)

    def recomputed():
        after = cards_of(worker_database, str(month))
        return after and all(computed > before.get(dealer, computed) for dealer, _t, computed in after)

    wait_for("the delayed recompute", recomputed, 120, workers)


def test_the_morning_daily_clearing_reminder_reaches_a_dealers_wecom_group_through_the_worker(
    worker_database, workers
):
    """The beat's 日清 reminder runs on a worker, which queues the robot messages to a worker
    (after its transaction commits), which posts them to the group's webhook: here the local
    WeCom stub of tests/dealers/test_robots.py, on this machine."""
    from surveys.tasks import send_daily_clearing_reminders
    from tests.dealers.test_robots import PlatformStub

    stub = PlatformStub()
    stub.thread.start()
    try:
        # Given: the morning's reminder has not gone out yet (the demo sends today's and logs
        # it on its own robots, which are off), and every dealer's group has a WeCom robot
        # that takes the morning reminder.
        worker_database.query("DELETE FROM dealers_robotdelivery")
        worker_database.query("DELETE FROM dealers_notice WHERE topic = 'daily_clearing'")
        worker_database.query(
            "INSERT INTO dealers_grouprobot (platform, name, webhook_url, secret, dealer_id, topics, active, "
            "created_at) SELECT 'wecom', '售后服务群', %s, '', id, '[\"daily_clearing\"]', true, now() "
            "FROM dealers_dealer",
            stub.url("wecom"),
        )
        workers.start()

        # When: the beat sends the reminder.
        told = workers.send(send_daily_clearing_reminders).get(timeout=WAIT_SECONDS)

        # Then: every delivery it made is posted to the stub, in WeCom's format, and logged as sent.
        made = worker_database.query("SELECT count(*) FROM dealers_robotdelivery")[0][0]
        assert made >= 1, f"the demo's board should have something to clear: {told}"
        wait_for(
            "the reminders posted to the WeCom group",
            lambda: (
                worker_database.query("SELECT count(*) FROM dealers_robotdelivery WHERE status = 'sent'")[0][
                    0
                ]
                == made
            ),
            WAIT_SECONDS,
            workers,
        )
        assert len(stub.received) == made
        assert not stub.problems
        for message in stub.received:
            assert message["body"]["msgtype"] == "markdown"
            assert "/surveys/board/?day=" in message["body"]["markdown"]["content"]
    finally:
        stub.server.shutdown()
        stub.server.server_close()
