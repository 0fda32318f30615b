"""Rectification as an action plan: tasks from KPI templates, evidence only for the right
people, the re-measure on pass, overdue escalation, and interview records."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.core import mail
from django.core.files.uploadedfile import SimpleUploadedFile
from django.template import Context, Template
from django.urls import reverse
from django.utils import timezone, translation
from django.utils.html import escape

from assessments.services.recompute import period_close, period_recompute
from dealers.choices import DealerStatus
from dealers.models import AuditEvent, Dealer, Notice
from incentives.choices import ActionStatus, ActionType, RectificationStatus
from incentives.models import (
    IncentiveAction,
    IncentiveRule,
    InterviewRecord,
    RectificationEvidence,
    RectificationOrder,
    RectificationTask,
    TaskStatus,
)
from incentives.services import (
    IncentiveError,
    action_decide,
    interview_record,
    rectification_evidence_attach,
    rectification_submit_plan,
    rectification_task_add,
    rectification_task_mark,
    rectification_verify,
    rectifications_flag_overdue,
)
from incentives.services.rectification import DUE_AFTER_DEADLINE, ONLY_DEALER

from ..conftest import client_for
from .test_workflow import _month_of_data


@pytest.fixture
def months(dealer, other_dealer, far_dealer):
    """GL0001 poor in September and good in October; the others good. September is closed."""
    _month_of_data(dealer, "2026-09", good=False)
    _month_of_data(dealer, "2026-10", good=True)
    for other in (other_dealer, far_dealer):
        for period in ("2026-09", "2026-10"):
            _month_of_data(other, period, good=True)
    for period in ("2026-09", "2026-10"):
        period_recompute(period)
    period_close("2026-09")
    return dealer


def _approved(dealer, hq_manager, *, action_type=ActionType.RECTIFICATION, kpi: str | None = None):
    """An approved action of a rule on the dealer's September scorecard."""
    if kpi:
        rule = IncentiveRule.objects.create(
            name="维修周期超限整改",
            condition="kpi_value",
            params={"kpi": kpi, "op": ">", "value": 48, "months": 1},
            action_type=action_type,
            rectification_days=20,
        )
    else:
        rule = IncentiveRule.objects.create(
            name="D级", condition="grade", params={"grades": ["D"], "months": 1}, action_type=action_type
        )
    action = IncentiveAction.objects.create(
        dealer=dealer,
        period="2026-09",
        rule=rule,
        action_type=action_type,
        reason=rule.name,
        origin_key=f"rule:{rule.pk}",
    )
    action.scorecards.set(dealer.scorecards.filter(period__code="2026-09"))
    return action_decide(action=action, actor=hq_manager, approve=True)


@pytest.fixture
def order(months, hq_manager, dealer_user, django_capture_on_commit_callbacks):
    with django_capture_on_commit_callbacks(execute=True):
        action = _approved(months, hq_manager, kpi="repair_cycle_hours")
    return RectificationOrder.objects.get(action=action)


def _file(name="整改照片.png", content=b"\x89PNG evidence bytes"):
    return SimpleUploadedFile(name, content, content_type="image/png")


@pytest.mark.django_db
def test_an_order_opened_by_a_kpi_rule_starts_with_that_kpis_tasks_due_by_its_deadline(order, dealer_user):
    tasks = list(order.tasks.all())
    assert len(tasks) == 3 and all(t.from_template and t.status == TaskStatus.OPEN for t in tasks)
    assert all(t.due_date <= order.deadline for t in tasks)
    assert any("维修周期" in t.title for t in tasks)
    assert not any("repair_cycle_hours" in t.title for t in tasks)
    assert Notice.objects.filter(user=dealer_user).exists()


@pytest.mark.django_db
def test_an_order_approved_by_a_manager_reading_english_still_has_chinese_tasks(months, hq_manager):
    with translation.override("en"):
        action = _approved(months, hq_manager, kpi="repair_cycle_hours")
    titles = list(RectificationOrder.objects.get(action=action).tasks.values_list("title", flat=True))
    assert any("维修周期" in t for t in titles)
    assert not any("Repair cycle" in t for t in titles)


