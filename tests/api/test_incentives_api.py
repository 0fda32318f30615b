"""Incentives through the API: the workflows of the incentive pages, with the same rules and scope.

Closing a period proposes actions; managers approve or reject them; an approved bonus enters
the ledger; a rectification runs plan → verification; a dealer appeals a KPI and HQ upholds it.
"""

from __future__ import annotations

import io
from datetime import timedelta
from decimal import Decimal
from typing import Any

import pytest
from django.utils import timezone

from assessments.models import Period, Scorecard
from assessments.services.recompute import period_close, period_recompute
from dealers.choices import DealerStatus
from dealers.models import AuditEvent, Dealer
from incentives.api.serializers import (
    APPEAL_NEEDS_REASON,
    CORRECTION_NEEDS_TARGET,
    KPI_NOT_ON_SCORECARD,
    PLAN_NEEDED,
    REJECT_NEEDS_REASON,
)
from incentives.choices import ActionStatus, ActionType, AppealStatus, RectificationStatus
from incentives.models import Appeal, IncentiveAction, LedgerEntry, RectificationOrder
from tests.factories import (
    ComplaintFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    local,
)

from .conftest import (
    api_client,
    make_action,
    make_appeal,
    make_ledger_entry,
    make_rectification,
    make_scorecard,
)

ACTIONS = "/api/v1/incentive-actions/"
LEDGER = "/api/v1/ledger/"
RECTIFICATIONS = "/api/v1/rectifications/"
APPEALS = "/api/v1/appeals/"


def upload(name: str, content: bytes = b"%PDF-1.4 evidence") -> io.BytesIO:
    file = io.BytesIO(content)
    file.name = name
    return file


def post(client: Any, address: str, body: dict[str, Any] | None = None, **kwargs: Any) -> Any:
    return client.post(address, body or {}, **({"format": "json"} | kwargs))


def _month_of_data(dealer: Dealer, period: str, *, good: bool) -> None:
    year, month = map(int, period.split("-"))
    day = local(f"{year}-{month:02d}-10 09:00")
    for _ in range(12):
        RepairOrderFactory(
            dealer=dealer,
            opened_at=day,
            closed_at=day + timedelta(hours=20 if good else 90),
            promised_at=day + timedelta(hours=30),
        )
        SurveyResponseFactory(dealer=dealer, responded_at=day, overall=5 if good else 2)
    SubmissionFactory(dealer=dealer, period=period, certified_technicians=10 if good else 5)


@pytest.fixture
def network(dealer, other_dealer, far_dealer) -> dict[str, Dealer]:
    """Scored data for Sep and Oct 2026: GL0001 and GL0003 excellent, GL0002 poor (grade D); Sep closed."""
    for period in ("2026-09", "2026-10"):
        _month_of_data(dealer, period, good=True)
        _month_of_data(other_dealer, period, good=False)
        _month_of_data(far_dealer, period, good=True)
        period_recompute(period)
    period_close("2026-09")
    return {"good": dealer, "poor": other_dealer, "far": far_dealer}


# --- proposals, decisions, the ledger --------------------------------------------------------


def test_closing_a_period_proposes_actions_and_an_approved_bonus_enters_the_ledger(cast, network):
    # given October closed, which proposes actions citing their scorecards
    period_close("2026-10")
    hq = api_client(cast["hq_manager"])
    proposed = hq.get(ACTIONS, {"period": "2026-10", "status": "proposed", "page_size": 500}).json()[
        "results"
    ]
    # (GL0002's interview is September's, still pending: October does not propose it again.)
    assert {(a["dealer"], a["action_type"]) for a in proposed} >= {
        ("GL0001", ActionType.BONUS),
        ("GL0002", ActionType.RECTIFICATION),
    }
    bonus = next(a for a in proposed if (a["dealer"], a["action_type"]) == ("GL0001", ActionType.BONUS))
    assert bonus["scorecards"] == ["2026-10:GL0001"]
    assert bonus["rule_name"] and bonus["proposed_by"] is None
    assert Decimal(bonus["amount"]) > 0

    # when an HQ manager approves the bonus
    approved = post(hq, f"{ACTIONS}{bonus['id']}/approve/", {"comment": "同意"})

    # then it is approved and the ledger holds it, for HQ and for that dealer only
    assert approved.status_code == 200, approved.content
    assert approved.json()["status"] == ActionStatus.APPROVED
    assert approved.json()["decided_by"] == "hq_manager"
    entries = hq.get(LEDGER, {"period": "2026-10"}).json()["results"]
    assert [(e["dealer"], e["action"], e["amount"]) for e in entries] == [
        ("GL0001", bonus["id"], bonus["amount"])
    ]
    assert api_client(cast["dealer_user"]).get(LEDGER).json()["count"] == 1
    assert api_client(cast["other_dealer_user"]).get(LEDGER).json()["count"] == 0
    assert AuditEvent.objects.filter(action="incentive.action_approved", actor=cast["hq_manager"]).exists()
    # and deciding again is refused
    assert post(hq, f"{ACTIONS}{bonus['id']}/reject/", {"comment": "重复"}).status_code == 409


