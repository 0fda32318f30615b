"""The month a page opens on: the latest ended month that is mostly scored, never a month of
only insufficient data; months in progress are labelled with the day their reports are due;
a dealer home without a score says why.

The pages read today's date from the clock; the "new month" of these tests is the month in
progress on the day they run (one customer survey in it, as in issue 13), so they hold on
any day after 2026-10. The rule itself is tested with an explicit `today`.
"""

from __future__ import annotations

import csv
import io
from datetime import date, timedelta
from decimal import Decimal

import pytest
from django.urls import reverse
from django.utils import timezone
from django.utils.formats import date_format
from django.utils.translation import gettext

from assessments.models import Period, Scheme, Scorecard
from assessments.pages.periods import default_period, month_choices, visible_periods
from assessments.periods import Month
from assessments.services.recompute import period_recompute
from assessments.services.submissions import deadline_for
from assessments.templatetags.portal import period_label

from ..conftest import client_for
from ..factories import SubmissionFactory, SurveyResponseFactory

pytestmark = pytest.mark.django_db

SCORED_MONTH = "2026-10"  # the newest month of `scored_months`: two of its three dealers scored


def _this_month() -> Month:
    return Month.of(timezone.localdate())


@pytest.fixture
def first_survey_of_a_new_month(scored_months, dealer) -> str:
    """One customer answers a survey today: the month in progress gets a period and scorecards,
    every one of them with insufficient data."""
    SurveyResponseFactory(dealer=dealer, response_id="WEB-NEW-1", responded_at=timezone.now(), overall=2)
    code = str(_this_month())
    period_recompute(code)
    assert not Scorecard.objects.filter(period__code=code, status="scored").exists()
    return code


def _text(response) -> str:
    return response.content.decode()


def _due(code: str) -> str:
    return date_format(deadline_for(code), "DATE_FORMAT")


# --- the default month of every page -----------------------------------------------------


def test_overview_opens_on_the_scored_month_after_the_first_survey_of_a_new_month(
    first_survey_of_a_new_month, hq_manager
):
    response = client_for(hq_manager).get(reverse("assessments:overview"))
    ov = response.context["ov"]
    assert ov.period.code == SCORED_MONTH
    assert ov.scored == 2 and ov.dealers == 3
    assert 'data-testid="period-in-progress"' not in _text(response)


def test_ranking_and_its_export_open_on_the_scored_month(first_survey_of_a_new_month, hq_manager):
    client = client_for(hq_manager)
    page = client.get(reverse("assessments:ranking"))
    assert page.context["period"].code == SCORED_MONTH
    assert [row["rank"] for row in page.context["page"].object_list] == [1, 2, None]
    export = client.get(reverse("assessments:ranking_export", args=["csv"]))
    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    assert {row[0] for row in rows[1:]} == {SCORED_MONTH}


def test_survey_results_open_on_the_scored_month_not_the_month_in_progress(
    first_survey_of_a_new_month, hq_manager
):
    response = client_for(hq_manager).get(reverse("surveys:results"))
    assert response.context["period"].code == SCORED_MONTH
    # 12 responses per dealer in October, not the one answered today.
    assert {row.n for row in response.context["rows"]} == {12}


def test_dealer_home_opens_on_the_dealers_latest_scored_month(first_survey_of_a_new_month, dealer_user):
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"))
    assert response.context["card"].period.code == SCORED_MONTH
    assert response.context["card"].status == "scored"


def test_a_dealers_latest_scorecard_link_opens_its_latest_scored_month(scored_months, hq_manager):
    # The far dealer has too little data in October for a total; September has one.
    response = client_for(hq_manager).get(reverse("assessments:scorecard_latest", args=["GL0003"]))
    assert response["Location"] == reverse("assessments:scorecard", args=["GL0003", "2026-09"])


