"""Recompute of a period: KPI values set-wise from the database, schemes, periods, atomic swap."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.management import CommandError, call_command
from django.utils import translation

from assessments.choices import ScoreRunStatus, SubmissionStatus
from assessments.kpis import kpi_measurements
from assessments.models import KpiResult, Period, Scheme, Scorecard, ScoreRun, VetoIncident
from assessments.periods import Month
from assessments.services import recompute as recompute_service
from assessments.services.publishing import scheme_load, scheme_publish
from assessments.services.recompute import RecomputeError, period_close, period_recompute
from assessments.services.schemes import SchemeError, scheme_for_period
from dealers.choices import DealerStatus

from ..factories import (
    ComplaintFactory,
    DealerFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    local,
)

OCT = Month(2026, 10)


def value(dealer, code, month=OCT):
    return kpi_measurements(month).get(dealer.pk).values.get(code)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gap", "counts_as_comeback"),
    [
        (timedelta(seconds=2_592_000), True),  # exactly 30 days
        (timedelta(seconds=2_592_001), False),  # 30 days and a second
        (timedelta(0), False),  # the same instant as the delivery
        (timedelta(seconds=1), True),
    ],
)
def test_comeback_window_is_exactly_thirty_days_after_delivery(dealer, gap, counts_as_comeback):
    first = RepairOrderFactory(
        dealer=dealer,
        vin="LB3E8MAL8RV000001",
        opened_at=local("2026-10-05 09:00:00"),
        closed_at=local("2026-10-06 10:00:00"),
    )
    RepairOrderFactory(
        dealer=dealer,
        vin=first.vin,
        fault_code=first.fault_code,
        opened_at=first.closed_at + gap,
        closed_at=None,
    )
    assert value(dealer, "first_time_fix_rate") == ((0.0 if counts_as_comeback else 100.0), 1)


@pytest.mark.django_db
def test_a_comeback_at_another_dealer_counts_against_the_first_dealer(dealer, other_dealer):
    first = RepairOrderFactory(dealer=dealer, closed_at=local("2026-10-06 10:00:00"))
    RepairOrderFactory(
        dealer=other_dealer,
        vin=first.vin,
        fault_code=first.fault_code,
        opened_at=local("2026-10-20 10:00:00"),
        repair_type="warranty",
    )
    assert value(dealer, "first_time_fix_rate") == (0.0, 1)


@pytest.mark.django_db
def test_a_later_maintenance_or_another_fault_is_no_comeback(dealer):
    first = RepairOrderFactory(
        dealer=dealer, opened_at=local("2026-10-05 10:00:00"), closed_at=local("2026-10-06 10:00:00")
    )
    RepairOrderFactory(
        dealer=dealer,
        vin=first.vin,
        fault_code="",
        repair_type="maintenance",
        opened_at=local("2026-10-10 10:00:00"),
        closed_at=None,
    )
    RepairOrderFactory(
        dealer=dealer,
        vin=first.vin,
        fault_code="F999",
        opened_at=local("2026-10-11 10:00:00"),
        closed_at=None,
    )
    assert value(dealer, "first_time_fix_rate") == (100.0, 1)


@pytest.mark.django_db
def test_events_belong_to_the_month_of_their_shanghai_timestamp(dealer):
    # The first instant of October counts in October; the last second of September does not.
    RepairOrderFactory(
        dealer=dealer, opened_at=local("2026-09-28 08:00:00"), closed_at=local("2026-10-01 00:00:00")
    )
    RepairOrderFactory(
        dealer=dealer, opened_at=local("2026-09-28 08:00:00"), closed_at=local("2026-09-30 23:59:59")
    )
    assert value(dealer, "repair_count") == (1.0, 1)
    assert value(dealer, "repair_count", Month(2026, 9)) == (1.0, 1)


@pytest.mark.django_db
def test_repair_cycle_is_the_median_and_the_mean_of_the_two_middle_values(dealer):
    for hours in (10, 20, 40, 100):
        opened = local("2026-10-03 08:00:00")
        RepairOrderFactory(dealer=dealer, opened_at=opened, closed_at=opened + timedelta(hours=hours))
    RepairOrderFactory(
        dealer=dealer,
        repair_type="maintenance",
        opened_at=local("2026-10-03 08:00:00"),
        closed_at=local("2026-10-30 08:00:00"),
    )  # not a repair RO
    assert value(dealer, "repair_cycle_hours") == (30.0, 4)


@pytest.mark.django_db
def test_on_time_delivery_leaves_out_ros_without_a_promise_and_counts_exactly_on_time(dealer):
    opened = local("2026-10-03 08:00:00")
    RepairOrderFactory(
        dealer=dealer,
        opened_at=opened,
        promised_at=opened + timedelta(hours=5),
        closed_at=opened + timedelta(hours=5),
    )  # exactly on time
    RepairOrderFactory(
        dealer=dealer,
        opened_at=opened,
        promised_at=opened + timedelta(hours=5),
        closed_at=opened + timedelta(hours=5, seconds=1),
    )
    RepairOrderFactory(
        dealer=dealer, opened_at=opened, promised_at=None, closed_at=opened + timedelta(hours=9)
    )
    assert value(dealer, "on_time_delivery_rate") == (50.0, 2)


@pytest.mark.django_db
def test_complaint_closure_counts_exactly_24_hours_and_open_complaints_as_not_closed(dealer):
    received = local("2026-10-03 08:00:00")
    ComplaintFactory(dealer=dealer, received_at=received, closed_at=received + timedelta(hours=24))
    ComplaintFactory(dealer=dealer, received_at=received, closed_at=received + timedelta(hours=24, seconds=1))
    ComplaintFactory(dealer=dealer, received_at=received, closed_at=None, severity="major")
    RepairOrderFactory(dealer=dealer)
    m = kpi_measurements(OCT)[dealer.pk]
    assert m.values["complaint_closure_24h_rate"][1] == 3
    assert m.values["complaint_closure_24h_rate"][0] == pytest.approx(100 / 3)
    assert m.values["complaint_rate"] == (3000.0, 1)
    assert m.major_complaints == 1


@pytest.mark.django_db
def test_csat_and_nps_from_responses_of_the_period_leaving_out_excluded_ones(dealer):
    SurveyResponseFactory(dealer=dealer, overall=5, nps=10)
    SurveyResponseFactory(dealer=dealer, overall=3, nps=6)
    SurveyResponseFactory(dealer=dealer, overall=1, nps=None)
    SurveyResponseFactory(dealer=dealer, overall=1, nps=0, excluded=True)
    assert value(dealer, "csat") == (50.0, 3)
    assert value(dealer, "nps") == (0.0, 2)


@pytest.mark.django_db
def test_base_tier_uses_only_the_approved_submission_and_zero_technicians_is_empty(dealer, other_dealer):
    SubmissionFactory(
        dealer=dealer,
        technicians=8,
        certified_technicians=6,
        equipment_total=10,
        equipment_ok=9,
        training_hours=Decimal("20"),
        status=SubmissionStatus.SUBMITTED,
    )
    SubmissionFactory(
        dealer=other_dealer,
        technicians=0,
        certified_technicians=0,
        equipment_total=4,
        equipment_ok=4,
        training_hours=Decimal("0"),
    )
    measured = kpi_measurements(OCT)
    assert dealer.pk not in measured
    assert measured[other_dealer.pk].values["certified_staff_rate"] == (None, 0)
    assert measured[other_dealer.pk].values["equipment_availability_rate"] == (100.0, 4)


@pytest.mark.django_db
def test_parts_supply_and_appointment_lead_are_means_of_exact_durations(dealer):
    PartsOrderFactory(
        dealer=dealer, ordered_at=local("2026-09-30 12:00:00"), fulfilled_at=local("2026-10-01 12:00:00")
    )
    PartsOrderFactory(
        dealer=dealer, ordered_at=local("2026-10-01 12:00:00"), fulfilled_at=local("2026-10-02 00:00:00")
    )
    RepairOrderFactory(
        dealer=dealer, booked_at=local("2026-10-01 08:00:00"), opened_at=local("2026-10-03 20:00:00")
    )
    assert value(dealer, "parts_supply_hours") == (18.0, 2)
    assert value(dealer, "appointment_lead_days") == (2.5, 1)


def _scored_dealer(dealer, **ro):
    for _ in range(3):
        RepairOrderFactory(dealer=dealer, **ro)
    SubmissionFactory(dealer=dealer)


@pytest.mark.django_db
def test_recompute_gives_one_scorecard_per_eligible_dealer(dealer, other_dealer, far_dealer):
    DealerFactory(code="TERM1", status=DealerStatus.TERMINATED)
    DealerFactory(code="NEW1", opened_on="2026-11-01")
    DealerFactory(code="SUSP1", status=DealerStatus.SUSPENDED, opened_on="2026-10-31")
    run = period_recompute("2026-10")
    codes = set(Scorecard.objects.filter(period__code="2026-10").values_list("dealer__code", flat=True))
    assert codes == {"GL0001", "GL0002", "GL0003", "SUSP1"}
    assert run.status == ScoreRunStatus.SUCCEEDED and run.scorecards == 4


@pytest.mark.django_db
def test_recompute_is_idempotent_and_replaces_the_scorecards(dealer):
    _scored_dealer(dealer)
    period_recompute("2026-10")
    first = Scorecard.objects.get(dealer=dealer)
    period_recompute("2026-10")
    again = Scorecard.objects.get(dealer=dealer)
    # The scorecard keeps its id (links and appeals stay valid); its contents are recomputed
    assert again.pk == first.pk and again.total_score == first.total_score
    assert again.computed_at > first.computed_at
    assert Scorecard.objects.count() == 1 and KpiResult.objects.filter(scorecard=again).count() == 15


@pytest.mark.django_db
def test_a_failed_recompute_leaves_the_last_good_scorecards(dealer, monkeypatch):
    _scored_dealer(dealer)
    period_recompute("2026-10")
    before = Scorecard.objects.get(dealer=dealer)

    def explode(*args, **kwargs):
        raise RuntimeError("worker lost")

    monkeypatch.setattr(recompute_service, "score_period", explode)
    with pytest.raises(RuntimeError):
        period_recompute("2026-10")
    assert Scorecard.objects.get(dealer=dealer).pk == before.pk
    assert ScoreRun.objects.filter(status=ScoreRunStatus.FAILED).count() == 1
    # The lock is released: the next recompute runs.
    monkeypatch.undo()
    period_recompute("2026-10")


@pytest.mark.django_db
def test_a_closed_period_is_frozen_and_recompute_is_refused(dealer):
    _scored_dealer(dealer)
    period_recompute("2026-10")
    period_close("2026-10")
    RepairOrderFactory(dealer=dealer)
    with pytest.raises(RecomputeError):
        period_recompute("2026-10")
    assert Period.objects.get(code="2026-10").is_closed


@pytest.mark.django_db
def test_two_recomputes_of_one_period_never_run_at_once(dealer):
    run, _parts = recompute_service.recompute_start("2026-10")
    with pytest.raises(recompute_service.RecomputeBusy):
        period_recompute("2026-10")
    recompute_service.recompute_fail(run.pk, "test")
    period_recompute("2026-10")


@pytest.mark.django_db
def test_a_veto_sets_the_lowest_grade_and_names_the_incident(dealer, hq_manager):
    _scored_dealer(dealer)
    VetoIncident.objects.create(dealer=dealer, period="2026-10", title="虚假索赔", recorded_by=hq_manager)
    period_recompute("2026-10")
    card = Scorecard.objects.get(dealer=dealer)
    assert card.veto and card.veto_incident.title == "虚假索赔"
    assert card.grade in ("D", "")


@pytest.mark.django_db
def test_scheme_for_a_period_is_the_latest_effective_and_of_equals_the_last_published():
    std = Scheme.objects.get(code="STD-2026", version=1)
    data = {
        "code": "STD-2026",
        "effective_from": "2026-06",
        "min_coverage": 0.5,
        "grade_bands": [["A", 90], ["D", 0]],
        "kpis": [{"code": "csat", "weight": 1, "floor": 60, "target": 95}],
    }
    june = scheme_load(data=data, publish=True)
    assert scheme_for_period(Month(2026, 5)) == std
    assert scheme_for_period(Month(2026, 10)) == june
    again = scheme_load(data={**data, "min_coverage": 0.4}, publish=False)
    assert scheme_for_period(Month(2026, 10)) == june  # a draft never applies
    scheme_publish(scheme=again)
    assert scheme_for_period(Month(2026, 10)) == again
    assert again.version == 3


@pytest.mark.django_db
def test_recompute_fails_clearly_without_a_published_scheme():
    with pytest.raises(SchemeError):
        scheme_for_period(Month(2025, 12))
    with pytest.raises(RecomputeError, match="2025-12"):
        period_recompute("2025-12")


@pytest.mark.django_db
def test_recompute_command_refuses_a_closed_period(dealer):
    period_close("2026-10")
    with translation.override("en"), pytest.raises(CommandError, match="closed"):
        call_command("recompute_scores", "--period", "2026-10")


@pytest.mark.django_db
def test_load_scheme_command_lists_every_problem(tmp_path, capsys):
    path = tmp_path / "bad.json"
    path.write_text(
        '{"code": "X", "effective_from": "2026-13", "min_coverage": 3, "grade_bands": [], "kpis": []}'
    )
    with pytest.raises(CommandError) as caught:
        call_command("load_scheme", str(path))
    err = str(caught.value)
    assert "effective_from" in err and "min_coverage" in err and "kpis" in err


def _written(period_code):
    """Every stored figure of a period's scorecards and KPI results, by dealer (not when)."""
    cards = {}
    for card in Scorecard.objects.filter(period__code=period_code).values():
        del card["id"], card["computed_at"]
        cards[card["dealer_id"]] = card
    results = sorted(
        (r["scorecard__dealer_id"], r["kpi_code"], tuple(sorted(r.items())))
        for r in KpiResult.objects.filter(scorecard__period__code=period_code).values(
            "scorecard__dealer_id",
            "kpi_code",
            "tier",
            "value",
            "sample_size",
            "valid",
            "weight",
            "method",
            "floor",
            "target",
            "min_sample",
            "score",
            "contribution",
            "sort_order",
        )
    )
    return cards, results