def test_a_rejection_needs_a_reason(cast, dealer):
    action = make_action(dealer)
    client = api_client(cast["hq_admin"])

    blank = post(client, f"{ACTIONS}{action.pk}/reject/", {"comment": "  "})
    rejected = post(client, f"{ACTIONS}{action.pk}/reject/", {"comment": "得分存疑，待复核"})

    assert blank.status_code == 400
    assert blank.json()["errors"]["comment"] == [str(REJECT_NEEDS_REASON)]
    assert rejected.json()["status"] == ActionStatus.REJECTED
    assert rejected.json()["decision_comment"] == "得分存疑，待复核"
    assert not LedgerEntry.objects.exists()


def test_regional_managers_decide_for_their_region_only(cast, dealer, far_dealer):
    ours, theirs = make_action(dealer), make_action(far_dealer)
    client = api_client(cast["regional_manager"])

    assert post(client, f"{ACTIONS}{theirs.pk}/approve/").status_code == 404
    assert post(client, f"{ACTIONS}{ours.pk}/approve/").status_code == 200
    assert IncentiveAction.objects.get(pk=theirs.pk).status == ActionStatus.PROPOSED


@pytest.mark.parametrize("name", ["approve", "reject"])
def test_a_dealer_user_may_not_decide_even_on_its_own_action(cast, dealer, name):
    action = make_action(dealer)

    response = post(api_client(cast["dealer_user"]), f"{ACTIONS}{action.pk}/{name}/", {"comment": "x"})

    assert response.status_code == 403
    assert IncentiveAction.objects.get(pk=action.pk).status == ActionStatus.PROPOSED


def test_a_dealer_user_sees_its_own_actions_only(cast, dealer, other_dealer):
    make_action(dealer)
    hidden = make_action(other_dealer)
    client = api_client(cast["dealer_user"])

    listed = client.get(ACTIONS).json()["results"]

    assert {a["dealer"] for a in listed} == {"GL0001"}
    assert client.get(f"{ACTIONS}{hidden.pk}/").status_code == 404


def test_an_approved_suspension_suspends_and_lifting_it_is_an_action_too(cast, far_dealer):
    suspension = make_action(far_dealer, origin="rule:veto", action_type=ActionType.SUSPENSION)
    manager = api_client(cast["other_regional_manager"])

    post(manager, f"{ACTIONS}{suspension.pk}/approve/")
    assert Dealer.objects.get(pk=far_dealer.pk).status == DealerStatus.SUSPENDED

    lift = post(manager, f"{ACTIONS}lift-suspension/", {"dealer": "GL0003", "reason": "整改完成"})
    assert lift.status_code == 201, lift.content
    assert lift.json()["action_type"] == ActionType.LIFT_SUSPENSION
    assert lift.json()["status"] == ActionStatus.PROPOSED
    assert lift.json()["proposed_by"] == "south_manager"
    assert Dealer.objects.get(pk=far_dealer.pk).status == DealerStatus.SUSPENDED  # not before approval

    post(manager, f"{ACTIONS}{lift.json()['id']}/approve/")
    assert Dealer.objects.get(pk=far_dealer.pk).status == DealerStatus.ACTIVE


def test_lifting_is_proposed_only_for_a_dealer_in_scope(cast, dealer):
    response = post(
        api_client(cast["other_regional_manager"]), f"{ACTIONS}lift-suspension/", {"dealer": "GL0001"}
    )

    assert response.status_code == 400
    assert "dealer" in response.json()["errors"]
    assert not IncentiveAction.objects.exists()


