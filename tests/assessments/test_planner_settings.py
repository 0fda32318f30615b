"""Planner switches for the recompute's month queries are scoped to their block (issue #21).

`month_scans` (and any `planner` block) changes how PostgreSQL reads five years of repair orders; they
must hold inside their block only, nest, and leave the connection as it was — also when the
block fails — or every later query of the request or task would run with them.
"""

from __future__ import annotations

import pytest
from django.db import connection, transaction

from assessments.db_functions import month_scans, planner

pytestmark = pytest.mark.django_db

SWITCHES = ("enable_seqscan", "enable_mergejoin", "enable_indexscan")


def _settings() -> dict[str, str]:
    with connection.cursor() as cursor:
        cursor.execute("SELECT name, setting FROM pg_settings WHERE name = ANY(%s)", [list(SWITCHES)])
        return dict(cursor.fetchall())


@pytest.fixture
def postgresql():
    if connection.vendor != "postgresql":
        pytest.skip("planner switches are PostgreSQL's")


def test_planner_blocks_hold_inside_their_blocks_and_nest(postgresql):
    before = _settings()
    assert before == dict.fromkeys(SWITCHES, "on")
    month = {"enable_seqscan": "off", "enable_mergejoin": "on", "enable_indexscan": "off"}
    with month_scans():
        assert _settings() == month
        with planner(enable_indexscan=True, enable_mergejoin=False):
            assert _settings() == {
                "enable_seqscan": "off",
                "enable_mergejoin": "off",
                "enable_indexscan": "on",
            }
        assert _settings() == month
    assert _settings() == before


def test_a_failing_block_leaves_the_settings_as_they_were(postgresql):
    before = _settings()
    with transaction.atomic():  # as inside a request or the recompute's transaction
        with pytest.raises(ZeroDivisionError), month_scans():
            assert _settings()["enable_seqscan"] == "off"
            1 / 0  # noqa: B018
        assert _settings() == before
    assert _settings() == before


def test_a_switch_already_off_stays_off_after_the_block(postgresql):
    with transaction.atomic():
        with connection.cursor() as cursor:
            cursor.execute("SET LOCAL enable_mergejoin = off")
        with planner(enable_mergejoin=True):
            assert _settings()["enable_mergejoin"] == "on"
        assert _settings()["enable_mergejoin"] == "off"


def test_elsewhere_the_blocks_run_unchanged():
    ran = []
    with month_scans(), planner(enable_mergejoin=False):
        ran.append(connection.vendor)
    assert ran == [connection.vendor]


def test_a_recompute_tells_the_planner_about_the_months_new_cards(
    postgresql, dealer, other_dealer, far_dealer
):
    from assessments.models import Scorecard
    from assessments.services.recompute import period_recompute
    from tests.factories import RepairOrderFactory, SubmissionFactory

    for one in (dealer, other_dealer, far_dealer):
        for _ in range(3):
            RepairOrderFactory(dealer=one)
        SubmissionFactory(dealer=one)
    # When a month is scored
    period_recompute("2026-10")
    # Then the planner's statistics count its cards (autovacuum would not analyse the table
    # for one month's 2,000 cards of five years)
    with connection.cursor() as cursor:
        cursor.execute("SELECT reltuples FROM pg_class WHERE relname = 'assessments_scorecard'")
        (counted,) = cursor.fetchone()
    assert counted == Scorecard.objects.count() == 3
