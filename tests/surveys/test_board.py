"""The daily clearing board (日清): what is overnight, in which order, for whom; reminders; trend.

The 24-hour boundary: an item is overnight when it has been open for MORE than 24 hours.
Received exactly 24 hours ago it is not on the board yet; one second more and it is. This
matches complaint_closure_24h_rate, where closing at exactly 24 h counts as within 24 h.
"""

from __future__ import annotations

from datetime import datetime, timedelta

import pytest
from django.urls import reverse

from assessments.periods import SHANGHAI
from dealers.choices import Role
from dealers.models import Notice
from surveys.rules import is_overnight, overnight_counts
from surveys.selectors import board_groups, board_items, due_items, morning_checks, overnight_trend
from surveys.services import daily_clearing_remind, hot_alerts_open_for
from tests.conftest import client_for
from tests.factories import ComplaintFactory, SurveyResponseFactory, UserFactory

pytestmark = pytest.mark.django_db

NOW = datetime(2026, 11, 20, 8, 30, tzinfo=SHANGHAI)


def open_case(dealer, opened_at):
    response = SurveyResponseFactory(dealer=dealer, overall=1, responded_at=opened_at)
    return hot_alerts_open_for([response], now=opened_at, notify=False)[0]


def refs(items) -> list[str]:
    return [item.ref for item in items]


@pytest.mark.parametrize(
    ("age", "overnight"),
    [
        (timedelta(hours=24), False),
        (timedelta(hours=24, seconds=1), True),
        (timedelta(hours=23, minutes=59, seconds=59), False),
        (timedelta(days=3), True),
    ],
)
def test_an_item_is_overnight_only_after_more_than_24_hours(age, overnight):
    assert is_overnight(NOW - age, NOW) is overnight


def test_a_complaint_received_exactly_24_hours_ago_is_not_on_the_board_one_second_older_is(
    hq_manager, dealer
):
    ComplaintFactory(complaint_id="C-EXACT", dealer=dealer, received_at=NOW - timedelta(hours=24))
    ComplaintFactory(complaint_id="C-OVER", dealer=dealer, received_at=NOW - timedelta(hours=24, seconds=1))

    assert refs(board_items(hq_manager, NOW)) == ["C-OVER"]


def test_a_hot_alert_opened_exactly_24_hours_ago_is_not_on_the_board_one_second_older_is(hq_manager, dealer):
    open_case(dealer, NOW - timedelta(hours=24))
    older = open_case(dealer, NOW - timedelta(hours=24, seconds=1))

    assert refs(board_items(hq_manager, NOW)) == [f"HA-{older.pk}"]


def test_closed_and_voided_complaints_and_closed_cases_are_not_on_the_board(hq_manager, dealer, dealer_user):
    day_ago = NOW - timedelta(days=2)
    ComplaintFactory(dealer=dealer, received_at=day_ago, closed_at=NOW - timedelta(hours=1))
    ComplaintFactory(dealer=dealer, received_at=day_ago, excluded=True, excluded_reason="appeal upheld")
    case = open_case(dealer, day_ago)
    case.resolution, case.closed_at = "Solved.", NOW - timedelta(hours=1)
    case.save()

    assert board_items(hq_manager, NOW) == []


def test_the_board_lists_oldest_first_with_hours_open_and_the_dealers_users_as_owners(
    hq_manager, dealer, dealer_user
):
    ComplaintFactory(complaint_id="C-2", dealer=dealer, received_at=NOW - timedelta(hours=30))
    case = open_case(dealer, NOW - timedelta(hours=50))
    ComplaintFactory(complaint_id="C-1", dealer=dealer, received_at=NOW - timedelta(hours=70))

    items = board_items(hq_manager, NOW)

    assert refs(items) == ["C-1", f"HA-{case.pk}", "C-2"]
    assert [item.age_hours for item in items] == [70, 50, 30]
    assert all(item.owners == [dealer_user] for item in items)


def test_the_board_groups_by_region_then_dealer_oldest_dealer_first(
    hq_manager, dealer, other_dealer, far_dealer
):
    ComplaintFactory(complaint_id="E-NEW", dealer=dealer, received_at=NOW - timedelta(hours=30))
    ComplaintFactory(complaint_id="E-OLD", dealer=other_dealer, received_at=NOW - timedelta(hours=90))
    ComplaintFactory(complaint_id="S-1", dealer=far_dealer, received_at=NOW - timedelta(hours=40))

    regions = board_groups(board_items(hq_manager, NOW))

    assert [(r.name, r.count) for r in regions] == [("华东", 2), ("华南", 1)]
    assert [g.dealer.code for g in regions[0].dealers] == ["GL0002", "GL0001"]


@pytest.mark.parametrize(
    ("user", "visible"),
    [
        ("dealer_user", ["GL0001"]),
        ("other_dealer_user", ["GL0002"]),
        ("regional_manager", ["GL0001", "GL0002"]),
        ("other_regional_manager", ["GL0003"]),
        ("hq_manager", ["GL0001", "GL0002", "GL0003"]),
    ],
)
def test_each_user_sees_only_the_board_items_in_their_scope(
    cast, dealer, other_dealer, far_dealer, user, visible
):
    for d in (dealer, other_dealer, far_dealer):
        ComplaintFactory(dealer=d, received_at=NOW - timedelta(hours=30))
        open_case(d, NOW - timedelta(hours=30))

    items = board_items(cast[user], NOW)

    assert sorted({item.dealer.code for item in items}) == visible
    assert len(items) == 2 * len(visible)


