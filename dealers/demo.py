"""The demo data set: two years of realistic after-sales data for a new user to explore.

`demo_seed` fills an empty database with dealers in the seven regions and all city tiers,
twenty-four months (so that every month of the last year has the same month a year earlier
to compare with) of repair orders, complaints, parts orders, survey responses and monthly
submissions, scores every month with the real engine, closes all but the last two months
and creates a user for every role.

The data is deterministic for a given seed and end month (`random.Random(seed)`), except
the passwords, which are random every time. Dealers differ in quality by region and city
tier on purpose (西北 and 东北 trail, tier-1 cities lead), so the rankings, the regional
comparison and the daily clearing board have something to show.
"""

from __future__ import annotations

import math
import multiprocessing
import os
import random
import secrets
from collections.abc import Callable, Iterable
from dataclasses import dataclass, field, replace
from datetime import UTC, date, datetime, timedelta
from decimal import Decimal
from operator import attrgetter
from typing import Any, TypeVar

from django.apps import apps
from django.contrib.auth.password_validation import validate_password
from django.core.exceptions import ValidationError
from django.db import IntegrityError, connection, models, transaction
from django.db.models import Max, ProtectedError, RestrictedError
from django.db.models.base import ModelState
from django.db.models.expressions import DatabaseDefault
from django.utils import timezone

from assessments.choices import RecordChannel, RepairType, Severity, SubmissionStatus
from assessments.importing.writing import bulk_insert
from assessments.models import (
    Complaint,
    MonthlySubmission,
    PartsOrder,
    Period,
    RepairOrder,
    Scheme,
    VetoIncident,
)
from assessments.periods import SHANGHAI, Month
from assessments.services.publishing import scheme_load
from assessments.services.recompute import period_close, period_recompute
from assessments.services.schemes import SchemeError, scheme_for_period
from surveys.demo import seed_customer_voice
from surveys.models import SurveyResponse

from .choices import DealerStatus, Role
from .events import record
from .models import AuditEvent, Dealer, Region, User

DEMO_MARKER = "demo.seeded"
DEMO_USERNAMES = ("admin", "hq", "east", "north", "dealer1", "dealer2", "expert")
DEFAULT_DEALERS = 120
DEFAULT_MONTHS = 24
DEFAULT_SEED = 2026
BATCH_SIZE = 2000
M = TypeVar("M", bound=models.Model)
PROJECT_APPS = ("dealers", "assessments", "surveys", "incentives", "goals", "insights", "support")


class DemoError(Exception):
    """The demo data cannot be seeded here; the message is for the operator."""


# --------------------------------------------------------------------------------------
# Geography: real provinces and cities, with a city tier (1 = 一线 … 5 = 四五线).
# Within a region the list is in the order dealers are placed, so that even a dozen
# dealers cover every tier; the rest of the list is a realistic mix.
# --------------------------------------------------------------------------------------


@dataclass(frozen=True)
class City:
    province: str
    name: str
    tier: int


def _cities(rows: str) -> tuple[City, ...]:
    out = []
    for item in rows.split():
        province, name, tier = item.split(":")
        out.append(City(province, name, int(tier)))
    return tuple(out)


REGION_CITIES: dict[str, tuple[City, ...]] = {
    "华东": _cities(
        "上海:上海:1 安徽:宿州:5 浙江:杭州:2 江苏:苏州:2 江苏:南京:2 浙江:宁波:2 山东:青岛:2 安徽:合肥:2 "
        "江苏:无锡:3 福建:厦门:3 福建:福州:3 山东:济南:3 浙江:温州:3 江苏:常州:3 浙江:金华:3 "
        "江苏:扬州:4 安徽:芜湖:4 山东:潍坊:3 浙江:湖州:4 福建:泉州:3 江苏:盐城:4 山东:日照:5 "
        "浙江:丽水:5 福建:南平:5 上海:上海:1 江苏:南通:3"
    ),
    "华南": _cities(
        "广东:深圳:1 广东:梅州:5 广东:广州:1 广东:东莞:2 广东:佛山:2 广西:南宁:3 海南:海口:4 "
        "广东:珠海:3 广东:惠州:3 广西:柳州:4 广西:桂林:4 广东:汕头:4 广东:湛江:4 广东:中山:3 "
        "广东:清远:4 广东:河源:5 广西:北海:5 海南:三亚:4 广东:韶关:5 广西:玉林:5"
    ),
    "华北": _cities(
        "北京:北京:1 河北:石家庄:3 天津:天津:2 山西:太原:3 河北:保定:3 河北:唐山:4 内蒙古:呼和浩特:4 "
        "河北:廊坊:4 河北:邯郸:4 内蒙古:包头:4 山西:大同:5 河北:沧州:4 河北:张家口:5 山西:晋中:5 "
        "河北:承德:5 北京:北京:1 天津:天津:2 山西:运城:5"
    ),
    "华中": _cities(
        "湖北:武汉:2 湖南:岳阳:4 河南:郑州:2 湖南:长沙:2 河南:洛阳:4 江西:南昌:3 湖北:襄阳:4 "
        "湖北:宜昌:4 湖南:株洲:4 湖南:衡阳:4 湖南:常德:4 河南:南阳:4 河南:信阳:5 河南:周口:5 "
        "湖北:荆州:4 湖北:十堰:5 江西:九江:4 江西:赣州:4"
    ),
    "西南": _cities(
        "四川:成都:2 四川:绵阳:4 重庆:重庆:2 云南:昆明:3 贵州:贵阳:3 贵州:遵义:4 四川:南充:4 "
        "四川:宜宾:4 云南:曲靖:5 四川:泸州:4 四川:达州:5 云南:大理:5 贵州:安顺:5 四川:乐山:5 "
        "西藏:拉萨:5 重庆:重庆:2"
    ),
    "西北": _cities(
        "陕西:西安:2 甘肃:兰州:4 新疆:乌鲁木齐:4 宁夏:银川:4 青海:西宁:4 陕西:宝鸡:4 陕西:咸阳:4 "
        "陕西:榆林:4 甘肃:天水:5 甘肃:酒泉:5 新疆:喀什:5 陕西:延安:5 新疆:克拉玛依:5"
    ),
    "东北": _cities(
        "辽宁:沈阳:3 辽宁:大连:3 黑龙江:哈尔滨:3 吉林:长春:3 吉林:吉林:4 辽宁:鞍山:4 黑龙江:大庆:4 "
        "黑龙江:齐齐哈尔:5 辽宁:锦州:4 黑龙江:牡丹江:5 辽宁:营口:4 吉林:四平:5 黑龙江:佳木斯:5"
    ),
}
REGIONS = tuple(REGION_CITIES)
# Dealers per region (for 120 dealers); other counts are shared out in proportion.
REGION_SHARE = {"华东": 26, "华南": 20, "华北": 18, "华中": 16, "西南": 16, "西北": 11, "东北": 13}
# The known regional imbalance: the north-west and the north-east trail.
REGION_QUALITY = {
    "华东": 0.89,
    "华南": 0.87,
    "华北": 0.84,
    "华中": 0.81,
    "西南": 0.78,
    "西北": 0.67,
    "东北": 0.71,
}
# Hours added to parts supply by the distance from the central parts warehouses.
REGION_PARTS_DELAY = {"华东": 0, "华南": 4, "华北": 6, "华中": 8, "西南": 18, "西北": 30, "东北": 24}
TIER_QUALITY = {1: 0.07, 2: 0.04, 3: 0.0, 4: -0.04, 5: -0.08}
TIER_VOLUME = {1: 130, 2: 118, 3: 102, 4: 88, 5: 74}
TIER_LABOUR_RATE = {1: 180, 2: 160, 3: 140, 4: 120, 5: 100}
# Workshop load through the year: busy before Spring Festival, quiet during it.
SEASON = {
    1: 1.10,
    2: 0.80,
    3: 0.98,
    4: 1.0,
    5: 1.02,
    6: 1.0,
    7: 1.05,
    8: 1.06,
    9: 1.0,
    10: 0.94,
    11: 1.0,
    12: 1.04,
}

