# ruff: noqa: F811  (the `network` fixture is imported from test_workflow)
"""Decisions at scale, rule idempotence and precedence, vetoes and visible sanctions (issue #15)."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.db import connection
from django.test import override_settings
from django.test.utils import CaptureQueriesContext
from django.urls import reverse
from django.utils import timezone

from assessments.models import Period, RecomputeRequest, Scorecard, VetoIncident
from assessments.services.recompute import period_close, period_recompute
from dealers.choices import DealerStatus
from dealers.models import AuditEvent, Dealer
from incentives.choices import ActionStatus, ActionType
from incentives.models import IncentiveAction, IncentiveRule, VetoEvidence
from incentives.rules import DealerState, blocked_by_precedence, screen
from incentives.services import (
    IncentiveError,
    action_decide,
    actions_bulk_summary,
    actions_decide_bulk,
    actions_expire,
    rules_evaluate,
    veto_record,
)
from incentives.services.actions import VETOED_REWARD
from incentives.services.vetoes import MONTH_CLOSED

from ..conftest import client_for
from .test_workflow import _month_of_data, network  # noqa: F401  (the fixture)

DEFAULT = [["suspension", "rectification", "interview"], ["honour", "bonus"]]
SUSPEND, RECTIFY, INTERVIEW, BONUS, HONOUR = 1, 2, 3, 4, 5
CANDIDATES = [
    (SUSPEND, "suspension"),
    (RECTIFY, "rectification"),
    (INTERVIEW, "interview"),
    (BONUS, "bonus"),
    (HONOUR, "honour"),
]


# ---------- the arithmetic of screening (no database) ----------


def test_a_sanction_blocks_the_months_rewards_under_the_default_precedence():
    assert screen([(INTERVIEW, "interview"), (BONUS, "bonus")], DealerState(), DEFAULT) == [
        (INTERVIEW, "interview")
    ]
    assert screen([(BONUS, "bonus"), (HONOUR, "honour")], DealerState(), DEFAULT) == [
        (BONUS, "bonus"),
        (HONOUR, "honour"),
    ]


def test_precedence_tiers_are_strongest_first_and_unlisted_types_are_never_blocked():
    assert blocked_by_precedence(["bonus"], DEFAULT) == set()
    assert blocked_by_precedence(["interview", "bonus"], DEFAULT) == {"honour", "bonus"}
    tiers = [["suspension"], ["rectification", "interview"], ["honour", "bonus"]]
    assert blocked_by_precedence(["suspension"], tiers) == {"rectification", "interview", "honour", "bonus"}
    assert blocked_by_precedence(["lift_suspension", "bonus"], [["bonus"]]) == set()
    assert blocked_by_precedence(["interview", "bonus"], []) == set()


def test_a_veto_blocks_every_reward_but_not_the_suspension_whatever_the_precedence():
    kept = screen(CANDIDATES, DealerState(vetoed=True), [])
    assert [t for _, t in kept] == ["suspension", "rectification", "interview"]


def test_a_sanction_rule_with_a_pending_proposal_is_not_proposed_again():
    state = DealerState(
        pending_rule_ids=frozenset({SUSPEND, INTERVIEW}), pending_types=frozenset({"suspension"})
    )
    assert [t for _, t in screen(CANDIDATES[:3], state, DEFAULT)] == ["rectification"]


def test_a_pending_reward_of_last_month_does_not_block_this_months():
    state = DealerState(pending_rule_ids=frozenset({BONUS}), pending_types=frozenset({"bonus"}))
    assert screen([(BONUS, "bonus")], state, DEFAULT) == [(BONUS, "bonus")]


def test_no_suspension_for_a_suspended_dealer_and_no_rectification_while_an_order_is_open():
    kept = screen(CANDIDATES[:3], DealerState(suspended=True, under_rectification=True), DEFAULT)
    assert kept == [(INTERVIEW, "interview")]


def test_two_rules_proposing_a_suspension_in_one_month_give_one():
    assert screen([(SUSPEND, "suspension"), (9, "suspension")], DealerState(), DEFAULT) == [
        (SUSPEND, "suspension")
    ]


# ---------- the rule engine on closed months ----------


def _close_month(period: str, network) -> None:
    _month_of_data(network["good"], period, good=True)
    _month_of_data(network["poor"], period, good=False)
    _month_of_data(network["far"], period, good=True)
    period_recompute(period)
    period_close(period)


def _suspensions(dealer) -> list[IncentiveAction]:
    return list(IncentiveAction.objects.filter(dealer=dealer, action_type=ActionType.SUSPENSION))


@pytest.mark.django_db
def test_grade_d_month_after_month_gives_one_pending_suspension_and_none_once_suspended(network, hq_manager):
    # Given: suspension at grade D; the poor dealer is D in Sep (closed), Oct and Nov
    IncentiveRule.objects.filter(condition="grade", params__months=3).update(
        params={"grades": ["D"], "months": 1}
    )
    rules_evaluate("2026-09")
    period_close("2026-10")
    # Then: one suspension, still pending, not one a month
    assert [(a.period, a.status) for a in _suspensions(network["poor"])] == [
        ("2026-09", ActionStatus.PROPOSED)
    ]
    # When it is approved, the dealer is suspended and November proposes no new suspension
    action_decide(action=_suspensions(network["poor"])[0], actor=hq_manager, approve=True)
    assert Dealer.objects.get(pk=network["poor"].pk).status == DealerStatus.SUSPENDED
    _close_month("2026-11", network)
    assert len(_suspensions(network["poor"])) == 1
    assert Scorecard.objects.get(dealer=network["poor"], period__code="2026-11").grade == "D"


@pytest.mark.django_db
def test_a_vetoed_dealer_gets_no_bonus_or_honour_but_still_the_suspension(
    network,
    hq_manager,
    django_capture_on_commit_callbacks,
):
    # Given: the excellent dealer would earn a bonus and its region's honour in October
    with django_capture_on_commit_callbacks(execute=True):
        veto_record(
            dealer=network["far"],
            period_code="2026-10",
            title="虚假维修",
            description="",
            files=[],
            actor=hq_manager,
        )
    assert Scorecard.objects.get(dealer=network["far"], period__code="2026-10").veto
    # When October closes
    period_close("2026-10")
    # Then: its suspension is proposed, no reward
    types = {a.action_type for a in IncentiveAction.objects.filter(dealer=network["far"], period="2026-10")}
    assert ActionType.SUSPENSION in types and not types & {ActionType.BONUS, ActionType.HONOUR}


@pytest.mark.django_db
def test_approving_a_bonus_for_a_vetoed_month_is_refused_with_a_clear_message(network, hq_manager):
    period_close("2026-10")
    bonus = IncentiveAction.objects.filter(action_type=ActionType.BONUS, period="2026-10").first()
    # A veto recorded afterwards (e.g. in the admin) still blocks the reward at approval
    VetoIncident.objects.create(dealer=bonus.dealer, period="2026-10", title="x", recorded_by=hq_manager)
    with pytest.raises(IncentiveError) as refused:
        action_decide(action=bonus, actor=hq_manager, approve=True)
    assert str(refused.value) == str(VETOED_REWARD % {"dealer": bonus.dealer.code, "month": "2026-10"})
    assert IncentiveAction.objects.get(pk=bonus.pk).status == ActionStatus.PROPOSED


@pytest.mark.django_db
def test_the_bulk_confirmation_leaves_a_vetoed_dealers_bonus_out_of_the_total(network, hq_manager):
    period_close("2026-10")
    bonuses = list(IncentiveAction.objects.filter(action_type=ActionType.BONUS, period="2026-10"))
    vetoed = bonuses[0]
    VetoIncident.objects.create(dealer=vetoed.dealer, period="2026-10", title="x", recorded_by=hq_manager)

    summary = actions_bulk_summary(hq_manager, [b.pk for b in bonuses])

    assert summary.vetoed_rewards == 1
    assert summary.bonus_total == sum(b.amount for b in bonuses[1:])


@pytest.mark.django_db
def test_changing_the_precedence_setting_changes_the_outcome(network):
    # Given: a rule that gives every scored dealer an interview, so the excellent dealers have
    # both a sanction and rewards in October
    IncentiveRule.objects.create(
        name="all → interview",
        condition="grade",
        params={"grades": ["A", "B", "C", "D"]},
        action_type="interview",
    )
    period_close("2026-10")
    default = {a.action_type for a in IncentiveAction.objects.filter(dealer=network["far"], period="2026-10")}
    assert ActionType.INTERVIEW in default and ActionType.HONOUR not in default
    # When the precedence lists no tiers, nothing blocks anything
    IncentiveAction.objects.filter(period="2026-10").delete()
    with override_settings(INCENTIVE_PRECEDENCE=[]):
        rules_evaluate("2026-10")
    flat = {a.action_type for a in IncentiveAction.objects.filter(dealer=network["far"], period="2026-10")}
    assert {ActionType.INTERVIEW, ActionType.HONOUR} <= flat


@pytest.mark.django_db
def test_undecided_proposals_expire_after_the_configured_age_and_are_audited(network):
    period_close("2026-10")
    old = IncentiveAction.objects.filter(period="2026-10").first()
    IncentiveAction.objects.filter(pk=old.pk).update(proposed_at=timezone.now() - timedelta(days=61))
    with override_settings(INCENTIVE_PROPOSAL_MAX_AGE_DAYS=60):
        assert actions_expire() == 1 and actions_expire() == 0
    assert IncentiveAction.objects.get(pk=old.pk).status == ActionStatus.EXPIRED
    assert AuditEvent.objects.filter(action="incentive.action_expired", object_id=str(old.pk)).exists()
    assert IncentiveAction.objects.filter(status=ActionStatus.PROPOSED).count() > 0


# ---------- bulk decisions ----------


@pytest.mark.django_db
def test_bulk_approval_counts_and_posting_the_same_confirmation_again_decides_nothing_twice(
    network, hq_manager
):
    period_close("2026-10")
    ids = list(IncentiveAction.objects.filter(status=ActionStatus.PROPOSED).values_list("pk", flat=True))
    first = actions_decide_bulk(actor=hq_manager, action_ids=ids, approve=True, comment="月度审批")
    assert first.approved == len(ids) and first.skipped == 0 and not first.refused
    again = actions_decide_bulk(actor=hq_manager, action_ids=ids, approve=True, comment="月度审批")
    assert (again.approved, again.skipped) == (0, len(ids))
    assert AuditEvent.objects.filter(action="incentive.action_approved").count() == len(ids)


@pytest.mark.django_db
def test_a_bulk_rejection_needs_one_reason(network, hq_manager):
    period_close("2026-10")
    ids = list(IncentiveAction.objects.values_list("pk", flat=True))
    with pytest.raises(IncentiveError):
        actions_decide_bulk(actor=hq_manager, action_ids=ids, approve=False, comment=" ")
    rejected = actions_decide_bulk(actor=hq_manager, action_ids=ids, approve=False, comment="数据待核实")
    assert rejected.rejected == len(ids)
    assert set(IncentiveAction.objects.values_list("decision_comment", flat=True)) == {"数据待核实"}


@pytest.mark.django_db
def test_the_confirmation_names_counts_suspensions_bonus_total_and_dealers_then_confirm_decides(
    network,
    hq_manager,
):
    period_close("2026-10")
    client = client_for(hq_manager)
    proposed = IncentiveAction.objects.filter(status=ActionStatus.PROPOSED, period="2026-10")
    bonus_total = sum(a.amount for a in proposed if a.action_type == ActionType.BONUS)
    review = client.post(
        reverse("incentives:decide_bulk"),
        {
            "step": "review",
            "all_matching": "1",
            "period": "2026-10",
            "decision": "approve",
            "comment": "同意",
        },
    )
    summary = review.context["summary"]
    assert summary.count == proposed.count() and summary.bonus_total == bonus_total
    assert review.context["bonus_total"] == f"¥{bonus_total:,.2f}" and "," in review.context["bonus_total"]
    assert (
        IncentiveAction.objects.filter(status=ActionStatus.PROPOSED, period="2026-10").count()
        == summary.count
    )
    confirm = {"step": "confirm", "ids": review.context["ids"], "decision": "approve", "comment": "同意"}
    client.post(reverse("incentives:decide_bulk"), confirm)
    assert not IncentiveAction.objects.filter(status=ActionStatus.PROPOSED, period="2026-10").exists()
    approved = IncentiveAction.objects.filter(status=ActionStatus.APPROVED).count()
    client.post(reverse("incentives:decide_bulk"), confirm)  # re-posted: nothing decided twice
    assert IncentiveAction.objects.filter(status=ActionStatus.APPROVED).count() == approved


@pytest.mark.django_db
def test_a_regional_managers_bulk_selection_never_includes_another_regions_proposals(
    network,
    regional_manager,
):
    period_close("2026-10")
    far_ids = list(IncentiveAction.objects.filter(dealer=network["far"]).values_list("pk", flat=True))
    assert far_ids
    client = client_for(regional_manager)
    review = client.post(
        reverse("incentives:decide_bulk"), {"step": "review", "all_matching": "1", "decision": "approve"}
    )
    assert {d.pk for d in review.context["summary"].dealers} <= {network["good"].pk, network["poor"].pk}
    ids = ",".join(str(pk) for pk in IncentiveAction.objects.values_list("pk", flat=True))
    client.post(reverse("incentives:decide_bulk"), {"step": "confirm", "ids": ids, "decision": "approve"})
    assert set(IncentiveAction.objects.filter(pk__in=far_ids).values_list("status", flat=True)) == {
        ActionStatus.PROPOSED
    }


@pytest.mark.django_db
def test_bulk_decisions_are_for_managers_only(network, dealer_user):
    period_close("2026-10")
    response = client_for(dealer_user).post(
        reverse("incentives:decide_bulk"), {"step": "confirm", "ids": "1"}
    )
    assert response.status_code == 403


@pytest.mark.django_db
def test_approving_a_suspension_from_its_row_asks_for_confirmation_first(network, hq_manager):
    IncentiveRule.objects.filter(condition="grade", params__months=3).update(
        params={"grades": ["D"], "months": 2}
    )
    period_close("2026-10")
    suspension = IncentiveAction.objects.get(dealer=network["poor"], action_type=ActionType.SUSPENSION)
    client = client_for(hq_manager)
    response = client.post(reverse("incentives:decide", args=[suspension.pk]), {"decision": "approve"})
    assert response.status_code == 200 and response.context["summary"].suspensions == 1
    assert IncentiveAction.objects.get(pk=suspension.pk).status == ActionStatus.PROPOSED
    client.post(
        reverse("incentives:decide_bulk"),
        {"step": "confirm", "ids": str(suspension.pk), "decision": "approve"},
    )
    assert Dealer.objects.get(pk=network["poor"].pk).status == DealerStatus.SUSPENDED


@pytest.mark.django_db
def test_the_queue_filters_by_month_region_dealer_action_and_rule_and_pages_keep_them(
    network,
    hq_manager,
    south,
):
    period_close("2026-10")
    client = client_for(hq_manager)
    page = client.get(reverse("incentives:queue"))
    assert "2026-10" in list(page.context["months"]) and "2026-09" in list(page.context["months"])
    by_month = client.get(reverse("incentives:queue"), {"period": "2026-09"}).context["page"].object_list
    assert by_month and {a.period for a in by_month} == {"2026-09"}
    by_region = client.get(reverse("incentives:queue"), {"region": south.pk}).context["page"].object_list
    assert {a.dealer_id for a in by_region} == {network["far"].pk}
    by_dealer = client.get(reverse("incentives:queue"), {"dealer": "gl0002"}).context["page"].object_list
    assert {a.dealer_id for a in by_dealer} == {network["poor"].pk}
    by_type = client.get(reverse("incentives:queue"), {"type": "bonus"}).context["page"].object_list
    assert by_type and {a.action_type for a in by_type} == {"bonus"}
    rule = IncentiveAction.objects.filter(rule__isnull=False).first().rule
    by_rule = client.get(reverse("incentives:queue"), {"rule": rule.pk}).context["page"].object_list
    assert {a.rule_id for a in by_rule} == {rule.pk}
    # 60 proposals: the second page keeps the filter
    for i in range(60):
        IncentiveAction.objects.create(
            dealer=network["far"],
            period="2026-08",
            action_type="honour",
            reason="x",
            origin_key=f"manual:{i}",
        )
    first = client.get(reverse("incentives:queue"), {"period": "2026-08"})
    body = first.content.decode()
    assert "period=2026-08" in body and "page=2" in body
    second = client.get(reverse("incentives:queue"), {"period": "2026-08", "page": 2})
    assert {a.period for a in second.context["page"].object_list} == {"2026-08"}


# ---------- vetoes ----------


@pytest.mark.django_db
def test_an_hq_manager_records_a_veto_with_evidence_from_the_scorecard_and_a_recompute_is_queued(
    network,
    hq_manager,
    django_capture_on_commit_callbacks,
):
    client = client_for(hq_manager)
    scorecard = client.get(reverse("assessments:scorecard", args=["GL0001", "2026-10"])).content.decode()
    assert reverse("incentives:veto_new", args=["GL0001", "2026-10"]) in scorecard
    RecomputeRequest.objects.all().delete()
    with django_capture_on_commit_callbacks() as after_commit:
        response = client.post(
            reverse("incentives:veto_new", args=["GL0001", "2026-10"]),
            {
                "title": "伪造维修记录",
                "description": "抽查发现",
                "evidence": [SimpleUploadedFile("photo.jpg", b"jpg")],
            },
        )
    assert response.status_code == 302
    incident = VetoIncident.objects.get(dealer=network["good"], period="2026-10")
    assert incident.evidence.count() == 1 and incident.recorded_by == hq_manager
    assert AuditEvent.objects.filter(action="veto.recorded", object_id=str(incident.pk)).exists()
    assert RecomputeRequest.objects.filter(period_code="2026-10", reason="veto").exists()
    for callback in after_commit:  # the recompute the veto queued
        callback()
    assert Scorecard.objects.get(dealer=network["good"], period__code="2026-10").veto
    assert (
        "伪造维修记录"
        in client.get(reverse("assessments:scorecard", args=["GL0001", "2026-10"])).content.decode()
    )


@pytest.mark.django_db
def test_only_hq_managers_record_vetoes(network, regional_manager, dealer_user, other_regional_manager):
    url = reverse("incentives:veto_new", args=["GL0001", "2026-10"])
    assert client_for(regional_manager).post(url, {"title": "x"}).status_code == 403
    assert client_for(dealer_user).get(url).status_code == 403
    # The role is checked first, the same for every dealer, so a 403 tells nothing about scope.
    assert client_for(other_regional_manager).get(url).status_code == 403
    assert not VetoIncident.objects.exists()


@pytest.mark.django_db
def test_a_veto_for_a_closed_month_is_refused_with_a_clear_message(network, hq_manager):
    with pytest.raises(IncentiveError) as refused:
        veto_record(
            dealer=network["good"],
            period_code="2026-09",
            title="x",
            description="",
            files=[],
            actor=hq_manager,
        )
    assert str(refused.value) == str(MONTH_CLOSED % {"month": "2026-09"})
    assert Period.objects.get(code="2026-09").status == "closed" and not VetoIncident.objects.exists()


@pytest.mark.django_db
def test_veto_evidence_opens_through_a_scoped_view_and_is_404_for_others(
    network,
    hq_manager,
    dealer_user,
    other_dealer_user,
    regional_manager,
    other_regional_manager,
):
    incident = veto_record(
        dealer=network["good"],
        period_code="2026-10",
        title="x",
        description="",
        files=[SimpleUploadedFile("proof.pdf", b"%PDF-1.4 proof")],
        actor=hq_manager,
    )
    evidence = VetoEvidence.objects.get(incident=incident)
    url = reverse("incentives:veto_evidence", args=[evidence.pk])
    for user in (hq_manager, dealer_user, regional_manager):
        response = client_for(user).get(url)
        assert response.status_code == 200 and b"".join(response.streaming_content) == b"%PDF-1.4 proof"
    for user in (other_dealer_user, other_regional_manager):
        assert client_for(user).get(url).status_code == 404
    assert (
        "/media/"
        not in client_for(hq_manager)
        .get(reverse("assessments:scorecard", args=["GL0001", "2026-10"]))
        .content.decode()
    )


# ---------- sanctions visible ----------


@pytest.mark.django_db
def test_a_suspended_dealers_users_see_the_suspension_its_reason_and_the_way_out_on_every_page(
    network,
    hq_manager,
    other_dealer_user,
    dealer_user,
):
    IncentiveRule.objects.filter(condition="grade", params__months=3).update(
        params={"grades": ["D"], "months": 2}
    )
    period_close("2026-10")
    suspension = IncentiveAction.objects.get(dealer=network["poor"], action_type=ActionType.SUSPENSION)
    action_decide(action=suspension, actor=hq_manager, approve=True)
    client = client_for(other_dealer_user)
    for url in (
        reverse("assessments:dealer_home"),
        reverse("incentives:queue"),
        reverse("submissions:queue"),
    ):
        body = client.get(url).content.decode()
        assert 'data-testid="sanction-banner"' in body and suspension.reason in body, url
        assert reverse("incentives:dealer", args=["GL0002"]) in body
    assert (
        'data-testid="lift-steps"'
        in client.get(reverse("incentives:dealer", args=["GL0002"])).content.decode()
    )
    assert (
        'data-testid="sanction-banner"'
        not in client_for(dealer_user).get(reverse("incentives:queue")).content.decode()
    )


@pytest.mark.django_db
def test_approved_honours_appear_on_the_dealers_home(network, hq_manager, dealer_user):
    honour = IncentiveAction.objects.create(
        dealer=network["good"],
        period="2026-10",
        action_type="honour",
        reason="区域第一荣誉",
        origin_key="manual:h",
    )
    client = client_for(dealer_user)
    assert 'data-testid="honour"' not in client.get(reverse("assessments:dealer_home")).content.decode()
    action_decide(action=honour, actor=hq_manager, approve=True)
    for home in ("assessments:dealer_home", "workbench:index"):  # "My dealer", and the page after sign-in
        body = client.get(reverse(home)).content.decode()
        assert 'data-testid="honour"' in body and "区域第一荣誉" in body
    assert Decimal(0) == honour.amount


@pytest.mark.django_db
def test_the_demo_seed_decides_older_months_and_leaves_the_newest_closed_month_pending(network, hq_manager):
    from incentives.demo_decisions import seed_decisions

    IncentiveRule.objects.filter(condition="grade", params__months=3).update(
        params={"grades": ["D"], "months": 1}
    )
    rules_evaluate("2026-09")
    period_close("2026-10")
    VetoIncident.objects.create(dealer=network["far"], period="2026-10", title="x", recorded_by=hq_manager)
    counts = seed_decisions(hq=hq_manager)
    assert counts["approved"] > 0 and counts["suspended"] == 1 and counts["veto_evidence"] == 1
    assert Dealer.objects.get(pk=network["poor"].pk).status == DealerStatus.SUSPENDED
    assert IncentiveAction.objects.filter(period="2026-10", status=ActionStatus.PROPOSED).exists()
    assert not IncentiveAction.objects.filter(
        period="2026-09", status=ActionStatus.PROPOSED, action_type__in=["bonus", "honour", "interview"]
    ).exists()


def test_the_daily_expiry_is_on_the_beat_schedule_and_names_a_real_task(settings):
    from incentives.tasks import expire_incentive_proposals

    entry = settings.CELERY_BEAT_SCHEDULE["incentive-proposals-expire-daily"]
    assert entry["task"] == expire_incentive_proposals.name


@pytest.mark.django_db
def test_the_queue_costs_the_same_queries_for_3_or_60_proposals(
    hq_manager, dealer, other_dealer, far_dealer, django_assert_num_queries
):
    def make(n: int, start: int) -> None:
        for i in range(start, start + n):
            IncentiveAction.objects.create(
                dealer=(dealer, other_dealer, far_dealer)[i % 3],
                period="2026-10",
                action_type="bonus",
                amount=Decimal(1000),
                reason="x",
                origin_key=f"manual:{i}",
            )

    client = client_for(hq_manager)
    make(3, 0)
    client.get(reverse("incentives:queue"))  # warm the session
    with CaptureQueriesContext(connection) as few:
        client.get(reverse("incentives:queue"))
    make(57, 3)
    with django_assert_num_queries(len(few.captured_queries)):
        assert client.get(reverse("incentives:queue")).status_code == 200
