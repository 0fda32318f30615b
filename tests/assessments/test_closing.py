"""Closing a month from the portal (issue 15, Must 6): a checklist first, then a confirmed close.

Each checklist item is tested failing and passing; the page is HQ's alone.
"""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.translation import gettext as _

from assessments.choices import ImportKind, ImportStatus, PeriodStatus, SubmissionStatus
from assessments.models import ImportJob, MonthlySubmission, Period
from assessments.services.closing import (
    appeals_check,
    close_checklist,
    freshness_check,
    imports_check,
    period_closable,
    recompute_check,
    reports_check,
)
from assessments.services.recompute import period_close, recompute_request
from dealers.models import AuditEvent
from incentives.choices import AppealStatus
from incentives.models import Appeal, IncentiveAction
from tests.conftest import client_for

from .conftest import OCT

pytestmark = pytest.mark.django_db


def close_url(code: str = str(OCT)) -> str:
    return reverse("assessments:period_close", args=[code])


def october() -> Period:
    return Period.objects.get(code=str(OCT))


def appeal_window_over(period: Period) -> None:
    Period.objects.filter(pk=period.pk).update(scorecards_published_at=timezone.now() - timedelta(days=60))
    period.refresh_from_db()


# --- the checklist, item by item ----------------------------------------------------------


def test_reports_are_ok_when_every_dealer_that_should_report_is_approved(scored_months, hq_manager):
    check = reports_check(hq_manager, OCT)

    assert (check.ok, check.dealers, check.approved, check.not_approved) == (True, 3, 3, 0)


def test_reports_warn_with_the_numbers_missing_and_waiting(scored_months, hq_manager, dealer, other_dealer):
    # Given one dealer's report waiting for approval and another's never made
    MonthlySubmission.objects.filter(dealer=dealer, period=str(OCT)).update(status=SubmissionStatus.SUBMITTED)
    MonthlySubmission.objects.filter(dealer=other_dealer, period=str(OCT)).delete()

    check = reports_check(hq_manager, OCT)

    assert not check.ok
    assert (check.not_approved, check.missing, check.waiting, check.returned) == (2, 1, 1, 0)


def test_appeals_are_ok_when_none_waits_and_the_window_is_over(scored_months):
    period = october()
    appeal_window_over(period)

    check = appeals_check(period)

    assert check.ok and not check.window_open and check.open_appeals == 0


def test_appeals_warn_while_the_window_is_open(scored_months):
    period = october()  # its scorecards were published just now: the window is open

    check = appeals_check(period)

    assert not check.ok and check.window_open and check.window_ends > timezone.now()


def test_appeals_warn_with_the_number_of_appeals_waiting_for_a_decision(scored_months, dealer):
    period = october()
    appeal_window_over(period)
    card = period.scorecards.get(dealer=dealer)
    for status in (AppealStatus.SUBMITTED, AppealStatus.SUBMITTED, AppealStatus.REJECTED):
        Appeal.objects.create(
            scorecard=card, dealer=dealer, period=period.code, kpi_code="csi", reason="r", status=status
        )

    check = appeals_check(period)

    assert not check.ok and check.open_appeals == 2


def failed_import(periods: list[str], status: str = ImportStatus.FAILED) -> ImportJob:
    return ImportJob.objects.create(
        kind=ImportKind.REPAIR_ORDERS, file_name="dms.csv", status=status, periods_touched=periods
    )


def test_imports_warn_about_a_failed_import_that_held_rows_of_the_month(scored_months):
    job = failed_import(["2026-09", str(OCT)])

    check = imports_check(OCT)

    assert not check.ok and check.failed == [job]


def test_imports_are_ok_when_failures_touched_other_months_and_the_months_imports_succeeded(scored_months):
    failed_import(["2026-11"])
    failed_import([str(OCT)], status=ImportStatus.SUCCEEDED)

    assert imports_check(OCT).ok


def test_scorecards_are_up_to_date_right_after_a_recompute(scored_months):
    check = freshness_check(october())

    assert check.ok and check.scorecards == 3 and check.computed_at is not None


def test_scorecards_are_older_than_the_data_when_a_change_waits_for_its_recompute(scored_months):
    # Given a change to October's data (every writer asks for a recompute in its transaction)
    recompute_request([str(OCT)], reason="import")

    check = freshness_check(october())

    assert not check.ok and check.changes_since == 1 and check.first_change_at is not None


def test_recompute_is_ok_when_none_runs_or_waits(scored_months):
    assert recompute_check(october()).ok


def test_recompute_warns_about_a_request_waiting_to_run(scored_months):
    recompute_request([str(OCT)], reason="approval")

    check = recompute_check(october())

    assert not check.ok and check.pending == 1 and not check.running


