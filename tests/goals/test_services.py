"""Goals: versions and audit, who may own and see a goal, the month's figures and statuses,
the workbench item and the morning reminder."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.utils import timezone

from assessments.models import GroupFigure, Period
from assessments.periods import Month
from dealers.models import AuditEvent, Notice
from goals import selectors
from goals.choices import Comparator, GoalKind, GroupKind, MonthStatus
from goals.models import Goal
from goals.services import GoalError, GoalTerms, goal_check, goal_revise, goals_remind_at_risk
from tests.factories import RepairOrderFactory
from workbench.selectors import workbench_todos

from .conftest import make_goal

pytestmark = pytest.mark.django_db


def terms_of(goal: Goal, **changes) -> GoalTerms:
    values = {
        "kpi_code": goal.kpi_code,
        "group_kind": goal.group_kind,
        "region": goal.region,
        "city_tier": goal.city_tier,
        "dealer": goal.dealer,
        "month_from": goal.month_from,
        "month_to": goal.month_to,
        "kind": goal.kind,
        "comparator": goal.comparator,
        "target": goal.target,
        "change_pct": goal.change_pct,
        "owner": goal.owner,
        "note": goal.note,
        **changes,
    }
    return GoalTerms(**values)


# --- versions and audit ------------------------------------------------------------------------


def test_a_new_goal_is_version_one_audited_with_its_terms(hq_admin, hq_manager):
    goal = make_goal(hq_manager, actor=hq_admin)

    assert goal.version == 1
    assert goal.comparator == Comparator.AT_MOST  # the complaint rate: lower is better
    version = goal.versions.get()
    assert (version.version, version.created_by, version.changes) == (1, hq_admin, [])
    event = AuditEvent.objects.get(action="goal.created", object_id=str(goal.pk))
    assert event.actor == hq_admin
    assert event.after["target"] == 2.0


def test_an_edit_makes_a_new_version_and_keeps_the_old_one(hq_admin, hq_manager):
    goal = make_goal(hq_manager, actor=hq_admin)

    goal = goal_revise(goal=goal, terms=terms_of(goal, target=1.8, note="收紧"), actor=hq_admin)

    assert goal.version == 2
    assert list(goal.versions.values_list("version", flat=True)) == [2, 1]
    latest = goal.versions.first()
    assert latest.changes == [["target", 2.0, 1.8], ["note", "", "收紧"]]
    assert goal.versions.last().terms["target"] == 2.0
    event = AuditEvent.objects.get(action="goal.changed", object_id=str(goal.pk))
    assert (event.before["target"], event.after["target"], event.after["version"]) == (2.0, 1.8, 2)


def test_saving_the_same_terms_makes_no_version(hq_admin, hq_manager):
    goal = make_goal(hq_manager, actor=hq_admin)

    goal = goal_revise(goal=goal, terms=terms_of(goal), actor=hq_admin)

    assert goal.version == 1
    assert not AuditEvent.objects.filter(action="goal.changed").exists()


def test_a_change_goal_keeps_its_change_and_no_level(hq_manager):
    goal = make_goal(hq_manager, kind=GoalKind.CHANGE, change_pct=-50, target=None)

    assert (goal.change_pct, goal.target) == (-50, None)
    assert "-50" in goal.target_label


@pytest.mark.parametrize(
    ("owner", "group", "ok"),
    [
        ("hq_manager", "network", True),
        ("hq_admin", "network", True),
        ("regional_manager", "east", True),
        ("regional_manager", "network", False),
        ("other_regional_manager", "east", False),
        ("dealer_user", "dealer", False),
    ],
)
def test_who_may_own_a_goal(owner, group, ok, cast, east, dealer):
    terms = {
        "network": {},
        "east": {"group_kind": GroupKind.REGION, "region": east},
        "dealer": {"group_kind": GroupKind.DEALER, "dealer": dealer},
    }[group]
    if ok:
        assert make_goal(cast[owner], **terms).pk
    else:
        with pytest.raises(GoalError):
            make_goal(cast[owner], **terms)


@pytest.mark.parametrize(
    "terms",
    [
        {"month_from": "2026-12", "month_to": "2026-01"},
        {"group_kind": GroupKind.REGION},
        {"kind": GoalKind.CHANGE, "change_pct": None},
        {"kpi_code": "no_such_kpi"},
    ],
)
def test_a_goal_that_does_not_hold_together_is_refused(terms, hq_manager):
    with pytest.raises(GoalError):
        make_goal(hq_manager, **terms)


# --- scope -------------------------------------------------------------------------------------

SEES = {
    "hq_admin": {"network", "east", "south", "tier2", "GL0001", "GL0002", "GL0003"},
    "hq_manager": {"network", "east", "south", "tier2", "GL0001", "GL0002", "GL0003"},
    "regional_manager": {"network", "east", "GL0001", "GL0002"},
    "other_regional_manager": {"network", "south", "GL0003"},
    "dealer_user": {"GL0001"},
    "other_dealer_user": {"GL0002"},
}


@pytest.mark.parametrize("role", list(SEES))
def test_each_role_sees_the_goals_of_its_scope(role, cast, goals):
    names = {pk: name for name, pk in ((n, g.pk) for n, g in goals.items())}

    seen = {names[pk] for pk in Goal.objects.for_user(cast[role]).values_list("pk", flat=True)}

    assert seen == SEES[role]


# --- figures and statuses ----------------------------------------------------------------------


def test_goal_months_give_met_missed_no_data_and_upcoming(hq_manager, monkeypatch):
    now = Month(2026, 5).start + timedelta(days=10)
    goal = make_goal(hq_manager, month_from="2026-01", month_to="2026-06", target=2.0)
    ended = {
        Month(2026, 1): (1.8, 900),
        Month(2026, 2): (2.4, 950),
        Month(2026, 3): (None, 0),
        Month(2026, 4): (2.0, 1000),
    }
    monkeypatch.setattr(
        selectors, "goal_actuals", lambda goal, months, **kw: {m: ended[m] for m in months if m in ended}
    )
    monkeypatch.setattr(selectors, "month_to_date", lambda goal, month, cache: ((1.0, 10000), None))

    rows = {str(r.month): r for r in selectors.goal_months(goal, now=now)}

    assert [rows[m].status for m in sorted(rows)] == [
        MonthStatus.MET,
        MonthStatus.MISSED,
        MonthStatus.NO_DATA,
        MonthStatus.MET,
        MonthStatus.ON_TRACK,  # 10 complaints in 10,000 ROs: at most 1.84 ‰ at 95 %
        MonthStatus.UPCOMING,
    ]
    assert rows["2026-02"].variance == pytest.approx(0.4)
    assert rows["2026-05"].projection.high < 2.0


def test_a_change_goal_compares_with_the_same_month_a_year_earlier(hq_manager, monkeypatch):
    now = Month(2026, 12).start
    goal = make_goal(
        hq_manager, month_from="2026-09", month_to="2026-10", kind=GoalKind.CHANGE, change_pct=-50
    )
    figures = {
        Month(2025, 9): (4.0, 1000),
        Month(2025, 10): (3.0, 1000),
        Month(2026, 9): (1.9, 1000),
        Month(2026, 10): (1.6, 1000),
    }
    monkeypatch.setattr(selectors, "goal_actuals", lambda goal, months, **kw: {m: figures[m] for m in months})

    rows = selectors.goal_months(goal, now=now)

    assert [(r.last_year, r.target, r.status) for r in rows] == [
        (4.0, pytest.approx(2.0), MonthStatus.MET),
        (3.0, pytest.approx(1.5), MonthStatus.MISSED),
    ]


def _ros_this_month(dealer, count: int) -> None:
    closed = timezone.now() - timedelta(minutes=5)
    for _ in range(count):
        RepairOrderFactory(dealer=dealer, opened_at=closed - timedelta(hours=3), closed_at=closed)


def test_the_month_in_progress_is_measured_to_date_over_the_group(hq_manager, dealer, far_dealer):
    _ros_this_month(dealer, 3)
    _ros_this_month(far_dealer, 2)
    goal = make_goal(
        hq_manager,
        kpi_code="repair_count",
        month_from=str(Month.of(timezone.now())),
        month_to=str(Month.of(timezone.now())),
        target=1_000_000,
    )

    row = selectors.goal_months(goal)[0]

    assert (row.actual, row.n) == (5.0, 5)
    assert row.projection.value >= 5
    assert row.status == MonthStatus.AT_RISK
    assert Goal.objects.get(pk=goal.pk).current_status == MonthStatus.AT_RISK  # checked on save


# --- workbench and reminder --------------------------------------------------------------------


def _at_risk_goal(owner, dealer):
    _ros_this_month(dealer, 2)
    month = str(Month.of(timezone.now()))
    return make_goal(owner, kpi_code="repair_count", month_from=month, month_to=month, target=1_000_000)


def test_an_at_risk_goal_is_on_its_owners_workbench_only(hq_manager, hq_admin, dealer):
    goal = _at_risk_goal(hq_manager, dealer)

    mine = [t for t in workbench_todos(hq_manager) if t.key == "goal_at_risk"]
    others = [t for t in workbench_todos(hq_admin) if t.key == "goal_at_risk"]

    assert [t.url for t in mine] == [f"/goals/{goal.pk}/"]
    assert others == []


def test_a_goal_on_track_is_not_on_the_workbench(hq_manager, dealer):
    _ros_this_month(dealer, 2)
    month = str(Month.of(timezone.now()))
    make_goal(hq_manager, kpi_code="repair_count", month_from=month, month_to=month, target=1)

    assert not [t for t in workbench_todos(hq_manager) if t.key == "goal_at_risk"]


def test_the_morning_reminder_tells_the_owner_once_a_day(hq_manager, dealer):
    goal = _at_risk_goal(hq_manager, dealer)

    first = goals_remind_at_risk()
    second = goals_remind_at_risk()

    assert (first["notices"], second["notices"]) == (1, 0)
    notice = Notice.objects.get(user=hq_manager)
    assert notice.url.startswith(f"/goals/{goal.pk}/?day=")


def test_the_reminder_tells_again_the_next_day(hq_manager, dealer):
    _at_risk_goal(hq_manager, dealer)
    now = timezone.now()

    goals_remind_at_risk(now=now)
    goals_remind_at_risk(now=now + timedelta(days=1))

    assert Notice.objects.filter(user=hq_manager).count() in (1, 2)  # 2 unless the month turned


def test_checking_stores_the_status_for_the_workbench(hq_manager, dealer):
    goal = _at_risk_goal(hq_manager, dealer)
    Goal.objects.filter(pk=goal.pk).update(current_status="")

    assert goal_check(goal) == MonthStatus.AT_RISK
    assert Goal.objects.get(pk=goal.pk).current_status == MonthStatus.AT_RISK


def test_ended_months_read_the_group_figures_stored_with_the_scorecards(
    hq_manager, east, django_assert_max_num_queries
):

    # given stored figures of the network and of a region for two months (as a recompute writes them)
    for code, network, region in (("2026-08", 1.75, 2.5), ("2026-09", 1.25, 3.0)):
        period = Period.objects.create(code=code)
        GroupFigure.objects.create(
            period=period, grouping="network", group_key="", kpi_code="complaint_rate", value=network, n=800
        )
        GroupFigure.objects.create(
            period=period,
            grouping="region",
            group_key=str(east.pk),
            kpi_code="complaint_rate",
            value=region,
            n=300,
        )
    network_goal = make_goal(hq_manager)
    region_goal = make_goal(hq_manager, group_kind=GroupKind.REGION, region=east)
    months = [Month(2026, 8), Month(2026, 9), Month(2026, 10)]
    now = Month(2026, 11).start + timedelta(days=3)

    # when their actuals are read: one query for all stored months (October has none: pooled live;
    # on PostgreSQL its month read is bracketed by the two statements of `month_scans`)
    with django_assert_max_num_queries(14):
        network = selectors.goal_actuals(network_goal, months, now=now)
    region = selectors.goal_actuals(region_goal, months, now=now)

    # then the stored values, and nothing for a month without scorecards
    assert network == {Month(2026, 8): (1.75, 800), Month(2026, 9): (1.25, 800), Month(2026, 10): (None, 0)}
    assert region[Month(2026, 9)] == (3.0, 300)


@pytest.mark.parametrize(
    ("target", "shown"),
    [(1_000_000, "≥ 1,000,000"), (2.5, "≥ 2.5"), (96.85, "≥ 96.85"), (0.0025, "≥ 0.0025")],
)
def test_a_level_target_reads_as_people_write_it(hq_manager, target, shown):
    goal = make_goal(hq_manager, kpi_code="repair_count", target=target)
    assert goal.target_label == shown
