"""Survey results per dealer per month: n, means, CSAT and NPS with 95 % intervals; scope."""

from __future__ import annotations

import math

import pytest
from django.urls import reverse

from assessments.kpis import kpi_measurements
from assessments.periods import Month
from surveys.rules import csat_interval, nps_interval
from surveys.selectors import survey_results
from tests.conftest import client_for
from tests.factories import SurveyResponseFactory, local

pytestmark = pytest.mark.django_db
OCTOBER = Month.parse("2026-10")


def test_csat_interval_is_mean_plus_minus_1_96_sample_sd_over_root_n():
    overall = [5, 4, 4, 3, 5]
    scores = [25 * (x - 1) for x in overall]
    mean = sum(scores) / 5
    sd = math.sqrt(sum((s - mean) ** 2 for s in scores) / 4)

    interval = csat_interval(5, sum(overall), sum(x * x for x in overall))

    assert interval.value == pytest.approx(mean)
    assert interval.low == pytest.approx(mean - 1.96 * sd / math.sqrt(5))
    assert interval.high == pytest.approx(min(100, mean + 1.96 * sd / math.sqrt(5)))


def test_nps_interval_uses_the_variance_of_plus_one_zero_minus_one_scores():
    # 6 promoters, 3 passives, 1 detractor: NPS 50; variance 0.6 + 0.1 − 0.5² = 0.45.
    interval = nps_interval(10, 6, 1)

    assert interval.value == pytest.approx(50.0)
    assert interval.half_width == pytest.approx(1.96 * 100 * math.sqrt(0.45 / 10))


def test_one_response_has_a_value_but_no_interval_and_none_has_neither():
    assert csat_interval(1, 5, 25).value == 100.0 and csat_interval(1, 5, 25).low is None
    assert csat_interval(0, 0, 0).value is None and nps_interval(0, 0, 0).value is None


def test_the_interval_stays_within_the_scale():
    interval = csat_interval(2, 10, 50)  # both 5: no spread

    assert (interval.low, interval.value, interval.high) == (100.0, 100.0, 100.0)


def test_results_per_dealer_match_the_csat_and_nps_of_the_scoring_engine(hq_manager, dealer, other_dealer):
    for overall, nps in [(5, 10), (4, 9), (2, 3), (3, None)]:
        SurveyResponseFactory(dealer=dealer, overall=overall, nps=nps, reception=overall)
    SurveyResponseFactory(dealer=dealer, overall=1, nps=0, excluded=True, excluded_reason="fraud")
    SurveyResponseFactory(dealer=other_dealer, overall=5, nps=10)
    SurveyResponseFactory(dealer=dealer, overall=1, responded_at=local("2026-11-01 00:00"))  # November

    rows, total = survey_results(hq_manager, OCTOBER)

    engine = kpi_measurements(OCTOBER)
    mine = next(r for r in rows if r.dealer == dealer)
    assert (mine.n, mine.csat.value, mine.nps.value, mine.nps.n) == (
        4,
        engine[dealer.pk].values["csat"][0],
        engine[dealer.pk].values["nps"][0],
        3,
    )
    assert mine.mean_overall == pytest.approx(3.5)
    assert mine.dimensions["reception"] == pytest.approx(3.5)
    assert total.n == 5


def test_a_dealer_sees_only_its_own_results(dealer_user, dealer, other_dealer):
    SurveyResponseFactory(dealer=dealer, overall=4)
    SurveyResponseFactory(dealer=other_dealer, overall=2, comment="SECRET-OTHER")

    rows, total = survey_results(dealer_user, OCTOBER)
    page = client_for(dealer_user).get(reverse("surveys:results"), {"period": "2026-10"})

    assert [r.dealer for r in rows] == [dealer] and total.n == 1
    assert b"GL0002" not in page.content


def test_the_dealer_page_lists_the_months_responses_with_excluded_ones_marked(dealer_user, dealer):
    SurveyResponseFactory(dealer=dealer, response_id="R-COUNTED", overall=4)
    SurveyResponseFactory(dealer=dealer, response_id="R-OUT", overall=1, excluded=True, excluded_reason="x")

    page = client_for(dealer_user).get(
        reverse("surveys:dealer_results", args=["GL0001"]), {"period": "2026-10"}
    )

    assert page.status_code == 200
    assert page.context["result"].n == 1
    assert b"R-COUNTED" in page.content and b"R-OUT" in page.content


def test_another_dealers_results_page_is_not_found(dealer_user, other_dealer):
    SurveyResponseFactory(dealer=other_dealer)

    page = client_for(dealer_user).get(
        reverse("surveys:dealer_results", args=["GL0002"]), {"period": "2026-10"}
    )

    assert page.status_code == 404


def test_the_results_page_runs_a_fixed_number_of_queries(hq_manager, django_assert_max_num_queries):
    from tests.factories import DealerFactory

    for n in range(12):
        SurveyResponseFactory(dealer=DealerFactory(), overall=1 + n % 5)
    client = client_for(hq_manager)
    client.get(reverse("surveys:results"), {"period": "2026-10"})  # warm the session

    with django_assert_max_num_queries(8):
        page = client.get(reverse("surveys:results"), {"period": "2026-10"})

    assert len(page.context["rows"]) == 12


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_results_export_in_csv_and_xlsx(hq_manager, dealer, fmt):
    SurveyResponseFactory(dealer=dealer, overall=4, comment="=HYPERLINK()")

    export = client_for(hq_manager).get(reverse("surveys:results_export", args=[fmt]), {"period": "2026-10"})

    assert export.status_code == 200
    assert export["Content-Disposition"].endswith(f'.{fmt}"')