def test_a_running_recompute_warns_and_withholds_the_close_button(scored_months, hq_manager):
    Period.objects.filter(code=str(OCT)).update(recompute_lock_until=timezone.now() + timedelta(minutes=5))
    period = october()

    checklist = close_checklist(hq_manager, period)

    assert checklist.recompute.running and not checklist.can_close


def test_the_preview_says_how_many_scorecards_freeze_and_which_actions_the_rules_propose(
    scored_months, hq_manager
):
    checklist = close_checklist(hq_manager, october())

    assert checklist.preview.scorecards == 3
    # The other dealer's veto in October: the veto rule proposes its suspension.
    assert checklist.preview.actions.get("suspension", 0) >= 1
    assert checklist.preview.dealers >= 1


def test_the_preview_is_exactly_what_closing_proposes_vetoed_dealer_without_a_reward(
    scored_months, hq_manager
):
    from collections import Counter

    from incentives.models import IncentiveAction

    # Given October's preview (the other dealer is vetoed in October)
    preview = close_checklist(hq_manager, october()).preview

    # When the month is closed
    period_close(str(OCT), actor=hq_manager)

    # Then the proposals made are the ones previewed, type by type and dealer by dealer
    made = IncentiveAction.objects.filter(period=str(OCT))
    assert dict(Counter(made.values_list("action_type", flat=True))) == preview.actions
    assert made.values("dealer").distinct().count() == preview.dealers
    vetoed = {a.action_type for a in made if a.dealer.veto_incidents.filter(period=str(OCT)).exists()}
    assert "suspension" in vetoed and not vetoed & {"bonus", "honour"}


# --- who may close, and the link ------------------------------------------------------------


@pytest.mark.parametrize("who", ["regional_manager", "dealer_user"])
def test_only_hq_sees_or_uses_the_close_page(scored_months, who, request):
    client = client_for(request.getfixturevalue(who))

    assert client.get(close_url()).status_code == 403
    assert client.post(close_url(), {"confirm": "on"}).status_code == 403
    assert october().status == PeriodStatus.OPEN


def test_a_month_without_a_period_answers_404(scored_months, hq_manager):
    assert client_for(hq_manager).get(close_url("2025-01")).status_code == 404


def test_the_overview_links_hq_to_closing_an_ended_open_month(scored_months, hq_manager, regional_manager):
    url = reverse("assessments:overview") + f"?period={OCT}"

    assert close_url() in client_for(hq_manager).get(url).content.decode()
    assert close_url() not in client_for(regional_manager).get(url).content.decode()


def test_a_closed_or_unfinished_month_offers_no_close_link(scored_months, hq_manager):
    Period.objects.filter(code=str(OCT)).update(status=PeriodStatus.CLOSED)
    this_month = timezone.localdate().strftime("%Y-%m")

    assert not period_closable(hq_manager, str(OCT))
    assert not period_closable(hq_manager, this_month)


# --- the close itself ----------------------------------------------------------------------


def test_hq_sees_the_checklist_with_the_missing_reports(scored_months, hq_manager, dealer):
    MonthlySubmission.objects.filter(dealer=dealer, period=str(OCT)).delete()

    page = client_for(hq_manager).get(close_url()).content.decode()

    assert 'data-testid="check-reports" data-ok="no"' in page
    assert f"{reverse('submissions:queue')}?period={OCT}" in page
    assert 'data-testid="close-button"' in page


def test_closing_without_ticking_the_confirmation_closes_nothing(scored_months, hq_manager):
    response = client_for(hq_manager).post(close_url(), {})

    assert response.status_code == 200
    assert 'data-testid="confirm-error"' in response.content.decode()
    assert october().status == PeriodStatus.OPEN


def test_a_confirmed_close_freezes_the_month_audits_it_and_proposes_the_actions(scored_months, hq_manager):
    response = client_for(hq_manager).post(close_url(), {"confirm": "on"}, follow=True)

    period = october()
    assert period.status == PeriodStatus.CLOSED and period.closed_by == hq_manager
    assert AuditEvent.objects.filter(action="period.closed", object_id=str(OCT), actor=hq_manager).exists()
    assert IncentiveAction.objects.filter(period=str(OCT)).exists()
    assert 'data-testid="period-closed"' in response.content.decode()
    assert 'data-testid="close-button"' not in response.content.decode()


def test_a_refused_close_shows_the_reason_in_the_users_language(scored_months, hq_manager):
    # Given a recompute that takes the month between the page and the click
    Period.objects.filter(code=str(OCT)).update(recompute_lock_until=timezone.now() + timedelta(minutes=5))

    response = client_for(hq_manager).post(close_url(), {"confirm": "on"}, HTTP_ACCEPT_LANGUAGE="zh-hans")

    with translation.override("zh-hans"):
        expected = _("A recompute of %(period)s is running; close it when it has finished.") % {"period": OCT}
    assert [str(m) for m in response.context["messages"]] == [expected]
    assert "正在重新计算" in expected
    assert october().status == PeriodStatus.OPEN
