"""Fixtures of the API tests: clients per user and scorecards without running the engine."""

from __future__ import annotations

from decimal import Decimal

import pytest
from django.utils import timezone
from rest_framework.authtoken.models import Token
from rest_framework.test import APIClient

from assessments.models import KpiResult, Period, Scheme, Scorecard
from dealers.models import Dealer, User


def api_client(user: User | None = None, *, token: bool = False) -> APIClient:
    """An API client: anonymous, signed in as `user`, or sending `user`'s token."""
    client = APIClient()
    if user is not None and token:
        key = Token.objects.get_or_create(user=user)[0].key
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
