"""The demo's technical support: a knowledge base of solved cases, cases in progress, one
breached and escalated, one new; with a photo and a diagnostic log."""

from __future__ import annotations

import base64
from datetime import timedelta

from django.conf import settings
from django.contrib.auth.models import Group
from django.core.files.base import ContentFile
from django.utils import timezone

from assessments.models import RepairOrder
from dealers.models import Dealer, User

from .choices import CaseStatus, MessageKind, Urgency
from .models import CaseAttachment, CaseMessage, RemoteSession, SupportCase
from .services import case_publish, cases_escalate_breached

# A 1×1 PNG: the demo's "photo" (real bytes, so the content check and the download work).
PNG = base64.b64decode(
    "iVBORw0KGgoAAAANSUhEUgAAAAEAAAABCAYAAAAfFcSJAAAADUlEQVR42mP8z8BQDwAEhQGAhKmMIQAAAABJRU5ErkJggg=="
)
LOG = (
    "时间,模块,故障码,状态\n2026-11-28 09:12:03,ECM,P0300,当前\n2026-11-28 09:12:03,ECM,P0303,当前\n".encode()
)

# (fault code, symptom, already tried, fix): what the network has learnt.
SOLVED = [
    (
        "P0300",
        "怠速抖动，发动机故障灯亮，冷车明显",
        "更换火花塞，清洗节气门",
        "第3缸点火线圈间歇失效：更换点火线圈并升级发动机控制单元软件至最新版本",
    ),
    ("P0128", "冷车启动困难，水温表上升慢", "检查冷却液液位", "节温器常开：更换节温器，排空冷却系统空气"),
    ("P0730", "变速箱2挡升3挡换挡冲击", "更换变速箱油", "阀体电磁阀卡滞：更换阀体总成并执行TCU自适应学习"),
    (
        "U0100",
        "仪表偶发报通讯故障，多个故障灯同时点亮",
        "清除故障码后复现",
        "发动机舱线束插接器进水腐蚀：清洁修复插接器并加装防水护套",
    ),
    (
        "B1318",
        "蓄电池亏电，停放两天无法启动 battery drain",
        "更换蓄电池",
        "车身控制模块休眠失败：升级BCM软件，暗电流恢复至20 mA以下",
    ),
    (
        "P0171",
        "加速无力，油耗升高 lean mixture",
        "清洗喷油嘴",
        "进气歧管垫片漏气：更换垫片，烟雾测试确认无泄漏",
    ),
]


def _dealer_of(username: str) -> Dealer | None:
    user = User.objects.filter(username=username).select_related("dealer").first()
    return user.dealer if user is not None else None


