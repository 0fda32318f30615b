"""What drives overall satisfaction: per factor n, mean, r, slope and gap on the 0–100 scale; scope."""

from __future__ import annotations

import csv
import io
import math

import pytest
from django.test import override_settings
from django.urls import reverse

from assessments.periods import Month
from surveys.selectors import factor_drivers
from tests.conftest import client_for
from tests.factories import DealerFactory, SurveyResponseFactory, local

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


def by_name(drivers):
    return {d.name: d for d in drivers}


def test_a_factor_equal_to_overall_has_r_one_and_slope_one(hq_manager, dealer):
    for score in [1, 2, 3, 4, 5, 5]:
        SurveyResponseFactory(dealer=dealer, overall=score, reception=score)

    reception = by_name(factor_drivers(hq_manager, OCTOBER, min_sample=2))["reception"]

    assert reception.n == 6
    assert reception.r == pytest.approx(1.0)
    assert reception.slope == pytest.approx(1.0) and reception.slope_per_10 == pytest.approx(10.0)
    assert reception.mean == pytest.approx(25 * (20 / 6 - 1))
    # Overall 4–5 among those scoring 4–5 (4, 5, 5 → 75, 100, 100); 1–3 among 1–3 (0, 25, 50).
    assert reception.mean_overall_high == pytest.approx(275 / 3)
    assert reception.mean_overall_low == pytest.approx(25.0)
    assert reception.gap == pytest.approx(275 / 3 - 25)


def test_r_and_slope_match_a_hand_computed_regression_on_the_0_100_scale(hq_manager, dealer):
    pairs = [(2, 3), (3, 3), (4, 5), (5, 4), (1, 2), (4, 4)]
    for factor, overall in pairs:
        SurveyResponseFactory(dealer=dealer, overall=overall, attitude=factor)
    xs = [25 * (f - 1) for f, _ in pairs]
    ys = [25 * (o - 1) for _, o in pairs]
    mx, my = sum(xs) / 6, sum(ys) / 6
    sxy = sum((x - mx) * (y - my) for x, y in zip(xs, ys, strict=True))
    sxx = sum((x - mx) ** 2 for x in xs)
    syy = sum((y - my) ** 2 for y in ys)

    attitude = by_name(factor_drivers(hq_manager, OCTOBER, min_sample=2))["attitude"]

    assert attitude.slope == pytest.approx(sxy / sxx)
    assert attitude.r == pytest.approx(sxy / math.sqrt(sxx * syy))


def test_a_factor_with_one_answer_for_all_has_no_slope_and_no_r(hq_manager, dealer):
    for overall in [1, 3, 5]:
        SurveyResponseFactory(dealer=dealer, overall=overall, timeliness=4)

    timeliness = by_name(factor_drivers(hq_manager, OCTOBER, min_sample=2))["timeliness"]

    assert (timeliness.slope, timeliness.r, timeliness.no_spread) == (None, None, True)
    assert timeliness.mean == pytest.approx(75.0)


def test_an_overall_with_one_answer_for_all_gives_a_flat_slope_and_no_r(hq_manager, dealer):
    for factor in [1, 3, 5]:
        SurveyResponseFactory(dealer=dealer, overall=4, diagnosis=factor)

    diagnosis = by_name(factor_drivers(hq_manager, OCTOBER, min_sample=2))["diagnosis"]

    assert (diagnosis.slope, diagnosis.r, diagnosis.no_spread) == (0.0, None, True)


def test_unanswered_factors_and_excluded_responses_count_in_nothing(hq_manager, dealer):
    SurveyResponseFactory(dealer=dealer, overall=5, reception=5)
    SurveyResponseFactory(dealer=dealer, overall=1, reception=1)
    SurveyResponseFactory(dealer=dealer, overall=3)  # no reception answer
    SurveyResponseFactory(dealer=dealer, overall=1, reception=5, excluded=True, excluded_reason="fraud")

    drivers = by_name(factor_drivers(hq_manager, OCTOBER, min_sample=2))

    assert drivers["reception"].n == 2 and drivers["reception"].r == pytest.approx(1.0)
    assert drivers["repair_quality"].n == 0
    assert (drivers["repair_quality"].mean, drivers["repair_quality"].slope) == (None, None)


def test_the_window_is_the_twelve_months_up_to_the_month_shown(hq_manager, dealer):
    SurveyResponseFactory(dealer=dealer, overall=5, reception=5, responded_at=local("2025-11-01 00:00"))
    SurveyResponseFactory(dealer=dealer, overall=1, reception=1, responded_at=local("2025-10-31 23:59"))
    SurveyResponseFactory(dealer=dealer, overall=1, reception=1, responded_at=local("2026-11-01 00:00"))
    SurveyResponseFactory(dealer=dealer, overall=2, reception=2)

    assert by_name(factor_drivers(hq_manager, OCTOBER))["reception"].n == 2


def test_fewer_answers_than_the_minimum_are_flagged_and_sorted_last(hq_manager, dealer):
    for score in [1, 2, 3, 4, 5]:
        SurveyResponseFactory(dealer=dealer, overall=score, reception=score, attitude=score)
    for score in [4, 5, 4, 5, 1, 2]:
        SurveyResponseFactory(dealer=dealer, overall=score, attitude=6 - score)  # against overall

    with override_settings(SURVEY_FACTOR_MIN_SAMPLE=6):
        drivers = factor_drivers(hq_manager, OCTOBER)

    named = by_name(drivers)
    assert named["reception"].too_few and not named["attitude"].too_few
    assert drivers[0].name == "attitude"
    assert drivers[-1].name in {"reception", "diagnosis", "repair_quality", "timeliness"}