def test_the_action_queue_filters(cast, dealer, other_dealer):
    make_action(dealer)
    make_action(other_dealer, action_type=ActionType.INTERVIEW)
    make_action(other_dealer, origin="rule:old", status=ActionStatus.APPROVED)
    client = api_client(cast["hq_admin"])

    def dealers(**params: str) -> list[str]:
        return [a["dealer"] for a in client.get(ACTIONS, {**params, "ordering": "dealer"}).json()["results"]]

    assert dealers(status="proposed", action_type="interview") == ["GL0002"]
    assert dealers(status="proposed") == ["GL0001", "GL0002"]
    assert dealers(dealer="GL0002", status="approved") == ["GL0002"]
    assert client.get(ACTIONS, {"status": "maybe"}).status_code == 400


def test_ledger_totals_per_period_and_region_in_scope(cast, dealer, other_dealer, far_dealer):
    make_ledger_entry(dealer)
    make_ledger_entry(other_dealer)
    make_ledger_entry(far_dealer)
    make_ledger_entry(dealer, period="2026-09")

    everything = api_client(cast["hq_admin"]).get(f"{LEDGER}totals/").json()
    east = api_client(cast["regional_manager"]).get(f"{LEDGER}totals/", {"period": "2026-10"}).json()
    own = api_client(cast["dealer_user"]).get(f"{LEDGER}totals/").json()

    assert (Decimal(everything["amount"]), everything["entries"]) == (Decimal("80000.00"), 4)
    assert [(p["period"], Decimal(p["amount"]), p["entries"]) for p in everything["by_period"]] == [
        ("2026-10", Decimal("60000.00"), 3),
        ("2026-09", Decimal("20000.00"), 1),
    ]
    assert [(r["period"], r["region"], r["entries"]) for r in everything["by_region"]] == [
        ("2026-10", "华东", 2),
        ("2026-10", "华南", 1),
        ("2026-09", "华东", 1),
    ]
    assert (Decimal(east["amount"]), east["entries"]) == (Decimal("40000.00"), 2)
    assert (Decimal(own["amount"]), own["entries"]) == (Decimal("40000.00"), 2)


def test_the_totals_of_an_empty_ledger_are_zero(cast):
    body = api_client(cast["hq_admin"]).get(f"{LEDGER}totals/").json()

    assert body == {"amount": "0.00", "entries": 0, "by_period": [], "by_region": []}


def test_the_rules_are_for_managers(cast):
    assert api_client(cast["regional_manager"]).get("/api/v1/incentive-rules/").json()["count"] >= 7
    assert api_client(cast["dealer_user"]).get("/api/v1/incentive-rules/").status_code == 403


# --- rectification orders --------------------------------------------------------------------


def test_a_rectification_runs_plan_then_verification(cast, network):
    # given the poor dealer's rectification, approved by its regional manager
    period_close("2026-10")
    action = IncentiveAction.objects.get(
        dealer=network["poor"], period="2026-10", action_type="rectification"
    )
    manager = api_client(cast["regional_manager"])
    approved = post(manager, f"{ACTIONS}{action.pk}/approve/").json()
    order_id = approved["rectification"]
    dealer_client = api_client(cast["other_dealer_user"])
    assert [o["id"] for o in dealer_client.get(RECTIFICATIONS).json()["results"]] == [order_id]

    # when the dealer submits a plan with two files of evidence
    plan = dealer_client.post(
        f"{RECTIFICATIONS}{order_id}/plan/",
        {
            "plan": "增加两名持证技师",
            "evidence": [upload("training.pdf"), upload("roster.xlsx", b"PK roster")],
        },
        format="multipart",
    )

    # then HQ sees plan and files, downloads them, and passes the order
    assert plan.status_code == 200, plan.content
    order = manager.get(f"{RECTIFICATIONS}{order_id}/").json()
    assert order["status"] == RectificationStatus.PLAN_SUBMITTED
    assert order["plan"] == "增加两名持证技师"
    assert sorted(e["name"].split("_")[0].split(".")[0] for e in order["evidence"]) == ["roster", "training"]
    download = manager.get(next(e["url"] for e in order["evidence"] if e["name"].startswith("roster")))
    assert download.status_code == 200
    assert b"".join(download.streaming_content) == b"PK roster"
    verified = post(manager, f"{RECTIFICATIONS}{order_id}/verify/", {"passed": True, "comment": "已核实"})
    assert verified.json()["status"] == RectificationStatus.PASSED
    assert verified.json()["verified_by"] == "east_manager"
    # and the order is closed to another plan
    again = dealer_client.post(f"{RECTIFICATIONS}{order_id}/plan/", {"plan": "再次提交"}, format="multipart")
    assert again.status_code == 409


