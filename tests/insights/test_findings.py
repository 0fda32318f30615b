"""Findings from the nightly analysis to a lesson: storing a night's drafts is idempotent,
triage and the 复盘 that closes a finding follow their rules, the lesson reaches the dealers
and regions picked without naming the dealer, and every page, export and API answer is scoped.

The drafts here are written by hand (the detectors have their own tests): what is tested is
what happens to a finding once found.
"""

from __future__ import annotations

import csv
import io
from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.periods import Month
from dealers.models import Notice
from insights.choices import FindingKind, FindingStatus
from insights.drafts import Draft
from insights.errors import FindingError
from insights.models import AnalysisRun, Finding, Review
from insights.services import (
    ReviewInput,
    analysis_run,
    finding_close,
    finding_dismiss,
    finding_open,
    findings_store,
    reviews_remeasure,
)

from ..conftest import client_for
from ..factories import RepairOrderFactory

MONTH = "2026-10"


def _draft(
    kind: str = FindingKind.PEER_OUTLIER, dealer=None, subject: str = "first_time_fix_rate", **figures
):
    return Draft(
        kind=kind,
        subject=subject,
        dealer_id=dealer.pk if dealer is not None else None,
        month=MONTH,
        severity=figures.pop("severity", 4.2),
        figures={"value": 0.61, "peer_median": 0.88, "n": 140, **figures},
        evidence=figures.pop("evidence", {}),
    )


def _store(*drafts: Draft, kind: str = FindingKind.PEER_OUTLIER):
    return findings_store(month=MONTH, kind=kind, drafts=list(drafts))


@pytest.fixture
def outlier(dealer) -> Finding:
    _store(_draft(dealer=dealer))
    return Finding.objects.get(dealer=dealer)


@pytest.fixture
def network_finding(dealer, far_dealer) -> Finding:
    ros = [RepairOrderFactory(dealer=d, fault_code="F013") for d in (dealer, far_dealer)]
    draft = Draft(
        kind=FindingKind.FAULT_RISING,
        subject="F013",
        dealer_id=None,
        month=MONTH,
        severity=9.0,
        figures={"value": 0.12, "baseline": 0.03, "dealers_rising": 2},
        evidence={"dealers": [dealer.pk, far_dealer.pk], "repair_orders": [ro.pk for ro in ros]},
    )
    findings_store(month=MONTH, kind=FindingKind.FAULT_RISING, drafts=[draft])
    return Finding.objects.get(kind=FindingKind.FAULT_RISING)


# --- storing a night's drafts ---------------------------------------------------------------


def test_a_second_run_over_the_same_month_updates_the_finding_instead_of_adding_one(dealer):
    first = _store(_draft(dealer=dealer))
    second = _store(_draft(dealer=dealer, severity=5.0, value=0.59))
    assert (first.new, second.new) == (1, 0)
    finding = Finding.objects.get()
    assert finding.severity == 5.0 and finding.figures["value"] == 0.59


def test_a_triaged_finding_keeps_its_status_and_owner_when_found_again(outlier, hq_manager):
    finding_open(finding=outlier, actor=hq_manager, owner=hq_manager, due_date=timezone.localdate())
    _store(_draft(dealer=outlier.dealer, severity=7.0))
    outlier.refresh_from_db()
    assert outlier.status == FindingStatus.OPEN and outlier.owner == hq_manager and outlier.severity == 7.0


def test_an_untriaged_finding_the_next_run_no_longer_finds_is_withdrawn_a_triaged_one_stays(
    dealer, other_dealer, hq_manager
):
    _store(_draft(dealer=dealer), _draft(dealer=other_dealer))
    kept = Finding.objects.get(dealer=other_dealer)
    finding_dismiss(finding=kept, actor=hq_manager, reason="known: workshop rebuilt")
    result = _store()
    assert result.withdrawn == 1
    assert list(Finding.objects.values_list("dealer", flat=True)) == [other_dealer.pk]