@pytest.mark.django_db
def test_scorecards_written_by_copy_equal_those_the_orm_writes(dealer, other_dealer, far_dealer, hq_manager):
    if not recompute_service._copy_supported():
        pytest.skip("COPY is PostgreSQL's")
    # Two dealers with enough data to be scored (coverage 0.6), with different figures; one vetoed
    for scored, hours in ((dealer, 24), (other_dealer, 31)):
        SubmissionFactory(dealer=scored, period="2026-10")
        for day in range(1, 11):
            opened = local(f"2026-10-{day:02d} 09:00")
            RepairOrderFactory(
                dealer=scored, booked_at=opened - timedelta(hours=day * hours), opened_at=opened
            )
        ComplaintFactory(dealer=scored, closed_at=local("2026-10-10 12:00"))
        for day in range(1, 6):
            ordered = local(f"2026-10-{day:02d} 08:00")
            PartsOrderFactory(
                dealer=scored, ordered_at=ordered, fulfilled_at=ordered + timedelta(hours=hours)
            )
    SurveyResponseFactory(dealer=dealer)
    VetoIncident.objects.create(dealer=far_dealer, period="2026-10", title="虚假索赔", recorded_by=hq_manager)
    period_recompute("2026-10")
    by_copy = _written("2026-10")
    cards, results = by_copy
    assert cards[dealer.pk]["total_score"] != cards[other_dealer.pk]["total_score"] is not None
    assert cards[far_dealer.pk]["veto_incident_id"] is not None
    assert len(results) == 3 * 15
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(recompute_service, "_copy_supported", lambda: False)
        period_recompute("2026-10")
    assert _written("2026-10") == by_copy


