"""Fixtures of the API tests: clients per user, scorecards without running the engine, incentive rows."""

from __future__ import annotations

from datetime import timedelta
from decimal import Decimal

import pytest
from django.core.files.base import ContentFile
from django.utils import timezone
from rest_framework.test import APIClient

from assessments.models import KpiResult, Period, Scheme, Scorecard
from dealers.api.tokens import api_token_issue
from dealers.models import Dealer, User
from incentives.choices import ActionStatus, ActionType, RectificationStatus
from incentives.models import (
    Appeal,
    IncentiveAction,
    LedgerEntry,
    RectificationEvidence,
    RectificationOrder,
)


def api_client(user: User | None = None, *, token: bool = False) -> APIClient:
    """An API client: anonymous, signed in as `user`, or sending a new token of `user`."""
    client = APIClient()
    if user is not None and token:
        key = api_token_issue(user=user, actor=user, name="test client").secret
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
    elif user is not None:
        client.force_authenticate(user)
    return client


def make_scorecard(dealer: Dealer, period: str = "2026-10", **fields: object) -> Scorecard:
    """A scored scorecard under STD-2026 with two KPI results, as a recompute would leave it."""
    scheme = Scheme.objects.get(code="STD-2026", version=1)
    values: dict[str, object] = {
        "region_name": dealer.region.name,
        "status": "scored",
        "total_score": Decimal("87.35"),
        "grade": "B",
        "rank": 1,
        "region_rank": 1,
        "coverage": Decimal("1.0000"),
        "deduction": Decimal("2.00"),
        "tier_base": Decimal("90.12"),
        "tier_process": Decimal("84.00"),
        "tier_result": Decimal("88.47"),
        "computed_at": timezone.now(),
        **fields,
    }
    card = Scorecard.objects.create(
        period=Period.objects.get_or_create(code=period)[0], dealer=dealer, scheme=scheme, **values
    )
    KpiResult.objects.create(
        scorecard=card,
        kpi_code="csat",
        tier="result",
        value=91.25,
        sample_size=48,
        valid=True,
        weight=15,
        method="threshold",
        floor=60,
        target=95,
        min_sample=10,
        score=Decimal("89.29"),
        contribution=Decimal("13.39"),
        sort_order=8,
    )
    KpiResult.objects.create(
        scorecard=card,
        kpi_code="repair_count",
        tier="result",
        value=120,
        sample_size=120,
        valid=True,
        weight=0,
        method="threshold",
        min_sample=1,
        sort_order=12,
    )
    return card


def scorecard_of(dealer: Dealer, period: str = "2026-10") -> Scorecard:
    """The dealer's scorecard of the period, made if there is none yet."""
    found = Scorecard.objects.filter(dealer=dealer, period__code=period).first()
    return found or make_scorecard(dealer, period=period)


def make_action(
    dealer: Dealer,
    *,
    period: str = "2026-10",
    origin: str = "rule:test",
    action_type: str = ActionType.BONUS,
    status: str = ActionStatus.PROPOSED,
    amount: Decimal = Decimal("20000.00"),
) -> IncentiveAction:
    """An incentive action citing the dealer's scorecard of the period, as closing the period leaves it."""
    action = IncentiveAction.objects.create(
        dealer=dealer,
        period=period,
        action_type=action_type,
        status=status,
        amount=amount if action_type == ActionType.BONUS else 0,
        reason="全国前10%奖励 Top 10 % nationally → bonus",
        origin_key=origin,
    )
    action.scorecards.add(scorecard_of(dealer, period))
    return action


def make_ledger_entry(dealer: Dealer, *, period: str = "2026-10", origin: str = "rule:ledger") -> LedgerEntry:
    """An approved bonus and its ledger entry."""
    action = make_action(dealer, period=period, origin=origin, status=ActionStatus.APPROVED)
    return LedgerEntry.objects.create(dealer=dealer, period=period, action=action, amount=action.amount)


def make_rectification(
    dealer: Dealer,
    *,
    period: str = "2026-10",
    origin: str = "rule:rectification",
    status: str = RectificationStatus.OPEN,
    evidence: bool = True,
) -> RectificationOrder:
    """A rectification order of an approved action, due in 30 days, with one evidence file."""
    action = make_action(
        dealer,
        period=period,
        origin=origin,
        action_type=ActionType.RECTIFICATION,
        status=ActionStatus.APPROVED,
    )
    order = RectificationOrder.objects.create(
        action=action, dealer=dealer, deadline=timezone.localdate() + timedelta(days=30), status=status
    )
    if evidence:
        RectificationEvidence.objects.create(
            order=order, file=ContentFile(b"%PDF-1.4 training records", name=f"plan-{dealer.code}.pdf")
        )
    return order


def make_appeal(dealer: Dealer, *, period: str = "2026-10", evidence: bool = True) -> Appeal:
    """A submitted appeal of the dealer's csat result; the period's appeal window is open."""
    card = scorecard_of(dealer, period)
    Period.objects.filter(code=period).update(scorecards_published_at=timezone.now())
    appeal = Appeal(
        scorecard=card, dealer=dealer, period=period, kpi_code="csat", reason="样本中有其他经销商的客户"
    )
    if evidence:
        appeal.evidence.save(f"appeal-{dealer.code}.pdf", ContentFile(b"%PDF-1.4 call log"), save=False)
    appeal.save()
    return appeal


@pytest.fixture
def scheme_file() -> dict[str, object]:
    """A valid scheme file (scoring.md → Scheme file)."""
    return {
        "code": "API-TEST",
        "name": "API test scheme",
        "effective_from": "2026-01",
        "min_coverage": 0.6,
        "grade_bands": [["A", 90], ["B", 80], ["C", 70], ["D", 0]],
        "major_complaint_deduction": {"per_item": 2, "cap": 10},
        "kpis": [
            {
                "code": "csat",
                "weight": 15,
                "method": "threshold",
                "floor": 60,
                "target": 95,
                "min_sample": 10,
            },
            {"code": "repair_count", "weight": 0},
        ],
    }