def test_a_failed_verification_proposes_the_next_step(cast, other_dealer):
    order = make_rectification(other_dealer, status=RectificationStatus.PLAN_SUBMITTED)

    response = post(
        api_client(cast["hq_manager"]),
        f"{RECTIFICATIONS}{order.pk}/verify/",
        {"passed": False, "comment": "未落实"},
    )

    assert response.json()["status"] == RectificationStatus.FAILED
    proposals = api_client(cast["hq_manager"]).get(ACTIONS, {"status": "proposed"}).json()["results"]
    assert [(a["dealer"], a["action_type"]) for a in proposals] == [("GL0002", ActionType.RECTIFICATION)]


def test_verification_needs_a_submitted_plan_and_an_answer(cast, dealer):
    order = make_rectification(dealer)
    client = api_client(cast["hq_admin"])

    no_plan = post(client, f"{RECTIFICATIONS}{order.pk}/verify/", {"passed": True})
    no_answer = client.post(
        f"{RECTIFICATIONS}{order.pk}/verify/", {"comment": "?"}
    )  # a form: no box is no answer

    assert no_plan.status_code == 409
    assert no_answer.status_code == 400 and "passed" in no_answer.json()["errors"]
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.OPEN


def test_a_plan_needs_words_and_the_deadline(cast, dealer):
    order = make_rectification(dealer, evidence=False)
    client = api_client(cast["dealer_user"])

    blank = client.post(f"{RECTIFICATIONS}{order.pk}/plan/", {"plan": " "}, format="multipart")
    RectificationOrder.objects.filter(pk=order.pk).update(deadline=timezone.localdate() - timedelta(days=1))
    late = client.post(f"{RECTIFICATIONS}{order.pk}/plan/", {"plan": "补交"}, format="multipart")

    assert blank.status_code == 400
    assert blank.json()["errors"]["plan"] == [str(PLAN_NEEDED)]
    assert late.status_code == 409
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.OPEN


def test_a_plan_takes_at_most_ten_files(cast, dealer):
    order = make_rectification(dealer, evidence=False)

    response = api_client(cast["dealer_user"]).post(
        f"{RECTIFICATIONS}{order.pk}/plan/",
        {"plan": "计划", "evidence": [upload(f"f{i}.pdf") for i in range(11)]},
        format="multipart",
    )

    assert response.status_code == 400 and "evidence" in response.json()["errors"]
    assert not order.evidence.exists()


@pytest.mark.parametrize(
    ("role", "status"), [("hq_admin", 403), ("regional_manager", 403), ("other_dealer_user", 404)]
)
def test_only_the_dealers_own_user_answers_its_order(cast, dealer, role, status):
    order = make_rectification(dealer, evidence=False)

    response = api_client(cast[role]).post(
        f"{RECTIFICATIONS}{order.pk}/plan/", {"plan": "计划"}, format="multipart"
    )

    assert response.status_code == status
    assert RectificationOrder.objects.get(pk=order.pk).status == RectificationStatus.OPEN


def test_evidence_of_another_order_is_not_reached_through_this_one(cast, dealer, other_dealer):
    mine = make_rectification(dealer)
    theirs = make_rectification(other_dealer)
    client = api_client(cast["dealer_user"])

    response = client.get(f"{RECTIFICATIONS}{mine.pk}/evidence/{theirs.evidence.get().pk}/")

    assert response.status_code == 404
    assert client.get(f"{RECTIFICATIONS}{theirs.pk}/evidence/{theirs.evidence.get().pk}/").status_code == 404


# --- appeals ---------------------------------------------------------------------------------


