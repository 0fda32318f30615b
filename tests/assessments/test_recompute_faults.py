"""Faults fail safe: fencing, durable requests, lost workers, a broker that is down.

These run on both databases at service level (the parts of a chord called one by one, as
workers would); tests/assessments/test_celery_worker.py repeats the worst of them with a
real worker process that is killed.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.db import transaction
from django.utils import timezone

from assessments import tasks
from assessments.choices import ImportStatus, PeriodStatus, ScoreRunStatus
from assessments.models import ImportJob, Period, RecomputeRequest, Scorecard, ScoreRun
from assessments.services import queueing
from assessments.services import recompute as recompute_service
from assessments.services.recompute import (
    RecomputeError,
    RecomputeSuperseded,
    months_with_data_without_period,
    period_close,
    period_recompute,
    recompute_finish,
    recompute_part,
    recompute_start,
    runs_expire,
)
from config.celery_app import app as celery_app

from ..factories import RepairOrderFactory, local
from .test_recompute import _scored_dealer

pytestmark = pytest.mark.django_db


def _expire_lease(period_code: str) -> None:
    Period.objects.filter(code=period_code).update(recompute_lock_until=timezone.now() - timedelta(seconds=1))


def _totals() -> dict[int, object]:
    """Per dealer, the records its October KPI results counted (the evidence a run read)."""
    from django.db.models import Sum

    from assessments.models import KpiResult

    return dict(
        KpiResult.objects.filter(scorecard__period__code="2026-10")
        .values_list("scorecard__dealer_id")
        .annotate(n=Sum("sample_size"))
        .values_list("scorecard__dealer_id", "n")
    )


def test_a_run_that_lost_its_lease_writes_nothing_over_a_newer_run(dealer, other_dealer):
    _scored_dealer(dealer)
    # Given: run A computed its parts from the old data, then its worker stalled and its lease ran out.
    old, parts = recompute_start("2026-10")
    for index, ids in enumerate(parts):
        recompute_part(old.pk, index, ids)
    _expire_lease("2026-10")
    # Meanwhile the data changed and run B recomputed it.
    _scored_dealer(other_dealer)
    newer = period_recompute("2026-10")
    after_newer = _totals()
    assert newer.status == ScoreRunStatus.SUCCEEDED and after_newer[other_dealer.pk] > 0

    # When: the stalled run finally gets to its swap.
    result = recompute_finish(old.pk)

    # Then: it is over, wrote nothing, and the newer cards stand.
    assert result.status == ScoreRunStatus.SUPERSEDED
    assert _totals() == after_newer
    assert set(Scorecard.objects.filter(period__code="2026-10").values_list("computed_at", flat=True)) == {
        Scorecard.objects.filter(period__code="2026-10").first().computed_at
    }


def test_a_run_whose_data_changed_while_it_read_is_redone_not_swapped_in(dealer, other_dealer):
    _scored_dealer(dealer)
    period_recompute("2026-10")
    run, parts = recompute_start("2026-10")
    recompute_part(run.pk, 0, parts[0])
    # A change commits between the parts' reads and the swap, with its request.
    _scored_dealer(other_dealer)
    with transaction.atomic():
        tasks.recompute_request(["2026-10"], "test")

    with pytest.raises(RecomputeSuperseded):
        recompute_finish(run.pk)

    run.refresh_from_db()
    assert run.status == ScoreRunStatus.SUPERSEDED
    assert _totals()[other_dealer.pk] == 0  # nothing of the mixed run was written
    assert RecomputeRequest.objects.filter(period_code="2026-10", run__isnull=True).exists()
    # The in-process path redoes it at once and lands the change.
    period_recompute("2026-10")
    assert _totals()[other_dealer.pk] > 0
    assert not RecomputeRequest.objects.filter(period_code="2026-10").exists()


def test_a_lost_worker_frees_its_period_within_one_lease_and_its_requests_wait_again(dealer, settings):
    _scored_dealer(dealer)
    with transaction.atomic():
        tasks.recompute_request(["2026-10"], "import")
    run, _parts = recompute_start("2026-10")
    assert RecomputeRequest.objects.get().run_id == run.pk
    lock_until = Period.objects.get(code="2026-10").recompute_lock_until
    assert lock_until <= timezone.now() + timedelta(seconds=settings.RECOMPUTE_LEASE_SECONDS)

    _expire_lease("2026-10")  # the worker died: nobody renews the lease
    assert runs_expire() == 1

    run.refresh_from_db()
    assert run.status == ScoreRunStatus.SUPERSEDED
    assert RecomputeRequest.objects.get().run_id is None
    assert Period.objects.get(code="2026-10").recompute_lock_until is None
    assert recompute_service.periods_waiting() == ["2026-10"]


def test_the_default_lease_is_minutes_not_an_hour(settings):
    assert settings.RECOMPUTE_LEASE_SECONDS <= 300
    assert settings.CELERY_BROKER_TRANSPORT_OPTIONS["visibility_timeout"] <= 600


def test_a_request_is_written_with_the_change_and_rolls_back_with_it(dealer):
    with pytest.raises(RuntimeError), transaction.atomic():
        queueing.queue_recompute(["2026-10"])
        raise RuntimeError("the change failed")
    assert not RecomputeRequest.objects.exists()


def test_a_closed_month_gets_no_request(dealer):
    _scored_dealer(dealer)
    period_recompute("2026-10")
    period_close("2026-10")
    assert tasks.recompute_request(["2026-10", "2026-11"], "test") == ["2026-11"]


def test_with_the_broker_down_the_change_is_kept_and_the_sweep_runs_it_later(dealer, monkeypatch):
    _scored_dealer(dealer)
    monkeypatch.setitem(tasks.recompute_period.app.conf, "task_always_eager", False)

    def broker_down(*args, **kwargs):
        raise ConnectionRefusedError("Error 111 connecting to 127.0.0.1:6390")

    monkeypatch.setattr(celery_app, "send_task", broker_down)
    # When: a change asks for a recompute while the broker is down. Nothing raises.
    with transaction.atomic():
        queueing.queue_recompute(["2026-10"])
    assert RecomputeRequest.objects.filter(period_code="2026-10", run__isnull=True).count() == 1
    assert not Scorecard.objects.exists()

    # Then: once the broker is back, the sweep queues what waits.
    sent = []
    monkeypatch.setattr(celery_app, "send_task", lambda name, args, **kw: sent.append((name, args)))
    assert tasks.sweep_background_work()["periods_queued"] == 1
    assert sent == [(queueing.RECOMPUTE_TASK, ["2026-10"])]


def test_a_busy_period_makes_the_request_wait_not_fail(dealer):
    _scored_dealer(dealer)
    holder, parts = recompute_start("2026-10")  # another process is recomputing
    with transaction.atomic():
        queueing.queue_recompute(["2026-10"])  # in-process nudge finds it busy: no error
    assert RecomputeRequest.objects.filter(run__isnull=True).count() == 1
    # The holder sees the request at its swap, is superseded, and the waiting run lands it.
    for index, ids in enumerate(parts):
        recompute_part(holder.pk, index, ids)
    with pytest.raises(RecomputeSuperseded):
        recompute_finish(holder.pk)
    tasks.nudge("2026-10")
    assert Scorecard.objects.filter(dealer=dealer, period__code="2026-10").exists()
    assert not RecomputeRequest.objects.exists()


def test_the_nightly_job_covers_a_month_with_data_but_no_period(dealer, monkeypatch):
    _scored_dealer(dealer)  # October data, no period yet (its first recompute was lost)
    assert not Period.objects.exists()
    assert months_with_data_without_period() == ["2026-10"]
    assert "2026-10" in tasks.recompute_open_periods()
    assert Scorecard.objects.filter(period__code="2026-10", dealer=dealer).exists()


def test_a_period_cannot_be_closed_before_it_ends_nor_reopened():
    this_month = timezone.localdate().strftime("%Y-%m")
    with pytest.raises(RecomputeError):
        period_close(this_month)
    with pytest.raises(RecomputeError):
        period_close("2999-11")
    assert not Period.objects.filter(status=PeriodStatus.CLOSED).exists()


def test_a_killed_import_turns_failed_and_a_never_queued_one_is_queued(dealer_user, monkeypatch):
    long_ago = timezone.now() - timedelta(hours=3)
    lost = ImportJob.objects.create(kind="repair_orders", file_name="a.csv", status=ImportStatus.RUNNING)
    ImportJob.objects.filter(pk=lost.pk).update(started_at=long_ago, heartbeat_at=long_ago)
    alive = ImportJob.objects.create(
        kind="repair_orders", file_name="b.csv", status=ImportStatus.RUNNING, heartbeat_at=timezone.now()
    )
    result = tasks.sweep_background_work()
    lost.refresh_from_db()
    alive.refresh_from_db()
    assert result["imports_failed"] == 1
    assert lost.status == ImportStatus.FAILED and "lost" in lost.message.lower() or "丢失" in lost.message
    assert alive.status == ImportStatus.RUNNING


def test_a_redelivered_import_task_does_not_run_a_job_twice(dealer_user, tmp_path):
    from assessments.importing.service import run_stored_job

    job = ImportJob.objects.create(
        kind="repair_orders", file_name="c.csv", status=ImportStatus.RUNNING, user=dealer_user
    )
    assert run_stored_job(job).status == ImportStatus.RUNNING  # claimed by another delivery


def test_repair_order_dated_in_a_month_without_period(dealer):
    RepairOrderFactory(
        dealer=dealer, opened_at=local("2026-08-03 09:00"), closed_at=local("2026-08-03 12:00")
    )
    assert "2026-08" in months_with_data_without_period()


def test_an_import_whose_process_died_is_failed_at_once_on_the_same_machine():
    import subprocess
    import sys

    from assessments.importing.service import runner_id

    # A process that ran an import and was killed: its pid no longer exists.
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    host = runner_id().rpartition(":")[0]
    job = ImportJob.objects.create(
        kind="repair_orders",
        file_name="d.csv",
        status=ImportStatus.RUNNING,
        heartbeat_at=timezone.now(),
        runner=f"{host}:{dead.pid}",
    )
    mine = ImportJob.objects.create(
        kind="repair_orders",
        file_name="e.csv",
        status=ImportStatus.RUNNING,
        heartbeat_at=timezone.now(),
        runner=runner_id(),
    )
    assert tasks.sweep_background_work()["imports_failed"] == 1
    job.refresh_from_db()
    mine.refresh_from_db()
    assert job.status == ImportStatus.FAILED and mine.status == ImportStatus.RUNNING


def test_without_a_broker_the_imports_page_sweeps(dealer_user, hq_manager, monkeypatch):
    from django.urls import reverse

    from tests.conftest import client_for

    monkeypatch.setattr(tasks, "_last_sweep", 0.0)
    lost = ImportJob.objects.create(
        kind="repair_orders", file_name="f.csv", status=ImportStatus.RUNNING, runner="gone-host:1"
    )
    ImportJob.objects.filter(pk=lost.pk).update(started_at=timezone.now() - timedelta(hours=3))
    client_for(hq_manager).get(reverse("imports:list"))
    lost.refresh_from_db()
    assert lost.status == ImportStatus.FAILED


def test_a_slow_run_whose_lease_ran_out_but_was_not_taken_over_still_lands(dealer):
    # Its parts waited behind other work in the queue; nobody took the period, nobody swept it.
    _scored_dealer(dealer)
    run, parts = recompute_start("2026-10")
    _expire_lease("2026-10")
    for index, ids in enumerate(parts):
        recompute_part(run.pk, index, ids)
    assert recompute_finish(run.pk).status == ScoreRunStatus.SUCCEEDED
    assert _totals()[dealer.pk] > 0


def test_a_month_that_has_not_started_is_neither_recomputed_nor_created():
    with pytest.raises(RecomputeError):
        period_recompute("2999-11")
    assert not Period.objects.filter(code="2999-11").exists()


def test_under_a_steady_stream_of_changes_a_run_lands_after_a_few_redos(dealer):
    _scored_dealer(dealer)
    landed = None
    for _ in range(recompute_service.MAX_SUPERSEDED_IN_A_ROW + 1):
        run, parts = recompute_start("2026-10")
        recompute_part(run.pk, 0, parts[0])
        with transaction.atomic():
            tasks.recompute_request(["2026-10"], "another survey")  # a change during every run
        try:
            landed = recompute_finish(run.pk)
            break
        except RecomputeSuperseded:
            continue
    # Then: the last run lands instead of being redone for ever, and the change waits for the next.
    assert landed is not None and landed.status == ScoreRunStatus.SUCCEEDED
    assert (
        ScoreRun.objects.filter(status=ScoreRunStatus.SUPERSEDED).count()
        == recompute_service.MAX_SUPERSEDED_IN_A_ROW
    )
    assert recompute_service.periods_waiting() == ["2026-10"]


def test_without_a_broker_a_request_that_found_the_month_busy_is_run_when_it_is_free(dealer, monkeypatch):
    _scored_dealer(dealer)
    real_release = recompute_service._release_lock
    arrived = []

    def change_just_before_release(period_id, token):
        if not arrived:  # a change commits after the run's last check, while it still holds the month
            arrived.append(1)
            with transaction.atomic():
                tasks.recompute_request(["2026-10"], "appeal")
            recompute_service.period_recompute_pending("2026-10")  # its nudge: busy, so it returns
        real_release(period_id, token)

    monkeypatch.setattr(recompute_service, "_release_lock", change_just_before_release)
    with transaction.atomic():
        tasks.recompute_request(["2026-10"], "import")
    recompute_service.period_recompute_pending("2026-10")
    assert not RecomputeRequest.objects.exists()
    assert ScoreRun.objects.filter(status=ScoreRunStatus.SUCCEEDED).count() == 2


def test_through_a_broker_a_request_that_can_never_run_is_dropped_not_requeued_every_minute(monkeypatch):
    monkeypatch.setitem(tasks.recompute_period.app.conf, "task_always_eager", False)
    RecomputeRequest.objects.create(period_code="2001-01", reason="nightly")  # no scheme that early
    assert tasks.recompute_period("2001-01") is None
    assert recompute_service.periods_waiting() == []


def test_a_renewal_never_shortens_the_hold_that_covers_parts_still_queued(dealer):
    run, _parts = recompute_start("2026-10", hold=timedelta(seconds=600))
    held = Period.objects.get(code="2026-10").recompute_lock_until
    assert recompute_service.lease_renew(run)
    assert Period.objects.get(code="2026-10").recompute_lock_until >= held
