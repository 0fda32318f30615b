"""Provenance (issue 14): a dealer cannot rewrite what it is judged by, and its imports learn
nothing about other dealers' records. Runs on SQLite (the ORM path) and on PostgreSQL (COPY)."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Any

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import models
from django.utils import timezone

from assessments.choices import DEALER_CHANNELS, ImportKind, RecordChannel, Severity
from assessments.importing import import_file
from assessments.importing import messages as msg
from assessments.models import Complaint, ImportJob, PartsOrder, RecordChange, RepairOrder
from surveys.choices import CallOutcome
from surveys.models import SurveyInvitation, SurveyResponse
from surveys.services import followup_call_record, invitation_answer, invitations_create_for, response_exclude
from tests.conftest import client_for
from tests.factories import (
    ComplaintFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SurveyResponseFactory,
    local,
)

from .import_helpers import ro_rows, table, write

pytestmark = pytest.mark.django_db

COMPLAINT_HEADER = ["complaint_id", "dealer_code", "received_at", "closed_at", "category", "severity"]
SURVEY_HEADER = ["response_id", "dealer_code", "responded_at", "overall", "nps", "comment"]
PARTS_HEADER = ["order_id", "dealer_code", "part_number", "quantity", "ordered_at"]


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def read_only(channel: str) -> str:
    return str(msg.ROW_NOT_DEALERS_RECORD) % {"channel": RecordChannel(channel).label}


def outcome(job: ImportJob) -> tuple[Any, ...]:
    """What an import tells its user: everything but the file's own name and timings."""
    return (job.status, job.created, job.updated, job.unchanged, job.rejected, job.errors, job.message)


# --- the attacks of issue 14 ------------------------------------------------------------


def test_a_dealer_cannot_turn_its_customers_one_star_answer_into_five(tmp_path, dealer, dealer_user):
    closed = timezone.now().replace(microsecond=0) - timezone.timedelta(hours=2)
    ro = RepairOrderFactory(dealer=dealer, opened_at=closed - timezone.timedelta(hours=5), closed_at=closed)
    invitations_create_for([ro])
    invitation = SurveyInvitation.objects.get(repair_order=ro)
    answer = invitation_answer(invitation, {"overall": 1, "nps": 0, "comment": "awful"})
    assert (answer.response_id, answer.created_channel) == (f"WEB-{invitation.pk}", RecordChannel.CUSTOMER)

    rows = table(SURVEY_HEADER, [answer.response_id, "GL0001", "2026-10-12 10:00", 5, 10, "great"])
    job = import_file("survey_responses", write(tmp_path, rows), user=dealer_user)

    assert errors_of(job) == [(2, "response_id", read_only(RecordChannel.CUSTOMER))]
    assert job.updated == 0
    answer.refresh_from_db()
    assert (answer.overall, answer.nps, answer.comment) == (1, 0, "awful")
    assert not RecordChange.objects.exists()


def test_a_dealer_cannot_close_a_call_centre_complaint_by_import(tmp_path, dealer, dealer_user, hq_admin):
    ro = RepairOrderFactory(dealer=dealer)
    call = followup_call_record(ro, actor=hq_admin, outcome=CallOutcome.PROBLEM_FOUND, category="quality")
    complaint = call.complaint
    assert (complaint.created_channel, complaint.created_by) == (RecordChannel.CALL_CENTRE, hq_admin)

    received = timezone.localtime(complaint.received_at).strftime("%Y-%m-%d %H:%M:%S")
    rows = table(COMPLAINT_HEADER, [complaint.complaint_id, "GL0001", received, received, "other", "normal"])
    job = import_file("complaints", write(tmp_path, rows), user=dealer_user, partial=True)

    assert errors_of(job) == [(2, "complaint_id", read_only(RecordChannel.CALL_CENTRE))]
    complaint.refresh_from_db()
    assert (complaint.closed_at, complaint.category) == (None, "quality")


def test_a_dealers_dry_run_cannot_downgrade_an_hq_major_complaint(tmp_path, dealer, dealer_user, hq_manager):
    major = table(COMPLAINT_HEADER, ["HQ-77", "GL0001", "2026-10-03 09:00", "", "quality", "major"])
    import_file("complaints", write(tmp_path, major, "hq.csv"), user=hq_manager)

    normal = table(COMPLAINT_HEADER, ["HQ-77", "GL0001", "2026-10-03 09:00", "", "quality", "normal"])
    job = import_file("complaints", write(tmp_path, normal), user=dealer_user, dry_run=True)

    assert (job.updated, errors_of(job)) == (0, [(2, "complaint_id", read_only(RecordChannel.HQ_IMPORT))])
    complaint = Complaint.objects.get()
    assert (complaint.severity, complaint.created_channel, complaint.created_by) == (
        Severity.MAJOR,
        RecordChannel.HQ_IMPORT,
        hq_manager,
    )


