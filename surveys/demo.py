"""Customer voice in the demo data set (called by dealers.demo.demo_seed, inside its transaction).

On top of the year of imported responses the demo already has, this adds what a new user
should find on the customer-voice pages: waiting survey invitations with working links,
hot-alert cases (most handled, a few still open and overnight on the daily clearing
board), follow-up calls (one found a problem and opened a complaint), and a burst of
suspicious top scores plus a duplicate answer in the integrity review.

Everything is dated inside the demo's last month, so no month outside the demo is touched.
"""

from __future__ import annotations

import random
from datetime import datetime, timedelta

from django.db.models import Q

from assessments.choices import RecordChannel
from assessments.models import RepairOrder
from assessments.periods import Month
from dealers.choices import DealerStatus
from dealers.models import Dealer, User

from .choices import CallOutcome
from .models import HotAlertCase, SurveyResponse
from .services import (
    followup_call_record,
    hot_alert_close,
    hot_alert_contact,
    hot_alerts_open_for,
    invitations_create_for,
    responses_flag,
)

INVITED_PER_DEALER = 3
OPEN_CASES = 8
CALLS = 40
RESOLUTIONS = (
    "已致电客户致歉，预约免费复检，问题已解决。",
    "服务经理上门回访，退还部分工时费，客户表示满意。",
    "安排技术经理重新诊断并更换配件，客户确认修复。",
)
CONTACT_NOTES = (
    "电话联系客户，了解到等待时间过长，已致歉并说明改进措施。",
    "客户反映异响未解决，已约定明天到店复检。",
    "客户对报价有疑问，已逐项解释并给予优惠。",
)
CALL_NOTES = {
    CallOutcome.REACHED: "客户已接听，暂无其他意见。",
    CallOutcome.NOT_REACHED: "无人接听，稍后再拨。",
    CallOutcome.SATISFIED: "客户对本次服务满意。",
    CallOutcome.PROBLEM_FOUND: "客户反映维修后故障灯再次亮起。",
}


def seed_customer_voice(*, rng: random.Random, now: datetime, last: Month, hq: User) -> dict[str, int]:
    """Add invitations, hot-alert cases, follow-up calls and flagged responses to the demo."""
    return {
        "survey_invitations": _invitations(now),
        "hot_alert_cases": _hot_alerts(rng, last, hq),
        "followup_calls": _calls(rng, last, hq),
        "flagged_responses": _suspicious(rng, last),
    }


def _invitations(now: datetime) -> int:
    """The latest deliveries of every active dealer get a link that works for 14 days from now."""
    latest: list[RepairOrder] = []
    for dealer in Dealer.objects.filter(status=DealerStatus.ACTIVE).order_by("code"):
        latest += list(
            RepairOrder.objects.filter(dealer=dealer, closed_at__isnull=False).order_by("-closed_at")[
                :INVITED_PER_DEALER
            ]
        )
    return invitations_create_for(latest, now=now)


def _hot_alerts(rng: random.Random, last: Month, hq: User) -> int:
    """Each hot response of the last month opened a case when it was imported. Most were
    handled the same day, some only after 24 hours; the latest few are still open."""
    since = last.end - timedelta(days=10)  # ten days of cases are plenty to explore
    hot = list(
        SurveyResponse.objects.filter(responded_at__gte=since, responded_at__lt=last.end, excluded=False)
        .filter(Q(overall__lte=2) | Q(nps__lte=6))
        .order_by("responded_at", "pk")
    )
    cases = []
    for response in hot:
        opened = response.imported_at or response.responded_at
        cases += hot_alerts_open_for([response], now=opened, notify=False)
    # The latest few stay open, and so does the latest case of each dealer with a demo user,
    # so that dealer sees it on its board.
    still_open = {case.pk for case in cases[-OPEN_CASES:]}
    with_users = set(User.objects.filter(dealer__isnull=False).values_list("dealer_id", flat=True))
    latest_per_dealer = {case.dealer_id: case.pk for case in cases if case.dealer_id in with_users}
    still_open |= set(latest_per_dealer.values())
    for case in cases:
        if case.pk in still_open:
            if rng.random() < 0.5:
                _contact(rng, case, hq)
            continue
        _contact(rng, case, hq)
        hours = rng.choice((3, 6, 10, 20, 30, 50))  # one in three stays overnight
        hot_alert_close(case, actor=hq, resolution=rng.choice(RESOLUTIONS))
        HotAlertCase.objects.filter(pk=case.pk).update(closed_at=case.opened_at + timedelta(hours=hours))
    return len(cases)