TRADE_NAMES = (
    "恒信 永达 骏安 锦程 通达 华骏 远通 联众 宏达 瑞丰 鑫源 博众 泰和 嘉华 盛世 安捷 达成 冠城 "
    "众诚 天宇 新世纪 金港 东方 长运 中汽 德盛 和谐 明远 星程 信诚"
).split()
REPAIR_TYPE_WEIGHTS = (
    (RepairType.MAINTENANCE, 0.48),
    (RepairType.REPAIR, 0.27),
    (RepairType.WARRANTY, 0.12),
    (RepairType.ACCIDENT, 0.13),
)
FAULT_CODES = (
    "P0300 P0301 P0171 P0420 P0128 P0442 P0455 P0506 P0700 P0730 P0741 P0016 P0340 P0113 P0562 "
    "U0100 U0121 U0155 B1000 B1318 B1601 B2AAA C0035 C0040 C0265 C1201 C0561 P2187 P0011 P0520"
).split()
VIN_ALPHABET = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
VIN_DIGITS = "0123456789"
_EIGHT_HOURS = timedelta(hours=8)
VIN_VALUES = dict(zip("0123456789", range(10), strict=True)) | {
    **dict(zip("ABCDEFGH", range(1, 9), strict=True)),
    **dict(zip("JKLMN", range(1, 6), strict=True)),
    "P": 7,
    "R": 9,
    **dict(zip("STUVWXYZ", range(2, 10), strict=True)),
}
VIN_WEIGHTS = (8, 7, 6, 5, 4, 3, 2, 10, 0, 9, 8, 7, 6, 5, 4, 3, 2)
COMPLAINT_TEXTS = {
    "quality": ("维修后故障再次出现，客户要求返修", "保养后发动机故障灯亮", "更换配件后异响未消除"),
    "attitude": ("接待人员态度冷淡，解释不清", "服务顾问未按约回电", "客户休息区无人接待"),
    "timeliness": ("交车时间比承诺晚一天", "预约到店后等待超过两小时", "配件迟迟未到，车辆滞留"),
    "price": ("结算金额与报价不符", "工时费高于公示标准", "未经同意增加维修项目"),
    "other": ("车内物品遗失", "洗车不干净", "发票开具错误"),
}
COMPLAINT_CATEGORY_WEIGHTS = (
    ("quality", 0.35),
    ("attitude", 0.2),
    ("timeliness", 0.25),
    ("price", 0.15),
    ("other", 0.05),
)
# How far each factor's answer strays from the overall one: the repair's quality follows it
# closely, reception least, so the survey results page shows factors that differ in weight.
FACET_NOISE: dict[str, tuple[int, ...]] = {
    "repair_quality": (-1, 0, 0, 0, 0, 0, 0, 1),
    "attitude": (-1, 0, 0, 0, 0, 1),
    "timeliness": (-1, -1, 0, 0, 0, 1),
    "diagnosis": (-2, -1, 0, 0, 1, 1),
    "reception": (-2, -1, 0, 0, 1, 2),
}
GOOD_COMMENTS = ("服务很周到", "维修很快，满意", "顾问解释得很清楚", "环境干净，体验好", "")
BAD_COMMENTS = ("等待时间太长", "问题没有一次修好", "价格偏贵", "服务顾问不够耐心", "")
SURNAMES = "王 李 张 刘 陈 杨 赵 黄 周 吴 徐 孙 马 朱 胡 郭 何 林".split()
# Letters and digits that cannot be mistaken for one another when read off a screen.
PASSWORD_ALPHABET = "abcdefghijkmnpqrstuvwxyzABCDEFGHJKLMNPQRSTUVWXYZ23456789"
GIVEN_NAMES = "伟 芳 娜 敏 静 磊 洋 艳 勇 军 杰 涛 明 超 秀英 建华 晓东 海燕".split()


# --------------------------------------------------------------------------------------
# Plans: what the generator decides before it writes anything.
# --------------------------------------------------------------------------------------


@dataclass
class DealerPlan:
    """A dealer to create, with the hidden traits that drive its data."""

    code: str
    name: str
    region: str
    city: City
    opened_on: date
    status: str = DealerStatus.ACTIVE
    quality: float = 0.5
    trend: float = 0.0  # change of quality per month
    volume: float = 100.0  # repair orders a month, before season and noise
    first_month: Month | None = None  # no data before (a dealer opened recently)
    last_month: Month | None = None  # no data after (the terminated dealer)
    suspended_from: Month | None = None


@dataclass
class DemoUser:
    username: str
    role: str
    label: str
    password: str = ""
    dealer_code: str = ""
    regions: tuple[str, ...] = ()
    superuser: bool = False


@dataclass
class DemoResult:
    """What was seeded, for the summary line and the sign-in table."""

    counts: dict[str, int] = field(default_factory=dict)
    periods: list[str] = field(default_factory=list)
    closed: list[str] = field(default_factory=list)
    users: list[DemoUser] = field(default_factory=list)


def region_counts(total: int) -> dict[str, int]:
    """Share `total` dealers out over the regions in proportion, every region at least one."""
    weight = sum(REGION_SHARE.values())
    exact = {r: total * REGION_SHARE[r] / weight for r in REGIONS}
    counts = {r: max(1, math.floor(exact[r])) for r in REGIONS}
    by_remainder = sorted(REGIONS, key=lambda r: exact[r] - math.floor(exact[r]), reverse=True)
    i = 0
    while sum(counts.values()) < total:
        counts[by_remainder[i % len(REGIONS)]] += 1
        i += 1
    while sum(counts.values()) > total:  # only for tiny totals, where max(1, …) overshot
        largest = max(REGIONS, key=lambda r: counts[r])
        counts[largest] -= 1
    return counts


def plan_dealers(rng: random.Random, total: int, months: list[Month]) -> list[DealerPlan]:
    """Place dealers round-robin over the regions (GL0001 in 华东, GL0002 in 华南 …)."""
    counts = region_counts(total)
    placed = dict.fromkeys(REGIONS, 0)
    plans: list[DealerPlan] = []
    used_names: set[str] = set()
    while len(plans) < total:
        for region in REGIONS:
            if placed[region] >= counts[region]:
                continue
            cities = REGION_CITIES[region]
            index = placed[region]
            city = cities[index] if index < len(cities) else rng.choice(cities)
            placed[region] += 1
            code = f"GL{len(plans) + 1:04d}"
            name = _dealer_name(rng, city, used_names)
            quality = REGION_QUALITY[region] + TIER_QUALITY[city.tier] + rng.gauss(0, 0.08)
            plans.append(
                DealerPlan(
                    code=code,
                    name=name,
                    region=region,
                    city=city,
                    opened_on=date(rng.randint(2004, 2021), rng.randint(1, 12), rng.randint(1, 28)),
                    quality=min(0.97, max(0.05, quality)),
                    trend=rng.gauss(0.002, 0.008),
                    volume=min(150.0, max(60.0, TIER_VOLUME[city.tier] * rng.uniform(0.82, 1.15))),
                )
            )
    _plan_special_dealers(rng, plans, months)
    return plans


def _dealer_name(rng: random.Random, city: City, used: set[str]) -> str:
    for _attempt in range(50):
        name = f"{city.name}{rng.choice(TRADE_NAMES)}汽车销售服务有限公司"
        if name not in used:
            used.add(name)
            return name
    name = f"{city.name}{rng.choice(TRADE_NAMES)}{len(used)}汽车销售服务有限公司"
    used.add(name)
    return name