def test_a_dealer_cannot_take_the_id_of_an_answer_the_customer_has_not_given_yet(tmp_path, dealer_user):
    rows = table(SURVEY_HEADER, ["WEB-99999", "GL0001", "2026-10-12 10:00", 5, 10, ""])
    job = import_file("survey_responses", write(tmp_path, rows), user=dealer_user)

    message = str(msg.ROW_RESERVED_ID) % {"prefix": "WEB-", "value": "WEB-99999"}
    assert errors_of(job) == [(2, "response_id", message)]
    assert not SurveyResponse.objects.exists()


# --- keys that leak nothing -------------------------------------------------------------


@dataclass(frozen=True)
class IdKind:
    kind: str
    header: list[str]
    row: list[Any]  # with "{id}" in the first cell
    existing: Any  # a factory making another dealer's record with a given id


ID_KINDS = [
    IdKind(
        ImportKind.COMPLAINTS,
        COMPLAINT_HEADER,
        ["{id}", "GL0001", "2026-10-03 09:00", "", "quality", "normal"],
        lambda dealer, key: ComplaintFactory(dealer=dealer, complaint_id=key),
    ),
    IdKind(
        ImportKind.SURVEY_RESPONSES,
        SURVEY_HEADER,
        ["{id}", "GL0001", "2026-10-12 10:00", 5, 10, ""],
        lambda dealer, key: SurveyResponseFactory(dealer=dealer, response_id=key),
    ),
    IdKind(
        ImportKind.PARTS_ORDERS,
        PARTS_HEADER,
        ["{id}", "GL0001", "PN-1", 2, "2026-10-03 09:00"],
        lambda dealer, key: PartsOrderFactory(dealer=dealer, order_id=key),
    ),
]


@pytest.mark.parametrize("spec", ID_KINDS, ids=lambda s: s.kind)
def test_a_dry_run_with_another_dealers_id_previews_exactly_like_a_never_used_id(
    tmp_path, spec, dealer, other_dealer, dealer_user
):
    spec.existing(other_dealer, "THEIRS-1")

    def preview(key: str) -> ImportJob:
        row = [key if cell == "{id}" else cell for cell in spec.row]
        return import_file(
            spec.kind, write(tmp_path, table(spec.header, row)), user=dealer_user, dry_run=True
        )

    theirs, never_used = preview("THEIRS-1"), preview("NEVER-1")

    assert outcome(theirs) == outcome(never_used)
    assert (theirs.created, theirs.rejected) == (1, 0)


@pytest.mark.parametrize("spec", ID_KINDS, ids=lambda s: s.kind)
def test_another_dealers_id_is_a_new_record_of_this_dealer_and_theirs_is_untouched(
    tmp_path, spec, dealer, other_dealer, dealer_user
):
    theirs = spec.existing(other_dealer, "SAME-1")
    row = ["SAME-1" if cell == "{id}" else cell for cell in spec.row]

    job = import_file(spec.kind, write(tmp_path, table(spec.header, row)), user=dealer_user)

    assert (job.created, job.updated, job.rejected) == (1, 0, 0)
    model = type(theirs)
    assert model.objects.filter(dealer=other_dealer).get().pk == theirs.pk
    mine = model.objects.get(dealer=dealer)
    assert (mine.created_channel, mine.created_by) == (RecordChannel.DEALER_IMPORT, dealer_user)


# --- who may change what: every kind, every source, both importers ----------------------


@dataclass(frozen=True)
class ServiceKind:
    """A kind of service record: a record of the dealer, and a file changing one field of it."""

    kind: str
    model: type[models.Model]
    make: Any  # (dealer, channel) -> record
    file: str  # CSV text changing `field` of that record to `after`
    field: str
    before: Any
    after: Any