def test_an_upheld_appeal_corrects_the_data_and_the_scorecard(
    cast, network, django_capture_on_commit_callbacks
):
    # given a major complaint wrongly attributed to the poor dealer, in its October scorecard
    poor = network["poor"]
    ComplaintFactory(
        dealer=poor, complaint_id="C-WRONG", severity="major", received_at=local("2026-10-12 10:00")
    )
    period_recompute("2026-10")
    before = Scorecard.objects.get(dealer=poor, period__code="2026-10")
    assert before.major_complaints == 1
    dealer_client = api_client(cast["other_dealer_user"])

    # when the dealer appeals with evidence, and HQ upholds, voiding the complaint
    filed = dealer_client.post(
        APPEALS,
        {
            "scorecard": "2026-10:GL0002",
            "kpi_code": "complaint_rate",
            "reason": "该投诉属于其他经销商",
            "evidence": upload("call-log.pdf"),
        },
        format="multipart",
    )
    assert filed.status_code == 201, filed.content
    appeal = filed.json()
    assert (appeal["status"], appeal["scorecard"], appeal["filed_by"]) == (
        AppealStatus.SUBMITTED,
        "2026-10:GL0002",
        "other_dealer_user",
    )
    hq = api_client(cast["hq_manager"])
    assert hq.get(appeal["evidence_url"]).status_code == 200
    with django_capture_on_commit_callbacks(execute=True):
        decided = post(
            hq,
            f"{APPEALS}{appeal['id']}/decide/",
            {"uphold": True, "decision": "核实属实", "correction": "exclude_complaint", "target": "C-WRONG"},
        )

    # then the appeal is upheld, visible to the dealer, and the recomputed scorecard no longer counts it
    assert decided.status_code == 200, decided.content
    assert decided.json()["status"] == AppealStatus.UPHELD
    seen = dealer_client.get(f"{APPEALS}{appeal['id']}/").json()
    assert (seen["decision"], seen["correction"], seen["correction_target"]) == (
        "核实属实",
        "exclude_complaint",
        "C-WRONG",
    )
    after = Scorecard.objects.get(dealer=poor, period__code="2026-10")
    assert after.major_complaints == 0 and after.total_score >= before.total_score
    card = dealer_client.get("/api/v1/scorecards/2026-10:GL0002/").json()
    assert card["deduction"] == float(after.deduction)


def test_an_appeal_names_the_scorecard_by_key_or_by_id(cast, dealer):
    card = make_scorecard(dealer)
    Period.objects.filter(code="2026-10").update(scorecards_published_at=timezone.now())
    client = api_client(cast["dealer_user"])

    by_id = client.post(
        APPEALS, {"scorecard": card.pk, "kpi_code": "csat", "reason": "样本有误"}, format="multipart"
    )

    assert by_id.status_code == 201, by_id.content
    assert by_id.json()["scorecard"] == "2026-10:GL0001"
    assert by_id.json()["evidence"] is None and by_id.json()["evidence_url"] is None


@pytest.mark.parametrize(
    ("change", "field", "message"),
    [
        ({"kpi_code": "nps"}, "kpi_code", KPI_NOT_ON_SCORECARD),
        ({"reason": "   "}, "reason", APPEAL_NEEDS_REASON),
        ({"scorecard": "2026-10:GL0002"}, "scorecard", None),  # another dealer's: as if there were none
        ({"scorecard": "2026-09:GL0001"}, "scorecard", None),
        ({"scorecard": "GL0001"}, "scorecard", None),
        ({"scorecard": "99999999999999999999999"}, "scorecard", None),
    ],
)
def test_a_bad_appeal_is_a_400_next_to_the_field(cast, dealer, other_dealer, change, field, message):
    make_scorecard(dealer)
    make_scorecard(other_dealer)
    Period.objects.filter(code="2026-10").update(scorecards_published_at=timezone.now())
    body = {"scorecard": "2026-10:GL0001", "kpi_code": "csat", "reason": "样本有误", **change}

    response = api_client(cast["dealer_user"]).post(APPEALS, body, format="multipart")

    assert response.status_code == 400
    assert field in response.json()["errors"]
    if message:
        assert response.json()["errors"][field] == [str(message)]
    assert not Appeal.objects.exists()