@pytest.mark.parametrize(
    "url",
    [
        reverse("assessments:overview"),
        reverse("assessments:ranking"),
        reverse("surveys:results"),
    ],
)
def test_an_explicit_period_still_opens_the_month_in_progress_labelled_with_its_due_date(
    first_survey_of_a_new_month, hq_manager, url
):
    code = first_survey_of_a_new_month
    response = client_for(hq_manager).get(url, {"period": code})
    body = _text(response)
    assert response.context["period"].code == code
    assert response.context["period"].in_progress
    assert 'data-testid="period-in-progress"' in body
    assert _due(code) in body
    # … with a way back to the month the page opens on by default.
    assert f'href="?period={SCORED_MONTH}"' in body


def test_the_period_picker_labels_the_month_in_progress_with_its_due_date(
    first_survey_of_a_new_month, hq_manager
):
    code = first_survey_of_a_new_month
    body = _text(client_for(hq_manager).get(reverse("assessments:overview")))
    in_progress = gettext("%(month)s · in progress, monthly reports due %(date)s") % {
        "month": period_label(code),
        "date": _due(code),
    }
    assert f'<option value="{code}">{in_progress}</option>' in body
    assert f'<option value="{SCORED_MONTH}" selected>{period_label(SCORED_MONTH)}</option>' in body


def test_the_pages_state_the_rule_that_picks_their_month(first_survey_of_a_new_month, hq_manager, settings):
    settings.DEFAULT_PERIOD_MIN_SCORED_SHARE = 0.5
    for url in (reverse("assessments:overview"), reverse("assessments:ranking"), reverse("surveys:results")):
        body = _text(client_for(hq_manager).get(url))
        assert 'data-testid="default-period-rule"' in body
        assert "50%" in body


def test_overview_opens_no_month_when_every_month_has_only_insufficient_data(hq_manager, dealer):
    SurveyResponseFactory(dealer=dealer, responded_at=timezone.now())
    period_recompute(str(_this_month()))
    response = client_for(hq_manager).get(reverse("assessments:overview"))
    assert response.context["period"] is None
    assert 'data-testid="no-scored-month"' in _text(response)
    # The month can still be opened on purpose.
    chosen = client_for(hq_manager).get(reverse("assessments:overview"), {"period": str(_this_month())})
    assert chosen.context["ov"].scored == 0


# --- the dealer home says why there is no score ------------------------------------------


def test_dealer_home_lists_the_month_in_progress_with_why_it_has_no_score(
    first_survey_of_a_new_month, dealer_user
):
    code = first_survey_of_a_new_month
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"))
    body = _text(response)
    [newer] = response.context["newer"]
    assert newer.period.code == code
    assert newer.reasons == ["in_progress", "report", "records"]
    assert reverse("submissions:detail", args=[code, "GL0001"]) in body
    assert _due(code) in body


def test_dealer_home_of_a_month_without_a_score_explains_it_and_never_says_every_kpi_is_at_target(
    first_survey_of_a_new_month, dealer_user
):
    code = first_survey_of_a_new_month
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"), {"period": code})
    body = _text(response)
    assert response.context["card"].period.code == code
    assert 'data-testid="why-no-score"' in body
    assert gettext("Every valid KPI is at its target.") not in body
    assert 'data-testid="no-points-lost"' in body
    # Why, per case: the month is in progress, its report is not submitted (with the link),
    # and which KPIs lack records: one survey where CSAT needs ten.
    state = response.context["state"]
    assert state.reasons == ["in_progress", "report", "records"]
    assert reverse("submissions:detail", args=[code, "GL0001"]) in body
    csat = next(line for line in state.thin if line.code == "csat")
    assert (csat.result.sample_size, csat.result.min_sample) == (1, 10)
    assert 'data-testid="why-coverage"' in body


def test_dealer_home_says_a_submitted_report_waits_for_approval(first_survey_of_a_new_month, dealer_user):
    code = first_survey_of_a_new_month
    SubmissionFactory(dealer=dealer_user.dealer, period=code, status="submitted")
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"), {"period": code})
    assert response.context["state"].report_status == "submitted"
    assert gettext(
        "The monthly report (technicians, equipment, training), due by %(due)s, is submitted and waits for approval."
    ) % {"due": _due(code)} in " ".join(_text(response).split())