def _contact(rng: random.Random, case: HotAlertCase, hq: User) -> None:
    contact_at = case.opened_at + timedelta(hours=rng.uniform(1, 5))
    users = list(case.dealer.users.all()[:1]) or [hq]
    hot_alert_contact(case, actor=users[0], contacted_at=contact_at, note=rng.choice(CONTACT_NOTES))


def _calls(rng: random.Random, last: Month, hq: User) -> int:
    """The call centre rang customers a few days after delivery; one call found a problem."""
    candidates = list(
        RepairOrder.objects.filter(
            closed_at__gte=last.start,
            closed_at__lt=last.end - timedelta(days=5),
            survey_invitation__isnull=True,
        )
        .order_by("pk")
        .values_list("pk", flat=True)
    )
    picked = rng.sample(candidates, min(CALLS, len(candidates)))
    orders = list(
        RepairOrder.objects.filter(pk__in=picked).select_related("dealer").order_by("closed_at", "pk")
    )
    outcomes = [CallOutcome.SATISFIED, CallOutcome.REACHED, CallOutcome.NOT_REACHED]
    for index, order in enumerate(orders):
        outcome = CallOutcome.PROBLEM_FOUND if index < 2 else rng.choice(outcomes)
        called = order.closed_at + timedelta(days=rng.randint(2, 4), hours=rng.randint(0, 6))
        call = followup_call_record(
            order,
            actor=hq,
            outcome=outcome,
            note=CALL_NOTES[outcome],
            category="quality" if outcome == CallOutcome.PROBLEM_FOUND else "",
            now=called,
        )
        if call.complaint is not None and index == 1:  # the other one stays open: overnight on the board
            call.complaint.closed_at = called + timedelta(hours=8)
            call.complaint.save(update_fields=["closed_at"])
    return len(orders)


def _suspicious(rng: random.Random, last: Month) -> int:
    """A burst of six perfect scores within eight minutes at one dealer, and one repair order
    answered twice: the integrity review has something to decide."""
    dealer = Dealer.objects.filter(status=DealerStatus.ACTIVE).order_by("-code").first()
    if dealer is None:
        return 0
    orders = list(
        RepairOrder.objects.filter(dealer=dealer, closed_at__gte=last.start, closed_at__lt=last.end)[:7]
    )
    if len(orders) < 7:
        return 0
    start = last.start + timedelta(days=20, hours=15, minutes=rng.randint(0, 30))
    burst = [
        SurveyResponse.objects.create(
            response_id=f"WJ-{dealer.code}-BURST-{i + 1}",
            dealer=dealer,
            repair_order=order,
            responded_at=start + timedelta(minutes=i * 1.5),
            overall=5,
            reception=5,
            diagnosis=5,
            repair_quality=5,
            attitude=5,
            timeliness=5,
            nps=10,
            imported_at=start + timedelta(hours=8),
            created_channel=RecordChannel.HQ_IMPORT,
        )
        for i, order in enumerate(orders[:6])
    ]
    answered = SurveyResponse.objects.filter(repair_order__isnull=False, responded_at__gte=last.start).first()
    twin = []
    if answered is not None:
        twin = [
            SurveyResponse.objects.create(
                response_id=f"{answered.response_id}-DUP",
                dealer=answered.dealer,
                repair_order=answered.repair_order,
                responded_at=answered.responded_at + timedelta(hours=3),
                overall=5,
                nps=10,
                imported_at=answered.imported_at,
                created_channel=RecordChannel.HQ_IMPORT,
            )
        ]
    responses_flag([*burst, *twin])
    return len(burst) + len(twin)