def _plan_special_dealers(rng: random.Random, plans: list[DealerPlan], months: list[Month]) -> None:
    """A few suspended dealers, one terminated, one opened recently; never the demo users' dealers."""
    protected = {plans[0].code, _weak_showcase(plans).code}
    candidates = [p for p in plans if p.code not in protected]
    if len(candidates) < 3:
        return
    last = months[-1]
    # The newcomer opened at the start of the second-to-last month: no scorecard before it.
    newcomer = rng.choice(candidates)
    newcomer.opened_on = last.shift(-1).first_day
    newcomer.first_month = last.shift(-1)
    newcomer.volume *= 0.6
    candidates.remove(newcomer)
    # The weakest dealers: one terminated a few months ago, a few suspended for the last two months.
    weakest = sorted(candidates, key=lambda p: p.quality)
    terminated = weakest[0]
    terminated.status = DealerStatus.TERMINATED
    terminated.last_month = months[max(0, len(months) - 4)]
    suspended_count = max(1, round(len(plans) * 0.025))
    for plan in weakest[1 : 1 + suspended_count]:
        plan.status = DealerStatus.SUSPENDED
        plan.suspended_from = last.shift(-1)


def _weak_showcase(plans: list[DealerPlan]) -> DealerPlan:
    """The first dealer in 西北: its user shows what a weak region's dealer sees."""
    return next((p for p in plans if p.region == "西北"), plans[-1])


# --------------------------------------------------------------------------------------
# Service data, dealer by dealer and month by month.
# --------------------------------------------------------------------------------------


def vin(rng: random.Random) -> str:
    """A well-formed Chinese VIN (WMI 'L…', ISO 3779 check digit, no I/O/Q)."""
    # choices(k=…) draws each character from random() once; choice() draws bits in a loop.
    body = "L" + rng.choice("BGKS") + rng.choice("3ABC") + "".join(rng.choices(VIN_ALPHABET, k=5))
    tail = rng.choice("LMNPRST") + rng.choice("ABCDEFGH") + "".join(rng.choices(VIN_DIGITS, k=6))
    total = sum(VIN_VALUES[c] * w for c, w in zip(body + "0" + tail, VIN_WEIGHTS, strict=True))
    check = "X" if total % 11 == 10 else str(total % 11)
    return body + check + tail


def lognormal(rng: random.Random, median: float, sigma: float) -> float:
    return median * math.exp(rng.gauss(0, sigma))


def weighted(rng: random.Random, pairs: Iterable[tuple[Any, float]]) -> Any:
    items = list(pairs)
    return rng.choices([k for k, _w in items], weights=[w for _k, w in items])[0]


def money(value: float) -> Decimal:
    return Decimal(str(round(max(0.0, value), 2)))


def random_moment(rng: random.Random, month: Month, *, first_hour: int = 8, last_hour: int = 18) -> datetime:
    day = rng.randint(1, month.last_day.day)
    minute = rng.randint(first_hour * 60, last_hour * 60 - 1)
    return datetime(
        month.year, month.month, day, minute // 60, minute % 60, rng.randint(0, 59), tzinfo=SHANGHAI
    )


