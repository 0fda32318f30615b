"""Demo content of findings: problems planted in the newest scored month (still open, so its
scorecards are recomputed with them), the night's analysis over it and over an older month,
and the work people do: one finding open with its owner, one dismissed, one closed with a
复盘 whose lesson went to two dealers and whose figure was measured again a month later.

What is planted (each kind the detectors look for), in the newest month only:
- a fault code (P0562) on a third of the repair orders at thirty dealers: a product problem;
- dealer1's dealer: a third of its repairs come back within days (first-time fix breaks its
  trend and falls far from its peers);
- warranty: three vehicles claimed three times for the same fault at one dealer; claims at
  four times their cost at another; every claim of a third closed in the month's last days;
- data: one dealer's times all on the quarter hour, another's repairs all exactly four hours.
(The survey demo already holds a burst of top scores within minutes at one dealer.)
"""

from __future__ import annotations

import random
from datetime import timedelta
from typing import Any

from django.db.models import Count, F
from django.utils import timezone

from assessments.choices import PeriodStatus, RepairType
from assessments.models import Period, RepairOrder
from assessments.periods import Month
from dealers.choices import DealerStatus
from dealers.models import Dealer, User

from .choices import FindingKind, FindingStatus
from .models import Finding, Review
from .services import (
    ReviewInput,
    analysis_run,
    finding_close,
    finding_dismiss,
    finding_open,
    reviews_remeasure,
)

SPIKE_CODE = "P0562"
REPAIRS = (RepairType.REPAIR, RepairType.WARRANTY)


def seed_findings(now: Any = None) -> dict[str, int]:
    from .detectors import DETECTORS

    now = now or timezone.now()
    month = Month.of(now).shift(-1)
    period = Period.objects.filter(code=str(month)).first()
    hq = User.objects.filter(username="hq").first()
    if period is None or period.status == PeriodStatus.CLOSED or hq is None:
        return {"findings": 0}
    planted = _plant(month, random.Random(f"insights:{month}"))
    if planted:  # the month's scorecards with the planted records (a small network plants none)
        from assessments.services.recompute import period_recompute

        period_recompute(str(month), actor=User.objects.filter(username="admin").first())
    for when in (month.shift(-2), month):
        for kind, detect in sorted(DETECTORS.items()):
            analysis_run(month=str(when), kind=kind, detect=detect)
    # Each month's findings as the night after it found them (the newest month: last night).
    Finding.objects.filter(month=str(month)).update(found_at=now, last_seen_at=now)
    older_night = month.shift(-1).start + timedelta(days=1, hours=2, minutes=30)
    Finding.objects.filter(month=str(month.shift(-2))).update(found_at=older_night, last_seen_at=older_night)
    _workflows(month, hq, now)
    return {"planted": planted, "findings": Finding.objects.count()}


def _month_orders(dealer: Dealer | int, month: Month) -> Any:
    """A dealer's (or a dealer id's) repair orders closed in the month."""
    return RepairOrder.objects.filter(dealer=dealer, closed_at__gte=month.start, closed_at__lt=month.end)


def _ranked(dealers: list[Dealer], month: Month, types: tuple[str, ...]) -> list[Dealer]:
    """The dealers by their count of the month's orders of these types, most first (code breaks ties)."""
    counts = dict(
        RepairOrder.objects.filter(
            dealer__in=dealers, repair_type__in=types, closed_at__gte=month.start, closed_at__lt=month.end
        )
        .values_list("dealer")
        .annotate(n=Count("pk"))
        .order_by()
    )
    return sorted(dealers, key=lambda d: (-counts.get(d.pk, 0), d.code))


