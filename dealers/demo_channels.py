"""Demo content for the notification channels page: a dealer's WeCom group and a region's
DingTalk group, each with a few past deliveries to show the log.

The demo has no real group, so both robots are off: turned on, they would post to WeCom's and
DingTalk's servers with a key that is not one. A user adds their own group's robot (or turns
one of these on after pasting their group's address) to see messages arrive.
"""

from __future__ import annotations

import secrets
from datetime import timedelta

from django.conf import settings
from django.db.models import Min
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import override

from surveys.services import daily_clearing_remind

from .choices import DeliveryStatus, NoticeTopic, RobotPlatform, Role
from .models import Dealer, GroupRobot, Notice, Region, RobotDelivery, User
from .services import absolute_url


def seed_channels(*, dealer_code: str = "GL0001", region_name: str = "华东") -> dict[str, int]:
    """Two robots (off), each with the test message its owner sent when adding it and the
    notices it carried since (this morning's 日清 reminder, sent here as the 08:30 beat would)."""
    daily_clearing_remind()
    dealer = Dealer.objects.filter(code=dealer_code).first()
    region = Region.objects.filter(name=region_name).first()
    if dealer is None or region is None:
        return {"robots": 0, "deliveries": 0}
    wecom = GroupRobot.objects.create(
        platform=RobotPlatform.WECOM,
        name=f"{dealer.name}售后服务群",
        webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key={secrets.token_hex(16)}",
        dealer=dealer,
        topics=[
            NoticeTopic.DAILY_CLEARING,
            NoticeTopic.HOT_ALERT,
            NoticeTopic.WORKBENCH,
            NoticeTopic.SUPPORT_CASE,
        ],
        active=False,
    )
    dingtalk = GroupRobot.objects.create(
        platform=RobotPlatform.DINGTALK,
        name=f"{region.name}区域服务群",
        webhook_url=f"https://oapi.dingtalk.com/robot/send?access_token={secrets.token_hex(32)}",
        secret="SEC" + secrets.token_hex(30),
        region=region,
        topics=[NoticeTopic.DAILY_CLEARING, NoticeTopic.GOAL_AT_RISK, NoticeTopic.HOT_ALERT],
        active=False,
    )
    deliveries = []
    added = timezone.now() - timedelta(days=2)
    for robot, owner in (
        (wecom, User.objects.filter(dealer=dealer)),
        (dingtalk, User.objects.filter(regions=region)),
    ):
        person = owner.filter(role__in=[Role.DEALER_USER, Role.REGIONAL_MANAGER]).order_by("username").first()
        with override(settings.LANGUAGE_CODE):
            deliveries.append(
                RobotDelivery(
                    robot=robot,
                    topic=NoticeTopic.OTHER,
                    title=_("Test message"),
                    text=_("A test message from the after-sales portal, sent by %(name)s.")
                    % {"name": person.display_name if person else "admin"},
                    url=absolute_url("/"),
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    sent_at=added,
                )
            )
    for robot, users in ((wecom, {"user__dealer": dealer}), (dingtalk, {"user__regions": region})):
        # The robot's log repeats the latest notices of the kinds it takes, as they were sent.
        notices = Notice.objects.filter(topic__in=robot.topics, **users)
        latest = (
            notices.values("text", "url", "topic").annotate(first=Min("created_at")).order_by("-first")[:5]
        )
        for notice in latest:
            sent = notice["first"] + timedelta(seconds=3)
            deliveries.append(
                RobotDelivery(
                    robot=robot,
                    topic=notice["topic"],
                    title=str(NoticeTopic(notice["topic"]).label)[:100],
                    text=notice["text"],
                    url=notice["url"],
                    status=DeliveryStatus.SENT,
                    attempts=1,
                    sent_at=min(sent, timezone.now()),
                )
            )
    made = RobotDelivery.objects.bulk_create(deliveries)
    for delivery in made:  # auto_now_add set "now": the log shows when each was made
        RobotDelivery.objects.filter(pk=delivery.pk).update(
            created_at=delivery.sent_at - timedelta(seconds=3)
        )
    return {"robots": 2, "deliveries": len(made)}