@dataclass
class Generator:
    """Writes one dealer's data for every month, in batches."""

    seed: int
    now: datetime
    months: list[Month]
    hq_reviewer_id: int
    # In a worker process (`collect`): rows become INSERT batches kept for the parent, which
    # writes them; repair order ids count from 1 and the parent shifts them into place.
    collect: bool = False
    batches: list[InsertBatch] = field(default_factory=list)
    rng: random.Random = field(default_factory=random.Random)
    pending: dict[type[models.Model], list[models.Model]] = field(default_factory=dict)
    written: dict[str, int] = field(default_factory=dict)
    ro_sequence: dict[str, int] = field(default_factory=dict)
    next_ro_id: int | None = None

    def imported(self, moment: datetime) -> datetime:
        """Dealers upload each day's data the next evening."""
        day = moment.astimezone(SHANGHAI).date() + timedelta(days=1)
        at = datetime(day.year, day.month, day.day, 23, self.rng.randint(0, 50), tzinfo=SHANGHAI)
        return min(at, self.now)

    def quality(self, plan: DealerPlan, month_index: int) -> float:
        q = plan.quality + plan.trend * month_index + self.rng.gauss(0, 0.035)
        return min(0.99, max(0.02, q))

    def dealer(self, plan: DealerPlan, dealer: Dealer) -> None:
        # Each dealer's own random stream: its data does not depend on which process made it
        # or on the dealers before it.
        self.rng = random.Random(f"{self.seed}:{plan.code}")
        for index, month in enumerate(self.months):
            if plan.first_month and month < plan.first_month:
                continue
            if plan.last_month and month > plan.last_month:
                continue
            q = self.quality(plan, index)
            volume = plan.volume * SEASON[month.month] * self.rng.uniform(0.9, 1.1)
            if plan.first_month == month:
                volume *= 0.45  # a new workshop ramps up
            if plan.suspended_from and month >= plan.suspended_from:
                volume *= 0.6
            orders = self.repair_orders(plan, dealer, month, q, round(volume))
            self.complaints(dealer, month, q, orders)
            self.surveys(dealer, month, q, orders)
            self.parts_orders(plan, dealer, month, q, round(volume * self.rng.uniform(0.25, 0.4)))
            self.submission(plan, dealer, month, q)

    # Repair orders ------------------------------------------------------------------

    def repair_orders(
        self, plan: DealerPlan, dealer: Dealer, month: Month, q: float, count: int
    ) -> list[RepairOrder]:
        rng = self.rng
        orders = []
        for _ in range(count):
            repair_type = weighted(rng, REPAIR_TYPE_WEIGHTS)
            opened = random_moment(rng, month)
            orders.append(self._repair_order(plan, dealer, q, repair_type, opened, rng_vin=vin(rng)))
        # Comebacks: the same vehicle back with the same fault within 30 days.
        comebacks = []
        for order in orders:
            if order.repair_type not in (RepairType.REPAIR, RepairType.WARRANTY) or order.closed_at is None:
                continue
            if rng.random() < 0.01 + 0.13 * (1 - q):
                back = order.closed_at + timedelta(hours=rng.uniform(6, 27 * 24))
                if back < self.now:
                    comebacks.append(
                        self._repair_order(
                            plan,
                            dealer,
                            q,
                            order.repair_type,
                            back,
                            rng_vin=order.vin,
                            fault_code=order.fault_code,
                            walk_in=True,
                        )
                    )
        orders.extend(comebacks)
        self._number(dealer, orders)
        self.add(RepairOrder, orders)
        return [o for o in orders if Month.of(o.opened_at) == month]

    def _repair_order(
        self,
        plan: DealerPlan,
        dealer: Dealer,
        q: float,
        repair_type: str,
        opened: datetime,
        *,
        rng_vin: str,
        fault_code: str = "",
        walk_in: bool = False,
    ) -> RepairOrder:
        rng = self.rng
        booked = None
        p_booked = 0.35 + 0.45 * q + (0.12 if repair_type == RepairType.MAINTENANCE else 0)
        if not walk_in and repair_type != RepairType.ACCIDENT and rng.random() < p_booked:
            lead_days = min(30.0, max(0.08, rng.expovariate(1 / (7.5 - 6.5 * q))))
            booked = opened - timedelta(days=lead_days)
        if repair_type == RepairType.MAINTENANCE:
            cycle = lognormal(rng, 2.5, 0.4)
            labor_hours = rng.uniform(0.5, 1.5)
            parts = rng.uniform(280, 950)
        elif repair_type == RepairType.ACCIDENT:
            cycle = lognormal(rng, 70 + 100 * (1 - q), 0.5)
            labor_hours = lognormal(rng, 12, 0.5)
            parts = lognormal(rng, 6000, 0.7)
        else:
            cycle = lognormal(rng, (90 - 70 * q) * (1.2 if repair_type == RepairType.WARRANTY else 1), 0.6)
            labor_hours = lognormal(rng, 3, 0.5)
            parts = lognormal(rng, 1200, 0.8)
        cycle = max(0.5, cycle)
        closed: datetime | None = opened + timedelta(hours=cycle)
        # Late in the last month some accident repairs still wait for body parts.
        waiting_for_parts = (
            repair_type == RepairType.ACCIDENT
            and Month.of(opened) == self.months[-1]
            and self.months[-1].end - opened < timedelta(days=10)
            and rng.random() < 0.3
        )
        if waiting_for_parts or (closed is not None and closed > self.now):
            closed = None
        promised = None
        if rng.random() < 0.88 + 0.08 * q:
            if closed is None:
                promised = opened + timedelta(hours=cycle * rng.uniform(0.5, 0.9))
            elif rng.random() < 0.68 + 0.31 * q:
                promised = closed + timedelta(hours=rng.uniform(0, 0.3 * cycle + 1))
            else:
                promised = opened + timedelta(hours=cycle * rng.uniform(0.4, 0.95))
        if repair_type in (RepairType.REPAIR, RepairType.WARRANTY):
            fault_code = fault_code or rng.choice(FAULT_CODES)
        labor = labor_hours * TIER_LABOUR_RATE[plan.city.tier]
        warranty_cost = 0.0
        if repair_type == RepairType.WARRANTY:
            warranty_cost = lognormal(rng, 900 + 2200 * (1 - q), 0.5)
            labor, parts = warranty_cost * 0.3, warranty_cost * 0.7
        return new_row(
            RepairOrder,
            dealer_id=dealer.pk,
            vin=rng_vin,
            repair_type=repair_type,
            booked_at=booked,
            opened_at=opened,
            promised_at=promised,
            closed_at=closed,
            fault_code=fault_code,
            labor_hours=money(labor_hours),
            labor_amount=money(labor),
            parts_amount=money(parts),
            warranty_cost=money(warranty_cost),
            imported_at=self.imported(closed or opened),
            created_channel=RecordChannel.DMS_API,
        )

    def _number(self, dealer: Dealer, orders: list[RepairOrder]) -> None:
        """Order numbers as a DMS gives them: dealer, month, sequence by opening time."""
        for order in sorted(orders, key=lambda o: o.opened_at):
            prefix = f"{dealer.code}-{order.opened_at.astimezone(SHANGHAI):%Y%m}"
            self.ro_sequence[prefix] = self.ro_sequence.get(prefix, 0) + 1
            order.ro_number = f"{prefix}-{self.ro_sequence[prefix]:04d}"

    # Complaints ---------------------------------------------------------------------

    def complaints(self, dealer: Dealer, month: Month, q: float, orders: list[RepairOrder]) -> None:
        rng = self.rng
        delivered = [o for o in orders if o.closed_at is not None]
        per_thousand = 1 + 18 * (1 - q) ** 1.5
        count = _poisson(rng, len(delivered) * per_thousand / 1000)
        rows = []
        for _ in range(count):
            order = rng.choice(delivered) if delivered and rng.random() < 0.75 else None
            if order is not None and order.closed_at is not None:
                received = order.closed_at + timedelta(hours=rng.uniform(2, 96))
            else:
                received = random_moment(rng, month, first_hour=8, last_hour=21)
            if received >= self.now:
                continue
            closed: datetime | None
            if rng.random() < 0.5 + 0.48 * q:
                closed = received + timedelta(hours=rng.uniform(0.5, 23.5))
            else:
                closed = received + timedelta(hours=rng.uniform(26, 240))
            recent = Month.of(received) >= self.months[-1]
            if closed > self.now or (recent and rng.random() < 0.15 + 0.35 * (1 - q)):
                closed = None  # still open: the daily clearing board shows it
            category = weighted(rng, COMPLAINT_CATEGORY_WEIGHTS)
            rows.append(
                new_row(
                    Complaint,
                    complaint_id="",
                    dealer_id=dealer.pk,
                    repair_order_id=None if order is None else order.id,
                    received_at=received,
                    closed_at=closed,
                    category=category,
                    severity=Severity.MAJOR if rng.random() < 0.06 + 0.1 * (1 - q) else Severity.NORMAL,
                    description=rng.choice(COMPLAINT_TEXTS[category]),
                    imported_at=self.imported(closed or received),
                    created_channel=RecordChannel.HQ_IMPORT,
                )
            )
        for i, row in enumerate(sorted(rows, key=lambda r: r.received_at), start=1):
            row.complaint_id = f"TS-{dealer.code}-{month.year}{month.month:02d}-{i:03d}"
        self.add(Complaint, rows)

    # Survey responses ---------------------------------------------------------------

    def surveys(self, dealer: Dealer, month: Month, q: float, orders: list[RepairOrder]) -> None:
        rng = self.rng
        d = 1 - q
        weights = [0.9 - 0.55 * d, 0.08 + 0.27 * d, 0.015 + 0.13 * d, 0.004 + 0.08 * d]
        weights.append(max(0.0, 1 - sum(weights)))
        rows = []
        rate = rng.uniform(0.25, 0.4)
        for order in orders:
            if order.closed_at is None or rng.random() > rate:
                continue
            responded = order.closed_at + timedelta(hours=rng.uniform(20, 7 * 24))
            if responded >= self.now:
                continue
            overall = rng.choices([5, 4, 3, 2, 1], weights=weights)[0]

            def facet(name: str) -> int | None:
                if rng.random() < 0.1:
                    return None
                return min(5, max(1, overall + rng.choice(FACET_NOISE[name])))  # noqa: B023

            nps = None
            if rng.random() < 0.85:
                nps = {5: rng.choice((8, 9, 9, 10, 10, 10)), 4: rng.randint(7, 9), 3: rng.randint(5, 7)}.get(
                    overall, rng.randint(0, 5)
                )
            comment = ""
            if rng.random() < 0.25:
                comment = rng.choice(GOOD_COMMENTS if overall >= 4 else BAD_COMMENTS)
            rows.append(
                new_row(
                    SurveyResponse,
                    response_id="",
                    dealer_id=dealer.pk,
                    repair_order_id=order.id,
                    responded_at=responded,
                    overall=overall,
                    reception=facet("reception"),
                    diagnosis=facet("diagnosis"),
                    repair_quality=facet("repair_quality"),
                    attitude=facet("attitude"),
                    timeliness=facet("timeliness"),
                    nps=nps,
                    comment=comment,
                    imported_at=self.imported(responded),
                    created_channel=RecordChannel.HQ_IMPORT,
                )
            )
        for i, row in enumerate(rows, start=1):
            row.response_id = f"WJ-{dealer.code}-{month.year}{month.month:02d}-{i:04d}"
        self.add(SurveyResponse, rows)

    # Parts orders -------------------------------------------------------------------

    def parts_orders(self, plan: DealerPlan, dealer: Dealer, month: Month, q: float, count: int) -> None:
        rng = self.rng
        rows = []
        median_hours = 22 + 80 * (1 - q) + REGION_PARTS_DELAY[plan.region]
        for i in range(1, count + 1):
            ordered = random_moment(rng, month, first_hour=8, last_hour=20)
            fulfilled: datetime | None = ordered + timedelta(
                hours=max(2.0, lognormal(rng, median_hours, 0.55))
            )
            if fulfilled is not None and (fulfilled > self.now or rng.random() < 0.02):
                fulfilled = None  # back-ordered
            rows.append(
                new_row(
                    PartsOrder,
                    order_id=f"PO-{dealer.code}-{month.year}{month.month:02d}-{i:04d}",
                    dealer_id=dealer.pk,
                    part_number=f"{rng.choice((1016, 1017, 2014, 4012, 6600, 8889))}{rng.randint(0, 999999):06d}",
                    quantity=rng.choice((1, 1, 1, 1, 2, 2, 3, 4)),
                    ordered_at=ordered,
                    fulfilled_at=fulfilled,
                    imported_at=self.imported(fulfilled or ordered),
                    created_channel=RecordChannel.DMS_API,
                )
            )
        self.add(PartsOrder, rows)

    # Monthly submissions ------------------------------------------------------------

    def submission(self, plan: DealerPlan, dealer: Dealer, month: Month, q: float) -> None:
        rng = self.rng
        if rng.random() < 0.04:
            return  # not submitted this month
        technicians = max(4, round(plan.volume / 8) + rng.randint(-2, 2))
        certified = min(technicians, round(technicians * min(1.0, 0.58 + 0.42 * q + rng.gauss(0, 0.05))))
        equipment = rng.randint(24, 60) if plan.city.tier <= 2 else rng.randint(18, 40)
        working = min(equipment, round(equipment * min(1.0, 0.8 + 0.2 * q + rng.gauss(0, 0.02))))
        training = technicians * max(0.0, (1.5 + 7 * q) * rng.uniform(0.8, 1.2))
        submitted = datetime(
            month.end.year, month.end.month, rng.randint(1, 5), 17, rng.randint(0, 59), tzinfo=SHANGHAI
        )
        reviewed = submitted + timedelta(hours=rng.uniform(12, 72))
        status, comment = SubmissionStatus.APPROVED, ""
        if month == self.months[-1] and rng.random() < 0.08:
            status, reviewed = SubmissionStatus.SUBMITTED, None  # waiting for HQ
        elif month == self.months[-1] and rng.random() < 0.03:
            status, comment = SubmissionStatus.RETURNED, "持证技师人数与培训记录不一致，请核实后重新提交。"
        if submitted > self.now:
            return
        if reviewed is not None and reviewed > self.now:
            status, reviewed = SubmissionStatus.SUBMITTED, None
        self.add(
            MonthlySubmission,
            [
                new_row(
                    MonthlySubmission,
                    dealer_id=dealer.pk,
                    period=str(month),
                    technicians=technicians,
                    certified_technicians=certified,
                    equipment_total=equipment,
                    equipment_ok=working,
                    training_hours=money(training),
                    status=status,
                    submitted_at=submitted,
                    reviewed_at=reviewed,
                    reviewed_by_id=self.hq_reviewer_id if reviewed else None,
                    review_comment=comment,
                )
            ],
        )

    # Writing ------------------------------------------------------------------------

    def add(self, model: type[models.Model], rows: list[Any]) -> None:
        if not rows:
            return
        if model is RepairOrder:
            # Repair orders are written at once: complaints and surveys point at them.
            if self.collect:
                self.next_ro_id = self.next_ro_id or 1
                for order in rows:
                    order.id, self.next_ro_id = self.next_ro_id, self.next_ro_id + 1
                self.batches.append(sqlite_rows(RepairOrder, rows, with_ids=True))
            elif connection.vendor == "sqlite":
                # Their ids given here (the database is the demo's alone, inside one
                # transaction), so the cheap INSERT below serves them too.
                if self.next_ro_id is None:
                    self.next_ro_id = (RepairOrder.objects.aggregate(top=Max("id"))["top"] or 0) + 1
                for order in rows:
                    order.id, self.next_ro_id = self.next_ro_id, self.next_ro_id + 1
                sqlite_insert(RepairOrder, rows, with_ids=True)
            else:
                RepairOrder.objects.bulk_create(rows, batch_size=BATCH_SIZE)
            self.written["repair_orders"] = self.written.get("repair_orders", 0) + len(rows)
            return
        self.pending.setdefault(model, []).extend(rows)
        if len(self.pending[model]) >= BATCH_SIZE:
            self.flush(model)

    def flush(self, model: type[models.Model] | None = None) -> None:
        for kind in [model] if model else list(self.pending):
            rows = self.pending.pop(kind, [])
            if rows:
                if self.collect:
                    self.batches.append(sqlite_rows(kind, rows))
                elif connection.vendor == "sqlite":
                    sqlite_insert(kind, rows)
                else:
                    bulk_insert(kind, rows)  # the import's fast path: their ids are not needed back
                key = COUNT_KEYS[kind]
                self.written[key] = self.written.get(key, 0) + len(rows)


