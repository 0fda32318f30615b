"""Scored months for the page tests: real service data for the cast's dealers, really recomputed.

`scored_months` gives the three dealers of the cast two months (2026-09 and 2026-10) of
repair orders, complaints, parts orders, surveys and approved submissions, and runs the
engine on both, so the pages show what production would. In 2026-10 the far dealer
(华南) has too little data for a total, the other dealer has a veto and two major
complaints, and this dealer has a comeback and an overnight complaint to drill into.
"""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest

from assessments.choices import ImportKind, ImportStatus, RepairType, Severity
from assessments.models import ImportJob, KpiResult, Period, Scheme, Scorecard, VetoIncident
from assessments.periods import Month
from assessments.services.recompute import period_recompute
from dealers.models import Dealer, Region

from ..factories import (
    ComplaintFactory,
    DealerFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    local,
)

SEP, OCT = Month(2026, 9), Month(2026, 10)


def service_month(dealer: Dealer, month: Month, *, quality: int, orders: int = 36, tag: str = "") -> None:
    """A month of plausible service data; a higher `quality` (0–3) gives better KPIs."""
    day = f"{month.year:04d}-{month.month:02d}"
    prefix = f"{dealer.code}{month.year % 100:02d}{month.month:02d}{tag}"
    for i in range(orders):
        opened = local(f"{day}-{1 + i % 20:02d} 09:00")
        repair_type = [RepairType.REPAIR, RepairType.WARRANTY, RepairType.MAINTENANCE][i % 3]
        RepairOrderFactory(
            dealer=dealer,
            ro_number=f"{prefix}R{i:03d}",
            vin=f"VIN{prefix}{i:03d}"[:17],
            repair_type=repair_type,
            booked_at=opened - timedelta(days=1 + (3 - quality) + i % 2),
            opened_at=opened,
            promised_at=opened + timedelta(hours=30),
            closed_at=opened + timedelta(hours=20 + (3 - quality) * 8 + i % 5),
            warranty_cost=Decimal("900.00") if repair_type == RepairType.WARRANTY else Decimal("0"),
            imported_at=local(f"{day}-28 20:00"),
        )
    for i in range(12):
        SurveyResponseFactory(
            dealer=dealer,
            response_id=f"{prefix}S{i:03d}",
            responded_at=local(f"{day}-{2 + i:02d} 10:00"),
            overall=min(5, 2 + quality + i % 2),
            nps=min(10, 6 + quality + i % 2),
        )
    for i in range(6):
        ordered = local(f"{day}-{3 + i:02d} 08:00")
        PartsOrderFactory(
            dealer=dealer,
            order_id=f"{prefix}P{i:03d}",
            ordered_at=ordered,
            fulfilled_at=ordered + timedelta(hours=30 + (3 - quality) * 20),
        )
    ComplaintFactory(
        dealer=dealer,
        complaint_id=f"{prefix}C001",
        received_at=local(f"{day}-05 09:00"),
        closed_at=local(f"{day}-05 15:00"),
    )
    SubmissionFactory(dealer=dealer, period=str(month), certified_technicians=6 + quality)


@pytest.fixture
def scored_months(cast, dealer, other_dealer, far_dealer) -> dict[str, Period]:
    """Two scored months for the cast's three dealers (see the module docstring)."""
    return seed_scored_months(cast, dealer, other_dealer, far_dealer)


