"""python manage.py seed_demo: a realistic, scored demo data set and a user for every role."""

from __future__ import annotations

import random
import re
from decimal import Decimal
from io import StringIO

import pytest
from django.core.management import CommandError, call_command
from django.db.models import F
from django.utils import timezone

from assessments.choices import PeriodStatus, RepairType
from assessments.models import Complaint, MonthlySubmission, Period, RepairOrder, Scorecard
from assessments.periods import Month
from dealers.choices import DealerStatus, Role
from dealers.demo import REGIONS, region_counts, vin
from dealers.models import Dealer, User
from surveys.models import SurveyResponse
from tests.factories import DealerFactory

SMALL = ["--dealers", "14", "--months", "3"]
VIN_RE = re.compile(r"^[A-HJ-NPR-Z0-9]{17}$")


def seed(*args: str) -> str:
    out = StringIO()
    call_command("seed_demo", *args, stdout=out, stderr=StringIO())
    return out.getvalue()


def printed_passwords(output: str) -> dict[str, str]:
    """The username → password table printed at the end."""
    table = output.split("username", 1)[1].splitlines()[1:]
    return {line.split()[0]: line.split()[1] for line in table if line.strip()}


def expected_periods(months: int) -> list[str]:
    last = Month.of(timezone.localdate()).shift(-1)
    return [str(last.shift(-i)) for i in reversed(range(months))]


@pytest.fixture
def seeded(db) -> str:
    return seed(*SMALL)


def test_dealers_cover_all_seven_regions_and_all_five_city_tiers(seeded):
    assert (
        set(Dealer.objects.values_list("region__name", flat=True))
        == set(REGIONS)
        == {
            "华东",
            "华南",
            "华北",
            "华中",
            "西南",
            "西北",
            "东北",
        }
    )
    assert set(Dealer.objects.values_list("city_tier", flat=True)) == {1, 2, 3, 4, 5}
    assert Dealer.objects.count() == 14


def test_some_dealers_are_suspended_one_terminated_and_one_opened_recently(seeded):
    statuses = list(Dealer.objects.values_list("status", flat=True))
    periods = expected_periods(3)

    assert statuses.count(DealerStatus.SUSPENDED) >= 1
    assert statuses.count(DealerStatus.TERMINATED) == 1
    assert Dealer.objects.filter(opened_on__gte=Month.parse(periods[-2]).first_day).count() == 1


def test_there_is_a_user_for_every_role_and_each_printed_password_signs_in(seeded):
    passwords = printed_passwords(seeded)

    assert set(User.objects.values_list("role", flat=True)) == set(Role.values)
    assert set(passwords) == {"admin", "hq", "east", "north", "dealer1", "dealer2", "expert"}
    for username, password in passwords.items():
        assert User.objects.get(username=username).check_password(password), username
    admin = User.objects.get(username="admin")
    assert admin.is_staff and admin.is_superuser and admin.role == Role.HQ_ADMIN
    assert list(User.objects.get(username="east").regions.values_list("name", flat=True)) == ["华东"]
    assert User.objects.get(username="dealer1").dealer.code == "GL0001"


def test_every_period_is_scored_and_all_but_the_last_two_are_closed(seeded):
    periods = expected_periods(3)
    eligible = Dealer.objects.exclude(status=DealerStatus.TERMINATED)

    assert list(Period.objects.order_by("code").values_list("code", "status")) == [
        (periods[0], PeriodStatus.CLOSED),
        (periods[1], PeriodStatus.OPEN),
        (periods[2], PeriodStatus.OPEN),
    ]
    for code in periods:
        month = Month.parse(code)
        opened = eligible.filter(opened_on__lte=month.last_day)
        assert Scorecard.objects.filter(period__code=code).count() == opened.count(), code
    assert Scorecard.objects.filter(status="scored", grade__in=["A", "B", "C", "D"]).exists()