@pytest.mark.django_db
def test_a_dealer_terminated_since_the_last_recompute_loses_its_scorecard_and_the_others_keep_theirs(
    dealer, other_dealer
):
    _scored_dealer(dealer)
    _scored_dealer(other_dealer)
    period_recompute("2026-10")
    kept = Scorecard.objects.get(dealer=dealer).pk
    other_dealer.status = DealerStatus.TERMINATED
    other_dealer.save(update_fields=["status"])
    period_recompute("2026-10")
    assert list(Scorecard.objects.filter(period__code="2026-10").values_list("pk", flat=True)) == [kept]
    assert not KpiResult.objects.filter(scorecard__dealer=other_dealer).exists()


@pytest.mark.parametrize(
    ("value", "text"),
    [
        (None, "\\N"),
        (True, "t"),
        (False, "f"),
        (0, "0"),
        (0.1 + 0.2, "0.30000000000000004"),  # the shortest form that reads back as the same double
        (Decimal("89.29"), "89.29"),
        (Decimal("0.0000"), "0.0000"),
        ("华东", "华东"),
        ("a\tb\\c\nd\re", "a\\tb\\\\c\\nd\\re"),
    ],
)
def test_copy_writes_each_value_in_postgresqls_text_format(value, text):
    assert recompute_service._copy_text(value) == text