def _plant(month: Month, rng: random.Random) -> int:
    dealers = list(Dealer.objects.filter(status=DealerStatus.ACTIVE).order_by("code"))
    own = User.objects.filter(username="dealer1").values_list("dealer_id", flat=True).first()
    others = [d for d in dealers if d.pk != own]
    if len(others) < 40 or own is None:
        return 0
    planted = 0
    # A fault code rising at thirty dealers at once.
    for dealer in others[::4][:30]:
        ids = list(_month_orders(dealer, month).filter(repair_type__in=REPAIRS).values_list("pk", flat=True))
        chosen = rng.sample(ids, len(ids) // 3)
        planted += RepairOrder.objects.filter(pk__in=chosen).update(fault_code=SPIKE_CODE)
    # dealer1's dealer: a third of its repairs come back within days.
    first_repairs = list(
        _month_orders(own, month)
        .filter(repair_type=RepairType.REPAIR, closed_at__lt=month.end - timedelta(days=6))
        .order_by("closed_at")
    )
    comebacks = [
        RepairOrder(
            dealer_id=own,
            ro_number=f"{ro.ro_number}-B",
            vin=ro.vin,
            repair_type=RepairType.REPAIR,
            opened_at=ro.closed_at + timedelta(days=3),
            closed_at=ro.closed_at + timedelta(days=3, hours=5),
            fault_code=ro.fault_code,
            labor_hours=ro.labor_hours,
            labor_amount=ro.labor_amount,
            parts_amount=ro.parts_amount,
            imported_at=ro.imported_at,
        )
        for ro in first_repairs[: len(first_repairs) * 2 // 5]
    ]
    RepairOrder.objects.bulk_create(comebacks)
    planted += len(comebacks)
    # Each of the next plants at its own dealer, among those with enough claims (or repairs)
    # for the detectors to test at all (insights.conf: warranty_min_claims, flat_cycle_min_orders).
    by_claims = _ranked(others, month, (RepairType.WARRANTY,))
    repeat, costly, bunched = by_claims[0], by_claims[1], by_claims[2]
    by_repairs = [d for d in _ranked(others, month, REPAIRS) if d not in (repeat, costly, bunched)]
    rounded, flat = by_repairs[0], by_repairs[1]
    # Three vehicles claimed three times each for the same fault within the month.
    claims = list(
        _month_orders(repeat, month)
        .filter(repair_type=RepairType.WARRANTY, opened_at__lt=month.start + timedelta(days=8))
        .order_by("opened_at")[:3]
    )
    extra = [
        RepairOrder(
            dealer=repeat,
            ro_number=f"{ro.ro_number}-W{n}",
            vin=ro.vin,
            repair_type=RepairType.WARRANTY,
            opened_at=ro.opened_at + timedelta(days=7 * n),
            closed_at=ro.opened_at + timedelta(days=7 * n, hours=6),
            fault_code=ro.fault_code or SPIKE_CODE,
            labor_hours=ro.labor_hours,
            labor_amount=ro.labor_amount,
            parts_amount=ro.parts_amount,
            warranty_cost=ro.warranty_cost or ro.parts_amount,
            imported_at=ro.imported_at,
        )
        for ro in claims
        for n in (1, 2)
    ]
    RepairOrder.objects.bulk_create(extra)
    planted += len(extra)
    # Claims at four times their cost.
    planted += (
        _month_orders(costly, month)
        .filter(repair_type=RepairType.WARRANTY)
        .update(warranty_cost=F("warranty_cost") * 4)
    )
    # Every claim closed in the month's last two days.
    last_days = month.end - timedelta(days=2)
    for i, ro in enumerate(_month_orders(bunched, month).filter(repair_type=RepairType.WARRANTY)):
        ro.closed_at = last_days + timedelta(hours=9, minutes=37 * i % 1400)
        ro.opened_at = min(ro.opened_at, ro.closed_at - timedelta(hours=3))
        ro.save(update_fields=["opened_at", "closed_at"])
        planted += 1
    # Times all on the quarter hour.
    for ro in _month_orders(rounded, month):
        ro.opened_at = ro.opened_at.replace(minute=ro.opened_at.minute // 15 * 15, second=0, microsecond=0)
        ro.closed_at = ro.closed_at.replace(minute=ro.closed_at.minute // 15 * 15, second=0, microsecond=0)
        if ro.closed_at <= ro.opened_at:
            ro.closed_at = ro.opened_at + timedelta(minutes=45)
        ro.save(update_fields=["opened_at", "closed_at"])
        planted += 1
    # Repairs that all took exactly four hours.
    for ro in _month_orders(flat, month).filter(repair_type__in=REPAIRS):
        ro.closed_at = ro.opened_at + timedelta(hours=4)
        ro.save(update_fields=["closed_at"])
        planted += 1
    return planted


def _workflows(month: Month, hq: User, now: Any) -> None:
    """One finding open with its owner, one dismissed, and an older month's finding closed with
    a 复盘 (lesson to two dealers) whose figure was measured again the month after."""
    dealer1 = User.objects.filter(username="dealer1").first()
    east = User.objects.filter(username="east").first()
    current = Finding.objects.filter(month=str(month), status=FindingStatus.NEW)
    if dealer1 is not None and dealer1.dealer_id:
        mine = current.filter(dealer_id=dealer1.dealer_id).order_by("-severity").first()
        if mine is not None:
            finding_open(finding=mine, actor=hq, owner=dealer1, due_date=now.date() + timedelta(days=10))
    burst = current.filter(kind=FindingKind.SURVEY_BURST).first()
    if burst is not None:
        finding_dismiss(
            finding=burst,
            actor=hq,
            reason="门店周年庆当天集中邀评，已电话抽查 3 位客户属实 / anniversary event, 3 customers called back",
        )
    older = (
        Finding.objects.filter(month=str(month.shift(-2)), dealer__isnull=False).order_by("-severity").first()
    )
    if older is None:
        return
    closer = east if east is not None and Finding.objects.for_user(east).filter(pk=older.pk).exists() else hq
    finding_open(finding=older, actor=hq, owner=closer, due_date=now.date() + timedelta(days=1))
    peers = list(
        Dealer.objects.filter(city_tier=older.dealer.city_tier, status=DealerStatus.ACTIVE)
        .exclude(pk=older.dealer_id)
        .filter(pk__in=Dealer.objects.for_user(closer))
        .order_by("code")[:2]
    )
    review = finding_close(
        finding=older,
        actor=closer,
        data=ReviewInput(
            root_cause="新入职技师占比过高，疑难故障未经技术经理复核即交车",
            countermeasure="疑难故障交车前由技术经理签字复核；每周一次返修案例复盘会",
            lesson="新技师占比超过三成的门店，检查交车前复核是否执行",
            dealers=peers,
        ),
    )
    # As it happened: found the night after its month ended, closed a few days later.
    found = month.shift(-1).start + timedelta(days=1, hours=2, minutes=30)
    Finding.objects.filter(pk=older.pk).update(
        found_at=found, last_seen_at=found, triaged_at=found + timedelta(hours=7)
    )
    Review.objects.filter(pk=review.pk).update(closed_at=found + timedelta(days=3, hours=8))
    reviews_remeasure(now=now)