def test_a_run_records_its_time_and_counts_and_a_failing_detector_its_error(dealer):
    run = analysis_run(
        month=MONTH, kind=FindingKind.PEER_OUTLIER, detect=lambda month: [_draft(dealer=dealer)]
    )
    assert (run.found, run.new) == (1, 1) and run.seconds is not None

    def broken(month: Month):
        raise ValueError("no data")

    with pytest.raises(ValueError):
        analysis_run(month=MONTH, kind=FindingKind.TREND_BREAK, detect=broken)
    failed = AnalysisRun.objects.get(kind=FindingKind.TREND_BREAK)
    assert "no data" in failed.error and failed.finished_at is not None


# --- triage ---------------------------------------------------------------------------------


def test_dismissing_needs_a_manager_and_a_reason(outlier, dealer_user, hq_manager):
    with pytest.raises(FindingError):
        finding_dismiss(finding=outlier, actor=dealer_user, reason="not us, honestly")
    with pytest.raises(FindingError):
        finding_dismiss(finding=outlier, actor=hq_manager, reason="no")
    finding_dismiss(finding=outlier, actor=hq_manager, reason="new workshop opened: expected")
    outlier.refresh_from_db()
    assert outlier.status == FindingStatus.DISMISSED and outlier.dismissed_reason.startswith("new workshop")


def test_a_regional_manager_cannot_triage_another_regions_finding(outlier, other_regional_manager):
    with pytest.raises(FindingError):
        finding_dismiss(finding=outlier, actor=other_regional_manager, reason="out of my hands")


