"""Rules and schemes carry a name per language; a rule's parameters read as a sentence."""

from __future__ import annotations

import importlib

import pytest
from django.apps import apps as django_apps
from django.utils import translation

from assessments.kpis import BY_CODE
from assessments.models import Scheme
from assessments.scoring.scheme_file import parse_scheme
from assessments.services.schemes import scheme_as_file, scheme_create
from incentives.defaults import BILINGUAL_NAMES, DEFAULT_LADDER
from incentives.models import IncentiveAction, IncentiveRule
from incentives.sentences import condition_sentence
from tests.conftest import client_for

ladder_migration = importlib.import_module("incentives.migrations.0008_labels_in_both_languages")
scheme_migration = importlib.import_module("assessments.migrations.0012_labels_in_both_languages")


def in_language(language: str, fn, *args):
    with translation.override(language):
        return str(fn(*args))


@pytest.mark.django_db
def test_the_default_rules_are_named_in_chinese_for_chinese_readers_and_in_english_for_english_ones():
    rule = IncentiveRule.objects.get(condition="top_percent")

    assert in_language("zh-hans", lambda: rule.display_name) == "全国前10%奖励"
    assert in_language("en", lambda: rule.display_name) == "Top 10 % nationally → bonus"


@pytest.mark.django_db
def test_a_rule_named_only_in_chinese_shows_its_chinese_name_to_english_readers():
    rule = IncentiveRule.objects.create(
        name="区域前三荣誉", condition="rank_at_most", params={"rank": 3}, action_type="honour"
    )

    assert in_language("en", lambda: rule.display_name) == "区域前三荣誉"


@pytest.mark.parametrize(
    ("condition", "params", "english"),
    [
        ("top_percent", {"percent": 10, "scope": "national"}, "In the top 10 % nationally"),
        ("top_percent", {"percent": 5, "scope": "region"}, "In the top 5 % of its region"),
        ("rank_at_most", {"rank": 1, "scope": "region"}, "First in its region"),
        ("rank_at_most", {"rank": 3}, "Ranked 3 or better nationally"),
        ("grade", {"grades": ["D"], "months": 1}, "Graded D"),
        ("grade", {"grades": ["C", "D"], "months": 2}, "Graded C, D, 2 months running"),
        (
            "kpi_value",
            {"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3},
            "Complaint rate above 8 ‰, 3 months running",
        ),
        (
            "kpi_score",
            {"kpi": "csat", "op": "<", "value": 60.5},
            "Score of Customer satisfaction (CSAT) below 60.5 points",
        ),
        ("veto", {}, "A veto (一票否决) is recorded for the month"),
    ],
)
def test_each_condition_reads_as_a_sentence(condition, params, english):
    assert in_language("en", condition_sentence, condition, params) == english


def test_the_chinese_sentence_names_the_kpi_and_the_limit_in_chinese():
    sentence = in_language(
        "zh-hans",
        condition_sentence,
        "kpi_value",
        {"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3},
    )

    assert BY_CODE["complaint_rate"].name_zh in sentence
    assert "8" in sentence and "3" in sentence
    assert "complaint_rate" not in sentence and "months" not in sentence


def test_parameters_a_sentence_cannot_read_show_as_plain_values_not_an_error():
    assert in_language("en", condition_sentence, "grade", {"grade": "D"}) == "grade = D"


@pytest.mark.django_db
def test_the_rules_page_shows_sentences_not_python_dicts(hq_manager):
    client = client_for(hq_manager)
    client.cookies["django_language"] = "zh-hans"

    html = client.get("/incentives/rules/").content.decode()

    assert "全国前10%奖励" in html and "Top 10 % nationally" not in html
    assert "{&#x27;" not in html and "{'" not in html and '"percent"' not in html
    assert (
        in_language("zh-hans", condition_sentence, "top_percent", {"percent": 10, "scope": "national"})
        in html
    )


@pytest.mark.django_db
def test_the_migration_splits_the_first_ladders_bilingual_names_and_keeps_proposals_readable(dealer):
    bilingual, (chinese, english) = next(iter(BILINGUAL_NAMES.items()))
    IncentiveRule.objects.all().delete()
    rule = IncentiveRule.objects.create(
        name=bilingual, condition="top_percent", params={"percent": 10}, action_type="bonus"
    )
    action = IncentiveAction.objects.create(
        dealer=dealer, period="2026-10", action_type="bonus", reason=bilingual, rule=rule, origin_key="rule:1"
    )

    ladder_migration.split_bilingual_names(django_apps, None)

    rule.refresh_from_db()
    action.refresh_from_db()
    assert (rule.name, rule.name_en) == (chinese, english)
    assert action.reason == chinese
    assert in_language("en", lambda: action.reason_text) == english


@pytest.mark.django_db
def test_a_reason_a_person_wrote_is_shown_as_written(dealer):
    rule = IncentiveRule.objects.get(condition="top_percent")
    action = IncentiveAction.objects.create(
        dealer=dealer,
        period="2026-10",
        action_type="bonus",
        reason="人工补发",
        rule=rule,
        origin_key="manual:1",
    )

    assert in_language("en", lambda: action.reason_text) == "人工补发"


def test_the_default_ladder_has_both_names_for_every_rule():
    assert all(rule["name"] and rule["name_en"] for rule in DEFAULT_LADDER)
    assert all(
        not any("a" <= ch.lower() <= "z" for ch in rule["name"].replace("D", "")) for rule in DEFAULT_LADDER
    )


@pytest.mark.django_db
def test_the_standard_scheme_is_named_in_both_languages():
    scheme = Scheme.objects.get(code="STD-2026", version=1)

    assert in_language("zh-hans", lambda: scheme.display_name) == "2026年标准考核方案"
    assert in_language("en", lambda: scheme.display_name) == "2026 standard assessment"


@pytest.mark.django_db
def test_a_scheme_files_english_name_is_kept_through_a_new_version(hq_admin):
    data = scheme_as_file(Scheme.objects.get(code="STD-2026", version=1))
    data["name_en"] = "2027 assessment"
    data["name"] = "2027年考核方案"

    scheme = scheme_create(spec=parse_scheme(data, BY_CODE), actor=hq_admin)

    assert (scheme.name, scheme.name_en) == ("2027年考核方案", "2027 assessment")
    assert scheme_as_file(scheme)["name_en"] == "2027 assessment"


def test_a_scheme_file_without_an_english_name_still_parses_and_writes_none():
    data = {
        "code": "X",
        "name": "考核",
        "effective_from": "2026-01",
        "min_coverage": 0.5,
        "grade_bands": [["A", 90]],
        "kpis": [{"code": "csat", "weight": 1, "method": "relative"}],
    }

    spec = parse_scheme(data, BY_CODE)

    assert spec.name_en == ""
    assert "name_en" not in spec.as_json()