# Dealers per task of a worker process: small enough to keep both cores busy to the end.
DEALERS_PER_TASK = 4
# What the worker processes read: set in the parent just before they are forked.
_WORK: tuple[Generator, list[tuple[DealerPlan, Dealer]]] | None = None


def generate_service_data(
    generator: Generator, dealers: list[tuple[DealerPlan, Dealer]], progress: Callable[[str], None]
) -> dict[str, int]:
    """Every dealer's service data for every month, written; returns the counts written.

    On SQLite with more than one core the rows are made in worker processes, a few dealers
    per task, while this process writes the finished tasks in dealer order (SQLite takes
    one writer; making the rows is most of the seed's time). The workers never touch the
    database; their repair order ids are shifted into place here. Elsewhere (PostgreSQL)
    one process makes and writes them. Each dealer has its own random stream, so the data
    is the same either way."""
    global _WORK
    workers = min(2, os.cpu_count() or 1)
    if connection.vendor != "sqlite" or workers < 2 or len(dealers) < 2 * DEALERS_PER_TASK:
        for i, (plan, dealer) in enumerate(dealers, start=1):
            generator.dealer(plan, dealer)
            if i % 20 == 0 or i == len(dealers):
                progress(f"  {i}/{len(dealers)} dealers")
        generator.flush()
        return generator.written
    generator.collect = True
    tasks = [
        range(i, min(i + DEALERS_PER_TASK, len(dealers))) for i in range(0, len(dealers), DEALERS_PER_TASK)
    ]
    next_ro_id = (RepairOrder.objects.aggregate(top=Max("id"))["top"] or 0) + 1
    written: dict[str, int] = {}
    done = 0
    _WORK = (generator, dealers)
    try:
        with multiprocessing.get_context("fork").Pool(workers) as pool:
            for batches, counts, orders in pool.imap(_generate_task, tasks):
                for batch in batches:
                    batch.shift(
                        "id" if batch.table == RepairOrder._meta.db_table else "repair_order_id",
                        next_ro_id - 1,
                    )
                    batch.write()
                next_ro_id += orders
                for key, n in counts.items():
                    written[key] = written.get(key, 0) + n
                before, done = done, done + DEALERS_PER_TASK
                if done // 20 > before // 20 or done >= len(dealers):
                    progress(f"  {min(done, len(dealers))}/{len(dealers)} dealers")
    finally:
        _WORK = None
    return written


def _generate_task(indices: range) -> tuple[list[InsertBatch], dict[str, int], int]:
    """In a worker: the rows of the dealers at `indices`, as INSERT batches with repair order
    ids from 1; with the counts and the number of repair orders made."""
    assert _WORK is not None
    template, dealers = _WORK
    generator = replace(template, batches=[], pending={}, written={}, ro_sequence={}, next_ro_id=None)
    for i in indices:
        generator.dealer(*dealers[i])
    generator.flush()
    return generator.batches, generator.written, (generator.next_ro_id or 1) - 1