@pytest.mark.django_db
def test_an_order_opened_by_a_grade_rule_starts_with_the_general_plan(months, hq_manager):
    action = _approved(months, hq_manager)
    order = RectificationOrder.objects.get(action=action)
    assert order.tasks.count() == 4 and order.tasks.filter(due_date=order.deadline).exists()


@pytest.mark.django_db
def test_the_dealer_adds_and_ticks_tasks_but_none_is_due_after_the_deadline(order, dealer_user):
    client = client_for(dealer_user)
    url = reverse("incentives:rectification_task_new", args=[order.pk])
    client.post(
        url, {"title": "每日晨会通报在修车辆", "owner": "张经理", "due_date": order.deadline.isoformat()}
    )
    task = order.tasks.get(title="每日晨会通报在修车辆")
    assert task.owner == "张经理"
    late = (order.deadline + timedelta(days=1)).isoformat()
    response = client.post(url, {"title": "太晚", "due_date": late}, follow=True)
    assert not order.tasks.filter(title="太晚").exists()
    with translation.override("zh-hans"):
        expected = str(DUE_AFTER_DEADLINE) % {"deadline": order.deadline.isoformat()}
    assert escape(expected) in response.content.decode()
    client.post(reverse("incentives:rectification_task", args=[order.pk, task.pk]), {"done": "1"})
    task.refresh_from_db()
    assert task.status == TaskStatus.DONE and task.done_at is not None
    client.post(
        reverse("incentives:rectification_task", args=[order.pk, task.pk]),
        {"title": "每日晨会", "owner": "李主管", "due_date": order.deadline.isoformat()},
    )
    task.refresh_from_db()
    assert (task.title, task.owner) == ("每日晨会", "李主管")
    assert AuditEvent.objects.filter(action="rectification.task_added", actor=dealer_user).exists()


@pytest.mark.django_db
def test_only_the_dealers_own_users_change_its_tasks(order, other_dealer_user, regional_manager, hq_manager):
    task = order.tasks.first()
    response = client_for(other_dealer_user).post(
        reverse("incentives:rectification_task", args=[order.pk, task.pk]), {"done": "1"}
    )
    assert response.status_code == 404
    with pytest.raises(IncentiveError, match=str(ONLY_DEALER)):
        rectification_task_mark(task=task, actor=regional_manager, done=True)
    with pytest.raises(IncentiveError):
        rectification_task_add(
            order=order, actor=hq_manager, title="x", owner="", due_date=timezone.localdate()
        )
    assert RectificationTask.objects.get(pk=task.pk).status == TaskStatus.OPEN


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["dealer_user", "regional_manager", "hq_manager"])
def test_evidence_opens_for_the_dealer_and_its_managers_as_a_safe_attachment(order, cast, who):
    task = order.tasks.first()
    client_for(cast["dealer_user"]).post(
        reverse("incentives:rectification_evidence_upload", args=[order.pk]),
        {"evidence": _file(), "task": task.pk},
    )
    evidence = RectificationEvidence.objects.get(order=order)
    assert (evidence.original_name, evidence.task, evidence.uploaded_by) == (
        "整改照片.png",
        task,
        cast["dealer_user"],
    )
    assert "整改照片" not in evidence.file.name  # stored under a random name
    response = client_for(cast[who]).get(reverse("incentives:rectification_evidence", args=[evidence.pk]))
    assert response.status_code == 200
    assert b"".join(response.streaming_content) == b"\x89PNG evidence bytes"
    assert response["Content-Disposition"].startswith("attachment;")
    assert "filename*=utf-8''" in response["Content-Disposition"]
    assert response["Content-Type"] == "application/octet-stream"
    page = client_for(cast[who]).get(reverse("incentives:rectification", args=[order.pk])).content.decode()
    assert reverse("incentives:rectification_evidence", args=[evidence.pk]) in page
    assert "整改照片.png" in page and "/media/" not in page
    opened = AuditEvent.objects.filter(action="rectification.evidence_opened", actor=cast[who]).exists()
    assert opened == (who != "dealer_user")


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_dealer_user", "other_regional_manager"])
def test_evidence_is_not_found_for_another_dealer_or_another_region(order, cast, who):
    [evidence] = rectification_evidence_attach(order=order, actor=cast["dealer_user"], files=[_file()])
    client = client_for(cast[who])
    assert client.get(reverse("incentives:rectification_evidence", args=[evidence.pk])).status_code == 404
    assert client.get(reverse("incentives:rectification", args=[order.pk])).status_code == 404
    upload = client.post(
        reverse("incentives:rectification_evidence_upload", args=[order.pk]), {"evidence": _file()}
    )
    assert upload.status_code == 404 and RectificationEvidence.objects.count() == 1