SERVICE_KINDS = [
    ServiceKind(
        ImportKind.REPAIR_ORDERS,
        RepairOrder,
        lambda dealer, channel: RepairOrderFactory(
            dealer=dealer,
            ro_number="RO0001",
            vin="LB3E8MAL8RV000001",
            booked_at=local("2026-10-09 09:00"),
            opened_at=local("2026-10-10 09:00"),
            promised_at=local("2026-10-11 09:00"),
            closed_at=local("2026-10-11 08:00"),
            labor_hours=Decimal("2.5"),
            labor_amount=Decimal("300.00"),
            created_channel=channel,
        ),
        ro_rows({"labor_amount": "999.00"}),
        "labor_amount",
        Decimal("300.00"),
        Decimal("999.00"),
    ),
    ServiceKind(
        ImportKind.COMPLAINTS,
        Complaint,
        lambda dealer, channel: ComplaintFactory(
            dealer=dealer,
            complaint_id="K-1",
            received_at=local("2026-10-03 09:00"),
            severity=Severity.MAJOR,
            created_channel=channel,
        ),
        table(COMPLAINT_HEADER, ["K-1", "GL0001", "2026-10-03 09:00", "", "quality", "normal"]),
        "severity",
        Severity.MAJOR,
        Severity.NORMAL,
    ),
    ServiceKind(
        ImportKind.SURVEY_RESPONSES,
        SurveyResponse,
        lambda dealer, channel: SurveyResponseFactory(
            dealer=dealer,
            response_id="K-1",
            responded_at=local("2026-10-12 10:00"),
            overall=1,
            nps=10,
            created_channel=channel,
        ),
        table(SURVEY_HEADER, ["K-1", "GL0001", "2026-10-12 10:00", 5, 10, ""]),
        "overall",
        1,
        5,
    ),
    ServiceKind(
        ImportKind.PARTS_ORDERS,
        PartsOrder,
        lambda dealer, channel: PartsOrderFactory(
            dealer=dealer,
            order_id="K-1",
            part_number="PN-1",
            quantity=1,
            ordered_at=local("2026-10-03 09:00"),
            created_channel=channel,
        ),
        table(PARTS_HEADER, ["K-1", "GL0001", "PN-1", 7, "2026-10-03 09:00"]),
        "quantity",
        1,
        7,
    ),
]


@pytest.mark.parametrize("importer", ["dealer_user", "hq_manager"])
@pytest.mark.parametrize("channel", RecordChannel.values)
@pytest.mark.parametrize("spec", SERVICE_KINDS, ids=lambda s: s.kind)
def test_who_may_change_a_record_depends_on_the_channel_it_came_from(
    tmp_path, spec, channel, importer, cast, dealer
):
    record = spec.make(dealer, channel)
    user = cast[importer]
    may_change = importer == "hq_manager" or channel in DEALER_CHANNELS

    job = import_file(spec.kind, write(tmp_path, spec.file), user=user, partial=True)

    record.refresh_from_db()
    if may_change:
        assert (job.updated, job.rejected) == (1, 0)
        assert getattr(record, spec.field) == spec.after
        assert (record.changed_by, record.created_channel) == (user, channel)
        change = RecordChange.objects.get()
        assert (change.record_id, change.dealer_id, change.user, change.channel) == (
            record.pk,
            dealer.pk,
            user,
            RecordChannel.DEALER_IMPORT if importer == "dealer_user" else RecordChannel.HQ_IMPORT,
        )
        assert change.model == spec.model._meta.label_lower
        assert str(change.before[spec.field]) == str(spec.before)
        assert str(change.after[spec.field]) == str(spec.after)
    else:
        assert (job.updated, job.rejected) == (0, 1)
        assert errors_of(job)[0][2] == read_only(channel)
        assert getattr(record, spec.field) == spec.before
        assert record.changed_at is None
        assert not RecordChange.objects.exists()


# --- provenance and history of every writer ---------------------------------------------


def test_an_import_through_the_api_by_a_dealer_user_comes_from_its_dms(cast, dealer):
    from tests.api.conftest import api_client

    rows = table(COMPLAINT_HEADER, ["DMS-1", "GL0001", "2026-10-03 09:00", "", "quality", "normal"])
    upload = SimpleUploadedFile("c.csv", rows.encode(), content_type="text/csv")

    response = api_client(cast["dealer_user"]).post(
        "/api/v1/imports/", {"kind": "complaints", "file": upload}, format="multipart"
    )

    assert response.status_code in (201, 202)
    complaint = Complaint.objects.get()
    assert (complaint.created_channel, complaint.created_by) == (RecordChannel.DMS_API, cast["dealer_user"])
    listed = api_client(cast["dealer_user"]).get("/api/v1/complaints/").json()["results"]
    assert [(c["complaint_id"], c["created_channel"], c["changed_at"]) for c in listed] == [
        ("DMS-1", RecordChannel.DMS_API, None)
    ]


def test_the_command_line_imports_as_the_hq_system(tmp_path, dealer):
    rows = table(COMPLAINT_HEADER, ["SYS-1", "GL0001", "2026-10-03 09:00", "", "quality", "normal"])
    import_file("complaints", write(tmp_path, rows), user=None)
    complaint = Complaint.objects.get()
    assert (complaint.created_channel, complaint.created_by) == (RecordChannel.SYSTEM, None)