def test_dealer_home_without_any_scored_month_opens_the_newest_and_says_why(dealer_user, dealer):
    SurveyResponseFactory(dealer=dealer, responded_at=timezone.now())
    code = str(_this_month())
    period_recompute(code)
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"))
    assert response.context["card"].period.code == code
    assert 'data-testid="why-no-score"' in _text(response)
    assert gettext("Every valid KPI is at its target.") not in _text(response)


def test_dealer_home_of_an_unknown_month_is_404(scored_months, dealer_user):
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"), {"period": "2025-01"})
    assert response.status_code == 404


# --- the rule, with an explicit today ----------------------------------------------------


def _cards(month: str, statuses: dict, scheme: Scheme) -> None:
    period, _ = Period.objects.get_or_create(code=month)
    for dealer, status in statuses.items():
        scored = status == "scored"
        Scorecard.objects.create(
            period=period,
            dealer=dealer,
            region_name=dealer.region.name,
            scheme=scheme,
            status=status,
            total_score=Decimal("80") if scored else None,
            grade="B" if scored else "",
            rank=1 if scored else None,
            coverage=Decimal("1") if scored else Decimal("0.2"),
            computed_at=timezone.now(),
        )


@pytest.fixture
def three_months(dealer, other_dealer, far_dealer):
    """September: all scored; October: one of three scored; November: two of three."""
    scheme = Scheme.objects.get(code="STD-2026", status="published")
    s, i = "scored", "insufficient_data"
    _cards("2026-09", {dealer: s, other_dealer: s, far_dealer: s}, scheme)
    _cards("2026-10", {dealer: s, other_dealer: i, far_dealer: i}, scheme)
    _cards("2026-11", {dealer: s, other_dealer: s, far_dealer: i}, scheme)


def _default(user, today: date) -> str | None:
    found = default_period(visible_periods(user, today))
    return found.code if found else None


def test_the_default_month_is_the_latest_ended_month_with_at_least_half_scored(three_months, hq_manager):
    assert _default(hq_manager, date(2027, 1, 10)) == "2026-11"


def test_a_month_not_yet_ended_is_never_the_default_while_an_ended_one_qualifies(three_months, hq_manager):
    # On 20 November, November is still in progress although two of three are scored.
    assert _default(hq_manager, date(2026, 11, 20)) == "2026-09"


def test_a_month_with_fewer_than_half_scored_is_passed_over(three_months, hq_manager):
    periods = visible_periods(hq_manager, date(2026, 11, 20))
    october = next(p for p in periods if p.code == "2026-10")
    assert (october.scored, october.scorecards) == (1, 3)
    assert default_period(periods).code == "2026-09"
    assert october.in_progress  # newer than the default month


def test_the_threshold_is_a_setting(three_months, hq_manager, settings):
    settings.DEFAULT_PERIOD_MIN_SCORED_SHARE = 0.3
    assert _default(hq_manager, date(2026, 11, 20)) == "2026-10"
    settings.DEFAULT_PERIOD_MIN_SCORED_SHARE = 1.0
    assert _default(hq_manager, date(2027, 1, 10)) == "2026-09"


def test_the_share_counts_only_the_scorecards_in_the_users_scope(three_months, regional_manager):
    # 华东 (GL0001, GL0002): October is one of two scored, which is half.
    assert _default(regional_manager, date(2026, 11, 20)) == "2026-10"


def test_a_month_of_only_insufficient_data_is_never_the_default(dealer, hq_manager):
    scheme = Scheme.objects.get(code="STD-2026", status="published")
    _cards("2026-10", {dealer: "insufficient_data"}, scheme)
    assert _default(hq_manager, date(2027, 1, 10)) is None
    _cards("2026-09", {dealer: "scored"}, scheme)
    assert _default(hq_manager, date(2027, 1, 10)) == "2026-09"


