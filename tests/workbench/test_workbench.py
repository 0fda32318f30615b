"""The workbench (待办): every role lands on it and sees what waits for it, oldest deadline first."""

from __future__ import annotations

from datetime import datetime, time, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone, translation

from assessments.choices import ImportStatus, PeriodStatus, SubmissionStatus
from assessments.models import ImportJob, Period
from assessments.periods import Month
from dealers.choices import Role
from tests.conftest import client_for
from tests.factories import PeriodFactory, SubmissionFactory, UserFactory
from workbench.selectors import period_close_url, todo_count, workbench_todos
from workbench.templatetags.workbench import due_words

from .helpers import appeal, complaint, hot_alert, proposal, rectification

pytestmark = pytest.mark.django_db


def keys(todos) -> list[str]:
    return [t.key for t in todos]


def _text(response) -> str:
    return response.content.decode()


@pytest.mark.parametrize(
    "role",
    [
        "dealer_user",
        "other_dealer_user",
        "regional_manager",
        "other_regional_manager",
        "hq_manager",
        "hq_admin",
    ],
)
def test_every_role_lands_on_its_workbench_after_sign_in(cast, role):
    response = client_for(cast[role]).get("/")
    assert response.status_code == 302
    assert response["Location"] == reverse("workbench:index")
    assert client_for(cast[role]).get(reverse("workbench:index")).status_code == 200


def test_a_user_without_a_role_gets_no_workbench(db):
    assert (
        client_for(UserFactory(username="nobody", role="")).get(reverse("workbench:index")).status_code == 403
    )


def test_a_dealer_user_sees_its_rectification_deadline_and_hot_alert_past_24_hours_oldest_first(
    dealer, dealer_user
):
    # Given an order due in 3 days, a hot alert open 30 hours and a complaint open 50 hours
    order = rectification(dealer, deadline=timezone.localdate() + timedelta(days=3))
    case = hot_alert(dealer, hours=30)
    old = complaint(dealer, hours=50, complaint_id="C-OLD")
    complaint(dealer, hours=5, complaint_id="C-FRESH")  # still within its 24 hours
    # When the workbench is read
    todos = [t for t in workbench_todos(dealer_user) if t.item is not None]
    # Then the oldest deadline comes first and each links to its page
    assert [(t.key, t.item.pk) for t in todos] == [
        ("complaint_overnight", old.pk),
        ("hot_alert_overnight", case.pk),
        ("rectification_open", order.pk),
    ]
    assert todos[1].url == reverse("surveys:alert_detail", args=[case.pk])
    assert todos[2].url == reverse("incentives:rectification", args=[order.pk])


def test_the_workbench_page_shows_the_absolute_date_and_the_days_left(dealer, dealer_user, settings):
    settings.LANGUAGE_CODE = "en"
    rectification(dealer, deadline=timezone.localdate() + timedelta(days=3))
    page = _text(client_for(dealer_user).get(reverse("workbench:index"), HTTP_ACCEPT_LANGUAGE="en"))
    assert (timezone.localdate() + timedelta(days=3)).isoformat() in page
    assert "in 3 days" in page


@pytest.mark.parametrize(
    ("delta", "by_day", "words"),
    [
        (timedelta(days=3, hours=1), True, "in 3 days"),
        (timedelta(days=-2), True, "overdue 2 days"),
        (timedelta(hours=5, minutes=5), False, "in 5 hours"),
        (timedelta(hours=-50), False, "overdue 2 days"),
        (timedelta(hours=-3, minutes=-5), False, "overdue 3 hours"),
    ],
)
def test_deadlines_are_said_in_days_or_hours(delta, by_day, words):
    now = timezone.now().replace(hour=2)  # early in the day, so whole days do not cross midnight
    with translation.override("en"):
        assert due_words(now + delta, now, by_day) == words


def test_deadlines_are_said_in_chinese():
    now = timezone.now().replace(hour=2)
    with translation.override("zh-hans"):
        assert due_words(now + timedelta(days=3, hours=1), now, True) == "3 天后到期"
        assert due_words(now - timedelta(days=2), now, True) == "已逾期 2 天"


def test_another_dealers_to_dos_never_appear(dealer, other_dealer, dealer_user):
    rectification(other_dealer)
    hot_alert(other_dealer)
    complaint(other_dealer, complaint_id="C-THEIRS")
    appeal(other_dealer)
    page = _text(client_for(dealer_user).get(reverse("workbench:index")))
    assert [t for t in workbench_todos(dealer_user) if t.dealer and t.dealer != dealer] == []
    assert "C-THEIRS" not in page
    assert other_dealer.code not in page


