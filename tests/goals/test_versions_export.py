"""A goal's "Versions" table exports (issue #20): a row per changed term with its value before
and after (a target as a number), the saving time as a time, the reader's language, the goal's
scope (outside it 404)."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from goals.choices import GroupKind
from goals.services import GoalTerms, goal_revise
from tests.conftest import client_for

from .conftest import make_goal
from .test_services import SEES

pytestmark = pytest.mark.django_db

FORMULA = '=HYPERLINK("http://evil.example","x")'


def _url(goal, fmt: str) -> str:
    return reverse("goals:versions_export", args=[goal.pk, fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def _revise(goal, actor, **changes):
    terms = {
        "kpi_code": goal.kpi_code,
        "group_kind": goal.group_kind,
        "region": goal.region,
        "dealer": goal.dealer,
        "city_tier": goal.city_tier,
        "month_from": goal.month_from,
        "month_to": goal.month_to,
        "kind": goal.kind,
        "target": goal.target,
        "owner": goal.owner,
        "note": goal.note,
        **changes,
    }
    return goal_revise(goal=goal, terms=GoalTerms(**terms), actor=actor)


def test_a_goals_versions_export_as_shown_in_the_readers_language(cast):
    goal = make_goal(cast["hq_manager"], actor=cast["hq_admin"])
    goal = _revise(goal, cast["hq_admin"], target=1.8, note="二季度收紧")
    client = client_for(cast["hq_manager"])

    chinese = _csv(client.get(_url(goal, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url(goal, "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][0] == "版本" and chinese[0][4:] == ["变更前", "变更后"]
    assert english[0] == ["Version", "Saved at", "By", "What changed", "Before", "After"]
    changed = {row[3]: row for row in english[1:] if row[0] == 2}
    assert changed["target"][4:] == [2, 1.8]  # numbers, as saved
    assert changed["note"][4:] == [None, "二季度收紧"]
    assert changed["target"][2] == "hq_admin" and isinstance(changed["target"][1], datetime)
    assert english[-1][0] == 1 and english[-1][3:] == ["Created", None, None]  # newest first, as listed
    assert chinese[-1][3] != "Created"
    page = client.get(reverse("goals:detail", args=[goal.pk])).content.decode()
    assert f'href="/goals/{goal.pk}/versions/export.xlsx"' in page


@pytest.mark.parametrize("role", list(SEES))
def test_a_goals_versions_export_is_404_outside_the_scope(role, cast, goals):
    client = client_for(cast[role])

    for name, goal in goals.items():
        expected = 200 if name in SEES[role] else 404
        assert client.get(_url(goal, "csv")).status_code == expected, name


def test_the_versions_export_neutralises_a_note_written_like_a_formula(cast):
    goal = make_goal(cast["hq_manager"], actor=cast["hq_admin"])
    goal = _revise(goal, cast["hq_admin"], note=FORMULA)

    rows = _csv(client_for(cast["hq_manager"]).get(_url(goal, "csv")))

    assert rows[1][3:] == ["note", "", "'" + FORMULA]


def test_the_versions_export_costs_the_same_queries_for_many_versions(
    cast, east, django_assert_max_num_queries
):
    goal = make_goal(cast["hq_manager"], actor=cast["hq_admin"], group_kind=GroupKind.REGION, region=east)
    for i in range(8):
        goal = _revise(goal, cast["hq_admin"], target=2.0 - i / 10)
    client = client_for(cast["hq_manager"])

    with django_assert_max_num_queries(4):  # session, user, the goal, its versions with who saved them
        assert client.get(_url(goal, "xlsx")).status_code == 200
