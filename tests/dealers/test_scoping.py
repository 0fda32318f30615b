"""Scope in one place: `for_user` on every dealer-owned model gives each role exactly its rows.

The cast (tests/conftest.py): in 华东 the dealers GL0001 ("dealer") and GL0002
("other_dealer"), in 华南 GL0003 ("far_dealer").
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from django.apps import apps
from django.contrib.auth.models import AnonymousUser
from django.db import models
from django.utils import timezone

from assessments.models import (
    Complaint,
    ImportJob,
    MonthlySubmission,
    PartsOrder,
    Period,
    RepairOrder,
    Scheme,
    Scorecard,
    VetoIncident,
)
from dealers.choices import Role
from dealers.models import Dealer, GroupRobot, Region
from dealers.scoping import ScopedQuerySet
from insights.models import Finding
from support.models import CaseMessage, RemoteSession, SupportCase
from surveys.models import SurveyResponse
from tests.conftest import client_for
from tests.factories import (
    CertificationFactory,
    ComplaintFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    TechnicianFactory,
    TrainingRecordFactory,
    UserFactory,
)
from training.models import Certification, Technician, TrainingRecord

ALL = {"GL0001", "GL0002", "GL0003"}
VISIBLE = {
    "dealer_user": {"GL0001"},
    "other_dealer_user": {"GL0002"},
    "regional_manager": {"GL0001", "GL0002"},
    "other_regional_manager": {"GL0003"},
    "hq_manager": ALL,
    "hq_admin": ALL,
}
HQ_ROLES = {"hq_manager", "hq_admin"}

# Models that point at a dealer but are not dealer-owned data, and why.
NOT_SCOPED = {
    "dealers.User": "the membership that defines a user's scope; users are managed by HQ admins",
    "dealers.AuditEvent": "the audit trail, read by HQ admins in the Django admin only",
}


def make_scorecard(dealer: Dealer) -> Scorecard:
    period, _ = Period.objects.get_or_create(code="2026-10")
    return Scorecard.objects.create(
        period=period,
        dealer=dealer,
        region_name=dealer.region.name,
        scheme=Scheme.objects.get(code="STD-2026", version=1),
        status="scored",
        coverage=1,
        computed_at=timezone.now(),
    )


MAKERS: dict[type[models.Model], Callable[[Dealer], Any]] = {
    RepairOrder: lambda d: RepairOrderFactory(dealer=d),
    Complaint: lambda d: ComplaintFactory(dealer=d),
    PartsOrder: lambda d: PartsOrderFactory(dealer=d),
    MonthlySubmission: lambda d: SubmissionFactory(dealer=d),
    SurveyResponse: lambda d: SurveyResponseFactory(dealer=d),
    Scorecard: make_scorecard,
    VetoIncident: lambda d: VetoIncident.objects.create(dealer=d, period="2026-10", title="虚报索赔"),
    ImportJob: lambda d: ImportJob.objects.create(kind="repair_orders", dealer=d, file_name="ro.csv"),
    Technician: lambda d: TechnicianFactory(dealer=d),
    Certification: lambda d: CertificationFactory(technician__dealer=d),
    TrainingRecord: lambda d: TrainingRecordFactory(technician__dealer=d),
    SupportCase: lambda d: make_case(d),
    CaseMessage: lambda d: CaseMessage.objects.create(
        case=make_case(d), body="请上传诊断日志", from_hq=True, created_at=timezone.now()
    ),
    RemoteSession: lambda d: RemoteSession.objects.create(
        case=make_case(d), held_at=timezone.now(), minutes=20, outcome="远程读取数据流"
    ),
}
SUPPORT_MODELS = (SupportCase, CaseMessage, RemoteSession)
MAKERS[Finding] = lambda d: Finding.objects.create(
    kind="peer_outlier",
    subject="first_time_fix_rate",
    dealer=d,
    month="2026-10",
    fingerprint=f"peer_outlier|first_time_fix_rate|{d.pk}|2026-10",
    found_at=timezone.now(),
    last_seen_at=timezone.now(),
)
# A dealer's group robot (a region's robots follow the region: tests/dealers/test_robots.py).
MAKERS[GroupRobot] = lambda d: GroupRobot.objects.create(
    platform="wecom",
    name="售后服务群",
    webhook_url=f"https://qyapi.weixin.qq.com/cgi-bin/webhook/send?key=k-{d.code}",
    dealer=d,
)


def make_case(dealer: Dealer) -> SupportCase:
    return SupportCase.objects.create(
        dealer=dealer, vin="LSVAB4BM0NN000001", symptom="怠速抖动", opened_at=timezone.now()
    )


@pytest.fixture
def rows_by_dealer(cast, dealer, other_dealer, far_dealer):
    """One row of every dealer-owned model for each of the three dealers."""

    def build(model: type[models.Model]) -> dict[str, set[int]]:
        if model is Dealer:
            return {d.code: {d.pk} for d in (dealer, other_dealer, far_dealer)}
        return {d.code: {MAKERS[model](d).pk} for d in (dealer, other_dealer, far_dealer)}

    return build


def expected_pks(rows: dict[str, set[int]], codes: set[str]) -> set[int]:
    return set().union(*(rows[c] for c in codes))


@pytest.mark.parametrize("role", sorted(VISIBLE))
@pytest.mark.parametrize("model", [Dealer, *MAKERS], ids=lambda m: m.__name__)
def test_each_role_sees_exactly_the_rows_of_its_dealers(cast, rows_by_dealer, model, role):
    rows = rows_by_dealer(model)

    visible = set(model._default_manager.for_user(cast[role]).values_list("pk", flat=True))

    assert visible == expected_pks(rows, VISIBLE[role])


@pytest.mark.parametrize("model", [Dealer, *MAKERS], ids=lambda m: m.__name__)
def test_a_technical_expert_sees_every_dealers_support_rows_and_nothing_else(rows_by_dealer, model):
    """The expert's scope is the support area, for every dealer; scores, money, sanctions,
    service data and the dealer list itself stay out of reach."""
    rows = rows_by_dealer(model)
    expert = UserFactory(username="expert", role=Role.TECH_EXPERT)

    visible = set(model._default_manager.for_user(expert).values_list("pk", flat=True))

    assert visible == (expected_pks(rows, ALL) if model in SUPPORT_MODELS else set())


def test_an_hq_import_without_a_dealer_is_visible_to_hq_only(cast):
    job = ImportJob.objects.create(kind="dealers", dealer=None, file_name="dealers.csv")

    for role in VISIBLE:
        visible = ImportJob.objects.for_user(cast[role]).filter(pk=job.pk).exists()
        assert visible is (role in HQ_ROLES), role


def test_a_regional_manager_of_two_regions_sees_both(cast, east, south):
    both = UserFactory(username="two_regions", role=Role.REGIONAL_MANAGER, regions=[east, south])

    assert set(Dealer.objects.for_user(both).values_list("code", flat=True)) == ALL


def test_a_dealer_moved_to_another_region_leaves_its_old_managers_scope(cast, dealer):
    north = Region.objects.create(name="华北")
    dealer.region = north
    dealer.save()

    assert not Dealer.objects.for_user(cast["regional_manager"]).filter(pk=dealer.pk).exists()


@pytest.fixture
def outsiders(db, dealer, east):
    return {
        "no role": UserFactory(username="no_role", role=""),
        "inactive HQ manager": UserFactory(username="gone_hq", role=Role.HQ_MANAGER, is_active=False),
        "inactive dealer user": UserFactory(
            username="gone_dealer", role=Role.DEALER_USER, dealer=dealer, is_active=False
        ),
        "dealer user without a dealer": UserFactory(username="orphan", role=Role.DEALER_USER, dealer=None),
        "regional manager without a region": UserFactory(username="no_region", role=Role.REGIONAL_MANAGER),
        "anonymous": AnonymousUser(),
        "nobody": None,
    }


@pytest.mark.parametrize("model", [Dealer, *MAKERS], ids=lambda m: m.__name__)
def test_users_without_a_valid_role_and_anonymous_visitors_see_nothing(
    cast, rows_by_dealer, outsiders, model
):
    rows_by_dealer(model)

    for who, user in outsiders.items():
        assert not model._default_manager.for_user(user).exists(), who


def dealer_owned_models() -> list[type[models.Model]]:
    """Every installed model with a foreign key to Dealer."""
    return [
        m
        for m in apps.get_models()
        if any(
            f.many_to_one and f.concrete and f.related_model is Dealer
            for f in m._meta.get_fields()
            if f.is_relation
        )
    ]


@pytest.mark.parametrize("model", dealer_owned_models(), ids=lambda m: m._meta.label)
def test_every_model_with_a_dealer_goes_through_for_user(model):
    if model._meta.label in NOT_SCOPED:
        return

    assert hasattr(model._default_manager, "for_user"), (
        f"{model._meta.label} points at a dealer, but its default manager has no for_user(): "
        "use dealers.scoping.ScopedQuerySet.as_manager() (or list it in NOT_SCOPED with a reason)"
    )


def scoped_models() -> list[type[models.Model]]:
    return [m for m in apps.get_models() if hasattr(m._default_manager, "for_user")]


# Scoped models whose rows belong to a group of dealers, not to one: their for_user() scopes by
# region, with its own tests (tests/assessments/test_network_page.py, tests/api/test_isolation.py).
GROUP_SCOPED = {
    "assessments.GroupFigure": "a KPI of the network, a region, a city tier or a peer group: by region",
}


@pytest.mark.parametrize("model", scoped_models(), ids=lambda m: m._meta.label)
def test_every_scoped_models_dealer_path_leads_to_a_dealer(model):
    if model._meta.label in GROUP_SCOPED:
        assert "for_user" in type(model._default_manager.all()).__dict__, "it scopes by its own rule"
        return
    queryset = model._default_manager.all()
    assert isinstance(queryset, ScopedQuerySet)
    target: type[models.Model] = model
    for name in filter(None, queryset.dealer_path.split("__")):
        target = target._meta.get_field(name).related_model

    assert target is Dealer, f"{model._meta.label}.dealer_path={queryset.dealer_path!r} leads to {target}"


def test_the_not_scoped_list_names_only_existing_models():
    labels = {m._meta.label for m in dealer_owned_models()}

    assert set(NOT_SCOPED) <= labels


@pytest.mark.parametrize(
    ("role", "code", "status"),
    [
        ("dealer_user", "GL0002", 404),
        ("dealer_user", "GL0003", 404),
        ("regional_manager", "GL0003", 404),
        ("other_regional_manager", "GL0001", 404),
        ("other_dealer_user", "GL0001", 404),
        ("dealer_user", "NO-SUCH", 404),
    ],
)
def test_a_dealer_page_outside_the_users_scope_is_not_found(cast, role, code, status):
    response = client_for(cast[role]).get(f"/dealers/{code}/")

    assert response.status_code == status


@pytest.mark.parametrize(
    ("role", "code"), [("dealer_user", "GL0001"), ("regional_manager", "GL0002"), ("hq_manager", "GL0003")]
)
def test_a_dealer_page_inside_the_users_scope_opens(cast, role, code):
    response = client_for(cast[role]).get(f"/dealers/{code}/")

    assert response.status_code == 200