def _comeback_pair(dealer: Dealer) -> tuple[RepairOrder | None, RepairOrder | None]:
    """The dealer's latest repair that came back by the comeback rule (`comeback_exists`), and
    the repair order that followed it at the same dealer: (following, earlier)."""
    from assessments.choices import REPAIR_TYPES_FOR_REPAIR_KPIS
    from assessments.kpis.repair_orders import COMEBACK_WINDOW, comeback_exists

    repairs = RepairOrder.objects.filter(dealer=dealer, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
    earlier = repairs.filter(comeback_exists()).order_by("-closed_at").first()
    if earlier is None or earlier.closed_at is None:
        return None, None
    following = (
        repairs.filter(
            vin=earlier.vin,
            fault_code=earlier.fault_code,
            opened_at__gt=earlier.closed_at,
            opened_at__lte=earlier.closed_at + COMEBACK_WINDOW,
        )
        .exclude(pk=earlier.pk)
        .order_by("opened_at")
        .first()
    )
    return (following, earlier) if following is not None else (None, None)


def seed_support() -> dict[str, int]:
    now = timezone.now()
    expert = User.objects.filter(username="expert").first()
    dealer_user = User.objects.filter(username="dealer1").select_related("dealer").first()
    other_user = User.objects.filter(username="dealer2").select_related("dealer").first()
    if expert is None or dealer_user is None or dealer_user.dealer is None:
        return {"cases": 0}
    seniors, _created = Group.objects.get_or_create(name=settings.SUPPORT_SENIOR_GROUP)
    expert.groups.add(seniors)
    dealers = list(Dealer.objects.order_by("code")[:8])
    made = 0

    def case(dealer: Dealer, *, opened_ago: timedelta, **fields: object) -> SupportCase:
        nonlocal made
        made += 1
        ro = RepairOrder.objects.filter(dealer=dealer).exclude(vin="").order_by("-opened_at").first()
        return SupportCase.objects.create(
            dealer=dealer,
            vin=fields.pop("vin", None) or (ro.vin if ro else "LSVAB4BM0NN000001"),
            opened_at=now - opened_ago,
            dealer_seen_at=now - opened_ago,
            **fields,
        )

    def line(
        c: SupportCase,
        author: User | None,
        body: str,
        *,
        hq: bool,
        ago: timedelta,
        kind: str = MessageKind.MESSAGE,
    ) -> CaseMessage:
        return CaseMessage.objects.create(
            case=c, author=author, body=body, from_hq=hq, kind=kind, created_at=now - ago
        )

    # The knowledge base: cases solved over the last months at several dealers.
    solved = []
    for i, (code, symptom, tried, fix) in enumerate(SOLVED):
        dealer = dealers[i % len(dealers)]
        opened = timedelta(days=20 + 9 * i)
        c = case(
            dealer,
            opened_ago=opened,
            fault_code=code,
            symptom=symptom,
            tried=tried,
            urgency=Urgency.VOR if i % 3 == 0 else Urgency.NORMAL,
            status=CaseStatus.CLOSED,
            expert=expert,
            first_response_at=now - opened + timedelta(minutes=50 + 10 * i),
            resolved_at=now - opened + timedelta(hours=6 + 3 * i),
            closed_at=now - opened + timedelta(hours=30),
            solution=fix,
        )
        line(
            c,
            expert,
            f"请读取{code}冻结帧数据并上传诊断日志。",
            hq=True,
            ago=opened - timedelta(minutes=50 + 10 * i),
        )
        line(
            c,
            None,
            f"已解决：{fix}",
            hq=True,
            ago=opened - timedelta(hours=6 + 3 * i),
            kind=MessageKind.EVENT,
        )
        solved.append(c)
    # One of them published to every dealer as a technical bulletin.
    case_publish(
        case=solved[0], user=expert, title="P0300 怠速抖动：检查第3缸点火线圈并升级发动机控制单元软件"
    )

    # dealer1: a comeback in progress, the expert waiting for the dealer's measurement.
    ro, earlier = _comeback_pair(dealer_user.dealer)
    active = case(
        dealer_user.dealer,
        opened_ago=timedelta(hours=5),
        vin=ro.vin if ro else None,
        repair_order=ro,
        earlier_repair_order=earlier,
        fault_code=(ro.fault_code if ro and ro.fault_code else "P0300"),
        mileage=48210,
        symptom="返修：怠速抖动再次出现，上次已更换火花塞",
        tried="更换火花塞；清洗节气门；读取故障码P0300、P0303",
        urgency=Urgency.NORMAL,
        status=CaseStatus.WAITING_DEALER,
        opened_by=dealer_user,
        dealer_owner=dealer_user,
        expert=expert,
        first_response_at=now - timedelta(hours=4, minutes=20),
    )
    CaseAttachment.objects.create(
        case=active,
        file=ContentFile(PNG, name="engine.png"),
        original_name="发动机舱照片.png",
        kind="photo",
        size=len(PNG),
        uploaded_by=dealer_user,
    )
    CaseAttachment.objects.create(
        case=active,
        file=ContentFile(LOG, name="ecm.csv"),
        original_name="ECM诊断日志.csv",
        kind="log",
        size=len(LOG),
        uploaded_by=dealer_user,
    )
    line(
        active,
        expert,
        "与已解决案例相似：请测量第3缸点火线圈初级电阻，并与第1缸互换线圈后路试。",
        hq=True,
        ago=timedelta(hours=4, minutes=20),
    )
    line(
        active,
        expert,
        "内部备注：该批次点火线圈已有多起同类反馈，留意是否需要质量通报。",
        hq=True,
        ago=timedelta(hours=4),
        kind=MessageKind.NOTE,
    )
    RemoteSession.objects.create(
        case=active,
        held_at=now - timedelta(hours=3),
        minutes=25,
        expert=expert,
        attendees="维修技师 王强",
        outcome="远程查看数据流：第3缸失火计数偏高，建议互换线圈验证。",
    )
    line(
        active,
        expert,
        "远程查看数据流：第3缸失火计数偏高，建议互换线圈验证。",
        hq=True,
        ago=timedelta(hours=3),
        kind=MessageKind.SESSION,
    )

    # Another dealer: a vehicle off road, unanswered for 30 hours — breached and escalated.
    far = next(
        (d for d in dealers if d.pk not in {dealer_user.dealer_id, getattr(other_user, "dealer_id", None)}),
        dealers[-1],
    )
    case(
        far,
        opened_ago=timedelta(hours=30),
        fault_code="U0100",
        mileage=112400,
        symptom="车辆无法启动，仪表多个故障灯点亮，CAN通讯中断",
        tried="更换蓄电池；检查保险丝",
        urgency=Urgency.VOR,
        status=CaseStatus.NEW,
    )
    # dealer2: a new case this morning, not yet taken.
    if other_user is not None and other_user.dealer is not None:
        case(
            other_user.dealer,
            opened_ago=timedelta(minutes=40),
            fault_code="P0730",
            mileage=67300,
            symptom="变速箱换挡冲击，升挡时明显顿挫",
            tried="更换变速箱油",
            urgency=Urgency.NORMAL,
            status=CaseStatus.NEW,
            opened_by=other_user,
            dealer_owner=other_user,
        )
    escalated = cases_escalate_breached(now=now, email=False)  # the notices, not a mail on first start
    return {"cases": made, "escalated": escalated["escalated"]}