_ROW_DEFAULTS: dict[type[models.Model], tuple[dict[str, Any], list[Any]]] = {}


def new_row(model: type[M], **values: Any) -> M:
    """A new `model` instance for a bulk write, made without `Model.__init__` (a fifth of the
    seed's time went there): `values` by attribute name (`dealer_id`, not `dealer`), every
    other field at its default, and a field with a database default left to the database, as
    `__init__` would leave them."""
    if model not in _ROW_DEFAULTS:
        fixed: dict[str, Any] = {}
        called = []
        for f in model._meta.concrete_fields:
            if f.has_default() and callable(f.default):
                called.append(f)
            else:  # a database default gives a DatabaseDefault here, as in __init__
                fixed[f.attname] = f.get_default()
        _ROW_DEFAULTS[model] = (fixed, called)
    fixed, called = _ROW_DEFAULTS[model]
    obj = model.__new__(model)
    obj._state = ModelState()
    obj.__dict__.update(fixed)
    for f in called:
        obj.__dict__[f.attname] = f.get_default()
    obj.__dict__.update(values)
    return obj


def _sqlite_converter(model_field: Any) -> Callable[[Any], Any] | None:
    """How a generated value becomes what the SQLite driver takes for `model_field`, the cheap
    way (None: as it is). Django's own way (`get_db_prep_save` per value) was most of the
    seed's time. The generator's values are well-formed: aware datetimes, Decimals."""
    internal = model_field.get_internal_type()
    if internal == "DateTimeField":

        def stored_datetime(value: Any) -> Any:
            # What Django's SQLite backend stores: the UTC wall time as text. Shanghai time from
            # 1992 on is UTC+8 all year: subtracting the offset skips the time-zone look-up.
            if value is None or value.tzinfo is None:
                return model_field.get_db_prep_save(value, connection)
            if value.tzinfo is SHANGHAI and value.year >= 1992:
                return str(value.replace(tzinfo=None) - _EIGHT_HOURS)
            return str(value.astimezone(UTC).replace(tzinfo=None))

        return stored_datetime
    if internal == "DecimalField":
        return lambda value: (
            str(value) if isinstance(value, Decimal) else model_field.get_db_prep_save(value, connection)
        )
    if internal in (
        "CharField",
        "TextField",
        "ForeignKey",
        "BooleanField",
        "FloatField",
    ) or internal.endswith(("IntegerField", "AutoField")):
        return None
    return lambda value: model_field.get_db_prep_save(value, connection)


@dataclass
class InsertBatch:
    """Rows for one prepared INSERT into `table`, as the SQLite driver takes them."""

    table: str
    columns: list[str]
    rows: list[list[Any]]

    def shift(self, column: str, by: int) -> None:
        """Add `by` to `column` in every row (ids made in a worker, moved into place)."""
        if column in self.columns and by:
            i = self.columns.index(column)
            for row in self.rows:
                if row[i] is not None:
                    row[i] += by

    def write(self) -> None:
        quote = connection.ops.quote_name
        sql = (
            f"INSERT INTO {quote(self.table)} ({', '.join(quote(c) for c in self.columns)})"
            f" VALUES ({', '.join(['%s'] * len(self.columns))})"
        )
        with connection.cursor() as cursor:
            cursor.executemany(sql, self.rows)


def sqlite_insert(model: type[models.Model], objs: list[Any], *, with_ids: bool = False) -> None:
    """The demo's rows by one prepared INSERT run over all of them (`executemany`), like the
    import's `bulk_insert`, with cheaper value conversion (`_sqlite_converter`); with their
    ids when `with_ids`."""
    sqlite_rows(model, objs, with_ids=with_ids).write()


def sqlite_rows(model: type[models.Model], objs: list[Any], *, with_ids: bool = False) -> InsertBatch:
    """`objs` as an INSERT batch for SQLite (no database access: it runs in worker processes
    too). Columns left to a database default in the first row are left to it in all of them."""
    first = objs[0]
    fields = [
        f
        for f in model._meta.concrete_fields
        if (with_ids or not f.primary_key) and not isinstance(getattr(first, f.attname), DatabaseDefault)
    ]
    converters = [(i, c) for i, c in enumerate(_sqlite_converter(f) for f in fields) if c is not None]
    read = attrgetter(*(f.attname for f in fields))
    params = []
    for obj in objs:
        row = list(read(obj))
        for i, convert in converters:
            row[i] = convert(row[i])
        params.append(row)
    return InsertBatch(model._meta.db_table, [f.column for f in fields], params)


COUNT_KEYS: dict[type[models.Model], str] = {
    Complaint: "complaints",
    PartsOrder: "parts_orders",
    SurveyResponse: "survey_responses",
    MonthlySubmission: "submissions",
}


def _poisson(rng: random.Random, mean: float) -> int:
    """Knuth's method; the means here are small."""
    limit, k, p = math.exp(-mean), 0, 1.0
    while True:
        p *= rng.random()
        if p <= limit:
            return k
        k += 1


# --------------------------------------------------------------------------------------
# Users
# --------------------------------------------------------------------------------------


def plan_users(plans: list[DealerPlan]) -> list[DemoUser]:
    """A user for every role: HQ admin, HQ manager, two regional managers, two dealers' users."""
    showcase = _weak_showcase(plans)
    return [
        DemoUser("admin", Role.HQ_ADMIN, "HQ admin (also the Django admin)", superuser=True),
        DemoUser("hq", Role.HQ_MANAGER, "HQ manager"),
        DemoUser("east", Role.REGIONAL_MANAGER, "regional manager, 华东", regions=("华东",)),
        DemoUser("north", Role.REGIONAL_MANAGER, "regional manager, 华北 + 东北", regions=("华北", "东北")),
        DemoUser(
            "dealer1",
            Role.DEALER_USER,
            f"dealer user, {plans[0].code} {plans[0].city.name}",
            dealer_code=plans[0].code,
        ),
        DemoUser(
            "dealer2",
            Role.DEALER_USER,
            f"dealer user, {showcase.code} {showcase.city.name}",
            dealer_code=showcase.code,
        ),
        DemoUser("expert", Role.TECH_EXPERT, "HQ technical expert (senior)"),
    ]


def new_password(user: User) -> str:
    """A random password that Django's validators accept (length, not common, not like the name)."""
    while True:
        password = "".join(secrets.choice(PASSWORD_ALPHABET) for _ in range(14))
        try:
            validate_password(password, user)
        except ValidationError:
            continue
        return password


def create_user(spec: DemoUser, regions: dict[str, Region], dealers: dict[str, Dealer]) -> User:
    rng = random.Random(spec.username)  # the same display name every time
    user = User(
        username=spec.username,
        role=spec.role,
        first_name=rng.choice(GIVEN_NAMES),
        last_name=rng.choice(SURNAMES),
        email=f"{spec.username}@demo.aftersales.local",
        is_staff=spec.superuser,
        is_superuser=spec.superuser,
        dealer=dealers.get(spec.dealer_code),
    )
    spec.password = new_password(user)
    user.set_password(spec.password)
    user.save()
    if spec.regions:
        user.regions.set([regions[name] for name in spec.regions])
    return user


def demo_users_new_passwords() -> list[DemoUser]:
    """Give the demo users fresh passwords (they are printed once, when seeded)."""
    out = []
    users = (
        User.objects.filter(username__in=DEMO_USERNAMES).select_related("dealer").prefetch_related("regions")
    )
    for user in users.order_by("id"):
        spec = DemoUser(user.username, user.role, str(Role(user.role).label) if user.role else "")
        if user.dealer is not None:
            spec.label = f"{spec.label}, {user.dealer.code} {user.dealer.city}"
        names = [r.name for r in user.regions.all()]
        if names:
            spec.label = f"{spec.label}, {' + '.join(names)}"
        spec.password = new_password(user)
        user.set_password(spec.password)
        user.save(update_fields=["password"])
        out.append(spec)
    return out