def seed_scored_months(cast, dealer: Dealer, other_dealer: Dealer, far_dealer: Dealer) -> dict[str, Period]:
    """The data behind `scored_months`, for modules outside this folder (the browser tests)."""
    service_month(dealer, SEP, quality=2)
    service_month(other_dealer, SEP, quality=3)
    service_month(far_dealer, SEP, quality=1)
    service_month(dealer, OCT, quality=3)
    service_month(other_dealer, OCT, quality=2)
    service_month(far_dealer, OCT, quality=1, orders=3)

    # This dealer's October: a repair delivered on the 10th comes back on the 20th, and a
    # complaint stays open overnight.
    first = RepairOrderFactory(
        dealer=dealer,
        ro_number="GL0001-FIRST",
        vin="LB3E8MAL8RV999001",
        fault_code="P0301",
        opened_at=local("2026-10-09 09:00"),
        closed_at=local("2026-10-10 12:00"),
    )
    RepairOrderFactory(
        dealer=dealer,
        ro_number="GL0001-AGAIN",
        vin=first.vin,
        fault_code="P0301",
        opened_at=local("2026-10-20 09:00"),
        closed_at=local("2026-10-21 09:00"),
    )
    ComplaintFactory(
        dealer=dealer,
        complaint_id="GL0001-OVERNIGHT",
        received_at=local("2026-10-12 09:00"),
        closed_at=local("2026-10-14 09:00"),
    )
    # The other dealer: two major complaints and a veto in October.
    for n in (1, 2):
        ComplaintFactory(
            dealer=other_dealer,
            complaint_id=f"GL0002-MAJOR{n}",
            received_at=local(f"2026-10-1{n} 09:00"),
            closed_at=local(f"2026-10-1{n} 10:00"),
            severity=Severity.MAJOR,
        )
    VetoIncident.objects.create(
        dealer=other_dealer, period=str(OCT), title="伪造索赔单据 Fabricated warranty claim"
    )
    ImportJob.objects.create(
        kind=ImportKind.REPAIR_ORDERS,
        user=cast["dealer_user"],
        dealer=dealer,
        file_name="gl0001_2026-10.csv",
        status=ImportStatus.SUCCEEDED,
        rows_total=38,
        rows_done=38,
        created=38,
    )
    period_recompute(str(SEP))
    period_recompute(str(OCT))
    return {"sep": Period.objects.get(code=str(SEP)), "oct": Period.objects.get(code=str(OCT))}


def bulk_network(dealers: int, *, months: tuple[Month, ...] = (SEP, OCT), kpis: bool = False) -> list[Dealer]:
    """Many dealers with scorecards written directly (no service data): for query counts and speed.

    `kpis`: each card also gets three KPI results (repair_count in three volume bands,
    complaint_rate, csat), so that scorecards have last year's values and peers to compare."""
    regions = [
        Region.objects.get_or_create(name=name)[0]
        for name in ("华东", "华南", "华北", "华中", "西南", "西北", "东北")
    ]
    new = Dealer.objects.bulk_create(
        [
            Dealer(
                code=f"BK{i:05d}",
                name=f"批量{i:05d}店",
                region=regions[i % len(regions)],
                province="江苏",
                city="南京",
                city_tier=1 + i % 5,
            )
            for i in range(dealers)
        ]
    )
    scheme = Scheme.objects.get(code="STD-2026", status="published")
    for month in months:
        period, _ = Period.objects.get_or_create(code=str(month))
        cards = []
        for i, dealer in enumerate(new):
            total = Decimal(str(round(60 + (i * 37 + month.month * 11) % 40 + 0.25, 2)))
            scored = i % 50 != 7
            cards.append(
                Scorecard(
                    period=period,
                    dealer=dealer,
                    region_name=dealer.region.name,
                    scheme=scheme,
                    status="scored" if scored else "insufficient_data",
                    total_score=total if scored else None,
                    grade=("A" if total >= 90 else "B" if total >= 80 else "C" if total >= 70 else "D")
                    if scored
                    else "",
                    rank=i + 1 if scored else None,
                    region_rank=i // 7 + 1 if scored else None,
                    coverage=Decimal("1.0") if scored else Decimal("0.4"),
                    deduction=Decimal("0") if scored else None,
                    tier_base=total,
                    tier_process=total,
                    tier_result=total,
                    computed_at=month.end,
                )
            )
        Scorecard.objects.bulk_create(cards, batch_size=1000)
        if kpis:
            KpiResult.objects.bulk_create(
                [
                    KpiResult(
                        scorecard=card,
                        kpi_code=code,
                        tier=tier,
                        value=value,
                        sample_size=100,
                        valid=True,
                        weight=weight,
                        method="threshold",
                        min_sample=1,
                        sort_order=order,
                    )
                    for i, card in enumerate(cards)
                    for order, (code, tier, weight, value) in enumerate(
                        (
                            ("repair_count", "result", 0.0, float((50, 150, 400)[i % 3])),
                            ("complaint_rate", "result", 10.0, float(i % 7)),
                            ("csat", "result", 15.0, 80.0 + i % 11),
                        )
                    )
                ],
                batch_size=1000,
            )
    return new


@pytest.fixture
def make_network(db):
    return bulk_network


@pytest.fixture
def formula_dealer(east: Region) -> Dealer:
    """A dealer whose name a spreadsheet would run as a formula."""
    return DealerFactory(code="GL0666", name='=HYPERLINK("http://x","x")', region=east)