def test_an_unchanged_row_leaves_no_history(tmp_path, dealer, hq_manager):
    rows = table(COMPLAINT_HEADER, ["HQ-1", "GL0001", "2026-10-03 09:00", "", "quality", "major"])
    import_file("complaints", write(tmp_path, rows), user=hq_manager)
    job = import_file("complaints", write(tmp_path, rows), user=hq_manager)
    assert (job.unchanged, RecordChange.objects.count()) == (1, 0)


def test_a_change_keeps_only_the_changed_fields_before_and_after(tmp_path, dealer, hq_manager):
    first = table(COMPLAINT_HEADER, ["HQ-1", "GL0001", "2026-10-03 09:00", "", "quality", "major"])
    import_file("complaints", write(tmp_path, first), user=hq_manager)
    second = table(
        COMPLAINT_HEADER, ["HQ-1", "GL0001", "2026-10-03 09:00", "2026-10-03 17:30", "quality", "normal"]
    )

    import_file("complaints", write(tmp_path, second), user=hq_manager)

    change = RecordChange.objects.get()
    assert change.before == {"closed_at": None, "severity": "major"}
    assert change.after == {"closed_at": "2026-10-03T09:30:00+00:00", "severity": "normal"}


def test_excluding_a_survey_response_is_kept_in_the_history(dealer, hq_manager):
    response = SurveyResponseFactory(dealer=dealer, responded_at=local("2026-10-12 10:00"))

    response_exclude(response, actor=hq_manager, reason="the customer's son answered")

    response.refresh_from_db()
    assert (response.changed_by, response.changed_channel) == (hq_manager, RecordChannel.SYSTEM)
    change = RecordChange.objects.get()
    assert (change.record_id, change.user, change.before["excluded"], change.after["excluded"]) == (
        response.pk,
        hq_manager,
        False,
        True,
    )


def test_the_drilldown_row_of_a_changed_record_says_changed_by_whom(
    tmp_path, dealer, dealer_user, hq_manager
):
    first = table(COMPLAINT_HEADER, ["HQ-1", "GL0001", "2026-10-03 09:00", "", "quality", "major"])
    other = table(COMPLAINT_HEADER, ["HQ-2", "GL0001", "2026-10-04 09:00", "", "quality", "major"])
    import_file("complaints", write(tmp_path, first + other.split("\n", 1)[1]), user=hq_manager)
    changed = table(COMPLAINT_HEADER, ["HQ-1", "GL0001", "2026-10-03 09:00", "", "quality", "normal"])
    import_file("complaints", write(tmp_path, changed), user=hq_manager)

    response = client_for(dealer_user).get(
        "/assessments/dealers/GL0001/2026-10/kpi/complaint_rate/", HTTP_ACCEPT_LANGUAGE="zh-hans"
    )

    rows = {r["complaint_id"]: r for r in response.context["page"].object_list}
    assert rows["HQ-1"]["changed_by__username"] == hq_manager.username
    assert rows["HQ-1"]["changed_at"] is not None and rows["HQ-2"]["changed_at"] is None
    page = response.content.decode()
    assert page.count('<span class="badge badge-warn">已修改</span>') == 1 and hq_manager.username in page


def test_a_dealer_cannot_import_away_hqs_correction_of_its_own_record(
    tmp_path, dealer, dealer_user, hq_manager
):
    normal = table(COMPLAINT_HEADER, ["D-1", "GL0001", "2026-10-03 09:00", "", "quality", "normal"])
    major = table(COMPLAINT_HEADER, ["D-1", "GL0001", "2026-10-03 09:00", "", "quality", "major"])
    import_file("complaints", write(tmp_path, normal), user=dealer_user)
    import_file("complaints", write(tmp_path, major), user=hq_manager)

    job = import_file("complaints", write(tmp_path, normal), user=dealer_user)

    assert errors_of(job) == [(2, "complaint_id", read_only(RecordChannel.HQ_IMPORT))]
    complaint = Complaint.objects.get()
    assert (complaint.severity, complaint.created_channel, complaint.changed_channel) == (
        Severity.MAJOR,
        RecordChannel.DEALER_IMPORT,
        RecordChannel.HQ_IMPORT,
    )


