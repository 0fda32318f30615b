"""A closed month is frozen in its evidence, not only its totals (issue 13, Must 2).

No import row, of any kind and by any way in, may add or change a record that a closed
month's scorecards counted; rows that change only what no closed month reads go through.
Comebacks found later for an open month leave the closed month's drill-down as it was.
"""

from __future__ import annotations

import io
from dataclasses import dataclass, field
from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.urls import reverse

from assessments.choices import ImportStatus, PeriodStatus, Severity
from assessments.importing import import_file
from assessments.importing import messages as msg
from assessments.kpis import comeback_exists
from assessments.kpis import records as drill_down
from assessments.models import Complaint, ImportJob, KpiResult, Period, RepairOrder
from assessments.periods import Month
from assessments.services.recompute import period_close, period_recompute
from tests.api.conftest import api_client
from tests.conftest import client_for
from tests.factories import RepairOrderFactory, local

from .import_helpers import RO_COLUMNS, RO_DEFAULTS, table, write

pytestmark = pytest.mark.django_db

OCT, NOV = Month(2026, 10), Month(2026, 11)


def closed_oct() -> str:
    """The row error for October, in the language of the test."""
    return str(msg.ROW_PERIOD_CLOSED) % {"value": "2026-10"}


@dataclass
class Kind:
    """A kind of file: a row counted in October, a change to what October read, a free change."""

    kind: str
    header: list[str]
    row: dict[str, str]
    key: dict[str, str]  # a new key, for a new record
    counted: dict[str, str]  # a change October's KPIs would see
    column: str  # the column the error names
    november: dict[str, str]  # the same record, counted in November instead
    free: dict[str, str] = field(default_factory=dict)  # a change no KPI of October reads

    def csv(self, *changes: dict[str, str]) -> str:
        return table(self.header, *([{**self.row, **c}.get(h, "") for h in self.header] for c in changes))


KINDS = [
    Kind(
        "repair_orders",
        RO_COLUMNS,
        dict(RO_DEFAULTS),
        key={"ro_number": "RO-LATE"},
        counted={"closed_at": "2026-10-11 10:00:00"},
        column="closed_at",
        november={
            "booked_at": "2026-11-09 09:00:00",
            "opened_at": "2026-11-10 09:00:00",
            "promised_at": "2026-11-11 09:00:00",
            "closed_at": "2026-11-11 08:00:00",
        },
        free={"labor_hours": "3.5"},
    ),
    Kind(
        "complaints",
        ["complaint_id", "dealer_code", "received_at", "closed_at", "category", "severity", "description"],
        {
            "complaint_id": "C-OCT",
            "dealer_code": "GL0001",
            "received_at": "2026-10-12 09:00:00",
            "closed_at": "2026-10-12 15:00:00",
            "category": "quality",
            "severity": "normal",
            "description": "车辆异响",
        },
        key={"complaint_id": "C-LATE", "severity": "major"},
        counted={"severity": "major"},
        column="received_at",
        november={"received_at": "2026-11-12 09:00:00", "closed_at": "2026-11-12 15:00:00"},
        free={"description": "车辆异响，已处理"},
    ),
    Kind(
        "survey_responses",
        ["response_id", "dealer_code", "responded_at", "overall", "nps", "comment"],
        {
            "response_id": "S-OCT",
            "dealer_code": "GL0001",
            "responded_at": "2026-10-12 10:00:00",
            "overall": "2",
            "nps": "5",
            "comment": "等待太久",
        },
        key={"response_id": "S-LATE"},
        counted={"overall": "5"},
        column="responded_at",
        november={"responded_at": "2026-11-12 10:00:00"},
        free={"comment": "等待太久了"},
    ),
    Kind(
        "parts_orders",
        ["order_id", "dealer_code", "part_number", "quantity", "ordered_at", "fulfilled_at"],
        {
            "order_id": "P-OCT",
            "dealer_code": "GL0001",
            "part_number": "PN000001",
            "quantity": "1",
            "ordered_at": "2026-10-03 08:00:00",
            "fulfilled_at": "2026-10-04 14:00:00",
        },
        key={"order_id": "P-LATE"},
        counted={"fulfilled_at": "2026-10-05 14:00:00"},
        column="fulfilled_at",
        november={"ordered_at": "2026-11-03 08:00:00", "fulfilled_at": "2026-11-04 14:00:00"},
        free={"part_number": "PN000002", "quantity": "2"},
    ),
    Kind(
        "submissions",
        [
            "dealer_code",
            "period",
            "technicians",
            "certified_technicians",
            "equipment_total",
            "equipment_ok",
            "training_hours",
        ],
        {
            "dealer_code": "GL0001",
            "period": "2026-10",
            "technicians": "10",
            "certified_technicians": "9",
            "equipment_total": "20",
            "equipment_ok": "19",
            "training_hours": "60",
        },
        key={"dealer_code": "GL0002"},
        counted={"training_hours": "80"},
        column="period",
        november={"period": "2026-11"},
    ),
]
BY_NAME = {k.kind: k for k in KINDS}
WITH_FREE_FIELDS = [k for k in KINDS if k.free]