def test_the_board_page_shows_the_dealers_items_and_not_another_dealers(cast, dealer, other_dealer):
    from django.utils import timezone

    now = timezone.now()
    ComplaintFactory(complaint_id="MINE-1", dealer=dealer, received_at=now - timedelta(hours=30))
    ComplaintFactory(complaint_id="THEIRS-1", dealer=other_dealer, received_at=now - timedelta(hours=30))

    page = client_for(cast["dealer_user"]).get(reverse("surveys:board"))

    assert page.status_code == 200
    assert b"MINE-1" in page.content and b"THEIRS-1" not in page.content
    assert b'id="overnight-trend-data"' in page.content


def test_a_low_score_answered_in_the_evening_is_on_the_dealers_board_the_next_morning(cast, dealer):
    evening = NOW - timedelta(hours=14, minutes=30)  # 18:00 the day before
    open_case(dealer, evening)
    next_morning, a_day_later = NOW, NOW + timedelta(days=1)

    assert [i.ref for i in due_items(cast["dealer_user"], next_morning)] == [
        i.ref for i in board_items(cast["dealer_user"], a_day_later)
    ]
    assert board_items(cast["dealer_user"], next_morning) == []
    assert due_items(cast["dealer_user"], next_morning)[0].due_at == evening + timedelta(hours=24)


def test_morning_checks_are_the_0830_instants_of_the_last_30_days_that_have_passed():
    checks = morning_checks(NOW)

    assert len(checks) == 30
    assert checks[-1] == NOW and checks[0] == NOW - timedelta(days=29)
    assert len(morning_checks(NOW - timedelta(minutes=1))) == 29


def test_overnight_counts_count_an_item_from_24_hours_after_it_opened_until_it_closed():
    checks = [NOW - timedelta(days=2), NOW - timedelta(days=1), NOW]
    items = [
        (NOW - timedelta(days=3, seconds=1), NOW - timedelta(hours=12)),  # the first two checks: [1, 1, 0]
        (NOW - timedelta(days=1), None),  # exactly 24 h old at the last check, not yet: [0, 0, 0]
        (NOW - timedelta(days=2, seconds=1), None),  # 1 s old at the first check: [0, 1, 1]
    ]

    assert overnight_counts(items, checks) == [1, 2, 1]


def test_the_trend_counts_overnight_items_per_morning_in_scope(dealer_user, dealer, other_dealer):
    ComplaintFactory(
        dealer=dealer, received_at=NOW - timedelta(days=5), closed_at=NOW - timedelta(days=2, hours=1)
    )
    ComplaintFactory(dealer=other_dealer, received_at=NOW - timedelta(days=5))
    open_case(dealer, NOW - timedelta(days=2, hours=12))

    trend = overnight_trend(dealer_user, NOW)

    assert len(trend["labels"]) == 30 and trend["labels"][-1] == "11-20"
    # Received 11-15 08:30: exactly 24 h old at the 11-16 check (not yet), overnight at the
    # 11-17 check, closed 11-18 07:30 before that morning's check.
    assert trend["complaints"][-6:] == [0, 0, 1, 0, 0, 0]
    # The case opened 11-17 20:30, overnight from the 11-19 check.
    assert trend["hot_alerts"][-3:] == [0, 1, 1]


def test_the_morning_reminder_tells_each_dealer_with_open_items_and_sums_up_for_regional_managers(
    cast, dealer, other_dealer, far_dealer
):
    second_user = UserFactory(username="dealer_user_2", role=Role.DEALER_USER, dealer=dealer)
    ComplaintFactory(dealer=dealer, received_at=NOW - timedelta(hours=30))
    open_case(dealer, NOW - timedelta(hours=49))
    ComplaintFactory(dealer=far_dealer, received_at=NOW - timedelta(hours=2))  # not overnight yet

    outcome = daily_clearing_remind(now=NOW)

    assert outcome == {"items": 2, "due": 1, "dealers": 1, "managers": 2}
    told = set(Notice.objects.values_list("user__username", flat=True))
    assert told == {"dealer_user", second_user.username, "east_manager", "south_manager"}
    text = Notice.objects.get(user=cast["dealer_user"]).text
    assert "2" in text and "49" in text
    assert "0" in Notice.objects.get(user=cast["other_regional_manager"]).text
    assert (
        Notice.objects.get(user=cast["regional_manager"]).url == f"{reverse('surveys:board')}?day=2026-11-20"
    )


def test_the_morning_reminder_is_sent_once_a_day(cast, dealer):
    ComplaintFactory(dealer=dealer, received_at=NOW - timedelta(hours=30))

    daily_clearing_remind(now=NOW)
    again = daily_clearing_remind(now=NOW + timedelta(minutes=5))

    assert again["dealers"] == 0 and again["managers"] == 0
    assert Notice.objects.filter(user=cast["dealer_user"]).count() == 1


def test_the_reminder_runs_at_0830_shanghai_time_by_celery_beat():
    from django.conf import settings

    entry = settings.CELERY_BEAT_SCHEDULE["daily-clearing-reminders"]
    assert entry["task"] == "surveys.tasks.send_daily_clearing_reminders"
    assert entry["schedule"].hour == {8} and entry["schedule"].minute == {30}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"
