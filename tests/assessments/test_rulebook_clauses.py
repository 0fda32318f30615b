"""Every clause of the rulebook (shared/spec/scoring.md) guarded by a constructed case.

Each test here fails when one clause breaks: the cases sit exactly on the edges a careless
change would move — non-repair visits around repairs, coverage exactly at the minimum, exact
ties at the rounding digit, a dealer user without a dealer. `scripts/mutation_check` applies
those breaks one at a time and expects these tests to catch every one.

The KPI values are read through `measurements` below, so the move of the KPI queries into
`assessments/kpis/` only needs this one import repointed.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.apps import apps
from django.db import models

from assessments.choices import RepairType
from assessments.kpis import kpi_measurements as measurements
from assessments.models import ImportJob, KpiResult, Scorecard
from assessments.periods import Month
from assessments.scoring.engine import (
    INSUFFICIENT_DATA,
    SCORED,
    DealerInput,
    KpiParams,
    Measurement,
    SchemeParams,
    score_period,
)
from assessments.scoring.rounding import round_half_up
from assessments.services.recompute import period_recompute
from dealers.choices import Role
from dealers.scoping import ScopedQuerySet

from ..factories import (
    ComplaintFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    UserFactory,
    local,
)

OCT = Month(2026, 10)
THIRTY_DAYS = timedelta(seconds=2_592_000)


def kpi(dealer, code: str, month: Month = OCT) -> tuple[float | None, int] | None:
    return measurements(month).get(dealer.pk).values.get(code)


# --- Comeback: only a later *repair* RO (repair or warranty) of the same vehicle and fault ---


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("later_type", "is_comeback"),
    [
        (RepairType.REPAIR, True),
        (RepairType.WARRANTY, True),
        (RepairType.MAINTENANCE, False),
        (RepairType.ACCIDENT, False),
    ],
)
def test_only_a_later_repair_or_warranty_ro_of_the_same_vin_and_fault_is_a_comeback(
    dealer, later_type, is_comeback
):
    # Given a repair delivered on 6 October
    first = RepairOrderFactory(
        dealer=dealer,
        fault_code="P0301",
        opened_at=local("2026-10-05 09:00"),
        closed_at=local("2026-10-06 10:00"),
    )
    # And, ten days later, an RO of `later_type` for the same vehicle and the same fault code
    RepairOrderFactory(
        dealer=dealer,
        vin=first.vin,
        fault_code="P0301",
        repair_type=later_type,
        opened_at=local("2026-10-16 10:00"),
        closed_at=local("2026-11-02 10:00"),  # delivered in November: October's n stays 1
    )
    # When October's KPIs are measured
    # Then the first repair failed its first-time fix only where the later visit is a repair
    assert kpi(dealer, "first_time_fix_rate") == ((0.0 if is_comeback else 100.0), 1)


@pytest.mark.django_db
@pytest.mark.parametrize(
    ("gap", "is_comeback"),
    [
        (-timedelta(seconds=1), False),  # opened before the delivery
        (timedelta(0), False),  # opened at the very instant of the delivery
        (timedelta(seconds=1), True),
        (THIRTY_DAYS, True),  # exactly 2,592,000 s after
        (THIRTY_DAYS + timedelta(seconds=1), False),
    ],
    ids=["a second before", "the same instant", "a second after", "exactly 30 days", "30 days and a second"],
)
def test_the_comeback_window_is_after_delivery_up_to_exactly_thirty_days(dealer, gap, is_comeback):
    # Given a repair delivered on 6 October and a repair of the same vehicle and fault opened `gap` later
    first = RepairOrderFactory(
        dealer=dealer, opened_at=local("2026-10-01 09:00:00"), closed_at=local("2026-10-06 10:00:00")
    )
    RepairOrderFactory(
        dealer=dealer,
        vin=first.vin,
        fault_code=first.fault_code,
        opened_at=first.closed_at + gap,
        closed_at=None,
    )
    # Then it is a comeback only within (closed_at, closed_at + 30 days]
    assert kpi(dealer, "first_time_fix_rate") == ((0.0 if is_comeback else 100.0), 1)


# --- First-time fix: over repair ROs only ---


@pytest.mark.django_db
def test_first_time_fix_counts_only_repair_and_warranty_ros_when_other_visits_close_in_the_month(dealer):
    # Given in October a repair that comes back and a warranty repair that does not
    came_back = RepairOrderFactory(dealer=dealer, fault_code="P0301", closed_at=local("2026-10-05 10:00"))
    RepairOrderFactory(dealer=dealer, repair_type=RepairType.WARRANTY, closed_at=local("2026-10-06 10:00"))
    RepairOrderFactory(
        dealer=dealer,
        vin=came_back.vin,
        fault_code="P0301",
        repair_type=RepairType.WARRANTY,
        opened_at=local("2026-10-15 09:00"),
        closed_at=None,
    )
    # And a maintenance and an accident RO delivered in October, the maintenance followed by a
    # repair of its vehicle and fault code (which is no comeback: maintenance is no repair)
    serviced = RepairOrderFactory(
        dealer=dealer,
        repair_type=RepairType.MAINTENANCE,
        fault_code="M100",
        closed_at=local("2026-10-07 10:00"),
    )
    RepairOrderFactory(dealer=dealer, repair_type=RepairType.ACCIDENT, closed_at=local("2026-10-08 10:00"))
    RepairOrderFactory(
        dealer=dealer,
        vin=serviced.vin,
        fault_code="M100",
        opened_at=local("2026-10-12 09:00"),
        closed_at=None,
    )
    # When October's KPIs are measured
    # Then first-time fix is 1 fixed of the 2 repair ROs; every RO counts as a delivery
    assert kpi(dealer, "first_time_fix_rate") == (50.0, 2)
    assert kpi(dealer, "repair_count") == (4.0, 4)


# --- Coverage: `coverage < min_coverage` is insufficient; equal is enough ---


def _kpi(code: str, weight: float, tier: str = "result") -> KpiParams:
    return KpiParams(code, tier, "higher", weight, "threshold", 0, 100, 1)


def _scheme(*kpis: KpiParams, min_coverage: float = 0.6) -> SchemeParams:
    return SchemeParams(
        min_coverage=min_coverage,
        grade_bands=(("A", 90.0), ("B", 80.0), ("C", 70.0), ("D", 0.0)),
        deduction_per_item=2,
        deduction_cap=10,
        kpis=kpis,
    )


def _dealer(**values: float) -> DealerInput:
    return DealerInput(1, "华东", {code: Measurement(v, 1) for code, v in values.items()})


@pytest.mark.django_db
def test_a_comeback_waived_by_an_upheld_appeal_does_not_count_against_first_time_fix(dealer):
    # Given two October repairs that both came back, one of them waived by an upheld appeal
    for ro, waived in (("WAIVED", True), ("COUNTED", False)):
        first = RepairOrderFactory(
            dealer=dealer,
            ro_number=ro,
            fault_code="P0300",
            closed_at=local("2026-10-05 10:00"),
            comeback_waived=waived,
        )
        RepairOrderFactory(
            dealer=dealer,
            vin=first.vin,
            fault_code="P0300",
            opened_at=local("2026-10-09 09:00"),
            closed_at=None,
        )
    # Then only the other one counts as a comeback: 1 fixed the first time out of 2
    assert measurements(OCT)[dealer.pk].values["first_time_fix_rate"] == (50.0, 2)


@pytest.mark.django_db
def test_a_complaint_withdrawn_by_an_upheld_appeal_counts_in_no_kpi(dealer):
    # Given four ROs delivered and, in October, one complaint closed in time, one major
    # complaint never closed, and one major complaint voided by an upheld appeal
    for day in range(1, 5):
        RepairOrderFactory(dealer=dealer, closed_at=local(f"2026-10-0{day} 10:00"))
    ComplaintFactory(dealer=dealer, closed_at=local("2026-10-10 12:00"))
    ComplaintFactory(dealer=dealer, severity="major")
    ComplaintFactory(dealer=dealer, severity="major", excluded=True)
    # When the month is measured
    m = measurements(OCT)[dealer.pk]
    # Then the voided complaint counts in neither complaint KPI nor in the deduction
    assert m.values["complaint_closure_24h_rate"] == (50.0, 2)
    assert m.values["complaint_rate"] == (500.0, 4)  # 1,000 × 2 / 4
    assert m.major_complaints == 1


@pytest.mark.parametrize(
    ("valid_weights", "other_weights", "min_coverage"),
    [
        ((6,), (4,), 0.6),  # 6 / 10 == 0.6 exactly
        ((8, 6, 6, 12, 8, 7, 7, 6), (7, 15, 10, 8), 0.6),  # STD-2026's weights: 60 of 100
        ((1,), (3,), 0.25),
        ((1,), (), 1.0),  # everything valid with a minimum of 1
    ],
)
def test_coverage_exactly_at_the_minimum_is_scored(valid_weights, other_weights, min_coverage):
    # Given valid KPIs weighing exactly min_coverage of all weighted KPIs
    valid = [_kpi(f"v{i}", w) for i, w in enumerate(valid_weights)]
    missing = [_kpi(f"m{i}", w) for i, w in enumerate(other_weights)]
    cards = score_period(
        _scheme(*valid, *missing, min_coverage=min_coverage), [_dealer(**{k.code: 80.0 for k in valid})]
    )
    # Then the card is scored, not insufficient_data
    assert cards[0].coverage == min_coverage
    assert (cards[0].status, cards[0].total, cards[0].grade) == (SCORED, Decimal("80.00"), "B")


def test_coverage_just_under_the_minimum_is_insufficient():
    cards = score_period(_scheme(_kpi("a", 59), _kpi("b", 41)), [_dealer(a=80.0)])
    assert (cards[0].status, cards[0].total) == (INSUFFICIENT_DATA, None)


@pytest.mark.django_db
def test_a_dealer_whose_valid_kpis_weigh_exactly_60_of_std_2026_is_scored(dealer):
    # Given October data making exactly 60 of STD-2026's 100 weight valid: the base tier (20),
    # first-time fix (12) and repair cycle (8) from ten repairs, appointment lead (7) from their
    # bookings, complaint closure (7) from one complaint, parts supply (6) from five orders —
    # and too few deliveries for the complaint rate, no promises, surveys or warranty claims
    SubmissionFactory(dealer=dealer, period="2026-10")
    for day in range(1, 11):
        opened = local(f"2026-10-{day:02d} 09:00")
        RepairOrderFactory(dealer=dealer, booked_at=opened - timedelta(days=2), opened_at=opened)
    ComplaintFactory(dealer=dealer, closed_at=local("2026-10-10 12:00"))
    for day in range(1, 6):
        ordered = local(f"2026-10-{day:02d} 08:00")
        PartsOrderFactory(dealer=dealer, ordered_at=ordered, fulfilled_at=ordered + timedelta(hours=24))
    # When the period is recomputed under STD-2026 (min_coverage 0.6)
    period_recompute("2026-10")
    # Then coverage is exactly 0.6 and the card is scored
    card = Scorecard.objects.get(dealer=dealer, period__code="2026-10")
    valid = set(
        KpiResult.objects.filter(scorecard=card, valid=True, weight__gt=0).values_list("kpi_code", flat=True)
    )
    assert valid == {
        "certified_staff_rate",
        "equipment_availability_rate",
        "training_hours_per_technician",
        "first_time_fix_rate",
        "repair_cycle_hours",
        "appointment_lead_days",
        "complaint_closure_24h_rate",
        "parts_supply_hours",
    }
    assert card.coverage == Decimal("0.6000")
    assert card.status == SCORED and card.total_score is not None and card.grade


# --- Rounding: reported figures half up, also on exact binary ties and on 2.675-like floats ---

# (value, half up to 2 decimals): 0.125, 89.125 and 80.625 are exact binary ties where
# round() goes to the even digit; 2.675 and 1.005 are stored just below the tie.
TIES_AT_2 = [
    (0.125, "0.13"),
    (89.125, "89.13"),
    (80.625, "80.63"),
    (2.675, "2.68"),
    (1.005, "1.01"),
    (89.285, "89.29"),
]


@pytest.mark.parametrize(("value", "expected"), TIES_AT_2)
def test_the_total_rounds_a_tie_at_the_second_decimal_half_up(value, expected):
    # Given one weighted KPI scoring exactly `value` (floor 0, target 100), no deduction
    cards = score_period(_scheme(_kpi("csat", 1)), [_dealer(csat=value)])
    assert cards[0].weighted == value
    # Then the total is rounded half up
    assert cards[0].total == Decimal(expected)


@pytest.mark.parametrize(("value", "expected"), TIES_AT_2)
def test_a_kpi_score_rounds_a_tie_at_the_second_decimal_half_up(value, expected):
    cards = score_period(_scheme(_kpi("csat", 1)), [_dealer(csat=value)])
    assert cards[0].kpis[0].raw_score == value
    assert cards[0].kpis[0].score == Decimal(expected)
    # A tier of one KPI weighing 1 has that KPI's score; a valid KPI gives no reason for being invalid
    assert cards[0].tier_scores["result"] == Decimal(expected)
    assert cards[0].kpis[0].invalid_reason == ""


@pytest.mark.parametrize(
    ("value", "weight", "other_weight", "expected"),
    [
        (12.5, 1, 3, "3.13"),  # 1 × 12.5 / 4 = 3.125 exactly
        (1.25, 1, 1, "0.63"),  # 1.25 / 2 = 0.625 exactly
        (10.5, 1, 3, "2.63"),  # 10.5 / 4 = 2.625 exactly
        (5.35, 1, 1, "2.68"),  # 5.35 / 2 = 2.675 as a person writes it
    ],
)
def test_a_contribution_rounds_a_tie_at_the_second_decimal_half_up(value, weight, other_weight, expected):
    # Given a KPI whose contribution w × s / Σw lands on a tie, beside another valid KPI at 0
    cards = score_period(
        _scheme(_kpi("csat", weight), _kpi("nps", other_weight)), [_dealer(csat=value, nps=0.0)]
    )
    csat = cards[0].kpis[0]
    # Then its contribution is rounded half up
    assert csat.contribution == Decimal(expected)


@pytest.mark.parametrize(
    ("first", "second", "expected"),
    [
        (0.0, 6.25, "3.13"),  # (0 + 6.25) / 2 = 3.125 exactly
        (0.0, 5.25, "2.63"),  # 2.625 exactly
        (0.0, 5.35, "2.68"),  # 2.675 as a person writes it
        (80.0, 98.25, "89.13"),  # 89.125 exactly
    ],
)
def test_a_tier_score_rounds_a_tie_at_the_second_decimal_half_up(first, second, expected):
    # Given two equally weighted base KPIs whose mean is a tie, and a result KPI at 100
    cards = score_period(
        _scheme(
            _kpi("certified_staff_rate", 1, "base"),
            _kpi("training_hours_per_technician", 1, "base"),
            _kpi("csat", 2),
        ),
        [_dealer(certified_staff_rate=first, training_hours_per_technician=second, csat=100.0)],
    )
    # Then the base tier score is rounded half up
    assert cards[0].tier_scores["base"] == Decimal(expected)
    assert cards[0].tier_scores["result"] == Decimal("100.00")


@pytest.mark.parametrize(
    ("value", "expected"),
    [
        (0.03125, "0.0313"),
        (0.60625, "0.6063"),
        (0.00005, "0.0001"),
        (0.12345, "0.1235"),
        (97.65625, "97.6563"),
    ],
)
def test_kpi_values_and_coverage_round_a_tie_at_the_fourth_decimal_half_up(value, expected):
    assert round_half_up(value, 4) == Decimal(expected)


# --- Scope: a dealer user without a dealer sees nothing, not the rows that have no dealer ---


def _scoped_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if isinstance(m._default_manager.all(), ScopedQuerySet)]


@pytest.mark.django_db
@pytest.mark.parametrize("model", _scoped_models(), ids=lambda m: m._meta.label)
def test_a_dealer_user_without_a_dealer_sees_nothing_of_any_dealer_owned_model(model):
    # Given a dealer-role user whose dealer is not set
    orphan = UserFactory(username="orphan", role=Role.DEALER_USER, dealer=None)
    # When any dealer-owned model is read through for_user
    # Then the answer is empty before it reaches the database (no filter on a NULL dealer)
    assert model._default_manager.for_user(orphan).query.is_empty()


@pytest.mark.django_db
def test_a_dealer_user_without_a_dealer_does_not_see_an_import_without_a_dealer(dealer, hq_manager):
    # Given an HQ import (no dealer) and a dealer's import
    hq_job = ImportJob.objects.create(kind="dealers", dealer=None, file_name="dealers.csv")
    ImportJob.objects.create(kind="repair_orders", dealer=dealer, file_name="ro.csv")
    orphan = UserFactory(username="orphan", role=Role.DEALER_USER, dealer=None)
    # Then HQ sees the dealer-less import, the dealer-less dealer user sees no import at all
    assert ImportJob.objects.for_user(hq_manager).filter(pk=hq_job.pk).exists()
    assert not ImportJob.objects.for_user(orphan).exists()