def test_the_service_data_is_realistic(seeded):
    per_dealer_month = RepairOrder.objects.filter(
        dealer__code="GL0001", opened_at__gte=Month.parse(expected_periods(3)[-1]).start
    )

    assert 40 <= per_dealer_month.count() <= 200
    assert set(RepairOrder.objects.values_list("repair_type", flat=True)) == set(RepairType.values)
    assert all(VIN_RE.match(v) for v in RepairOrder.objects.values_list("vin", flat=True)[:500])
    assert not RepairOrder.objects.filter(closed_at__lt=F("opened_at")).exists()
    assert not RepairOrder.objects.filter(booked_at__gt=F("opened_at")).exists()
    assert Complaint.objects.filter(closed_at__isnull=True).exists(), (
        "the daily clearing board needs open complaints"
    )
    assert Complaint.objects.filter(severity="major").exists()
    overall = list(SurveyResponse.objects.values_list("overall", flat=True))
    assert sum(overall) / len(overall) > 4, "satisfaction is skewed high"
    assert MonthlySubmission.objects.filter(status="approved").exists()


def test_regions_differ_so_that_the_ranking_is_interesting(db):
    seed("--dealers", "42", "--months", "2")
    last = expected_periods(2)[-1]
    cards = Scorecard.objects.filter(period__code=last, status="scored")
    by_region: dict[str, list[float]] = {}
    for region, total in cards.values_list("region_name", "total_score"):
        by_region.setdefault(region, []).append(float(total))
    mean = {r: sum(v) / len(v) for r, v in by_region.items()}

    assert mean["华东"] > mean["西北"] + 5
    assert len({c.grade for c in cards}) >= 3


def test_a_second_run_changes_nothing(seeded):
    counts = (
        Dealer.objects.count(),
        RepairOrder.objects.count(),
        User.objects.count(),
        Scorecard.objects.count(),
    )

    output = seed(*SMALL)

    assert "already present" in output
    assert (
        Dealer.objects.count(),
        RepairOrder.objects.count(),
        User.objects.count(),
        Scorecard.objects.count(),
    ) == counts


def test_reset_seeds_the_same_data_again_with_new_passwords(seeded):
    codes = list(Dealer.objects.values_list("code", "name", "city"))
    orders = RepairOrder.objects.count()

    output = seed(*SMALL, "--reset")

    assert list(Dealer.objects.values_list("code", "name", "city")) == codes
    assert RepairOrder.objects.count() == orders
    assert printed_passwords(output) != printed_passwords(seeded)
    assert User.objects.filter(username="admin").count() == 1


def test_new_passwords_are_printed_on_request(seeded):
    output = seed("--new-passwords")

    for username, password in printed_passwords(output).items():
        assert User.objects.get(username=username).check_password(password)


def test_it_refuses_a_database_with_dealers_it_did_not_create(db):
    DealerFactory(code="REAL01")

    with pytest.raises(CommandError, match="did not create"):
        seed(*SMALL)
    with pytest.raises(CommandError, match="did not create"):
        seed(*SMALL, "--reset")
    assert list(Dealer.objects.values_list("code", flat=True)) == ["REAL01"]


def test_too_few_dealers_for_the_seven_regions_is_refused(db):
    with pytest.raises(CommandError, match="at least 7"):
        seed("--dealers", "3")


@pytest.mark.parametrize("total", [7, 14, 120, 500])
def test_dealers_are_shared_out_over_every_region(total):
    counts = region_counts(total)

    assert sum(counts.values()) == total
    assert all(n >= 1 for n in counts.values())


def test_generated_vins_are_well_formed_with_a_valid_check_digit():
    values = dict(zip("0123456789", range(10), strict=True))
    values |= dict(zip("ABCDEFGH", range(1, 9), strict=True)) | dict(zip("JKLMN", range(1, 6), strict=True))
    values |= {"P": 7, "R": 9} | dict(zip("STUVWXYZ", range(2, 10), strict=True))
    weights = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
    rng = random.Random(1)
    for _ in range(200):
        v = vin(rng)
        remainder = sum(values[c] * w for c, w in zip(v, weights, strict=True)) % 11
        assert VIN_RE.match(v)
        assert v[8] == ("X" if remainder == 10 else str(remainder))


