"""Appeals from where the number is: a dealer contests the records a KPI counted, within the
window; HQ upholds with a correction of each record (audited) or rejects with a reason."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from assessments.models import KpiResult, Period, RecomputeRequest, RecordChange, RepairOrder, Scorecard
from assessments.services.recompute import period_recompute
from dealers.models import AuditEvent
from incentives.choices import AppealRecordKind, AppealStatus, RecordCorrection
from incentives.models import Appeal, AppealEvidence, AppealRecord
from incentives.services import (
    IncentiveError,
    RecordFix,
    appeal_decide,
    appeal_file,
    appeal_window_end,
    appeal_window_open,
)
from incentives.services.appeals import UPHOLD_NEEDS_A_CORRECTION

from ..conftest import client_for
from ..factories import ComplaintFactory, RepairOrderFactory, SubmissionFactory, SurveyResponseFactory, local


def pdf(name: str = "call-log.pdf") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, b"%PDF-1.4 evidence", content_type="application/pdf")


@pytest.fixture
def october(dealer, other_dealer, far_dealer, settings, tmp_path):
    """October 2026 scored for three dealers; GL0001 has one comeback and two complaints."""
    settings.MEDIA_ROOT = tmp_path
    day = local("2026-10-10 09:00")
    for d in (dealer, other_dealer, far_dealer):
        for i in range(12):
            RepairOrderFactory(
                dealer=d, ro_number=f"{d.code}-RO{i:02d}", opened_at=day, closed_at=day + timedelta(hours=20)
            )
            SurveyResponseFactory(dealer=d, responded_at=day, overall=4)
        SubmissionFactory(dealer=d, period="2026-10")
    first = RepairOrder.objects.get(ro_number="GL0001-RO00")
    # A repair of the same vehicle and fault 5 days later: RO00 counts as a comeback.
    RepairOrderFactory(
        dealer=dealer, ro_number="GL0001-RO99", vin=first.vin, opened_at=first.closed_at + timedelta(days=5)
    )
    ComplaintFactory(dealer=dealer, complaint_id="C-WRONG", severity="major", received_at=day)
    ComplaintFactory(
        dealer=dealer, complaint_id="C-LATE", received_at=day, closed_at=day + timedelta(hours=30)
    )
    period_recompute("2026-10")
    return Scorecard.objects.get(dealer=dealer, period__code="2026-10")


def _kpi(card_dealer, code: str) -> KpiResult:
    return KpiResult.objects.get(
        scorecard__dealer=card_dealer, scorecard__period__code="2026-10", kpi_code=code
    )


# --- the window --------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_window_ends_the_configured_days_after_the_scorecards_appear_and_never_after_close(
    october, settings
):
    # given scorecards published now and a seven-day window
    settings.APPEAL_WINDOW_DAYS = 7
    period = Period.objects.get(code="2026-10")
    # then the window ends seven days on, is open now and shut after its end
    assert appeal_window_end(period) == period.scorecards_published_at + timedelta(days=7)
    assert appeal_window_open(period)
    assert not appeal_window_open(period, now=period.scorecards_published_at + timedelta(days=7, seconds=1))
    # and a month without published scorecards has no window at all
    period.scorecards_published_at = None
    assert appeal_window_end(period) is None and not appeal_window_open(period)


@pytest.mark.django_db
def test_the_scorecard_shows_the_window_end_and_an_appeal_link_per_kpi_row_to_the_dealer_only(
    october, dealer_user, hq_manager
):
    url = reverse("assessments:scorecard", args=["GL0001", "2026-10"])
    # when the dealer's user opens its scorecard within the window
    page = client_for(dealer_user).get(url).content.decode()
    # then every KPI row has an appeal link and the window's end is shown, with KPI names
    assert 'data-testid="appeal-window"' in page
    assert page.count('data-testid="kpi-appeal"') == october.kpi_results.count()
    # and HQ sees the window but no link to file
    seen = client_for(hq_manager).get(url).content.decode()
    assert 'data-testid="appeal-window"' in seen and 'data-testid="kpi-appeal"' not in seen


@pytest.mark.django_db
def test_after_the_window_the_rows_say_when_it_closed_and_filing_is_refused(october, dealer_user):
    published = timezone.now() - timedelta(days=30)
    Period.objects.filter(code="2026-10").update(scorecards_published_at=published)
    page = client_for(dealer_user).get(reverse("assessments:scorecard", args=["GL0001", "2026-10"]))
    text = page.content.decode()
    assert 'data-testid="kpi-appeal"' not in text
    # the end of the window in the portal's time zone (Asia/Shanghai), whatever the hour in UTC
    assert timezone.localtime(published + timedelta(days=7)).strftime("%Y-%m-%d") in text
    with pytest.raises(IncentiveError):
        appeal_file(
            scorecard=october, kpi_code="complaint_rate", reason="x", actor=dealer_user, records=["C-WRONG"]
        )


@pytest.mark.django_db
def test_the_filing_form_lists_kpi_names_not_codes(october, dealer_user):
    page = client_for(dealer_user).get(reverse("incentives:appeal_new", args=[october.pk])).content.decode()
    assert ">first_time_fix_rate<" not in page and ">complaint_rate<" not in page


# --- filing ------------------------------------------------------------------------------


@pytest.mark.django_db
def test_a_dealer_contests_two_counted_records_with_several_evidence_files(october, dealer_user):
    # when the dealer contests two repair orders of its first-time-fix rate with two files
    appeal = appeal_file(
        scorecard=october,
        kpi_code="first_time_fix_rate",
        reason="RO00 的返修是另一故障",
        actor=dealer_user,
        files=[pdf(), pdf("photo.png")],
        records=["GL0001-RO00", "GL0001-RO01"],
    )
    # then both are kept with what the KPI counted, and both files are attached
    records = {r.record_key: r for r in appeal.records.all()}
    assert set(records) == {"GL0001-RO00", "GL0001-RO01"}
    assert records["GL0001-RO00"].kind == AppealRecordKind.REPAIR_ORDER
    assert records["GL0001-RO00"].snapshot["comeback"] is True
    assert records["GL0001-RO00"].record_id == RepairOrder.objects.get(ro_number="GL0001-RO00").pk
    assert sorted(appeal.files.values_list("name", flat=True)) == ["call-log.pdf", "photo.png"]


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("kpi", "records", "files"),
    [
        ("complaint_rate", ["GL0001-RO00"], []),  # not a record this KPI counted
        ("complaint_rate", ["C-NONE"], []),
        ("complaint_rate", [], []),  # nothing ticked
        ("complaint_rate", ["C-WRONG"], ["virus.exe"]),  # evidence of a refused type
    ],
)
def test_an_appeal_names_only_records_the_kpi_counted_and_good_evidence(
    october, dealer_user, kpi, records, files
):
    with pytest.raises(IncentiveError):
        appeal_file(
            scorecard=october,
            kpi_code=kpi,
            reason="x",
            actor=dealer_user,
            records=records,
            files=[pdf(name) for name in files],
        )
    assert not Appeal.objects.exists()


@pytest.mark.django_db
def test_another_dealers_user_cannot_appeal_this_scorecard(october, other_dealer_user):
    with pytest.raises(IncentiveError):
        appeal_file(
            scorecard=october,
            kpi_code="complaint_rate",
            reason="x",
            actor=other_dealer_user,
            records=["C-WRONG"],
        )


# --- deciding: one test per correction ------------------------------------------------------


def _file(card, user, kpi, keys):
    return appeal_file(scorecard=card, kpi_code=kpi, reason="数据有误", actor=user, records=keys)


@pytest.mark.django_db
def test_upholding_with_a_void_excludes_the_complaint_audits_it_and_recomputes(
    october, dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    before = _kpi(october.dealer, "complaint_rate").value
    appeal = _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    contested = appeal.records.get()
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="投诉属于其他经销商",
            fixes={contested.pk: RecordFix(RecordCorrection.VOID)},
        )
    contested.refresh_from_db()
    assert (contested.before, contested.after["excluded"]) == (
        {"excluded": False, "excluded_reason": ""},
        True,
    )
    change = RecordChange.objects.get(model="assessments.complaint", record_id=contested.record_id)
    assert (change.user, change.before["excluded"], change.after["excluded"]) == (hq_manager, False, True)
    event = AuditEvent.objects.get(action="appeal.record_corrected", object_id=str(appeal.pk))
    assert event.actor == hq_manager and event.after["record"] == "C-WRONG"
    assert _kpi(october.dealer, "complaint_rate").value < before


@pytest.mark.django_db
def test_upholding_without_correcting_any_contested_record_is_refused(october, dealer_user, hq_manager):
    appeal = _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    contested = appeal.records.get()

    with pytest.raises(IncentiveError) as refused:
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="属实",
            fixes={contested.pk: RecordFix(RecordCorrection.NONE)},
        )

    assert str(refused.value) == str(UPHOLD_NEEDS_A_CORRECTION)
    appeal.refresh_from_db()
    assert appeal.status == AppealStatus.SUBMITTED


@pytest.mark.django_db
def test_upholding_not_a_comeback_raises_the_first_time_fix_rate(
    october, dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    assert _kpi(october.dealer, "first_time_fix_rate").value < 100
    appeal = _file(october, dealer_user, "first_time_fix_rate", ["GL0001-RO00"])
    contested = appeal.records.get()
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="返修为不同故障",
            fixes={contested.pk: RecordFix(RecordCorrection.NOT_COMEBACK)},
        )
    assert RepairOrder.objects.get(ro_number="GL0001-RO00").comeback_waived
    assert _kpi(october.dealer, "first_time_fix_rate").value == 100
    change = RecordChange.objects.get(model="assessments.repairorder", record_id=contested.record_id)
    assert (change.before, change.after) == ({"comeback_waived": False}, {"comeback_waived": True})


@pytest.mark.django_db
def test_upholding_a_corrected_time_changes_the_record_and_keeps_before_and_after(
    october, dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    # given two complaints, neither closed within 24 h (one still open, one in 30 h)
    assert _kpi(october.dealer, "complaint_closure_24h_rate").value == 0
    appeal = _file(october, dealer_user, "complaint_closure_24h_rate", ["C-LATE"])
    contested = appeal.records.get()
    closed = local("2026-10-10 20:00")
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="系统结案时间录入错误",
            fixes={contested.pk: RecordFix(RecordCorrection.SET_TIME, "closed_at", closed)},
        )
    contested.refresh_from_db()
    assert contested.correction == RecordCorrection.SET_TIME
    assert contested.before["closed_at"].startswith("2026-10-11") and contested.after["closed_at"].startswith(
        "2026-10-10"
    )
    assert _kpi(october.dealer, "complaint_closure_24h_rate").value == 50


@pytest.mark.django_db
@pytest.mark.parametrize(
    "fix",
    [
        RecordFix(RecordCorrection.VOID),  # a repair order cannot be voided
        RecordFix(RecordCorrection.SET_TIME, "vin", local("2026-10-10 09:00")),  # not a time
        RecordFix(RecordCorrection.SET_TIME, "closed_at", None),  # no time given
        RecordFix(RecordCorrection.SET_TIME, "closed_at", local("2026-10-09 09:00")),  # before it opened
    ],
)
def test_a_correction_that_does_not_fit_the_record_is_refused_and_nothing_changes(
    october, dealer_user, hq_manager, fix
):
    appeal = _file(october, dealer_user, "repair_cycle_hours", ["GL0001-RO02"])
    with pytest.raises(IncentiveError):
        appeal_decide(
            appeal=appeal, actor=hq_manager, uphold=True, decision="x", fixes={appeal.records.get().pk: fix}
        )
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.SUBMITTED
    assert not RecordChange.objects.exists()


@pytest.mark.django_db
def test_rejecting_needs_a_reason_and_changes_no_data(october, dealer_user, hq_manager):
    appeal = _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    with pytest.raises(IncentiveError):
        appeal_decide(appeal=appeal, actor=hq_manager, uphold=False, decision="  ")
    appeal_decide(appeal=appeal, actor=hq_manager, uphold=False, decision="证据不足")
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED
    assert not RecordChange.objects.exists() and not RecomputeRequest.objects.filter(reason="appeal").exists()


@pytest.mark.django_db
def test_a_regional_manager_of_another_region_cannot_decide(october, dealer_user, other_regional_manager):
    appeal = _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    with pytest.raises(IncentiveError):
        appeal_decide(appeal=appeal, actor=other_regional_manager, uphold=True, decision="x")


# --- pages -------------------------------------------------------------------------------


@pytest.mark.django_db
def test_filing_and_upholding_through_the_pages_shows_each_records_before_and_after(
    october, dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    # given the dealer files from the form, ticking two complaints, with two files
    filed = client_for(dealer_user).post(
        reverse("incentives:appeal_new", args=[october.pk]),
        {
            "kpi_code": "complaint_closure_24h_rate",
            "records": ["C-WRONG", "C-LATE"],
            "reason": "两条投诉有误",
            "evidence": [pdf(), pdf("screen.png")],
        },
    )
    appeal = Appeal.objects.get()
    assert filed.status_code == 302 and appeal.files.count() == 2 and appeal.records.count() == 2
    wrong = appeal.records.get(record_key="C-WRONG")
    late = appeal.records.get(record_key="C-LATE")
    # when HQ voids one and corrects the other's closing time
    hq = client_for(hq_manager)
    with django_capture_on_commit_callbacks(execute=True):
        hq.post(
            reverse("incentives:appeal", args=[appeal.pk]),
            {
                "decision": "uphold",
                "reason": "核实属实",
                f"fix_{wrong.pk}": "void",
                f"fix_{late.pk}": "set_time",
                f"field_{late.pk}": "closed_at",
                f"value_{late.pk}": "2026-10-10T20:00",
            },
        )
    # then the decided page shows each record's before → after
    page = hq.get(reverse("incentives:appeal", args=[appeal.pk])).content.decode()
    assert Appeal.objects.get().status == AppealStatus.UPHELD
    assert page.count('data-testid="record-change"') == 2 and "→" in page


@pytest.mark.django_db
def test_the_drilldown_rows_get_checkboxes_for_the_dealer_within_the_window(october, dealer_user, hq_manager):
    url = reverse("assessments:kpi_drilldown", args=["GL0001", "2026-10", "first_time_fix_rate"])
    assert (
        client_for(dealer_user).get(url).content.decode().count('data-testid="contest-record"') == 13
    )  # 12 + the comeback repair
    assert 'data-testid="contest-record"' not in client_for(hq_manager).get(url).content.decode()


@pytest.mark.django_db
def test_evidence_opens_only_through_the_scoped_view(october, cast, dealer_user):
    appeal = appeal_file(
        scorecard=october,
        kpi_code="complaint_rate",
        reason="x",
        actor=dealer_user,
        files=[pdf()],
        records=["C-WRONG"],
    )
    evidence = AppealEvidence.objects.get(appeal=appeal)
    file_url = reverse("incentives:appeal_evidence", args=[appeal.pk, evidence.pk])
    page_url = reverse("incentives:appeal", args=[appeal.pk])
    allowed = {"dealer_user", "regional_manager", "hq_manager", "hq_admin"}
    for role, user in cast.items():
        expected = 200 if role in allowed else 404
        assert client_for(user).get(file_url).status_code == expected, role
        assert client_for(user).get(page_url).status_code == expected, role
    # and the page links the scoped view, never a /media URL
    page = client_for(cast["hq_manager"]).get(page_url).content.decode()
    assert file_url in page and "/media/" not in page
    opened = client_for(cast["hq_manager"]).get(file_url)
    assert opened.getvalue() == b"%PDF-1.4 evidence"
    # a download that is never sniffed into a page nor cached; stored under a random name
    assert opened["Content-Disposition"].startswith("attachment;")
    assert (opened["X-Content-Type-Options"], opened["Cache-Control"]) == ("nosniff", "private, no-store")
    assert "call-log" not in evidence.file.name and evidence.file.name.endswith(".pdf")


@pytest.mark.django_db
def test_another_dealers_user_cannot_open_the_filing_form(october, other_dealer_user, other_regional_manager):
    url = reverse("incentives:appeal_new", args=[october.pk])
    assert client_for(other_dealer_user).get(url).status_code == 404
    # Managers never file: the role is checked first, the same for every scorecard.
    assert client_for(other_regional_manager).get(url).status_code == 403


@pytest.mark.django_db
def test_contested_records_are_scoped_like_their_appeal(october, dealer_user, other_dealer_user):
    _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    assert AppealRecord.objects.for_user(dealer_user).count() == 1
    assert AppealRecord.objects.for_user(other_dealer_user).count() == 0


# --- demo --------------------------------------------------------------------------------


@pytest.mark.django_db
def test_the_demo_seeds_one_appeal_of_each_outcome_once(october, dealer, other_dealer):
    from incentives.demo_appeals import seed_appeals

    from ..factories import UserFactory

    UserFactory(username="dealer1", role="dealer_user", dealer=dealer)
    UserFactory(username="dealer2", role="dealer_user", dealer=other_dealer)
    UserFactory(username="hq", role="hq_manager")
    made = seed_appeals()
    assert sorted(a.status for a in made) == [
        AppealStatus.REJECTED,
        AppealStatus.SUBMITTED,
        AppealStatus.UPHELD,
    ]
    upheld = next(a for a in made if a.status == AppealStatus.UPHELD)
    assert upheld.records.get().after  # corrected, with its after kept
    assert seed_appeals() == []


@pytest.mark.django_db
def test_voiding_a_survey_response_excludes_it_as_the_survey_desk_would(
    october, dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    from surveys.models import SurveyResponse

    key = SurveyResponse.objects.filter(dealer=october.dealer).values_list("response_id", flat=True).first()
    appeal = _file(october, dealer_user, "csat", [key])
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="重复问卷",
            fixes={appeal.records.get().pk: RecordFix(RecordCorrection.VOID)},
        )
    response = SurveyResponse.objects.get(response_id=key, dealer=october.dealer)
    assert (response.excluded, response.excluded_by, response.excluded_reason) == (
        True,
        hq_manager,
        "重复问卷",
    )
    assert _kpi(october.dealer, "csat").sample_size == 11


@pytest.mark.django_db
def test_a_record_is_not_contested_twice_while_an_appeal_on_it_waits(october, dealer_user, hq_manager):
    first = _file(october, dealer_user, "complaint_rate", ["C-WRONG"])
    with pytest.raises(IncentiveError):
        _file(october, dealer_user, "complaint_closure_24h_rate", ["C-WRONG", "C-LATE"])
    # once decided, the record may be contested again
    appeal_decide(appeal=first, actor=hq_manager, uphold=False, decision="证据不足")
    assert _file(october, dealer_user, "complaint_rate", ["C-WRONG"]).records.count() == 1


@pytest.mark.django_db
def test_a_time_moved_into_another_month_recomputes_that_month_too(october, dealer_user, hq_manager):
    appeal = _file(october, dealer_user, "repair_cycle_hours", ["GL0001-RO03"])
    appeal_decide(
        appeal=appeal,
        actor=hq_manager,
        uphold=True,
        decision="实际于 11 月交车",
        fixes={
            appeal.records.get().pk: RecordFix(
                RecordCorrection.SET_TIME, "closed_at", local("2026-11-02 10:00")
            )
        },
    )
    assert set(RecomputeRequest.objects.values_list("period_code", flat=True)) >= {"2026-10", "2026-11"}
