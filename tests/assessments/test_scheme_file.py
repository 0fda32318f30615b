"""Loading a scheme file checks everything and lists every problem (scoring.md → Scheme file)."""

from __future__ import annotations

import copy
import json
from pathlib import Path

import pytest
from django.utils import translation

from assessments.kpis import BY_CODE
from assessments.scoring.scheme_file import SchemeFileError, parse_scheme

STD = json.loads(
    (Path(__file__).resolve().parents[2] / "assessments" / "data" / "scheme-std-2026.json").read_text("utf-8")
)


@pytest.fixture(autouse=True)
def in_english():
    """Problems are checked by their English wording; the last test checks the Chinese."""
    with translation.override("en"):
        yield


def broken(**changes: object) -> dict:
    data = copy.deepcopy(STD)
    data.update(changes)
    return data


def problems_of(data: object) -> list[str]:
    with pytest.raises(SchemeFileError) as caught:
        parse_scheme(data, BY_CODE)
    return caught.value.problems


def test_the_standard_scheme_parses_with_its_fifteen_kpis():
    spec = parse_scheme(STD, BY_CODE)
    assert spec.code == "STD-2026" and spec.effective_from == "2026-01" and len(spec.kpis) == 15
    assert sum(k.weight for k in spec.kpis) == 100


def test_an_unknown_kpi_code_is_rejected():
    data = broken(kpis=[*STD["kpis"], {"code": "happiness", "weight": 1}])
    assert any("happiness" in p for p in problems_of(data))


def test_a_negative_weight_is_rejected():
    data = copy.deepcopy(STD)
    data["kpis"][0]["weight"] = -1
    assert any("weight" in p for p in problems_of(data))


def test_all_weights_zero_is_rejected():
    data = copy.deepcopy(STD)
    for k in data["kpis"]:
        k["weight"] = 0
    assert any("at least one" in p for p in problems_of(data))


def test_floor_equal_to_target_is_rejected_for_a_weighted_threshold_kpi():
    data = copy.deepcopy(STD)
    data["kpis"][0]["floor"] = data["kpis"][0]["target"] = 90
    assert any("differ" in p for p in problems_of(data))


def test_bands_must_descend():
    assert any("descending" in p for p in problems_of(broken(grade_bands=[["A", 80], ["B", 90], ["D", 0]])))


@pytest.mark.parametrize("coverage", [-0.1, 1.5, "0.6", None])
def test_min_coverage_must_be_between_0_and_1(coverage):
    assert any("min_coverage" in p for p in problems_of(broken(min_coverage=coverage)))


def test_every_problem_is_listed_at_once():
    data = broken(min_coverage=2, effective_from="2026-13", grade_bands=[["A", 1], ["B", 5]])
    assert len(problems_of(data)) >= 3


def test_a_relative_kpi_needs_no_floor_or_target():
    data = copy.deepcopy(STD)
    data["kpis"][0] = {"code": "certified_staff_rate", "weight": 8, "method": "relative", "min_sample": 1}
    assert parse_scheme(data, BY_CODE).kpis[0].method == "relative"


def test_a_file_round_trips_through_its_json_form():
    spec = parse_scheme(STD, BY_CODE)
    assert parse_scheme(spec.as_json(), BY_CODE) == spec


@pytest.mark.parametrize(
    "kpis",
    [
        [{"code": {"nested": 1}, "weight": 1}],
        [{"code": "csat", "weight": 10**400, "floor": 1, "target": 2}],
        [{"code": "csat", "weight": 1, "floor": 1, "target": 2, "min_sample": 10**12}],
    ],
)
def test_hostile_values_give_a_problem_not_a_crash(kpis):
    assert problems_of(broken(kpis=kpis))


def test_names_and_grades_longer_than_their_columns_are_rejected():
    assert any("name" in p for p in problems_of(broken(name="x" * 201)))
    assert any("grade_bands" in p for p in problems_of(broken(grade_bands=[["EXCELLENT", 90], ["D", 0]])))


def test_problems_are_reported_in_the_users_language():
    with translation.override("zh-hans"):
        problems = problems_of(broken(min_coverage=2))
    assert any(
        "min_coverage" in p and "0" in p and p != "min_coverage: must be a number from 0 to 1."
        for p in problems
    )