def test_the_demo_has_decided_and_pending_proposals_a_veto_in_an_open_month_and_a_suspended_dealer(db):
    # Given six months: four closed, the older two decided, the newest two closed ones waiting.
    from assessments.models import VetoIncident
    from incentives.choices import ActionStatus, ActionType
    from incentives.models import IncentiveAction
    from incentives.services import appeal_window_open

    seed("--dealers", "14", "--months", "6")
    periods = expected_periods(6)
    closed, open_months = periods[:4], periods[4:]
    actions = IncentiveAction.objects.all()

    # Then HQ approved and rejected the older months' proposals, rejections with a reason…
    assert actions.filter(status=ActionStatus.APPROVED, period__in=closed[:2]).exists()
    rejected = actions.filter(status=ActionStatus.REJECTED)
    assert rejected.exists()
    assert not rejected.filter(decision_comment="").exists()
    assert not actions.filter(status=ActionStatus.PROPOSED, period__in=closed[:2]).exists()
    # … and the newest closed months' proposals wait in the queue.
    assert set(actions.filter(status=ActionStatus.PROPOSED).values_list("period", flat=True)) == set(
        closed[2:]
    )
    # One suspension was approved, and its dealer is suspended.
    suspension = actions.get(status=ActionStatus.APPROVED, action_type=ActionType.SUSPENSION)
    assert Dealer.objects.get(pk=suspension.dealer_id).status == DealerStatus.SUSPENDED
    # A veto stands in an open month and its scorecard shows it.
    veto = VetoIncident.objects.get(period=open_months[-1])
    assert Scorecard.objects.get(period__code=open_months[-1], dealer=veto.dealer_id).veto
    # An open month still takes appeals.
    assert any(appeal_window_open(Period.objects.get(code=code)) for code in open_months)


def test_it_prints_the_address_the_portal_serves(seeded, settings):
    # given the demo started on another port (scripts/demo sets SITE_URL from PORT)
    settings.SITE_URL = "http://127.0.0.1:8123"
    output = seed("--new-passwords")
    assert "Sign in at http://127.0.0.1:8123/ " in output
    assert ":8000" not in output


def test_the_demo_covers_24_months_by_default_so_year_on_year_shows_on_first_start(db):
    # Given the default month count (a few dealers keep the test short)
    seed("--dealers", "7")

    # Then every month of the last two years is there, scored, all but the newest two closed…
    periods = expected_periods(24)
    assert list(Period.objects.order_by("code").values_list("code", flat=True)) == periods
    closed = set(Period.objects.filter(status=PeriodStatus.CLOSED).values_list("code", flat=True))
    assert closed == set(periods[:-2])
    # … and the newest month has the same month a year earlier to compare with.
    newest, a_year_earlier = Month.parse(periods[-1]), Month.parse(periods[-1]).shift(-12)
    dealers_then = set(
        Scorecard.objects.filter(period__code=str(a_year_earlier)).values_list("dealer_id", flat=True)
    )
    assert dealers_then & set(
        Scorecard.objects.filter(period__code=str(newest)).values_list("dealer_id", flat=True)
    )