def ids(kind: Kind) -> str:
    return kind.kind


def run(tmp_path, kind: Kind, *rows: dict[str, str], **options) -> ImportJob:  # noqa: ANN001, ANN003
    return import_file(kind.kind, write(tmp_path, kind.csv(*rows)), **options)


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def close(period: str) -> None:
    Period.objects.update_or_create(code=period, defaults={"status": PeriodStatus.CLOSED})


@pytest.fixture
def stored(tmp_path, dealer, other_dealer, hq_manager):  # noqa: ANN201
    """Each kind's October row imported while October was open; then October closes."""

    def given(kind: Kind) -> None:
        assert run(tmp_path, kind, {}, user=hq_manager).created == 1
        close("2026-10")

    return given


# --- a new record, a change, a move -----------------------------------------------------------


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_a_new_record_counted_in_a_closed_month_is_a_row_error_naming_the_month(
    tmp_path, dealer, other_dealer, hq_manager, kind
):
    close("2026-10")
    job = run(tmp_path, kind, kind.key, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert errors_of(job) == [(2, kind.column, closed_oct())]
    assert job.created == 0


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_a_change_to_what_a_closed_month_counted_is_refused_and_nothing_is_written(
    tmp_path, stored, hq_manager, kind
):
    stored(kind)
    job = run(tmp_path, kind, kind.counted, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert errors_of(job) == [(2, kind.column, closed_oct())]
    assert run(tmp_path, kind, {}, user=hq_manager).unchanged == 1  # still as it was


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_a_partial_import_keeps_the_other_rows_and_rejects_the_closed_months(
    tmp_path, stored, hq_manager, kind
):
    stored(kind)
    job = run(tmp_path, kind, kind.counted, {**kind.key, **kind.november}, user=hq_manager, partial=True)
    assert job.status == ImportStatus.PARTIAL
    assert (job.created, job.updated, job.rejected) == (1, 0, 1)
    assert errors_of(job) == [(2, kind.column, closed_oct())]
    assert job.error_file


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_the_dry_run_preview_shows_the_closed_month_before_anything_is_written(
    tmp_path, stored, hq_manager, kind
):
    stored(kind)
    job = run(tmp_path, kind, kind.counted, kind.key, user=hq_manager, dry_run=True)
    assert job.status == ImportStatus.PREVIEWED
    assert errors_of(job) == [(2, kind.column, closed_oct()), (3, kind.column, closed_oct())]
    assert (job.created, job.updated, job.rejected) == (0, 0, 2)


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_an_unchanged_reimport_into_a_closed_month_passes(tmp_path, stored, hq_manager, kind):
    stored(kind)
    job = run(tmp_path, kind, {}, user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.unchanged, job.rejected) == (1, 0)


@pytest.mark.parametrize("kind", WITH_FREE_FIELDS, ids=ids)
def test_a_change_no_kpi_of_the_closed_month_reads_passes(tmp_path, stored, hq_manager, kind):
    stored(kind)
    job = run(tmp_path, kind, kind.free, user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert (job.updated, job.rejected) == (1, 0)


@pytest.mark.parametrize("kind", KINDS, ids=ids)
def test_moving_a_record_into_a_closed_month_is_refused(tmp_path, dealer, other_dealer, hq_manager, kind):
    assert run(tmp_path, kind, kind.november, user=hq_manager).created == 1
    close("2026-10")
    job = run(tmp_path, kind, {}, user=hq_manager)
    assert errors_of(job) == [(2, kind.column, closed_oct())]


@pytest.mark.parametrize("kind", [k for k in KINDS if k.kind != "submissions"], ids=ids)
def test_moving_a_record_out_of_a_closed_month_is_refused(tmp_path, stored, hq_manager, kind):
    stored(kind)
    job = run(tmp_path, kind, kind.november, user=hq_manager)
    assert errors_of(job) == [(2, kind.column, closed_oct())]


def test_moving_a_complaint_to_another_dealer_in_a_closed_month_is_refused(tmp_path, stored, hq_manager):
    stored(BY_NAME["complaints"])
    job = run(tmp_path, BY_NAME["complaints"], {"dealer_code": "GL0002"}, user=hq_manager)
    assert errors_of(job) == [(2, "received_at", closed_oct())]
    assert Complaint.objects.get().dealer.code == "GL0001"


def test_a_repair_order_open_when_its_month_closed_can_be_delivered_in_an_open_month(
    tmp_path, dealer, hq_manager
):
    # October counted its booking (appointment lead time) and nothing that delivery changes.
    orders = BY_NAME["repair_orders"]
    assert run(tmp_path, orders, {"promised_at": "", "closed_at": ""}, user=hq_manager).created == 1
    close("2026-10")

    delivered = run(tmp_path, orders, {"closed_at": "2026-11-02 10:00:00"}, user=hq_manager)
    rebooked = run(
        tmp_path,
        orders,
        {"closed_at": "2026-11-02 10:00:00", "booked_at": "2026-10-08 09:00"},
        user=hq_manager,
    )

    assert (delivered.status, delivered.updated) == (ImportStatus.SUCCEEDED, 1)
    assert errors_of(rebooked) == [(2, "opened_at", closed_oct())]


def test_a_submission_returned_for_a_closed_month_cannot_be_approved_by_import(
    tmp_path, dealer, dealer_user, hq_manager
):
    submissions = BY_NAME["submissions"]
    assert run(tmp_path, submissions, {}, user=dealer_user).created == 1  # submitted, not approved
    close("2026-10")
    job = run(tmp_path, submissions, {}, user=hq_manager)  # HQ's import would approve it
    assert errors_of(job) == [(2, "period", closed_oct())]


# --- every way in --------------------------------------------------------------------------


def test_the_import_command_refuses_a_row_of_a_closed_month(tmp_path, dealer):
    close("2026-10")
    path = write(tmp_path, BY_NAME["repair_orders"].csv({}))
    out, err = io.StringIO(), io.StringIO()
    with pytest.raises(SystemExit) as exit_:
        call_command("import_data", "repair_orders", str(path), stdout=out, stderr=err)
    assert exit_.value.code == 1
    assert closed_oct() in out.getvalue() + err.getvalue()
    assert not RepairOrder.objects.exists()


def test_the_upload_page_previews_the_closed_month_error(dealer, dealer_user):
    close("2026-10")
    client = client_for(dealer_user)
    upload = SimpleUploadedFile("orders.csv", BY_NAME["repair_orders"].csv({}).encode(), "text/csv")
    response = client.post(reverse("imports:upload"), {"kind": "repair_orders", "file": upload})
    job = ImportJob.objects.get()
    assert job.status == ImportStatus.PREVIEWED and job.rejected == 1
    [error] = job.errors
    assert error["column"] == "closed_at" and "2026-10" in error["message"]
    assert error["message"] in client.get(response["Location"]).content.decode()
    assert not RepairOrder.objects.exists()


def test_the_api_refuses_a_complaint_of_a_closed_month(dealer, hq_manager):
    close("2026-10")
    upload = SimpleUploadedFile("complaints.csv", BY_NAME["complaints"].csv({}).encode(), "text/csv")
    response = api_client(hq_manager).post(
        "/api/v1/imports/", {"kind": "complaints", "file": upload}, format="multipart"
    )
    job = ImportJob.objects.get()
    assert response.status_code in (201, 202), response.content
    assert job.status == ImportStatus.REJECTED
    assert errors_of(job) == [(2, "received_at", closed_oct())]
    assert not Complaint.objects.exists()


# --- the closed month's drill-downs ----------------------------------------------------------


def _flags(user, dealer) -> list[tuple[str, bool, str | None]]:  # noqa: ANN001
    rows = drill_down(user, dealer, OCT, "first_time_fix_rate").rows
    return sorted((r["ro_number"], r["comeback"], r["next_ro"]) for r in rows)


def test_a_comeback_arriving_after_the_close_leaves_the_closed_months_flags_unchanged(
    tmp_path, scored_months, dealer, dealer_user, hq_manager
):
    # Given a repair delivered on 25 October without a comeback, and October closed
    repair = RepairOrderFactory(
        dealer=dealer,
        ro_number="GL0001-LATE-OCT",
        vin="LB3E8MAL8RV777001",
        fault_code="P0420",
        opened_at=local("2026-10-24 09:00"),
        closed_at=local("2026-10-25 09:00"),
    )
    period_recompute("2026-10")
    period_close("2026-10")
    card = KpiResult.objects.get(
        scorecard__dealer=dealer, scorecard__period__code="2026-10", kpi_code="first_time_fix_rate"
    )
    before = {user: _flags(user, dealer) for user in (hq_manager, dealer_user)}
    assert ("GL0001-FIRST", True, "GL0001-AGAIN") in before[hq_manager]
    assert ("GL0001-LATE-OCT", False, None) in before[hq_manager]

    # When the same vehicle comes back with the same fault on 5 November (an open month)
    orders = BY_NAME["repair_orders"]
    job = run(
        tmp_path,
        orders,
        {
            "ro_number": "GL0001-NOV-BACK",
            "vin": repair.vin,
            "fault_code": "P0420",
            "booked_at": "",
            "opened_at": "2026-11-05 09:00:00",
            "promised_at": "",
            "closed_at": "2026-11-06 09:00:00",
        },
        user=hq_manager,
    )

    # Then November takes it, and the live rule sees a comeback of the October repair,
    assert (job.status, job.created) == (ImportStatus.SUCCEEDED, 1)
    assert RepairOrder.objects.filter(pk=repair.pk).filter(comeback_exists()).exists()
    # but October's drill-down keeps the flags it was scored with, for every user
    assert {user: _flags(user, dealer) for user in (hq_manager, dealer_user)} == before
    comebacks = sum(flag for _, flag, _ in before[hq_manager])
    assert len(before[hq_manager]) == card.sample_size
    assert card.value == pytest.approx(100.0 * (card.sample_size - comebacks) / card.sample_size)


def test_a_closed_months_flag_stays_when_the_repair_that_followed_changes_later(
    tmp_path, scored_months, dealer, hq_manager
):
    period_close("2026-10")
    before = _flags(hq_manager, dealer)
    # A correction of the repair that followed, outside imports, leaves October's evidence alone.
    again = RepairOrder.objects.get(ro_number="GL0001-AGAIN")
    RepairOrder.objects.filter(pk=again.pk).update(fault_code="P9999")  # e.g. an admin's correction
    assert _flags(hq_manager, dealer) == before


COUNTED_AS_LISTED = [
    "repair_count",
    "first_time_fix_rate",
    "repair_cycle_hours",
    "on_time_delivery_rate",
    "appointment_lead_days",
    "warranty_cost_per_claim",
    "complaint_closure_24h_rate",
    "csat",
    "parts_supply_hours",
]


def test_a_closed_months_drill_downs_still_list_what_its_frozen_figures_counted_after_a_late_import(
    tmp_path, scored_months, dealer, hq_manager
):
    # Given October scored and closed
    period_close("2026-10")
    results = {
        r.kpi_code: r.sample_size
        for r in KpiResult.objects.filter(scorecard__dealer=dealer, scorecard__period__code="2026-10")
    }

    # When a repair order and a major complaint dated in October arrive late, with a
    # November order in the same files
    orders = run(
        tmp_path,
        BY_NAME["repair_orders"],
        {"ro_number": "GL0001-LATE"},
        {**BY_NAME["repair_orders"].november, "ro_number": "GL0001-NOV"},
        user=hq_manager,
        partial=True,
    )
    complaints = run(
        tmp_path,
        BY_NAME["complaints"],
        {"complaint_id": "GL0001-LATE", "severity": Severity.MAJOR},
        user=hq_manager,
    )

    # Then only November's order is written, and every drill-down lists its sample size
    assert (orders.created, orders.rejected, complaints.created, complaints.rejected) == (1, 1, 0, 1)
    for kpi in COUNTED_AS_LISTED:
        assert drill_down(hq_manager, dealer, OCT, kpi).rows.count() == results[kpi], kpi
    assert not RepairOrder.objects.filter(ro_number="GL0001-LATE").exists()


def test_closing_a_period_records_its_comebacks(scored_months, dealer):
    period = period_close("2026-10")
    snapshot = period.comeback_snapshot
    recorded = {(c.repair_order.ro_number, c.following_ro_number) for c in snapshot.comebacks.all()}
    assert ("GL0001-FIRST", "GL0001-AGAIN") in recorded
    live = RepairOrder.objects.filter(
        closed_at__gte=OCT.start, closed_at__lt=OCT.end, repair_type__in=("repair", "warranty")
    ).filter(comeback_exists())
    assert {ro for ro, _ in recorded} == set(live.values_list("ro_number", flat=True))
    assert snapshot.taken_at - period.closed_at < timedelta(seconds=5)


def test_a_key_holding_the_separator_the_look_up_uses_is_still_found(tmp_path, dealer, hq_manager):
    # PostgreSQL sends a chunk's keys as one string split on \x1f; a key holding it takes
    # the array path, and must not slip past the check.
    orders = BY_NAME["repair_orders"]
    odd = {"ro_number": "RO\x1f0001"}
    assert run(tmp_path, orders, odd, user=hq_manager).created == 1
    close("2026-10")
    job = run(
        tmp_path, orders, {**odd, **orders.november}, user=hq_manager
    )  # only the stored one is in October
    assert errors_of(job) == [(2, "closed_at", closed_oct())]


def test_a_month_closed_while_a_file_imports_gets_none_of_its_rows(tmp_path, dealer, monkeypatch):
    from assessments.importing import service as import_service
    from assessments.services.recompute import period_close as close

    from .import_helpers import ro_rows, write

    Period.objects.get_or_create(code="2026-10")
    real_recheck = import_service._recheck
    closed = []

    def close_during(*args, **kwargs):
        if not closed:
            closed.append(1)
            close("2026-10")  # HQ closes the month after this chunk was read, before the next
        return real_recheck(*args, **kwargs)

    monkeypatch.setattr(import_service, "_recheck", close_during)
    monkeypatch.setattr(import_service, "CHUNK_ROWS", 1)
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}))
    job = import_file("repair_orders", path)
    assert not RepairOrder.objects.filter(ro_number="RO2").exists()
    assert job.status in (ImportStatus.REJECTED, ImportStatus.PARTIAL, ImportStatus.FAILED)
    assert "2026-10" in job.message or any("2026-10" in e["message"] for e in job.errors)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gap", "recorded"),
    [(timedelta(seconds=2_592_000), True), (timedelta(seconds=2_592_001), False), (timedelta(0), False)],
)
def test_closing_records_a_comeback_exactly_as_the_rule_counts_it(dealer, gap, recorded):
    # Given October's repair and a repair of its vehicle and fault opened `gap` after delivery
    first = RepairOrderFactory(
        dealer=dealer, ro_number="GL0001-EDGE", closed_at=local("2026-10-20 10:00"), fault_code="P0420"
    )
    RepairOrderFactory(
        dealer=dealer,
        ro_number="GL0001-NEXT",
        vin=first.vin,
        fault_code="P0420",
        opened_at=first.closed_at + gap,
        closed_at=None,
    )
    period_recompute("2026-10")
    # When October closes, its comebacks are recorded with the repair that followed
    period = period_close("2026-10")
    followers = set(period.comeback_snapshot.comebacks.values_list("following_ro_number", flat=True))
    # Then exactly 30 days counts, a second more or the delivery instant does not
    assert ("GL0001-NEXT" in followers) is recorded