def test_months_after_the_default_are_in_progress_with_their_report_due_date(three_months, hq_manager):
    periods = {p.code: p for p in visible_periods(hq_manager, date(2026, 12, 3))}
    assert not periods["2026-09"].in_progress
    assert not periods["2026-11"].in_progress  # ended, two of three scored: the default
    assert periods["2026-11"].due == date(2026, 12, 5)
    assert not periods["2026-11"].reports_overdue
    later = {p.code: p for p in visible_periods(hq_manager, date(2026, 12, 6))}
    assert later["2026-11"].reports_overdue


def test_survey_months_after_the_default_are_labelled_in_progress(three_months, hq_manager):
    today = date(2026, 12, 3)
    choices = {p.code: p for p in month_choices(Month(2026, 11), visible_periods(hq_manager, today), today)}
    assert choices["2026-12"].in_progress and not choices["2026-12"].ended
    assert not choices["2026-11"].in_progress
    assert choices["2026-12"].due == date(2027, 1, 5)
    assert len(choices) == 13


def test_a_default_month_older_than_the_newest_three_is_still_found(dealer, other_dealer, hq_manager):
    # Five months; the newest four are mostly insufficient data, so the months past the
    # first three counted are counted too, and the oldest is the default.
    scheme = Scheme.objects.get(code="STD-2026", status="published")
    _cards("2026-06", {dealer: "scored", other_dealer: "scored"}, scheme)
    for month in ("2026-07", "2026-08", "2026-09", "2026-10"):
        _cards(month, {dealer: "scored", other_dealer: "insufficient_data"}, scheme)
        Scorecard.objects.filter(period__code=month, dealer=dealer).update(status="insufficient_data")
    periods = {p.code: p for p in visible_periods(hq_manager, date(2027, 1, 10))}
    assert _default(hq_manager, date(2027, 1, 10)) == "2026-06"
    assert (periods["2026-07"].scorecards, periods["2026-07"].scored) == (2, 0)  # counted: in progress
    assert periods["2026-07"].in_progress and not periods["2026-06"].in_progress


def test_the_months_are_found_with_two_queries_whatever_the_history(
    dealer, other_dealer, hq_manager, django_assert_num_queries
):
    scheme = Scheme.objects.get(code="STD-2026", status="published")
    months = [str(Month(2025, 1).shift(i)) for i in range(20)]
    for month in months:
        _cards(month, {dealer: "scored", other_dealer: "scored"}, scheme)
    with django_assert_num_queries(2):
        periods = visible_periods(hq_manager, date(2027, 1, 10))
    assert [p.code for p in periods] == months[::-1]
    assert default_period(periods).code == months[-1]
    assert (periods[0].scorecards, periods[0].scored) == (2, 2)
    assert not any(p.in_progress for p in periods)


def test_the_rule_holds_for_a_month_ending_tomorrow(three_months, hq_manager):
    last_day = Month(2026, 11).last_day
    assert _default(hq_manager, last_day) == "2026-09"
    assert _default(hq_manager, last_day + timedelta(days=1)) == "2026-11"


def test_dealer_home_of_a_scored_month_still_names_a_report_that_is_not_approved(scored_months, dealer_user):
    dealer_user.dealer.submissions.filter(period=SCORED_MONTH).update(status="returned")
    response = client_for(dealer_user).get(reverse("assessments:dealer_home"))
    assert response.context["card"].status == "scored"
    assert response.context["state"].reasons == ["report"]
    body = _text(response)
    assert 'data-testid="why-no-score"' in body
    assert reverse("submissions:detail", args=[SCORED_MONTH, "GL0001"]) in body


def test_a_scorecard_of_the_month_in_progress_is_labelled_with_its_due_date(
    first_survey_of_a_new_month, hq_manager
):
    code = first_survey_of_a_new_month
    body = _text(client_for(hq_manager).get(reverse("assessments:scorecard", args=["GL0001", code])))
    assert 'data-testid="period-in-progress"' in body
    assert _due(code) in body
    october = _text(
        client_for(hq_manager).get(reverse("assessments:scorecard", args=["GL0001", SCORED_MONTH]))
    )
    assert 'data-testid="period-in-progress"' not in october