def test_the_demos_cheap_insert_stores_what_the_orm_would(dealer):
    """sqlite_insert converts values itself (not through get_db_prep_save): the rows it writes
    read back as the same values as rows the ORM writes."""
    from django.db import connection

    from assessments.choices import RecordChannel
    from dealers.demo import sqlite_insert
    from tests.factories import RepairOrderFactory, local

    if connection.vendor != "sqlite":
        pytest.skip("the cheap insert is the SQLite path")
    fields = {
        "dealer": dealer,
        "vin": "LB3E8MAL8RV000001",
        "repair_type": RepairType.WARRANTY,
        "booked_at": None,
        "opened_at": local("2026-10-31 23:30"),  # Shanghai time: still the 31st, 15:30 UTC
        "promised_at": local("2026-11-01 08:00"),
        "closed_at": local("2026-11-01 07:59").replace(microsecond=250000),
        "fault_code": "P0301",
        "labor_hours": Decimal("1.50"),
        "labor_amount": Decimal("300.10"),
        "parts_amount": Decimal("0.00"),
        "warranty_cost": Decimal("1234.56"),
        "imported_at": local("2026-11-02 23:10"),
        "created_channel": RecordChannel.DMS_API,
    }
    by_orm = RepairOrderFactory(ro_number="ORM", **fields)
    cheap = RepairOrder(id=by_orm.id + 1000, ro_number="CHEAP", **fields)
    sqlite_insert(RepairOrder, [cheap], with_ids=True)

    stored = RepairOrder.objects.get(pk=cheap.id)
    orm = RepairOrder.objects.get(pk=by_orm.pk)
    for name in [*fields, "comeback_waived", "changed_channel"]:
        assert getattr(stored, name) == getattr(orm, name), name
    assert RepairOrder.objects.filter(opened_at__date="2026-10-31", ro_number="CHEAP").exists()


def _service_data() -> dict[str, list[tuple]]:
    """The generator's rows (not the later demo content, numbered by id) by their business
    keys, with the repair order each row points at by its number (ids may differ between
    runs; what they point at may not)."""
    from assessments.models import Complaint
    from surveys.models import SurveyResponse

    return {
        "repair_orders": sorted(
            RepairOrder.objects.values_list(
                "ro_number", "dealer__code", "vin", "repair_type", "opened_at", "closed_at", "parts_amount"
            )
        ),
        "complaints": sorted(
            Complaint.objects.filter(complaint_id__startswith="TS-").values_list(
                "complaint_id", "repair_order__ro_number", "received_at", "category"
            )
        ),
        "surveys": sorted(
            SurveyResponse.objects.filter(response_id__startswith="WJ-").values_list(
                "response_id", "repair_order__ro_number", "overall", "nps"
            )
        ),
    }


def test_worker_processes_make_the_same_data_as_one_process(db, monkeypatch):
    """On SQLite the rows are made in two worker processes and written here, their repair
    order ids shifted into place; one process (one core, or PostgreSQL) makes them itself.
    The same seed gives the same rows, pointing at the same repair orders, either way."""
    from django.db import connection

    from dealers import demo

    if connection.vendor != "sqlite":
        pytest.skip("the worker processes are the SQLite path")
    args = ("--dealers", "10", "--months", "2")
    monkeypatch.setattr(demo.os, "cpu_count", lambda: 2)
    seed(*args)
    in_workers = _service_data()
    monkeypatch.setattr(demo.os, "cpu_count", lambda: 1)
    seed("--reset", *args)
    in_one = _service_data()
    assert len(in_workers["repair_orders"]) > 1000
    assert any(row[1] for row in in_workers["complaints"]) and any(row[1] for row in in_workers["surveys"])
    assert in_workers == in_one


def test_the_demo_shows_a_dealers_wecom_group_and_a_regions_dingtalk_group_switched_off(seeded):
    from dealers.models import GroupRobot, RobotDelivery

    robots = {robot.platform: robot for robot in GroupRobot.objects.all()}

    assert robots["wecom"].dealer.code == "GL0001" and robots["dingtalk"].region.name == "华东"
    # Off: the demo's webhook keys are not real ones, so nothing is posted until a user turns one on.
    assert not any(robot.active for robot in robots.values())
    assert robots["dingtalk"].secret.startswith("SEC")
    deliveries = RobotDelivery.objects.all()
    assert deliveries.count() >= 2 and all(d.status == "sent" for d in deliveries)
    assert all(d.robot.takes(d.topic) for d in deliveries if d.topic != "other")  # "other": the test message