def test_opening_names_an_owner_who_sees_the_finding_and_tells_them(
    outlier, regional_manager, dealer_user, other_dealer_user
):
    with pytest.raises(FindingError):
        finding_open(
            finding=outlier, actor=regional_manager, owner=other_dealer_user, due_date=timezone.localdate()
        )
    with pytest.raises(FindingError):
        finding_open(
            finding=outlier,
            actor=regional_manager,
            owner=dealer_user,
            due_date=timezone.localdate() - timedelta(days=1),
        )
    finding_open(
        finding=outlier,
        actor=regional_manager,
        owner=dealer_user,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    notice = Notice.objects.get(user=dealer_user)
    assert notice.url == reverse("insights:detail", args=[outlier.pk])


def test_an_open_finding_is_on_its_owners_workbench_and_new_ones_on_the_managers(
    outlier, regional_manager, dealer_user
):
    from workbench.selectors import workbench_todos

    assert [t.key for t in workbench_todos(regional_manager) if t.key.startswith("finding")] == [
        "findings_new"
    ]
    finding_open(
        finding=outlier,
        actor=regional_manager,
        owner=dealer_user,
        due_date=timezone.localdate() + timedelta(days=7),
    )
    todos = [t for t in workbench_todos(dealer_user) if t.key == "finding_to_close"]
    assert [t.url for t in todos] == [reverse("insights:detail", args=[outlier.pk])]
    assert not [t for t in workbench_todos(regional_manager) if t.key == "findings_new"]


# --- closing with a 复盘 ----------------------------------------------------------------------


def _review(**kwargs) -> ReviewInput:
    base = {
        "root_cause": "Technician rotation left the diagnosis to trainees",
        "countermeasure": "Senior technician signs off every repeat visit",
        "lesson": "Check the sign-off rule at dealers with new trainees",
    }
    return ReviewInput(**{**base, **kwargs})


def test_closing_needs_an_open_finding_its_owner_or_a_manager_and_all_three_parts(
    outlier, regional_manager, dealer_user, other_dealer_user
):
    with pytest.raises(FindingError):
        finding_close(finding=outlier, actor=regional_manager, data=_review())  # still new
    finding_open(finding=outlier, actor=regional_manager, owner=dealer_user, due_date=timezone.localdate())
    with pytest.raises(FindingError):
        finding_close(finding=outlier, actor=other_dealer_user, data=_review())
    with pytest.raises(FindingError):
        finding_close(finding=outlier, actor=dealer_user, data=_review(root_cause=" "))
    review = finding_close(finding=outlier, actor=dealer_user, data=_review())
    assert review.before_value == 0.61
    assert Finding.objects.get(pk=outlier.pk).status == FindingStatus.CLOSED
    with pytest.raises(FindingError):
        finding_close(finding=outlier, actor=regional_manager, data=_review())


def test_the_lesson_goes_to_the_dealers_and_regions_picked_without_naming_the_dealer(
    outlier, hq_manager, other_dealer, far_dealer, other_dealer_user, other_regional_manager, south
):
    from dealers.models import User

    far_user = User.objects.create_user("far_user", role="dealer_user", dealer=far_dealer)
    finding_open(finding=outlier, actor=hq_manager, owner=hq_manager, due_date=timezone.localdate())
    review = finding_close(
        finding=outlier, actor=hq_manager, data=_review(dealers=[other_dealer, far_dealer], regions=[south])
    )
    told = {n.user for n in Notice.objects.filter(url=reverse("insights:lesson", args=[review.pk]))}
    assert told == {other_dealer_user, far_user, other_regional_manager}
    for notice in Notice.objects.filter(url=reverse("insights:lesson", args=[review.pk])):
        assert outlier.dealer.code not in notice.text and outlier.dealer.name not in notice.text
    page = client_for(other_dealer_user).get(reverse("insights:lesson", args=[review.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert "sign-off rule" in body and outlier.dealer.code not in body and outlier.dealer.name not in body


def test_a_dealer_user_may_tell_only_dealers_they_see(outlier, regional_manager, dealer_user, other_dealer):
    finding_open(finding=outlier, actor=regional_manager, owner=dealer_user, due_date=timezone.localdate())
    with pytest.raises(FindingError):
        finding_close(finding=outlier, actor=dealer_user, data=_review(dealers=[other_dealer]))


def test_the_same_figure_is_measured_again_once_the_month_after_closing_has_ended(outlier, hq_manager):
    finding_open(finding=outlier, actor=hq_manager, owner=hq_manager, due_date=timezone.localdate())
    review = finding_close(finding=outlier, actor=hq_manager, data=_review())
    Review.objects.filter(pk=review.pk).update(closed_at=Month(2026, 10).start + timedelta(days=3))
    calls = []

    def remeasure(kind, subject, dealer_id, month):
        calls.append((kind, subject, dealer_id, str(month)))
        return 0.83

    assert reviews_remeasure(now=Month(2026, 11).start + timedelta(days=10), remeasure=remeasure) == 0
    assert reviews_remeasure(now=Month(2026, 12).start + timedelta(days=1), remeasure=remeasure) == 1
    review.refresh_from_db()
    assert (review.after_month, review.after_value) == ("2026-11", 0.83)
    assert calls == [(FindingKind.PEER_OUTLIER, "first_time_fix_rate", outlier.dealer_id, "2026-11")]
    assert reviews_remeasure(now=Month(2027, 1).start, remeasure=remeasure) == 0  # kept once measured


# --- isolation ------------------------------------------------------------------------------


def test_a_dealer_user_sees_only_findings_about_its_own_dealer_and_never_a_network_one(
    outlier, network_finding, other_dealer, dealer_user, other_dealer_user
):
    _store(_draft(dealer=other_dealer), _draft(dealer=outlier.dealer))
    mine = client_for(dealer_user).get(reverse("insights:list"))
    assert {f.pk for f in mine.context["page"]} == {outlier.pk}
    assert (
        client_for(dealer_user).get(reverse("insights:detail", args=[network_finding.pk])).status_code == 404
    )
    other = Finding.objects.get(dealer=other_dealer)
    assert client_for(dealer_user).get(reverse("insights:detail", args=[other.pk])).status_code == 404
    api = client_for(dealer_user).get("/api/v1/findings/").json()
    assert [row["id"] for row in api["results"]] == [outlier.pk]


def test_a_regional_manager_sees_a_network_finding_with_only_their_regions_dealers_named(
    network_finding, regional_manager, far_dealer
):
    page = client_for(regional_manager).get(reverse("insights:detail", args=[network_finding.pk]))
    assert page.status_code == 200
    body = page.content.decode()
    assert far_dealer.code not in body and far_dealer.name not in body
    assert page.context["evidence"].hidden_dealers == 1
    assert {ro.dealer_id for ro in page.context["evidence"].repair_orders} == {
        network_finding.evidence["dealers"][0]
    }
    export = client_for(regional_manager).get(
        reverse("insights:evidence_export", args=[network_finding.pk, "csv"])
    )
    assert far_dealer.code not in export.content.decode("utf-8-sig")


def test_the_list_export_has_the_readers_headers_and_only_the_scope(outlier, network_finding, dealer_user):
    response = client_for(dealer_user).get(
        reverse("insights:list_export", args=["csv"]), HTTP_ACCEPT_LANGUAGE="zh-hans"
    )
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert len(rows) == 2 and rows[1][0] == str(outlier.pk)


# --- pages as a user meets them ------------------------------------------------------------


def test_hq_triages_then_the_owner_closes_with_a_review_by_the_pages(
    outlier, hq_manager, dealer_user, other_dealer
):
    hq = client_for(hq_manager)
    detail = reverse("insights:detail", args=[outlier.pk])
    assert 'data-testid="open-form"' in hq.get(detail).content.decode()
    response = hq.post(
        reverse("insights:triage", args=[outlier.pk]),
        {
            "action": "open",
            "owner": dealer_user.pk,
            "due_date": (timezone.localdate() + timedelta(days=5)).isoformat(),
        },
    )
    assert response.status_code == 302
    owner = client_for(dealer_user)
    page = owner.get(detail).content.decode()
    assert 'data-testid="review-form"' in page and 'data-testid="open-form"' not in page
    bad = owner.post(
        reverse("insights:close", args=[outlier.pk]), {"root_cause": "x", "countermeasure": "", "lesson": ""}
    )
    assert bad.status_code == 400
    assert Finding.objects.get(pk=outlier.pk).status == FindingStatus.OPEN
    data = {k: v for k, v in _review().__dict__.items() if k in ("root_cause", "countermeasure", "lesson")}
    assert owner.post(reverse("insights:close", args=[outlier.pk]), data).status_code == 302
    closed = hq.get(detail).content.decode()
    assert 'data-testid="review"' in closed and "sign-off rule" in closed


def test_a_manager_closing_sees_an_unknown_dealer_code_named_and_nothing_is_written(
    outlier, regional_manager
):
    finding_open(
        finding=outlier, actor=regional_manager, owner=regional_manager, due_date=timezone.localdate()
    )
    data = {k: v for k, v in _review().__dict__.items() if k in ("root_cause", "countermeasure", "lesson")}
    response = client_for(regional_manager).post(
        reverse("insights:close", args=[outlier.pk]), {**data, "codes": "ZZ999"}
    )
    assert response.status_code == 400 and "ZZ999" in response.content.decode()
    assert Finding.objects.get(pk=outlier.pk).status == FindingStatus.OPEN and not Review.objects.exists()


def test_a_dealer_user_closing_is_offered_no_other_dealer_to_tell(outlier, regional_manager, dealer_user):
    finding_open(finding=outlier, actor=regional_manager, owner=dealer_user, due_date=timezone.localdate())
    page = client_for(dealer_user).get(reverse("insights:detail", args=[outlier.pk]))
    form = page.context["review_form"]
    assert set(form.fields) == {"root_cause", "countermeasure", "lesson"}


def test_the_daily_review_shows_the_nights_findings_and_the_days_closures(
    outlier, hq_manager, regional_manager
):
    day = timezone.localdate() - timedelta(days=1)
    Finding.objects.filter(pk=outlier.pk).update(found_at=timezone.now())
    hq = client_for(hq_manager)
    page = hq.get(reverse("insights:daily"))
    assert page.status_code == 200 and page.context["review"].day == day
    assert [line.url for line in page.context["review"].found] == [
        reverse("insights:detail", args=[outlier.pk])
    ]
    export = hq.get(reverse("insights:daily_export", args=["xlsx"]))
    assert export.status_code == 200 and export["Content-Type"].startswith("application/vnd.openxmlformats")
    assert client_for(regional_manager).get(reverse("insights:daily")).status_code == 200


def test_the_methods_page_names_every_kind_and_threshold(hq_manager, dealer_user):
    for user in (hq_manager, dealer_user):
        body = client_for(user).get(reverse("insights:methods")).content.decode()
        for kind in FindingKind:
            assert f'data-testid="method-{kind.value}"' in body