def test_a_regional_manager_never_sees_another_regions_items(
    far_dealer, regional_manager, other_regional_manager
):
    proposal(far_dealer, period="2026-09")
    hot_alert(far_dealer)
    assert workbench_todos(regional_manager) == [] or all(
        t.key in {"period_close"} for t in workbench_todos(regional_manager)
    )
    assert "proposals" in keys(workbench_todos(other_regional_manager))


def test_a_manager_sees_proposals_per_month_with_a_link_to_the_filtered_queue(
    dealer, other_dealer, hq_manager
):
    for _ in range(3):
        proposal(dealer, period="2026-10")
    proposal(other_dealer, period="2026-09")
    rows = sorted((t for t in workbench_todos(hq_manager) if t.key == "proposals"), key=lambda t: t.detail)
    assert [(t.detail, t.count) for t in rows] == [("2026-09", 1), ("2026-10", 3)]
    assert rows[1].url == "/incentives/?period=2026-10&status=proposed"


def test_a_manager_sees_reports_appeals_plans_and_overnight_items_in_scope(dealer, regional_manager):
    SubmissionFactory(
        dealer=dealer, period="2026-10", status=SubmissionStatus.SUBMITTED, submitted_at=timezone.now()
    )
    appeal(dealer)
    rectification(dealer, status="plan_submitted", plan_submitted_at=timezone.now())
    hot_alert(dealer, hours=40)
    complaint(dealer, hours=40)
    found = set(keys(workbench_todos(regional_manager)))
    assert {
        "submissions_review",
        "appeal_decide",
        "rectification_verify",
        "hot_alert_overnight_group",
        "complaint_overnight_group",
    } <= found


def test_a_dealer_user_is_asked_for_the_monthly_report_and_a_returned_one(dealer, dealer_user):
    current = str(Month.of(timezone.localdate()).shift(-1))
    older = str(Month.parse(current).shift(-1))
    SubmissionFactory(dealer=dealer, period=older, status=SubmissionStatus.RETURNED)
    todos = workbench_todos(dealer_user)
    assert ("report_returned", older) in [(t.key, t.detail) for t in todos]
    assert ("report_due", current) in [(t.key, t.detail) for t in todos]
    SubmissionFactory(dealer=dealer, period=current, status=SubmissionStatus.SUBMITTED)
    assert "report_due" not in keys(workbench_todos(dealer_user))


def test_an_appeal_window_closing_links_to_the_scorecard(dealer, dealer_user, settings):
    from tests.api.conftest import scorecard_of

    card = scorecard_of(dealer, "2026-10")
    Period.objects.filter(code="2026-10").update(
        status=PeriodStatus.OPEN,
        scorecards_published_at=timezone.now() - timedelta(days=settings.APPEAL_WINDOW_DAYS - 1),
    )
    rows = [t for t in workbench_todos(dealer_user) if t.key == "appeal_window"]
    assert [r.url for r in rows] == [reverse("assessments:scorecard", args=[dealer.code, card.period.code])]


def test_failed_imports_of_mine_are_to_dos_and_others_are_not(dealer, dealer_user):
    mine = ImportJob.objects.create(
        kind="complaints", user=dealer_user, dealer=dealer, file_name="a.csv", status=ImportStatus.FAILED
    )
    colleague = UserFactory(username="colleague", role=Role.DEALER_USER, dealer=dealer)
    ImportJob.objects.create(
        kind="complaints", user=colleague, dealer=dealer, file_name="b.csv", status=ImportStatus.FAILED
    )
    rows = [t for t in workbench_todos(dealer_user) if t.key == "import_failed"]
    assert [r.url for r in rows] == [reverse("imports:detail", args=[mine.pk])]


def test_hq_sees_ended_months_still_open_with_a_link_that_survives_a_missing_close_page(
    hq_manager, regional_manager
):
    ended = str(Month.of(timezone.localdate()).shift(-2))
    PeriodFactory(code=ended)
    PeriodFactory(code=str(Month.of(timezone.localdate())))
    rows = [t for t in workbench_todos(hq_manager) if t.key == "period_close"]
    assert [r.detail for r in rows] == [ended]
    assert rows[0].url == period_close_url(ended)
    assert "period_close" not in keys(workbench_todos(regional_manager))


