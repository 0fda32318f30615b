"""Factories for the test suite. Defaults are realistic and valid; tests override what matters."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import Decimal

import factory
from factory.django import DjangoModelFactory

from assessments.choices import RepairType, SubmissionStatus
from assessments.models import Complaint, MonthlySubmission, PartsOrder, Period, RepairOrder
from assessments.periods import SHANGHAI
from dealers.choices import Role
from dealers.models import Dealer, Region, User
from surveys.models import SurveyResponse
from training.models import Certification, Technician, TrainingRecord


def local(text: str) -> datetime:
    """'2026-10-01 08:00[:00]' as an aware Shanghai time."""
    fmt = "%Y-%m-%d %H:%M:%S" if text.count(":") == 2 else "%Y-%m-%d %H:%M"
    return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)


class RegionFactory(DjangoModelFactory):
    class Meta:
        model = Region
        django_get_or_create = ("name",)

    name = factory.Iterator(["华东", "华南", "华北", "华中", "西南", "西北", "东北"])


class DealerFactory(DjangoModelFactory):
    class Meta:
        model = Dealer
        django_get_or_create = ("code",)

    code = factory.Sequence(lambda n: f"TD{n:04d}")
    name = factory.LazyAttribute(lambda o: f"测试{o.code}店")
    region = factory.SubFactory(RegionFactory)
    province = "江苏"
    city = "南京"
    city_tier = 2


class UserFactory(DjangoModelFactory):
    class Meta:
        model = User
        django_get_or_create = ("username",)
        skip_postgeneration_save = True

    username = factory.Sequence(lambda n: f"user{n}")
    role = Role.DEALER_USER
    password = factory.PostGenerationMethodCall("set_password", "Secret-pass-2026")

    @factory.post_generation
    def regions(self, create: bool, extracted: list[Region] | None, **kwargs: object) -> None:
        if create and extracted:
            self.regions.set(extracted)
        if create:
            self.save()


class PeriodFactory(DjangoModelFactory):
    class Meta:
        model = Period
        django_get_or_create = ("code",)

    code = "2026-10"


class RepairOrderFactory(DjangoModelFactory):
    class Meta:
        model = RepairOrder

    dealer = factory.SubFactory(DealerFactory)
    ro_number = factory.Sequence(lambda n: f"RO{n:08d}")
    vin = factory.Sequence(lambda n: f"LB3E8MAL8RV{n:06d}")
    repair_type = RepairType.REPAIR
    opened_at = factory.LazyFunction(lambda: local("2026-10-10 09:00"))
    closed_at = factory.LazyAttribute(lambda o: o.opened_at + timedelta(hours=30))
    fault_code = "F001"
    labor_amount = Decimal("300.00")
    parts_amount = Decimal("500.00")


class ComplaintFactory(DjangoModelFactory):
    class Meta:
        model = Complaint

    complaint_id = factory.Sequence(lambda n: f"C{n:08d}")
    dealer = factory.SubFactory(DealerFactory)
    received_at = factory.LazyFunction(lambda: local("2026-10-10 09:00"))
    category = "quality"


class PartsOrderFactory(DjangoModelFactory):
    class Meta:
        model = PartsOrder

    order_id = factory.Sequence(lambda n: f"P{n:08d}")
    dealer = factory.SubFactory(DealerFactory)
    part_number = "PN000001"
    ordered_at = factory.LazyFunction(lambda: local("2026-10-10 09:00"))


class SurveyResponseFactory(DjangoModelFactory):
    class Meta:
        model = SurveyResponse

    response_id = factory.Sequence(lambda n: f"S{n:08d}")
    dealer = factory.SubFactory(DealerFactory)
    responded_at = factory.LazyFunction(lambda: local("2026-10-12 10:00"))
    overall = 5


class SubmissionFactory(DjangoModelFactory):
    class Meta:
        model = MonthlySubmission

    dealer = factory.SubFactory(DealerFactory)
    period = "2026-10"
    technicians = 10
    certified_technicians = 9
    equipment_total = 20
    equipment_ok = 19
    training_hours = Decimal("60.0")
    status = SubmissionStatus.APPROVED


class TechnicianFactory(DjangoModelFactory):
    class Meta:
        model = Technician

    dealer = factory.SubFactory(DealerFactory)
    name = factory.Sequence(lambda n: f"王伟{n}")
    role = "technician"
    hire_date = date(2020, 3, 1)


class CertificationFactory(DjangoModelFactory):
    class Meta:
        model = Certification

    technician = factory.SubFactory(TechnicianFactory)
    name = "吉利售后维修技师认证"
    level = "intermediate"
    number = factory.Sequence(lambda n: f"GT2024{n:06d}")
    issued_on = date(2024, 1, 1)
    expires_on = date(2027, 1, 1)


class TrainingRecordFactory(DjangoModelFactory):
    class Meta:
        model = TrainingRecord

    technician = factory.SubFactory(TechnicianFactory)
    course = "新能源三电系统检修"
    hours = Decimal("8.0")
    completed_on = date(2026, 10, 15)
