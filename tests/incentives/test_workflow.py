"""Closing a period proposes actions; managers decide; rectifications and appeals run their course."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.urls import reverse
from django.utils import timezone

from assessments.choices import RecordChannel
from assessments.models import Period, RecordChange, Scorecard
from assessments.services.recompute import period_close, period_recompute
from dealers.choices import DealerStatus
from dealers.models import AuditEvent, Dealer
from incentives.choices import ActionStatus, ActionType, AppealStatus, RectificationStatus
from incentives.models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder
from incentives.services import (
    IncentiveError,
    action_decide,
    appeal_decide,
    appeal_file,
    rectification_submit_plan,
    rectification_verify,
    rectifications_flag_overdue,
    rules_evaluate,
)

from ..conftest import client_for
from ..factories import ComplaintFactory, RepairOrderFactory, SubmissionFactory, SurveyResponseFactory, local


def _month_of_data(dealer, period: str, good: bool) -> None:
    year, mon = map(int, period.split("-"))
    day = local(f"{year}-{mon:02d}-10 09:00")
    for _ in range(12):
        RepairOrderFactory(
            dealer=dealer,
            opened_at=day,
            closed_at=day + timedelta(hours=20 if good else 90),
            promised_at=day + timedelta(hours=30),
        )
    for _ in range(12):
        SurveyResponseFactory(dealer=dealer, responded_at=day, overall=5 if good else 2)
    SubmissionFactory(dealer=dealer, period=period, certified_technicians=10 if good else 5)


@pytest.fixture
def network(dealer, other_dealer, far_dealer):
    """GL0001 excellent, GL0002 poor (grade D), GL0003 excellent, for Sep and Oct 2026."""
    for period in ("2026-09", "2026-10"):
        _month_of_data(dealer, period, good=True)
        _month_of_data(other_dealer, period, good=False)
        _month_of_data(far_dealer, period, good=True)
        period_recompute(period)
    period_close("2026-09")
    return {"good": dealer, "poor": other_dealer, "far": far_dealer}


def _proposed(dealer, period="2026-10"):
    return {a.action_type for a in IncentiveAction.objects.filter(dealer=dealer, period=period)}


@pytest.mark.django_db
def test_closing_a_period_proposes_actions_that_cite_rule_and_scorecards(network):
    assert Scorecard.objects.get(dealer=network["poor"], period__code="2026-10").grade == "D"
    period_close("2026-10")
    poor = _proposed(network["poor"])
    assert ActionType.RECTIFICATION in poor and ActionType.SUSPENSION not in poor
    # September's interview is still pending, so October does not propose another one.
    assert ActionType.INTERVIEW in _proposed(network["poor"], "2026-09") and ActionType.INTERVIEW not in poor
    assert ActionType.BONUS in _proposed(network["good"]) or ActionType.BONUS in _proposed(network["far"])
    rectification = IncentiveAction.objects.get(
        dealer=network["poor"], period="2026-10", action_type=ActionType.RECTIFICATION
    )
    assert rectification.rule is not None and rectification.status == ActionStatus.PROPOSED
    assert sorted(c.period.code for c in rectification.scorecards.all()) == ["2026-09", "2026-10"]


@pytest.mark.django_db
def test_evaluating_again_creates_no_duplicate(network):
    period_close("2026-10")
    count = IncentiveAction.objects.count()
    assert rules_evaluate("2026-10") == [] and IncentiveAction.objects.count() == count


@pytest.mark.django_db
def test_rules_run_on_closed_periods_only(network):
    with pytest.raises(IncentiveError):
        rules_evaluate("2026-10")


@pytest.mark.django_db
def test_an_approved_bonus_enters_the_ledger_and_a_rejection_needs_a_reason(network, hq_manager):
    period_close("2026-10")
    bonus = IncentiveAction.objects.filter(action_type=ActionType.BONUS).first()
    with pytest.raises(IncentiveError):
        action_decide(action=bonus, actor=hq_manager, approve=False, comment="")
    action_decide(action=bonus, actor=hq_manager, approve=True, comment="同意")
    entry = LedgerEntry.objects.get(action=bonus)
    assert entry.amount == bonus.amount and entry.amount > 0
    with pytest.raises(IncentiveError):
        action_decide(action=bonus, actor=hq_manager, approve=True)
    assert AuditEvent.objects.filter(action="incentive.action_approved", actor=hq_manager).exists()


@pytest.mark.django_db
def test_an_approved_suspension_sets_the_dealers_status_and_lifting_is_an_action_too(network, hq_manager):
    IncentiveRule.objects.filter(condition="grade", params__months=3).update(
        params={"grades": ["D"], "months": 2}
    )
    period_close("2026-10")
    suspension = IncentiveAction.objects.get(dealer=network["poor"], action_type=ActionType.SUSPENSION)
    action_decide(action=suspension, actor=hq_manager, approve=True)
    assert Dealer.objects.get(pk=network["poor"].pk).status == DealerStatus.SUSPENDED
    client = client_for(hq_manager)
    client.post(reverse("incentives:lift_suspension", args=[network["poor"].code]), {"reason": "整改完成"})
    lift = IncentiveAction.objects.get(dealer=network["poor"], action_type=ActionType.LIFT_SUSPENSION)
    client.post(reverse("incentives:decide", args=[lift.pk]), {"decision": "approve"})
    assert Dealer.objects.get(pk=network["poor"].pk).status == DealerStatus.ACTIVE


@pytest.mark.django_db
def test_regional_managers_decide_only_for_their_region(network, other_regional_manager, regional_manager):
    period_close("2026-10")
    action = IncentiveAction.objects.filter(dealer=network["poor"]).first()
    with pytest.raises(IncentiveError):
        action_decide(action=action, actor=other_regional_manager, approve=True)
    response = client_for(other_regional_manager).post(
        reverse("incentives:decide", args=[action.pk]), {"decision": "approve"}
    )
    assert response.status_code == 404
    action_decide(action=action, actor=regional_manager, approve=True)


@pytest.mark.django_db
def test_a_rectification_runs_plan_then_verification_and_a_failure_escalates(
    network, hq_manager, other_dealer_user
):
    period_close("2026-10")
    action = IncentiveAction.objects.get(
        dealer=network["poor"], action_type=ActionType.RECTIFICATION, period="2026-10"
    )
    action_decide(action=action, actor=hq_manager, approve=True)
    order = RectificationOrder.objects.get(action=action)
    rectification_submit_plan(order=order, actor=other_dealer_user, plan="增加技师培训", files=[])
    rectification_verify(order=order, actor=hq_manager, passed=False, comment="未落实")
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.FAILED
    again = IncentiveAction.objects.get(origin_key=f"rectification:{order.pk}")
    assert again.action_type == ActionType.RECTIFICATION and again.status == ActionStatus.PROPOSED
    # A second failure escalates to a suspension proposal
    action_decide(action=again, actor=hq_manager, approve=True)
    second = RectificationOrder.objects.get(action=again)
    rectification_submit_plan(order=second, actor=other_dealer_user, plan="再次整改", files=[])
    rectification_verify(order=second, actor=hq_manager, passed=False, comment="仍未落实")
    assert (
        IncentiveAction.objects.get(origin_key=f"rectification:{second.pk}").action_type
        == ActionType.SUSPENSION
    )


@pytest.mark.django_db
def test_overdue_rectifications_are_flagged_once(network, hq_manager):
    period_close("2026-10")
    action = IncentiveAction.objects.get(
        dealer=network["poor"], action_type=ActionType.RECTIFICATION, period="2026-10"
    )
    action_decide(action=action, actor=hq_manager, approve=True)
    order = RectificationOrder.objects.get(action=action)
    later = order.deadline + timedelta(days=1)
    assert rectifications_flag_overdue(order.deadline) == 0
    assert rectifications_flag_overdue(later) == 1 and rectifications_flag_overdue(later) == 0


@pytest.mark.django_db
def test_an_upheld_appeal_corrects_the_data_and_changes_the_scorecard_before_close(
    network, other_dealer_user, hq_manager, django_capture_on_commit_callbacks
):
    poor = network["poor"]
    major = ComplaintFactory(
        dealer=poor, complaint_id="C-WRONG", severity="major", received_at=local("2026-10-12 10:00")
    )
    period_recompute("2026-10")
    before = Scorecard.objects.get(dealer=poor, period__code="2026-10")
    assert before.major_complaints == 1
    appeal = appeal_file(
        scorecard=before, kpi_code="complaint_rate", reason="该投诉属于其他经销商", actor=other_dealer_user
    )
    with django_capture_on_commit_callbacks(execute=True):
        appeal_decide(
            appeal=appeal,
            actor=hq_manager,
            uphold=True,
            decision="核实属实",
            correction="exclude_complaint",
            target=major.complaint_id,
        )
    after = Scorecard.objects.get(dealer=poor, period__code="2026-10")
    assert after.major_complaints == 0 and after.total_score >= before.total_score
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.UPHELD
    # The voiding is kept in the complaint's change history, with who decided it.
    change = RecordChange.objects.get(model="assessments.complaint", record_id=major.pk)
    assert (change.user, change.before["excluded"], change.after["excluded"]) == (hq_manager, False, True)
    major.refresh_from_db()
    assert (major.changed_by, major.changed_channel) == (hq_manager, RecordChannel.SYSTEM)


@pytest.mark.django_db
def test_appeals_are_refused_outside_the_window_and_for_another_dealer(
    network, dealer_user, other_dealer_user, settings
):
    card = Scorecard.objects.get(dealer=network["poor"], period__code="2026-10")
    with pytest.raises(IncentiveError):
        appeal_file(scorecard=card, kpi_code="csat", reason="x", actor=dealer_user)
    Period.objects.filter(code="2026-10").update(scorecards_published_at=timezone.now() - timedelta(days=8))
    settings.APPEAL_WINDOW_DAYS = 7
    with pytest.raises(IncentiveError):
        appeal_file(scorecard=card, kpi_code="csat", reason="x", actor=other_dealer_user)
    closed = Scorecard.objects.get(dealer=network["poor"], period__code="2026-09")
    with pytest.raises(IncentiveError):
        appeal_file(scorecard=closed, kpi_code="csat", reason="x", actor=other_dealer_user)


@pytest.mark.django_db
@pytest.mark.parametrize("name", ["incentives:queue", "incentives:ledger", "incentives:appeals"])
def test_incentive_pages_answer_for_every_role(cast, network, name):
    period_close("2026-10")
    for role, user in cast.items():
        response = client_for(user).get(reverse(name))
        assert response.status_code == 200, role
    assert client_for(None).get(reverse(name)).status_code == 302


@pytest.mark.django_db
def test_a_dealer_sees_only_its_own_actions_and_history(network, dealer_user):
    period_close("2026-10")
    client = client_for(dealer_user)
    listed = client.get(reverse("incentives:queue") + "?status=").context["page"].object_list
    assert {a.dealer_id for a in listed} <= {network["good"].pk}
    assert client.get(reverse("incentives:dealer", args=[network["poor"].code])).status_code == 404
    assert client.get(reverse("incentives:dealer", args=[network["good"].code])).status_code == 200
    other = IncentiveAction.objects.filter(dealer=network["poor"]).first()
    # Dealers never decide: the role is checked first, the same for every action.
    assert (
        client.post(reverse("incentives:decide", args=[other.pk]), {"decision": "approve"}).status_code == 403
    )


@pytest.mark.django_db
def test_exports_of_the_queue_and_ledger_are_formula_safe(network, hq_manager):
    period_close("2026-10")
    IncentiveAction.objects.update(reason="=HYPERLINK(1)")
    body = (
        client_for(hq_manager)
        .get(reverse("incentives:queue_export", args=["csv"]) + "?status=")
        .content.decode("utf-8-sig")
    )
    assert "'=HYPERLINK(1)" in body


@pytest.mark.django_db
def test_lifting_is_proposed_only_for_a_suspended_dealer_by_its_manager(
    dealer, regional_manager, other_regional_manager
):
    from incentives.services import action_propose

    with pytest.raises(IncentiveError):
        action_propose(
            dealer=dealer,
            period_code="2026-10",
            action_type=ActionType.LIFT_SUSPENSION,
            reason="x",
            actor=regional_manager,
        )
    Dealer.objects.filter(pk=dealer.pk).update(status=DealerStatus.SUSPENDED)
    dealer.refresh_from_db()
    with pytest.raises(IncentiveError):
        action_propose(
            dealer=dealer,
            period_code="2026-10",
            action_type=ActionType.LIFT_SUSPENSION,
            reason="x",
            actor=other_regional_manager,
        )
    first = action_propose(
        dealer=dealer,
        period_code="2026-10",
        action_type=ActionType.LIFT_SUSPENSION,
        reason="x",
        actor=regional_manager,
    )
    second = action_propose(
        dealer=dealer,
        period_code="2026-10",
        action_type=ActionType.LIFT_SUSPENSION,
        reason="y",
        actor=regional_manager,
    )
    assert first.origin_key != second.origin_key


@pytest.mark.django_db
@pytest.mark.parametrize(("name", "size"), [("plan.exe", 10), ("photo.jpg", 21 * 1024 * 1024)])
def test_evidence_must_be_a_document_or_image_of_at_most_20_mb(
    network, hq_manager, other_dealer_user, name, size
):
    from django.core.files.uploadedfile import SimpleUploadedFile

    period_close("2026-10")
    action = IncentiveAction.objects.get(
        dealer=network["poor"], action_type=ActionType.RECTIFICATION, period="2026-10"
    )
    action_decide(action=action, actor=hq_manager, approve=True)
    order = RectificationOrder.objects.get(action=action)
    upload = SimpleUploadedFile(name, b"x")
    upload.size = size
    with pytest.raises(IncentiveError):
        rectification_submit_plan(order=order, actor=other_dealer_user, plan="计划", files=[upload])
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.OPEN