@pytest.mark.django_db
def test_kpi_results_written_by_the_cheap_insert_store_what_the_orm_would(scored_months):
    """SQLite writes a recompute's KPI results by a prepared INSERT over plain tuples: each
    column must hold what `KpiResult.objects.create` stores for the same values (same SQLite
    type and value), or pages and exports would read something else."""
    from django.db import connection

    if connection.vendor != "sqlite":
        pytest.skip("PostgreSQL writes the results by COPY (tested with the recompute)")
    columns = [
        "value",
        "sample_size",
        "valid",
        "score",
        "contribution",
        "weight",
        "floor",
        "target",
        "min_sample",
    ]
    select = ", ".join(f"typeof({c}), {c}" for c in columns)

    def stored(pk):
        with connection.cursor() as cursor:
            cursor.execute(f"SELECT {select} FROM assessments_kpiresult WHERE id = %s", [pk])
            return cursor.fetchone()

    written = KpiResult.objects.filter(score__isnull=False, floor__isnull=False, value__isnull=False).first()
    assert written is not None
    cheap = stored(written.pk)
    KpiResult.objects.filter(pk=written.pk).delete()
    again = KpiResult.objects.create(
        scorecard=written.scorecard,
        **{name: getattr(written, name) for name in ["kpi_code", "tier", "method", "sort_order", *columns]},
    )
    assert stored(again.pk) == cheap