def test_items_assigned_to_me_are_listed_once(dealer, dealer_user, hq_manager):
    case = hot_alert(dealer, hours=2, owner=dealer_user)  # not overnight yet: only as assigned
    hot_alert(dealer, hours=30, owner=dealer_user)  # overnight: listed once, as overnight
    action = proposal(dealer, owner=hq_manager)
    mine = [(t.key, t.item.pk) for t in workbench_todos(dealer_user) if t.item is not None]
    assert ("assigned_hot_alert", case.pk) in mine
    assert len(mine) == len(set(p for _, p in mine))
    with translation.override("en"):
        rows = workbench_todos(hq_manager)
    assert [t.detail for t in rows if t.key == "proposals"] == [f"{action.period} · 1 assigned to you"]
    assert "assigned_proposal" not in keys(rows)  # counted in the month's row, not a row each


def test_unowned_items_are_a_to_do_for_the_dealers_manager_only(dealer, dealer_user):
    boss = UserFactory(username="boss", role=Role.DEALER_USER, dealer=dealer, is_dealer_manager=True)
    hot_alert(dealer, hours=2)
    rectification(dealer)
    assert {"unowned_hot_alert", "unowned_rectification"} <= set(keys(workbench_todos(boss)))
    assert not [k for k in keys(workbench_todos(dealer_user)) if k.startswith("unowned")]


def test_unowned_items_go_to_every_user_of_a_dealer_without_a_manager(dealer, dealer_user):
    hot_alert(dealer, hours=2)
    assert "unowned_hot_alert" in keys(workbench_todos(dealer_user))


def test_the_workbench_page_shows_the_count_of_open_to_dos_and_unread_notices_in_the_header(
    dealer, dealer_user
):
    rectification(dealer)
    hot_alert(dealer, hours=30)
    dealer_user.notices.create(text="hello", url="/")
    page = _text(client_for(dealer_user).get(reverse("workbench:index")))
    expected = todo_count(workbench_todos(dealer_user))
    assert expected >= 2
    assert f'data-testid="nav-badge">{expected}<' in page
    assert 'data-testid="inbox-unread">1<' in page


def test_other_pages_get_the_counts_from_one_small_request(dealer, dealer_user, other_dealer):
    rectification(dealer)
    rectification(other_dealer)
    dealer_user.notices.create(text="hello", url="/")
    page = _text(client_for(dealer_user).get(reverse("assessments:dealer_home")))
    assert f'data-counts-url="{reverse("workbench:counts")}"' in page
    counts = client_for(dealer_user).get(reverse("workbench:counts")).json()
    assert counts == {"todos": todo_count(workbench_todos(dealer_user)), "unread": 1}


def test_the_counts_of_a_user_without_a_role_are_refused(db):
    assert (
        client_for(UserFactory(username="nobody", role="")).get(reverse("workbench:counts")).status_code
        == 403
    )


def test_signed_out_the_counts_answer_401_without_rendering_the_sign_in_page(client, db):
    # A redirect would render the sign-in page behind the user's back and reset its CSRF cookie.
    response = client.get(reverse("workbench:counts"))
    assert response.status_code == 401
    assert "csrftoken" not in response.cookies


def test_the_workbench_query_count_does_not_grow_with_the_number_of_items(
    dealer, dealer_user, hq_manager, django_assert_max_num_queries
):
    for i in range(30):
        hot_alert(dealer, hours=30 + i, owner=dealer_user if i % 2 else None)
        complaint(dealer, hours=30 + i)
        proposal(dealer, period=f"2026-{1 + i % 9:02d}")
        rectification(dealer)
    dealer_client, hq_client = client_for(dealer_user), client_for(hq_manager)
    with django_assert_max_num_queries(30):
        assert dealer_client.get(reverse("workbench:index")).status_code == 200
    with django_assert_max_num_queries(30):
        assert hq_client.get(reverse("workbench:index")).status_code == 200


def test_the_workbench_says_so_when_nothing_waits(dealer_user):
    current = str(Month.of(timezone.localdate()).shift(-1))
    SubmissionFactory(dealer=dealer_user.dealer, period=current, status=SubmissionStatus.APPROVED)
    page = _text(client_for(dealer_user).get(reverse("workbench:index")))
    assert 'data-testid="todo-empty"' in page


def test_a_month_is_due_to_close_when_its_appeal_window_ends_not_on_its_last_day(hq_manager, settings):
    # Given last month, ended, whose scorecards appeared on the 2nd with a 7-day window
    settings.APPEAL_WINDOW_DAYS = 7
    last = Month.of(timezone.localdate()).shift(-1)
    published = timezone.make_aware(datetime.combine(last.last_day + timedelta(days=2), time(9)))
    PeriodFactory(code=str(last), scorecards_published_at=published)

    # Then its close to-do falls due when the window ends, not when the month did
    (row,) = [t for t in workbench_todos(hq_manager) if t.key == "period_close"]
    assert row.due == published + timedelta(days=7)