def test_an_appeal_after_the_window_is_a_409(cast, dealer, settings):
    make_scorecard(dealer)
    settings.APPEAL_WINDOW_DAYS = 7
    Period.objects.filter(code="2026-10").update(scorecards_published_at=timezone.now() - timedelta(days=8))

    response = api_client(cast["dealer_user"]).post(
        APPEALS, {"scorecard": "2026-10:GL0001", "kpi_code": "csat", "reason": "样本有误"}, format="multipart"
    )

    assert response.status_code == 409
    assert not Appeal.objects.exists()


@pytest.mark.parametrize("role", ["hq_admin", "hq_manager", "regional_manager"])
def test_managers_do_not_file_appeals(cast, dealer, role):
    make_scorecard(dealer)
    Period.objects.filter(code="2026-10").update(scorecards_published_at=timezone.now())

    response = api_client(cast[role]).post(
        APPEALS, {"scorecard": "2026-10:GL0001", "kpi_code": "csat", "reason": "x"}, format="multipart"
    )

    assert response.status_code == 403


def test_a_rejection_is_final_and_needs_a_reason(cast, dealer):
    appeal = make_appeal(dealer)
    client = api_client(cast["regional_manager"])

    blank = post(client, f"{APPEALS}{appeal.pk}/decide/", {"uphold": False, "decision": ""})
    rejected = post(client, f"{APPEALS}{appeal.pk}/decide/", {"uphold": False, "decision": "抽样符合规则"})
    again = post(client, f"{APPEALS}{appeal.pk}/decide/", {"uphold": True, "decision": "改判"})

    assert blank.status_code == 400 and "decision" in blank.json()["errors"]
    assert rejected.json()["status"] == AppealStatus.REJECTED
    assert again.status_code == 409
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.REJECTED


@pytest.mark.parametrize(
    ("body", "message"),
    [
        ({"correction": "exclude_complaint"}, CORRECTION_NEEDS_TARGET),
        ({"correction": "exclude_complaint", "target": "C-ELSEWHERE"}, None),  # another dealer's complaint
        ({"correction": "exclude_survey", "target": "S-NOWHERE"}, None),
    ],
)
def test_a_correction_must_name_a_record_of_the_dealer(cast, dealer, other_dealer, body, message):
    ComplaintFactory(dealer=other_dealer, complaint_id="C-ELSEWHERE")
    appeal = make_appeal(dealer)

    response = post(
        api_client(cast["hq_admin"]),
        f"{APPEALS}{appeal.pk}/decide/",
        {"uphold": True, "decision": "属实", **body},
    )

    assert response.status_code == 400
    if message:
        assert response.json()["errors"]["target"] == [str(message)]
    assert "target" in response.json()["errors"]
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.SUBMITTED


def test_upholding_is_refused_once_the_period_is_closed(cast, dealer):
    appeal = make_appeal(dealer)
    Period.objects.filter(code="2026-10").update(status="closed")

    response = post(
        api_client(cast["hq_admin"]), f"{APPEALS}{appeal.pk}/decide/", {"uphold": True, "decision": "属实"}
    )

    assert response.status_code == 409
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.SUBMITTED


@pytest.mark.parametrize(("role", "status"), [("dealer_user", 403), ("other_regional_manager", 404)])
def test_only_a_manager_of_the_dealer_decides(cast, dealer, role, status):
    appeal = make_appeal(dealer)

    response = post(
        api_client(cast[role]), f"{APPEALS}{appeal.pk}/decide/", {"uphold": False, "decision": "x"}
    )

    assert response.status_code == status
    assert Appeal.objects.get(pk=appeal.pk).status == AppealStatus.SUBMITTED


def test_appeals_and_their_evidence_stay_in_scope(cast, dealer, other_dealer):
    make_appeal(dealer)
    theirs = make_appeal(other_dealer)
    client = api_client(cast["dealer_user"])

    listed = client.get(APPEALS).json()["results"]

    assert [a["dealer"] for a in listed] == ["GL0001"]
    assert client.get(f"{APPEALS}{theirs.pk}/evidence/").status_code == 404
    assert api_client(cast["other_dealer_user"]).get(f"{APPEALS}{theirs.pk}/evidence/").status_code == 200


def test_an_appeal_without_evidence_has_no_file_to_download(cast, dealer):
    appeal = make_appeal(dealer, evidence=False)

    assert api_client(cast["hq_admin"]).get(f"{APPEALS}{appeal.pk}/evidence/").status_code == 404
