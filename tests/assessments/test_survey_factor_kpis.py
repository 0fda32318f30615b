"""The five service-quality factor KPIs (scoring.md → survey_reception … survey_timeliness):
values, sample sizes, a scheme that weights them, their drill-downs and the scheme editor."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.urls import reverse

from assessments.kpis import BY_CODE, ENTRIES, kpi_measurements, records
from assessments.models import Kpi, Scheme, Scorecard
from assessments.periods import Month
from assessments.serializers_json import scorecard_as_json
from assessments.services.publishing import scheme_load
from assessments.services.recompute import period_recompute

from ..conftest import client_for
from ..factories import SurveyResponseFactory, local

OCT = Month(2026, 10)
FACTORS = (
    "survey_reception",
    "survey_diagnosis",
    "survey_repair_quality",
    "survey_attitude",
    "survey_timeliness",
)

# (overall, reception, diagnosis, repair_quality, attitude, timeliness); None: not answered
ANSWERS = (
    (5, 5, 4, 3, None, 1),
    (3, 4, None, 5, 2, 2),
    (4, 3, 2, 4, 4, 5),
)
# By hand: the mean of 25 × (answer − 1) over the responses that answered, and how many did.
EXPECTED = {
    "survey_reception": ((100 + 75 + 50) / 3, 3),
    "survey_diagnosis": ((75 + 25) / 2, 2),
    "survey_repair_quality": ((50 + 100 + 75) / 3, 3),
    "survey_attitude": ((25 + 75) / 2, 2),
    "survey_timeliness": ((0 + 25 + 100) / 3, 3),
}


def _responses(dealer):
    for i, (overall, reception, diagnosis, repair_quality, attitude, timeliness) in enumerate(ANSWERS):
        SurveyResponseFactory(
            dealer=dealer,
            responded_at=local(f"2026-10-{10 + i} 10:00"),
            overall=overall,
            reception=reception,
            diagnosis=diagnosis,
            repair_quality=repair_quality,
            attitude=attitude,
            timeliness=timeliness,
        )
    # Excluded for integrity, and answered in another month: counted in neither.
    SurveyResponseFactory(
        dealer=dealer,
        overall=1,
        reception=1,
        diagnosis=1,
        repair_quality=1,
        attitude=1,
        timeliness=1,
        excluded=True,
    )
    SurveyResponseFactory(dealer=dealer, responded_at=local("2026-11-01 00:00"), overall=1, reception=1)


def test_the_factor_kpis_are_in_the_catalogue_as_the_rulebook_lists_them():
    assert [BY_CODE[c].dimension for c in FACTORS] == ["quality"] * 4 + ["efficiency"]
    assert all(BY_CODE[c].tier == "result" and BY_CODE[c].direction == "higher" for c in FACTORS)
    assert all(BY_CODE[c].unit == "pts" for c in FACTORS)


@pytest.mark.django_db
def test_the_kpi_table_the_pages_and_api_read_says_what_the_registry_says():
    # The table is synced from the registry after every migrate (assessments.apps).
    table = {k.code: k for k in Kpi.objects.all()}
    assert list(table) == list(BY_CODE)  # in the catalogue's order
    for code, facts in BY_CODE.items():
        row = table[code]
        assert (row.name_zh, row.name_en, row.tier, row.dimension, row.unit, row.direction) == (
            facts.name_zh,
            facts.name_en,
            facts.tier,
            facts.dimension,
            facts.unit,
            facts.direction,
        ), code
        assert (row.definition_zh, row.definition_en) == (facts.definition_zh, facts.definition_en), code


@pytest.mark.django_db
def test_each_factor_is_the_mean_points_over_the_responses_that_answered_it(dealer):
    _responses(dealer)
    values = kpi_measurements(OCT)[dealer.pk].values
    for code, (value, n) in EXPECTED.items():
        assert values[code][1] == n
        assert values[code][0] == pytest.approx(value, abs=1e-12)
    # CSAT still counts every response, answered factors or not
    assert values["csat"] == (pytest.approx((100 + 50 + 75) / 3), 3)


@pytest.mark.django_db
def test_a_factor_nobody_answered_is_empty_with_n_zero(dealer):
    SurveyResponseFactory(dealer=dealer, overall=4)
    values = kpi_measurements(OCT)[dealer.pk].values
    assert all(values[code] == (None, 0) for code in FACTORS)


@pytest.mark.django_db
def test_a_scheme_that_weights_the_five_factors_scores_them_by_the_rulebook(dealer):
    _responses(dealer)
    weights = dict(zip(FACTORS, (10, 20, 30, 25, 15), strict=True))
    scheme_load(
        data={
            "code": "SQ-2026",
            "name": "Service quality factors",
            "effective_from": "2026-10",
            "min_coverage": 0.6,
            "grade_bands": [["A", 90], ["B", 80], ["C", 70], ["D", 0]],
            "major_complaint_deduction": {"per_item": 2, "cap": 10},
            "kpis": [
                {"code": c, "weight": w, "method": "threshold", "floor": 40, "target": 90, "min_sample": 1}
                for c, w in weights.items()
            ],
        },
        publish=True,
    )
    period_recompute("2026-10")
    card = Scorecard.objects.get(dealer=dealer, period__code="2026-10")
    reported = scorecard_as_json(card)
    results = {k["code"]: k for k in reported["kpis"]}
    # s = 100 × clamp((v − 40) / 50, 0, 1): 70, 20, 70, 20 and 10/3 points
    scores = {code: 100 * min(1, max(0, (v - 40) / 50)) for code, (v, _n) in EXPECTED.items()}
    for code in FACTORS:
        assert results[code]["value"] == pytest.approx(round(EXPECTED[code][0], 4), abs=1e-9)
        assert results[code]["sample_size"] == EXPECTED[code][1]
        assert results[code]["score"] == pytest.approx(round(scores[code], 2), abs=1e-9)
        assert results[code]["contribution"] == pytest.approx(
            round(weights[code] * scores[code] / 100, 2), abs=1e-9
        )
    # weighted = (10·70 + 20·20 + 30·70 + 25·20 + 15·10/3) / 100 = 37.5
    assert reported["total_score"] == 37.5 and card.total_score == Decimal("37.50")
    assert reported["tier_scores"]["result"] == 37.5
    assert card.grade == "D"


@pytest.mark.django_db
def test_a_factor_drill_down_lists_the_responses_that_answered_it_and_flags_low_ones(dealer, hq_manager):
    _responses(dealer)
    found = records(hq_manager, dealer, OCT, "survey_attitude")
    rows = list(found.rows)
    assert sorted(r["attitude"] for r in rows) == [2, 4]
    assert [r["flagged"] for r in rows] == [True, False]  # 2 is dissatisfied, listed first
    assert {c.key for c in found.columns} >= {"attitude", "factor_points", "overall"}


@pytest.mark.django_db
def test_every_kpi_of_the_registry_has_a_drill_down_page(dealer, hq_manager):
    _responses(dealer)
    period_recompute("2026-10")  # under STD-2026, which tracks none of the factors
    for code in ENTRIES:
        url = reverse("assessments:kpi_drilldown", args=[dealer.code, "2026-10", code])
        assert client_for(hq_manager).get(url).status_code == 200, code


@pytest.mark.django_db
def test_the_scheme_editor_offers_the_factor_kpis_to_weight(hq_admin):
    std = Scheme.objects.get(code="STD-2026")
    page = client_for(hq_admin).post(reverse("schemes:new_draft", args=[std.pk]), follow=True)
    text = page.content.decode()
    assert page.status_code == 200
    for code in FACTORS:
        assert code in text


@pytest.mark.django_db
def test_the_what_if_preview_of_a_factor_scheme_equals_recomputing_under_it(dealer, other_dealer):
    from assessments.services.preview import scheme_preview
    from assessments.services.schemes import scheme_as_file

    _responses(dealer)
    SurveyResponseFactory(dealer=other_dealer, overall=2, reception=2, attitude=5)
    period_recompute("2026-10")  # scored under STD-2026, which stores no factor values
    data = scheme_as_file(Scheme.objects.get(code="STD-2026"))
    data = {**data, "code": "STD-SQ", "effective_from": "2026-10", "min_coverage": 0.1}
    data["kpis"] = [*data["kpis"], {"code": "survey_reception", "weight": 20, "floor": 40, "target": 90}]
    draft = scheme_load(data=data, publish=False)
    preview = {
        row.dealer_code: row.draft_total for row in scheme_preview(draft=draft, period_code="2026-10").rows
    }
    # when the same scheme is published and the month recomputed
    scheme_load(data=data, publish=True)
    period_recompute("2026-10")
    recomputed = dict(
        Scorecard.objects.filter(period__code="2026-10").values_list("dealer__code", "total_score")
    )
    assert preview == recomputed
    assert recomputed[dealer.code] is not None


@pytest.mark.django_db
def test_a_factor_outside_the_months_scheme_shows_its_measured_value_on_its_drill_down(dealer, hq_manager):
    _responses(dealer)
    period_recompute("2026-10")  # STD-2026 stores no result for the factors
    url = reverse("assessments:kpi_drilldown", args=[dealer.code, "2026-10", "survey_attitude"])
    page = client_for(hq_manager).get(url).content.decode()
    assert 'data-testid="measured-value">50.00<' in page  # (25 + 75) / 2
    assert 'data-testid="not-in-scheme"' in page


def test_every_kpi_of_the_registry_names_its_remedy_for_a_rectification_order():
    from datetime import date

    from incentives.rectification_templates import tasks_for

    for code, entry in ENTRIES.items():
        assert str(entry.remedy), code
    # a rectification order that names a factor starts with its remedy among its tasks
    titles = [title for title, _due in tasks_for(["survey_attitude"], date(2026, 11, 5), date(2026, 12, 5))]
    assert str(ENTRIES["survey_attitude"].remedy) in titles