# --------------------------------------------------------------------------------------
# The service
# --------------------------------------------------------------------------------------

# Before STD-2026 took effect the company assessed with the 2025 scheme: slightly
# different weights and a looser repair-cycle floor. Loaded only when a demo month needs it.
STD_2025 = {
    "code": "STD-2025",
    "name": "2025 standard assessment",
    "effective_from": "2025-01",
    "min_coverage": 0.6,
    "grade_bands": [["A", 90], ["B", 80], ["C", 70], ["D", 0]],
    "major_complaint_deduction": {"per_item": 2, "cap": 10},
    "kpis": [
        {"code": "certified_staff_rate", "weight": 8, "floor": 60, "target": 100, "min_sample": 1},
        {"code": "equipment_availability_rate", "weight": 6, "floor": 80, "target": 100, "min_sample": 1},
        {"code": "training_hours_per_technician", "weight": 6, "floor": 0, "target": 8, "min_sample": 1},
        {"code": "appointment_lead_days", "weight": 7, "floor": 7, "target": 1, "min_sample": 10},
        {"code": "repair_cycle_hours", "weight": 8, "floor": 120, "target": 24, "min_sample": 10},
        {"code": "on_time_delivery_rate", "weight": 7, "floor": 70, "target": 98, "min_sample": 10},
        {"code": "parts_supply_hours", "weight": 6, "floor": 120, "target": 24, "min_sample": 5},
        {"code": "complaint_closure_24h_rate", "weight": 7, "floor": 50, "target": 100, "min_sample": 1},
        {"code": "csat", "weight": 16, "floor": 60, "target": 95, "min_sample": 10},
        {"code": "first_time_fix_rate", "weight": 12, "floor": 85, "target": 98, "min_sample": 10},
        {"code": "complaint_rate", "weight": 10, "floor": 10, "target": 1, "min_sample": 30},
        {"code": "warranty_cost_per_claim", "weight": 7, "floor": 3000, "target": 800, "min_sample": 5},
        {"code": "repair_count", "weight": 0},
        {"code": "repair_output_value", "weight": 0},
        {"code": "nps", "weight": 0},
    ],
}


def demo_months(until: Month, count: int) -> list[Month]:
    return [until.shift(-i) for i in reversed(range(count))]


def last_complete_month(today: date) -> Month:
    return Month(today.year, today.month).shift(-1)


def demo_state() -> str:
    """'empty', 'demo' (seeded by seed_demo) or 'foreign' (someone else's dealers)."""
    if AuditEvent.objects.filter(action=DEMO_MARKER).exists():
        return "demo"
    if Dealer.objects.exists():
        return "foreign"
    return "empty"


def demo_reset() -> None:
    """Delete the demo data set: every dealer and everything that hangs off dealers, the demo users."""
    if demo_state() == "foreign":
        raise DemoError(
            "This database holds dealers that seed_demo did not create; --reset leaves them alone."
        )
    with transaction.atomic():
        User.objects.filter(username__in=DEMO_USERNAMES).delete()
        User.objects.filter(dealer__isnull=False).delete()
        _delete_project_rows()
        Scheme.objects.filter(code=STD_2025["code"]).delete()


def _delete_project_rows() -> None:
    """Delete every row that hangs off a dealer, a region or a period, and the audit trail.

    Later features add models that point at dealers; finding them through their foreign
    keys, and deleting in passes while a PROTECT still holds, keeps this right without a
    hand-kept list. What migrations ship (KPI catalogue, schemes, templates, rules) stays.
    """
    remaining = [*_models_owned_by(Dealer, Region, Period), AuditEvent]
    for _pass in range(len(remaining) + 1):
        blocked = []
        for model in remaining:
            try:
                with transaction.atomic():
                    model._base_manager.all().delete()
            except (ProtectedError, RestrictedError, IntegrityError):
                blocked.append(model)
        if not blocked:
            return
        remaining = blocked
    raise DemoError(f"Could not delete the demo rows of: {', '.join(m._meta.label for m in remaining)}")


def _models_owned_by(*roots: type[models.Model]) -> list[type[models.Model]]:
    """The project's models that reach one of `roots` through foreign keys, the roots included.

    Users are left out: everything points at a user (created_by …), and users are not data.
    """
    candidates = [m for app in PROJECT_APPS for m in apps.get_app_config(app).get_models() if m is not User]
    owned: list[type[models.Model]] = list(roots)
    grew = True
    while grew:
        grew = False
        for model in candidates:
            if model in owned:
                continue
            targets = {f.related_model for f in model._meta.concrete_fields if f.is_relation}
            if targets & set(owned):
                owned.append(model)
                grew = True
    return owned


def demo_seed(
    *,
    dealers: int = DEFAULT_DEALERS,
    months: int = DEFAULT_MONTHS,
    until: Month | None = None,
    seed: int = DEFAULT_SEED,
    progress: Callable[[str], None] = lambda _message: None,
) -> DemoResult:
    """Seed an empty database with the demo data set, score it, and create the demo users."""
    if dealers < len(REGIONS):
        raise DemoError(f"--dealers must be at least {len(REGIONS)}, one per region.")
    if not 1 <= months <= 36:
        raise DemoError("--months must be between 1 and 36.")
    state = demo_state()
    if state != "empty":
        raise DemoError(f"The database is not empty ({state}).")
    now = timezone.now()
    until = until or last_complete_month(timezone.localdate())
    if until.end > now:
        raise DemoError(f"{until} has not ended yet; demo data covers complete months only.")
    rng = random.Random(seed)
    month_list = demo_months(until, months)
    result = DemoResult(periods=[str(m) for m in month_list])

    with transaction.atomic():
        plans = plan_dealers(rng, dealers, month_list)
        regions = {name: Region.objects.get_or_create(name=name)[0] for name in REGIONS}
        created = Dealer.objects.bulk_create(
            Dealer(
                code=p.code,
                name=p.name,
                region=regions[p.region],
                province=p.city.province,
                city=p.city.name,
                city_tier=p.city.tier,
                status=p.status,
                opened_on=p.opened_on,
            )
            for p in plans
        )
        by_code = {d.code: d for d in created}
        result.users = plan_users(plans)
        users = {spec.username: create_user(spec, regions, by_code) for spec in result.users}
        progress(
            f"{len(plans)} dealers in {len(REGIONS)} regions; generating {months} months of service data"
        )

        generator = Generator(seed=seed, now=now, months=month_list, hq_reviewer_id=users["hq"].pk)
        written = generate_service_data(generator, [(p, by_code[p.code]) for p in plans], progress)
        _ensure_complaint_showcases(month_list[-1])
        _record_veto(rng, plans, by_code, month_list, users["hq"])
        voice = seed_customer_voice(rng=rng, now=now, last=month_list[-1], hq=users["hq"])
        record(
            DEMO_MARKER,
            actor=users["admin"],
            object_type="demo",
            object_id=seed,
            after={"dealers": dealers, "months": result.periods},
        )
    kinds = ("repair_orders", "complaints", "parts_orders", "survey_responses", "submissions")
    result.counts = {"dealers": len(plans), **{k: written.get(k, 0) for k in kinds}, **voice}

    _ensure_scheme(month_list[0], users["admin"])
    for code in result.periods:
        run = period_recompute(code, actor=users["admin"])
        progress(f"  scored {code}: {run.scorecards} scorecards")
        result.counts["scorecards"] = result.counts.get("scorecards", 0) + run.scorecards
    for code in result.periods[:-2]:
        period_close(code, actor=users["hq"])
        result.closed.append(code)
    _seed_workflows(users=users, result=result, progress=progress)
    return result