@pytest.mark.django_db
def test_anonymous_is_sent_to_sign_in_for_an_evidence_file(order, dealer_user):
    [evidence] = rectification_evidence_attach(order=order, actor=dealer_user, files=[_file()])
    response = client_for(None).get(reverse("incentives:rectification_evidence", args=[evidence.pk]))
    assert response.status_code == 302 and reverse("login") in response["Location"]


@pytest.mark.django_db
def test_passing_stores_the_kpi_before_and_after_and_the_page_shows_names_and_units(
    order, dealer_user, hq_manager
):
    rectification_submit_plan(order=order, actor=dealer_user, plan="", files=[_file()])
    preview = (
        client_for(hq_manager).get(reverse("incentives:rectification", args=[order.pk])).content.decode()
    )
    assert 'data-testid="remeasure"' in preview
    rectification_verify(order=order, actor=hq_manager, passed=True, comment="效果明显")
    order.refresh_from_db()
    assert order.status == RectificationStatus.PASSED
    assert order.remeasure["before_period"] == "2026-09" and order.remeasure["after_period"] == "2026-10"
    [row] = order.remeasure["rows"]
    assert row["kpi"] == "repair_cycle_hours" and row["before"] > row["after"]
    page = client_for(dealer_user).get(reverse("incentives:rectification", args=[order.pk])).content.decode()
    assert "维修周期" in page and "repair_cycle_hours" not in page
    assert "小时" in page or " h" in page


@pytest.mark.django_db
def test_a_plan_needs_a_task_or_a_summary(order, dealer_user):
    order.tasks.all().delete()
    with pytest.raises(IncentiveError):
        rectification_submit_plan(order=order, actor=dealer_user, plan=" ", files=[])


@pytest.mark.django_db
def test_an_overdue_order_fails_proposes_its_escalation_once_and_tells_dealer_and_managers(
    order, cast, django_capture_on_commit_callbacks
):
    cast["dealer_user"].email = "service@gl0001.example"
    cast["dealer_user"].save()
    later = order.deadline + timedelta(days=1)
    with django_capture_on_commit_callbacks(execute=True):
        assert rectifications_flag_overdue(later) == 1
    with django_capture_on_commit_callbacks(execute=True):
        assert rectifications_flag_overdue(later) == 0
    order.refresh_from_db()
    assert order.status == RectificationStatus.FAILED and order.overdue_flagged_at is not None
    escalation = IncentiveAction.objects.get(origin_key=f"rectification:{order.pk}")
    assert escalation.action_type == ActionType.RECTIFICATION and escalation.status == ActionStatus.PROPOSED
    told = set(
        Notice.objects.filter(text__contains=order.deadline.isoformat()).values_list(
            "user__username", flat=True
        )
    )
    assert {"dealer_user", "east_manager", "hq_manager"} <= told
    assert not told & {"other_dealer_user", "south_manager"}
    assert mail.outbox


@pytest.mark.django_db
def test_an_overdue_second_order_proposes_a_suspension(order, hq_manager):
    rectifications_flag_overdue(order.deadline + timedelta(days=1))
    second_action = IncentiveAction.objects.get(origin_key=f"rectification:{order.pk}")
    action_decide(action=second_action, actor=hq_manager, approve=True)
    second = RectificationOrder.objects.get(action=second_action)
    assert second.tasks.filter(title__contains="维修周期").exists()  # the first order's KPI
    rectifications_flag_overdue(second.deadline + timedelta(days=1))
    assert (
        IncentiveAction.objects.get(origin_key=f"rectification:{second.pk}").action_type
        == ActionType.SUSPENSION
    )