def test_a_dealer_keeps_changing_its_own_record_after_its_own_change(tmp_path, dealer, dealer_user):
    for severity in ("normal", "major", "normal"):
        rows = table(COMPLAINT_HEADER, ["D-1", "GL0001", "2026-10-03 09:00", "", "quality", severity])
        job = import_file("complaints", write(tmp_path, rows), user=dealer_user)
        assert job.rejected == 0
    assert RecordChange.objects.filter(channel=RecordChannel.DEALER_IMPORT).count() == 2


def test_an_edit_in_the_django_admin_is_stamped_and_kept_in_the_history(rf, dealer, hq_admin):
    from django.contrib.admin.sites import site

    complaint = ComplaintFactory(
        dealer=dealer, severity=Severity.MAJOR, created_channel=RecordChannel.HQ_IMPORT
    )
    admin = site._registry[Complaint]
    request = rf.post("/admin/")
    request.user = hq_admin
    complaint.severity = Severity.NORMAL

    admin.save_model(request, complaint, type("Form", (), {"changed_data": ["severity"]})(), change=True)

    complaint.refresh_from_db()
    assert (complaint.severity, complaint.changed_by, complaint.changed_channel) == (
        Severity.NORMAL,
        hq_admin,
        RecordChannel.SYSTEM,
    )
    change = RecordChange.objects.get()
    assert (change.before, change.after) == ({"severity": "major"}, {"severity": "normal"})
    assert "created_channel" in admin.get_readonly_fields(request, complaint)
    pages = client_for(hq_admin)
    assert pages.get(f"/admin/assessments/complaint/{complaint.pk}/change/").status_code == 200
    assert pages.get("/admin/assessments/complaint/?created_channel__exact=hq_import").status_code == 200
    assert pages.get("/admin/assessments/recordchange/").status_code == 200


def test_an_import_in_the_django_admin_records_who_sent_it_and_what_it_changed(dealer, hq_admin):
    import tablib

    from assessments.resources import ComplaintResource

    ComplaintFactory(
        dealer=dealer, complaint_id="A-1", category="quality", created_channel=RecordChannel.HQ_IMPORT
    )
    data = tablib.Dataset(headers=["complaint_id", "dealer_code", "received_at", "category"])
    data.append(["A-1", "GL0001", "2026-10-10 09:00:00", "price"])
    data.append(["A-2", "GL0001", "2026-10-10 09:00:00", "price"])

    result = ComplaintResource().import_data(data, dry_run=False, user=hq_admin)

    assert not (result.has_errors() or result.has_validation_errors())
    created = Complaint.objects.get(complaint_id="A-2")
    assert (created.created_channel, created.created_by) == (RecordChannel.HQ_IMPORT, hq_admin)
    change = RecordChange.objects.get()
    assert (change.before, change.after, change.user) == (
        {"category": "quality"},
        {"category": "price"},
        hq_admin,
    )


def test_every_import_kind_is_covered_by_a_rule_of_who_may_change_what():
    # The four kinds of service records above; dealers and submissions below.
    assert {s.kind for s in SERVICE_KINDS} | {ImportKind.DEALERS, ImportKind.SUBMISSIONS} == set(
        ImportKind.values
    )


def test_a_dealer_user_may_not_import_dealers_at_all(tmp_path, dealer, dealer_user):
    rows = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0001", "x", "华东", "江苏", "南京", 2],
    )
    job = import_file("dealers", write(tmp_path, rows), user=dealer_user)
    assert job.message == str(msg.FILE_NOT_ALLOWED) % {"kind": ImportKind.DEALERS.label}


SUBMISSION_HEADER = [
    "dealer_code",
    "period",
    "technicians",
    "certified_technicians",
    "equipment_total",
    "equipment_ok",
    "training_hours",
]


@pytest.mark.parametrize("importer", ["dealer_user", "hq_manager"])
def test_an_hq_approved_submission_is_changed_by_hq_only_and_kept_in_the_history(
    tmp_path, importer, cast, dealer
):
    import_file(
        "submissions",
        write(tmp_path, table(SUBMISSION_HEADER, ["GL0001", "2026-10", 10, 9, 20, 19, "60"])),
        user=cast["hq_manager"],
    )
    changed = table(SUBMISSION_HEADER, ["GL0001", "2026-10", 12, 9, 20, 19, "60"])

    job = import_file("submissions", write(tmp_path, changed), user=cast[importer])

    if importer == "hq_manager":
        assert job.updated == 1
        change = RecordChange.objects.get()
        assert (change.model, change.before, change.after) == (
            "assessments.monthlysubmission",
            {"technicians": 10},
            {"technicians": 12},
        )
    else:
        assert errors_of(job) == [(2, "period", str(msg.ROW_ALREADY_APPROVED) % {"value": "2026-10"})]
        assert not RecordChange.objects.exists()