# --------------------------------------------------------------------------------------
# Workflows: decided and pending proposals, and the other features' demo content.
# --------------------------------------------------------------------------------------

# The reasons HQ gives when it turns a proposal down (a rejection must say why).
REJECT_SUSPENSION = "先行整改：本期已下发整改要求，暂不暂停授权，下月复核。"
REJECT_RECTIFICATION = "该店本期先约谈，整改要求并入约谈纪要，不另下整改单。"
REJECT_BONUS = "复核发现该店本月有重大客诉未闭环，本月奖励暂缓发放。"
APPROVE_COMMENT = "同意。"
RECTIFICATIONS_APPROVED = 6  # a few orders in progress, not one for every proposal
# The newest closed months whose proposals still wait in HQ's queue (enough to decide in bulk).
PENDING_MONTHS = 2


def _seed_workflows(*, users: dict[str, User], result: DemoResult, progress: Callable[[str], None]) -> None:
    """After the months are closed and their rules evaluated: the work people do in the portal.

    The hook point for the workflow features' demo content: each seeds what its pages need,
    after scorecards, closed months and proposals exist.
    """
    decided = _decide_proposals(result.closed, users["hq"])
    progress(
        f"  approved {decided['approved']} proposals, rejected {decided['rejected']}, {decided['pending']} pending"
    )
    result.counts.update({f"actions_{k}": v for k, v in decided.items()})
    from incentives.demo_decisions import seed_decisions

    seed_decisions(
        hq=users["hq"], pending_months=PENDING_MONTHS
    )  # evidence on the seeded veto; any suspension still pending
    from incentives.demo_appeals import seed_appeals
    from incentives.demo_rectification import seed_rectifications

    appeals = seed_appeals(dealer_usernames=("dealer1", "dealer2"), hq_username="hq")
    orders = seed_rectifications(actor=users["hq"])
    progress(f"  {len(appeals)} appeals, rectification in progress: {orders['in_progress'] is not None}")
    from workbench.demo import seed_workbench

    seed_workbench()  # a service manager per dealer; about half the open items owned
    from training.demo import seed_roster

    result.counts.update({f"roster_{k}": v for k, v in seed_roster().items()})
    from goals.demo import seed_goals

    result.counts.update({f"goals_{k}": v for k, v in seed_goals().items()})
    from support.demo import seed_support

    result.counts.update({f"support_{k}": v for k, v in seed_support().items()})
    from .demo_channels import seed_channels

    result.counts.update({f"channels_{k}": v for k, v in seed_channels().items()})
    from insights.demo import seed_findings

    result.counts.update({f"insights_{k}": v for k, v in seed_findings().items()})
    progress(f"  findings: {result.counts.get('insights_findings', 0)}")


def _decide_proposals(closed: list[str], hq: User) -> dict[str, int]:
    """HQ has decided the proposals of every closed month but the newest PENDING_MONTHS, which wait.

    Bonuses, honours and interviews are approved (one bonus a month is held back); a few
    rectification orders are approved, the rest folded into the interview; one suspension is
    approved — the vetoed dealer's, else the first — and the others deferred to rectification.
    Through `action_decide`, so the ledger, the orders, the dealer's status and the audit
    trail follow as they would in the portal.
    """
    from incentives.choices import ActionStatus, ActionType
    from incentives.models import IncentiveAction
    from incentives.services import action_decide

    older = closed[:-PENDING_MONTHS]
    counts = {"approved": 0, "rejected": 0, "pending": 0}
    proposals = list(
        IncentiveAction.objects.filter(period__in=older, status=ActionStatus.PROPOSED)
        .select_related("dealer")
        .order_by("period", "action_type", "dealer__code")
    )
    suspensions = [a for a in proposals if a.action_type == ActionType.SUSPENSION]
    vetoed = set(VetoIncident.objects.filter(period__in=older).values_list("dealer_id", "period"))
    suspended = next(
        (a for a in suspensions if (a.dealer_id, a.period) in vetoed),
        next((a for a in suspensions if a.dealer.status == DealerStatus.ACTIVE), None),
    )
    rectified: set[int] = set()
    bonus_held: set[str] = set()
    for action in proposals:
        approve, comment = True, APPROVE_COMMENT
        if action.action_type == ActionType.SUSPENSION:
            if action is not suspended:
                approve, comment = False, REJECT_SUSPENSION
        elif action.action_type == ActionType.RECTIFICATION:
            if len(rectified) >= RECTIFICATIONS_APPROVED or action.dealer_id in rectified:
                approve, comment = False, REJECT_RECTIFICATION
            else:
                rectified.add(action.dealer_id)
        elif action.action_type == ActionType.BONUS and action.period not in bonus_held:
            # One bonus a month (the first by dealer code) is held back.
            bonus_held.add(action.period)
            approve, comment = False, REJECT_BONUS
        action_decide(action=action, actor=hq, approve=approve, comment=comment)
        counts["approved" if approve else "rejected"] += 1
    counts["pending"] = IncentiveAction.objects.filter(status=ActionStatus.PROPOSED).count()
    return counts


def _ensure_complaint_showcases(last: Month) -> None:
    """However small the data set, the last month has an open complaint and a major one to show."""
    recent = Complaint.objects.filter(received_at__gte=last.start).order_by("-received_at", "-id")
    if not recent.filter(closed_at__isnull=True).exists() and recent.exists():
        Complaint.objects.filter(pk=recent[0].pk).update(closed_at=None)
    if not recent.filter(severity=Severity.MAJOR).exists() and recent.exists():
        Complaint.objects.filter(pk=recent.reverse()[0].pk).update(severity=Severity.MAJOR)


def _record_veto(
    rng: random.Random, plans: list[DealerPlan], dealers: dict[str, Dealer], months: list[Month], hq: User
) -> None:
    """一票否决 once: a weak dealer caught with a fabricated warranty claim some months ago."""
    if len(months) < 2:
        return
    active = [p for p in plans if p.status == DealerStatus.ACTIVE and p.first_month is None]
    weak = sorted(active, key=lambda p: p.quality)[: max(1, len(active) // 10)]
    plan = rng.choice(weak)
    VetoIncident.objects.create(
        dealer=dealers[plan.code],
        period=str(months[max(0, len(months) - 3 - PENDING_MONTHS)]),  # decided, not still waiting
        title="虚报索赔：同一故障重复申请索赔",
        description="总部稽核发现该店同一 VIN 的同一故障在两张工单上重复申请索赔，经核实属实。",
        recorded_by=hq,
    )
    # And one in the newest (open) month: recorded before the open months are scored, so
    # their recompute below shows it; no rule has looked at it yet (the month is open).
    # Chosen without the generator's random numbers, so the rest of the data stays as it was.
    # Not a demo user's dealer: their pages show a normal month.
    spared = {plan.code, plans[0].code, _weak_showcase(plans).code}
    others = [p for p in weak if p.code not in spared] or [p for p in active if p.code not in spared]
    if others:
        VetoIncident.objects.create(
            dealer=dealers[others[0].code],
            period=str(months[-1]),
            title="篡改客户回访记录：伪造满意度回访",
            description="总部抽查回访录音发现该店多条回访记录为员工代答，客户本人未接到回访，经核实属实。",
            recorded_by=hq,
        )


def _ensure_scheme(first: Month, actor: User) -> None:
    """Load the 2025 scheme if a demo month precedes every published scheme."""
    try:
        scheme_for_period(first)
    except SchemeError:
        data = dict(STD_2025, effective_from=f"{first.year}-01")
        scheme_load(data=data, publish=True, actor=actor)
