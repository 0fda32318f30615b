"""The technician roster in the demo data set (called by dealers.demo._seed_workflows).

Each dealer gets about as many technicians as its latest monthly report counts (so most
reports agree with the roster and a few differ), certificates for most of them — a few
expiring within the next 60 days, a few already lapsed — and training hours over the
past year. Written in bulk: the demo seeds many dealers, and the roster has no derived data.
"""

from __future__ import annotations

import random
from datetime import timedelta
from decimal import Decimal

from django.utils import timezone

from assessments.models import MonthlySubmission
from dealers.models import Dealer

from .choices import CertificationLevel, TechnicianRole
from .models import Certification, Technician, TrainingRecord

FAMILY_NAMES = (
    "王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾萧田董潘袁蔡蒋余于杜叶程魏苏吕丁任沈姚卢"
)
GIVEN_NAMES = (
    "伟",
    "芳",
    "娜",
    "敏",
    "静",
    "强",
    "磊",
    "军",
    "洋",
    "勇",
    "艳",
    "杰",
    "涛",
    "明",
    "超",
    "秀英",
    "华",
    "平",
    "刚",
    "桂英",
    "建国",
    "志强",
    "海波",
    "晓东",
    "文斌",
    "俊杰",
    "子豪",
    "浩然",
    "宇航",
    "国庆",
)
CERTIFICATES = (
    ("吉利售后维修技师认证", "GT"),
    ("新能源高压电安全作业认证", "EV"),
    ("车辆故障诊断技术认证", "DG"),
    ("钣金喷漆技术认证", "BP"),
    ("服务顾问接待认证", "SA"),
)
COURSES = (
    "新能源三电系统检修",
    "雷神混动系统维修",
    "ADAS标定与检测",
    "钣喷工艺规范",
    "客户接待礼仪",
    "维修安全规范",
)
ROLE_MIX = (
    [TechnicianRole.TECHNICIAN] * 5
    + [TechnicianRole.SENIOR_TECHNICIAN] * 2
    + [TechnicianRole.DIAGNOSTIC_TECHNICIAN, TechnicianRole.BODY_PAINT_TECHNICIAN]
    + [TechnicianRole.SERVICE_ADVISOR] * 2
    + [TechnicianRole.WORKSHOP_FOREMAN]
)


def seed_roster(seed: int = 16) -> dict[str, int]:
    """Give every active dealer a roster; return how many rows of each kind were written."""
    rng = random.Random(seed)
    today = timezone.localdate()
    latest: dict[int, int] = {}
    for dealer_id, technicians in MonthlySubmission.objects.order_by("dealer_id", "period").values_list(
        "dealer_id", "technicians"
    ):
        latest[dealer_id] = technicians
    technicians: list[Technician] = []
    for dealer in Dealer.objects.order_by("code"):
        size = min(max(latest.get(dealer.pk, rng.randint(8, 18)), 3), 40) + rng.choice((0, 0, 0, 1, -1))
        for _ in range(max(size, 1)):
            name = rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES)
            hired = today - timedelta(days=rng.randint(60, 365 * 12))
            technicians.append(
                Technician(dealer=dealer, name=name, role=rng.choice(ROLE_MIX), hire_date=hired)
            )
        if rng.random() < 0.3:  # someone who left last year: kept on the roster, not counted
            hired = today - timedelta(days=rng.randint(800, 2000))
            left = today - timedelta(days=rng.randint(30, 300))
            technicians.append(
                Technician(
                    dealer=dealer,
                    name=rng.choice(FAMILY_NAMES) + rng.choice(GIVEN_NAMES),
                    role=TechnicianRole.TECHNICIAN,
                    hire_date=hired,
                    left_on=left,
                )
            )
    Technician.objects.bulk_create(technicians, batch_size=1000)
    technicians = list(Technician.objects.filter(pk__in=[t.pk for t in technicians]).order_by("pk"))

    certifications: list[Certification] = []
    training: list[TrainingRecord] = []
    serial = 0
    for technician in technicians:
        if rng.random() < 0.75:
            name, prefix = rng.choice(CERTIFICATES)
            serial += 1
            roll = rng.random()
            if roll < 0.08:  # expiring within the next 60 days: HQ's list
                expires = today + timedelta(days=rng.randint(3, 58))
            elif roll < 0.15:  # lapsed: not certified any more
                expires = today - timedelta(days=rng.randint(5, 200))
            else:
                expires = today + timedelta(days=rng.randint(90, 900))
            # Issued three years before expiry or at hiring, whichever is later — but always before
            # it expires (a lapsed certificate of someone hired recently was earned elsewhere).
            issued = min(
                max(expires - timedelta(days=365 * 3), technician.hire_date), expires - timedelta(days=30)
            )
            certifications.append(
                Certification(
                    technician=technician,
                    name=name,
                    level=rng.choice(list(CertificationLevel.values)),
                    number=f"{prefix}{issued:%Y}{serial:06d}",
                    issued_on=issued,
                    expires_on=expires,
                )
            )
        for _ in range(rng.randint(0, 4)):
            completed = today - timedelta(days=rng.randint(1, 360))
            if completed < technician.hire_date or (technician.left_on and completed > technician.left_on):
                continue
            training.append(
                TrainingRecord(
                    technician=technician,
                    course=rng.choice(COURSES),
                    hours=Decimal(rng.choice((4, 8, 8, 16, 24, 40))),
                    completed_on=completed,
                )
            )
    Certification.objects.bulk_create(certifications, batch_size=1000)
    TrainingRecord.objects.bulk_create(training, batch_size=1000)
    return {"technicians": len(technicians), "certifications": len(certifications), "training": len(training)}