def test_factors_with_enough_answers_are_sorted_by_slope_steepest_first(hq_manager, dealer):
    for score in [1, 2, 3, 4, 5]:
        SurveyResponseFactory(
            dealer=dealer,
            overall=score,
            reception=score,
            attitude=min(5, score + 1),
            timeliness=5 - score // 2,
        )

    drivers = [d for d in factor_drivers(hq_manager, OCTOBER, min_sample=5) if d.slope is not None]

    assert [d.slope for d in drivers] == sorted((d.slope for d in drivers), reverse=True)
    assert drivers[-1].name == "timeliness" and drivers[-1].slope < 0


def test_a_dealer_user_sees_only_its_dealers_figures(dealer_user, dealer, other_dealer):
    for score in [1, 5]:
        SurveyResponseFactory(dealer=dealer, overall=score, reception=score)
    for score in [1, 5, 3]:
        SurveyResponseFactory(dealer=other_dealer, overall=score, reception=6 - score)

    reception = by_name(factor_drivers(dealer_user, OCTOBER, min_sample=2))["reception"]

    assert reception.n == 2 and reception.r == pytest.approx(1.0)


def test_a_regional_manager_sees_only_their_regions_figures(
    regional_manager, other_regional_manager, dealer, other_dealer, far_dealer
):
    for d in (dealer, other_dealer):
        SurveyResponseFactory(dealer=d, overall=5, reception=5)
        SurveyResponseFactory(dealer=d, overall=1, reception=1)
    for score in [1, 5, 3]:
        SurveyResponseFactory(dealer=far_dealer, overall=score, reception=6 - score)

    mine = by_name(factor_drivers(regional_manager, OCTOBER, min_sample=2))["reception"]
    theirs = by_name(factor_drivers(other_regional_manager, OCTOBER, min_sample=2))["reception"]

    assert mine.n == 4 and mine.r == pytest.approx(1.0)
    assert theirs.n == 3 and theirs.r == pytest.approx(-1.0)


@pytest.mark.parametrize("count", [3, 40])
def test_the_factor_figures_take_one_query_whatever_the_number_of_responses(
    hq_manager, dealer, count, django_assert_num_queries
):
    for n in range(count):
        SurveyResponseFactory(dealer=dealer, overall=1 + n % 5, reception=1 + n % 3, attitude=1 + n % 4)

    with django_assert_num_queries(1):
        factor_drivers(hq_manager, OCTOBER)


def test_the_results_page_runs_as_many_queries_with_many_responses_as_with_few(
    hq_manager, django_assert_num_queries
):
    dealer = DealerFactory()
    SurveyResponseFactory(dealer=dealer, overall=3, reception=3)
    client = client_for(hq_manager)
    client.get(reverse("surveys:results"), {"period": "2026-10"})  # warm the session
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    with CaptureQueriesContext(connection) as few:
        client.get(reverse("surveys:results"), {"period": "2026-10"})
    for n in range(40):
        SurveyResponseFactory(dealer=dealer, overall=1 + n % 5, reception=1 + n % 5, diagnosis=1 + n % 2)

    with django_assert_num_queries(len(few.captured_queries)):
        page = client.get(reverse("surveys:results"), {"period": "2026-10"})

    assert by_name(d for d, _label in page.context["factors"])["reception"].n == 41


@pytest.mark.parametrize("language", ["en", "zh-hans"])
def test_the_results_page_shows_the_factor_section_with_its_method(hq_manager, dealer, language):
    for score in [1, 2, 3, 4, 5]:
        SurveyResponseFactory(dealer=dealer, overall=score, reception=score)
    client = client_for(hq_manager)
    client.cookies["django_language"] = language

    page = client.get(reverse("surveys:results"), {"period": "2026-10"}, HTTP_ACCEPT_LANGUAGE=language)

    html = page.content.decode()
    assert page.status_code == 200
    assert 'data-testid="factor-table"' in html and 'data-testid="factor-method"' in html
    assert 'data-testid="factor-reception"' in html and 'data-testid="too-few"' in html
    heading = "What drives overall satisfaction" if language == "en" else "各因素对总体满意度的影响"
    assert heading in html


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_factor_export_gives_one_row_per_factor(hq_manager, dealer, fmt):
    for score in [1, 2, 3, 4, 5]:
        SurveyResponseFactory(dealer=dealer, overall=score, reception=score)

    export = client_for(hq_manager).get(reverse("surveys:factors_export", args=[fmt]), {"period": "2026-10"})

    assert export.status_code == 200
    assert export["Content-Disposition"].endswith(f'.{fmt}"')
    if fmt == "csv":
        rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
        assert len(rows) == 1 + 5
        reception = next(r for r in rows if "Reception" in r or "接待" in r)
        assert reception[3] == "5" and reception[6] == "10.0"


def test_a_dealer_exports_only_its_own_factor_figures(dealer_user, dealer, other_dealer):
    SurveyResponseFactory(dealer=dealer, overall=5, reception=5)
    SurveyResponseFactory(dealer=other_dealer, overall=1, reception=1)

    export = client_for(dealer_user).get(
        reverse("surveys:factors_export", args=["csv"]), {"period": "2026-10"}
    )

    rows = list(csv.reader(io.StringIO(export.content.decode("utf-8-sig"))))
    reception = next(r for r in rows[1:] if r[3] != "0")
    assert reception[3] == "1"
