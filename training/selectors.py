"""Reads of the technician roster. Every query starts from `for_user` (dealers.scoping)."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from django.db.models import F, Prefetch, QuerySet, Sum

from assessments.periods import Month
from dealers.choices import DealerStatus
from dealers.models import Dealer

from .choices import TECHNICAL_ROLES
from .models import Certification, Technician, TrainingRecord

EXPIRING_WITHIN_DAYS = 60


def roster(user: Any, dealer: Dealer, *, include_left: bool = False) -> QuerySet[Technician]:
    """The dealer's technicians with their certificates and training records loaded."""
    technicians = Technician.objects.for_user(user).filter(dealer=dealer)
    if not include_left:
        technicians = technicians.filter(left_on__isnull=True)
    return technicians.prefetch_related(
        Prefetch("certifications", queryset=Certification.objects.order_by("-expires_on", "pk")),
        Prefetch("training_records", queryset=TrainingRecord.objects.order_by("-completed_on", "pk")),
    ).order_by(F("left_on").asc(nulls_first=True), "name", "pk")  # the employed first, on every database


@dataclass(frozen=True)
class RosterFigures:
    """What the roster says for the monthly report's three capacity counts."""

    technicians: int
    certified_technicians: int
    training_hours: Decimal


def roster_figures(user: Any, dealer: Dealer, month: Month) -> RosterFigures:
    """Technicians (TECHNICAL_ROLES) employed at month end, those of them with a certificate
    valid at month end, and the hours of training the dealer's technicians completed in the
    month (a leaver's hours before leaving included: the training took place)."""
    end = month.last_day
    active = Technician.objects.for_user(user).filter(dealer=dealer).active_on(end).technical()
    certified = (
        Certification.objects.for_user(user)
        .valid_on(end)
        .filter(technician__in=active)
        .values("technician")
        .distinct()
        .count()
    )
    hours = (
        TrainingRecord.objects.for_user(user)
        .filter(technician__dealer=dealer, technician__role__in=TECHNICAL_ROLES)
        .filter(completed_on__range=(month.first_day, end))
        .aggregate(total=Sum("hours"))["total"]
    )
    return RosterFigures(
        technicians=active.count(), certified_technicians=certified, training_hours=hours or Decimal("0")
    )


@dataclass
class SkillRow:
    """The skill picture of one group of dealers (a region or a city tier)."""

    label: str
    dealers: set[int] = field(default_factory=set)
    technicians: int = 0
    certified: int = 0
    hours: Decimal = Decimal("0")

    @property
    def dealer_count(self) -> int:
        return len(self.dealers)

    @property
    def certified_share(self) -> Decimal | None:
        if not self.technicians:
            return None
        return (Decimal(self.certified) * 100 / self.technicians).quantize(Decimal("0.1"))

    @property
    def hours_per_technician(self) -> Decimal | None:
        if not self.technicians:
            return None
        return (self.hours / self.technicians).quantize(Decimal("0.1"))


@dataclass
class SkillPicture:
    day: date
    by_region: list[SkillRow]
    by_tier: list[SkillRow]
    total: SkillRow


def skill_picture(user: Any, day: date) -> SkillPicture:
    """Per region and per city tier, on `day`: technicians employed, those with a valid
    certificate, and hours of training completed in the 12 months up to `day`, per technician.
    Technicians are the workshop's roles (TECHNICAL_ROLES) at dealers not terminated."""
    active = list(
        Technician.objects.for_user(user)
        .active_on(day)
        .technical()
        .exclude(dealer__status=DealerStatus.TERMINATED)
        .values_list("pk", "dealer_id", "dealer__region__name", "dealer__city_tier")
    )
    ids = [pk for pk, *_ in active]
    certified = set(
        Certification.objects.for_user(user)
        .valid_on(day)
        .filter(technician__in=ids)
        .values_list("technician_id", flat=True)
    )
    year_ago = day - timedelta(days=365)
    hours = dict(
        TrainingRecord.objects.for_user(user)
        .filter(completed_on__gt=year_ago, completed_on__lte=day, technician__in=ids)
        .values("technician")
        .annotate(total=Sum("hours"))
        .values_list("technician", "total")
    )
    regions: dict[str, SkillRow] = {}
    tiers: dict[int, SkillRow] = {}
    total = SkillRow(label="")
    for pk, dealer_id, region, tier in active:
        region_row = regions.setdefault(region, SkillRow(label=region))
        tier_row = tiers.setdefault(tier, SkillRow(label=str(tier)))
        for row in (region_row, tier_row, total):
            row.dealers.add(dealer_id)
            row.technicians += 1
            row.certified += int(pk in certified)
            row.hours += hours.get(pk) or Decimal("0")
    return SkillPicture(
        day=day,
        by_region=[regions[k] for k in sorted(regions)],
        by_tier=[tiers[k] for k in sorted(tiers)],
        total=total,
    )


def expiring_certifications(
    user: Any, day: date, days: int = EXPIRING_WITHIN_DAYS
) -> QuerySet[Certification]:
    """Certificates of technicians still employed that expire from `day` to `day + days`."""
    return (
        Certification.objects.for_user(user)
        .filter(expires_on__gte=day, expires_on__lte=day + timedelta(days=days))
        .filter(technician__left_on__isnull=True)
        .exclude(technician__dealer__status=DealerStatus.TERMINATED)
        .select_related("technician__dealer__region")
        .order_by("expires_on", "technician__dealer__code", "technician__name", "pk")
    )


def roster_initial(figures: RosterFigures) -> dict[str, object]:
    """The monthly report's initial values taken from the roster."""
    return {
        "technicians": figures.technicians,
        "certified_technicians": figures.certified_technicians,
        "training_hours": figures.training_hours,
    }


@dataclass(frozen=True)
class RosterCheck:
    """One of the report's capacity counts beside the roster's figure."""

    field: str
    reported: Any
    roster: Any

    @property
    def differs(self) -> bool:
        return Decimal(str(self.reported)) != Decimal(str(self.roster))


def roster_comparison(figures: RosterFigures, submission: Any) -> dict[str, RosterCheck]:
    """The submission's technicians, certified technicians and training hours against the roster."""
    return {
        name: RosterCheck(field=name, reported=getattr(submission, name), roster=value)
        for name, value in roster_initial(figures).items()
    }