@pytest.mark.django_db
def test_an_overdue_second_order_of_a_suspended_dealer_proposes_no_second_suspension(order, hq_manager):
    # Given a second order, and the dealer suspended meanwhile
    rectifications_flag_overdue(order.deadline + timedelta(days=1))
    second_action = IncentiveAction.objects.get(origin_key=f"rectification:{order.pk}")
    action_decide(action=second_action, actor=hq_manager, approve=True)
    second = RectificationOrder.objects.get(action=second_action)
    Dealer.objects.filter(pk=order.dealer_id).update(status=DealerStatus.SUSPENDED)

    # When the second order runs past its deadline
    rectifications_flag_overdue(second.deadline + timedelta(days=1))

    # Then it fails, but no suspension is proposed on top of the one in force
    second.refresh_from_db()
    assert second.status == RectificationStatus.FAILED
    assert not IncentiveAction.objects.filter(action_type=ActionType.SUSPENSION).exists()


@pytest.mark.django_db
def test_a_failed_first_order_proposes_no_second_rectification_while_another_order_is_open(
    order, months, hq_manager
):
    # Given another open order of the same dealer
    other = _approved(months, hq_manager)
    assert other.rectification.status == RectificationStatus.OPEN

    # When the first runs past its deadline
    rectifications_flag_overdue(order.deadline + timedelta(days=1))

    # Then no rectification is stacked on the open one
    assert not IncentiveAction.objects.filter(origin_key=f"rectification:{order.pk}").exists()


@pytest.mark.django_db
def test_an_approved_interview_opens_a_record_that_managers_fill_and_the_dealer_reads(
    months, hq_manager, regional_manager, dealer_user
):
    action = _approved(months, hq_manager, action_type=ActionType.INTERVIEW)
    interview = InterviewRecord.objects.get(action=action)
    url = reverse("incentives:interview", args=[interview.pk])
    dealer_page = client_for(dealer_user).get(url).content.decode()
    assert 'data-testid="interview-pending"' in dealer_page and 'name="minutes"' not in dealer_page
    assert (
        client_for(dealer_user)
        .post(url, {"held_on": "2026-10-01", "attendees": "x", "minutes": "y"})
        .status_code
        == 403
    )
    client_for(regional_manager).post(
        url,
        {"held_on": timezone.localdate().isoformat(), "attendees": "区域经理、店总", "minutes": "约谈纪要"},
    )
    interview.refresh_from_db()
    assert interview.minutes == "约谈纪要" and interview.recorded_by == regional_manager
    assert "约谈纪要" in client_for(dealer_user).get(url).content.decode()
    with pytest.raises(IncentiveError):
        interview_record(interview=interview, actor=hq_manager, held_on=None, attendees="", minutes="")
    assert AuditEvent.objects.filter(action="interview.recorded", actor=regional_manager).exists()


@pytest.mark.django_db
@pytest.mark.parametrize("who", ["other_dealer_user", "other_regional_manager"])
def test_an_interview_record_is_not_found_for_another_dealer_or_another_region(months, cast, who):
    action = _approved(months, cast["hq_manager"], action_type=ActionType.INTERVIEW)
    interview = InterviewRecord.objects.get(action=action)
    url = reverse("incentives:interview", args=[interview.pk])
    assert client_for(cast[who]).get(url).status_code == 404
    assert client_for(cast[who]).post(url, {"minutes": "x"}).status_code == 404


@pytest.mark.django_db
def test_the_dealers_home_shows_its_open_order_with_deadline_and_days_left(
    order, dealer_user, other_dealer_user
):
    page = client_for(dealer_user).get(reverse("assessments:dealer_home")).content.decode()
    assert 'data-testid="open-rectifications"' in page
    assert reverse("incentives:rectification", args=[order.pk]) in page
    assert order.deadline.strftime("%Y-%m-%d") in page and "20" in page
    other = client_for(other_dealer_user).get(reverse("assessments:dealer_home")).content.decode()
    assert 'data-testid="open-rectifications"' not in other


@pytest.mark.django_db
def test_an_action_leads_to_its_order_or_its_interview(order, months, hq_manager):
    interview_action = _approved(months, hq_manager, action_type=ActionType.INTERVIEW)
    tpl = Template("{% load rectification_tags %}{% action_followup_url a %}")
    assert tpl.render(Context({"a": order.action})) == reverse("incentives:rectification", args=[order.pk])
    assert tpl.render(Context({"a": interview_action})) == reverse(
        "incentives:interview", args=[interview_action.interview.pk]
    )
    # and the dealer's incentive history links both
    history = (
        client_for(hq_manager).get(reverse("incentives:dealer", args=[order.dealer.code])).content.decode()
    )
    assert reverse("incentives:rectification", args=[order.pk]) in history
    assert reverse("incentives:interview", args=[interview_action.interview.pk]) in history


@pytest.mark.django_db
def test_the_demo_seed_puts_one_order_in_progress_passes_one_and_records_an_interview(
    months, other_dealer, hq_manager, dealer_user, other_dealer_user
):
    from incentives.demo_rectification import seed_rectifications

    for who, kind in (
        (months, ActionType.RECTIFICATION),
        (other_dealer, ActionType.RECTIFICATION),
        (months, ActionType.INTERVIEW),
    ):
        IncentiveAction.objects.create(
            dealer=who, period="2026-09", action_type=kind, reason="演示", origin_key=f"manual:{who.pk}{kind}"
        )
    seeded = seed_rectifications()
    in_progress = RectificationOrder.objects.get(pk=seeded["in_progress"])
    passed = RectificationOrder.objects.get(pk=seeded["passed"])
    assert in_progress.status == RectificationStatus.OPEN and in_progress.evidence.exists()
    assert 0 < in_progress.tasks.filter(status=TaskStatus.DONE).count() < in_progress.tasks.count()
    assert passed.status == RectificationStatus.PASSED and passed.remeasure["rows"]
    assert InterviewRecord.objects.get(pk=seeded["interview"]).is_recorded
    assert seed_rectifications() == seeded


@pytest.mark.django_db
def test_the_order_page_takes_as_many_queries_with_ten_tasks_and_files_as_with_three(order, dealer_user):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    client = client_for(dealer_user)
    url = reverse("incentives:rectification", args=[order.pk])
    with CaptureQueriesContext(connection) as few:
        client.get(url)
    for i in range(7):
        task = rectification_task_add(
            order=order, actor=dealer_user, title=f"任务{i}", owner="", due_date=order.deadline
        )
        rectification_evidence_attach(order=order, actor=dealer_user, files=[_file(f"{i}.png")], task=task)
    with CaptureQueriesContext(connection) as many:
        assert client.get(url).status_code == 200
    assert len(many.captured_queries) == len(few.captured_queries) <= 20


@pytest.mark.django_db
def test_the_order_list_shows_plans_to_verify_to_managers_and_only_orders_in_scope(
    order, dealer_user, cast, hq_manager
):
    url = reverse("incentives:rectifications")
    # Reached from the queue's header
    assert url in client_for(hq_manager).get(reverse("incentives:queue")).content.decode()
    # Open orders wait on the dealer: not in HQ's default view (plans to verify), in the dealer's
    assert f"RO-{order.pk}" not in client_for(hq_manager).get(url).content.decode()
    assert f"RO-{order.pk}" in client_for(dealer_user).get(url).content.decode()
    order.status = RectificationStatus.PLAN_SUBMITTED
    order.save(update_fields=["status"])
    assert f"RO-{order.pk}" in client_for(hq_manager).get(url).content.decode()
    # Another dealer's user and another region's manager never see it
    for role in ("other_dealer_user", "other_regional_manager"):
        body = client_for(cast[role]).get(url + "?status=all").content.decode()
        assert f"RO-{order.pk}" not in body, role
