"""The same permission and isolation checks on every API v1 endpoint, for every role of the cast.

`ENDPOINTS` has one entry per router registration: how to make a row of it for a dealer,
how to address that row, who may read it, what writes it takes and who may do them, and
how many queries its list costs. `test_every_route_has_an_entry` fails for a route of
config.api_router that the table does not cover, so a new endpoint cannot skip these tests.

Rows are made for three dealers: `dealer` (GL0001) and `other_dealer` (GL0002) in 华东,
`far_dealer` (GL0003) in 华南; `VISIBLE` says which of them each role of the cast may see.
A write is tried by each role on a row of the first dealer that role sees (`home_dealer`),
and by the roles it is for on a row of a dealer they do not see (404).
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

import pytest
from django.core.files.base import ContentFile
from django.urls import URLPattern, URLResolver, reverse
from django.utils import timezone

from assessments.choices import ImportKind, ImportStatus, SubmissionStatus
from assessments.models import GroupFigure, ImportJob, Kpi, Period, Scheme
from assessments.services.publishing import scheme_load
from config.api_base import ALL_ROLES, HQ_ADMIN_ONLY, HQ_ONLY
from config.api_router import router
from config.api_router import urlpatterns as api_urlpatterns
from dealers.choices import MANAGER_ROLES, SUPPORT_ROLES, Role
from dealers.models import Dealer, User
from goals.models import Goal
from goals.services import GoalTerms, goal_create
from incentives.choices import RectificationStatus
from incentives.models import IncentiveRule
from tests.factories import (
    ComplaintFactory,
    DealerFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    TechnicianFactory,
    UserFactory,
)

from .conftest import (
    api_client,
    make_action,
    make_appeal,
    make_ledger_entry,
    make_rectification,
    make_scorecard,
)

ROLES = [
    "dealer_user",
    "other_dealer_user",
    "regional_manager",
    "other_regional_manager",
    "hq_manager",
    "hq_admin",
]
HQ = {"GL0001", "GL0002", "GL0003"}
VISIBLE: dict[str, set[str]] = {
    "dealer_user": {"GL0001"},
    "other_dealer_user": {"GL0002"},
    "regional_manager": {"GL0001", "GL0002"},
    "other_regional_manager": {"GL0003"},
    "hq_manager": HQ,
    "hq_admin": HQ,
}
ROLE_OF = {
    "dealer_user": Role.DEALER_USER,
    "other_dealer_user": Role.DEALER_USER,
    "regional_manager": Role.REGIONAL_MANAGER,
    "other_regional_manager": Role.REGIONAL_MANAGER,
    "hq_manager": Role.HQ_MANAGER,
    "hq_admin": Role.HQ_ADMIN,
}
#: A dealer each non-HQ role may not see.
OUT_OF_SCOPE = {
    "dealer_user": "GL0002",
    "other_dealer_user": "GL0001",
    "regional_manager": "GL0003",
    "other_regional_manager": "GL0001",
}
UPLOAD_ROLES = frozenset({Role.HQ_ADMIN, Role.HQ_MANAGER, Role.DEALER_USER})
DEALER_USER_ONLY = frozenset({Role.DEALER_USER})
MANAGERS = frozenset(MANAGER_ROLES)


# --- the table ---------------------------------------------------------------------------------


@dataclass(frozen=True)
class Write:
    """A write an endpoint takes: on the list (create, or a list action) or on a row (an action).

    `body` and `target` are given the dealer the acting user works for (`home_dealer`), so that
    what each role sends and acts on is in its own scope.
    """

    route: str  # "list" for create, else the action's url name, e.g. "publish"
    method: str
    roles: frozenset[str]
    ok: tuple[int, ...]
    body: Callable[[Dealer], Any] = lambda dealer: None
    multipart: bool = False
    target: Callable[[Dealer], Any] | None = None  # the row acted on; None on the list
    on_list: bool = False  # an action on the list (no row), e.g. "lift-suspension"

    @property
    def on_row(self) -> bool:
        return self.route != "list" and not self.on_list


@dataclass(frozen=True)
class Endpoint:
    basename: str
    make: Callable[[Dealer], Any]
    key: Callable[[Any], dict[str, str]]
    scoped: bool
    list_queries: int
    owner: Callable[[dict[str, Any]], str] = lambda item: item["dealer"]
    read_roles: frozenset[str] = ALL_ROLES
    writes: tuple[Write, ...] = ()
    #: Extra GET actions on a row: url name → extra URL kwargs (or a function of the row giving them).
    detail_reads: dict[str, dict[str, str] | Callable[[Any], dict[str, str]]] = field(default_factory=dict)
    #: Extra GET actions on the list (no row), by url name.
    list_reads: tuple[str, ...] = ()
    #: more(dealer, n) makes the n-th extra row of a dealer (for the query count); default: make.
    more: Callable[[Dealer, int], Any] | None = None


def _finding(dealer: Dealer, n: int = 0) -> Any:
    from insights.models import Finding

    month = f"2026-{10 - n:02d}"
    return Finding.objects.create(
        kind="peer_outlier",
        subject="first_time_fix_rate",
        dealer=dealer,
        month=month,
        fingerprint=f"peer_outlier|first_time_fix_rate|{dealer.pk}|{month}",
        figures={"value": 0.6, "peer_median": 0.85, "n": 120, "z": -4.1},
        found_at=timezone.now(),
        last_seen_at=timezone.now(),
    )


def _support_case(dealer: Dealer) -> Any:
    from support.models import SupportCase

    return SupportCase.objects.create(
        dealer=dealer, vin="LSVAB4BM0NN000001", symptom="怠速抖动", opened_at=timezone.now()
    )


def suspended_and_lift_body(dealer: Dealer) -> dict[str, str]:
    """Only a suspended dealer's suspension can be lifted: suspend it, then ask."""
    Dealer.objects.filter(pk=dealer.pk).update(status="suspended")
    return {"dealer": dealer.code, "reason": "整改完成"}


def _draft_scheme() -> Scheme:
    return scheme_load(data={**SCHEME_FILE, "code": "DRAFT-TEST"}, publish=False, actor=None)


def _import_job(dealer: Dealer) -> ImportJob:
    job = ImportJob.objects.create(
        kind=ImportKind.COMPLAINTS, dealer=dealer, file_name="complaints.csv", status=ImportStatus.PARTIAL
    )
    job.error_file.save("complaints-errors.csv", ContentFile(b"complaint_id,error\nC1,bad\n"))
    return job


SUBMISSION: dict[str, Any] = {
    "period": "2026-11",
    "technicians": 12,
    "certified_technicians": 10,
    "equipment_total": 30,
    "equipment_ok": 28,
    "training_hours": "64.50",
}


def _submission(status: str) -> Callable[[Dealer], Any]:
    """Makes the dealer's November submission in this state."""
    return lambda dealer: SubmissionFactory(dealer=dealer, period="2026-11", status=status)


def _upload(name: str) -> io.BytesIO:
    upload = io.BytesIO(b"%PDF-1.4 evidence")
    upload.name = name
    return upload


def _complaints_csv(dealer_code: str) -> io.BytesIO:
    text = (
        "complaint_id,dealer_code,ro_number,received_at,closed_at,category,severity,description\n"
        f"API-C-{dealer_code},{dealer_code},,2026-10-05 09:00,2026-10-05 12:00,quality,normal,noisy brakes\n"
    )
    upload = io.BytesIO(text.encode())
    upload.name = "complaints.csv"
    return upload


def _goal(dealer: Dealer) -> Goal:
    """The dealer's complaint-rate goal, owned by the HQ manager of the cast."""
    return goal_create(
        terms=GoalTerms(
            kpi_code="complaint_rate",
            group_kind="dealer",
            dealer=dealer,
            month_from="2026-09",
            month_to="2026-10",
            kind="level",
            target=2.0,
            owner=User.objects.get(username="hq_manager"),
        )
    )


def _goal_body(dealer: Dealer) -> dict[str, Any]:
    return {
        "kpi_code": "complaint_rate",
        "group_kind": "dealer",
        "dealer": dealer.code,
        "month_from": "2026-09",
        "month_to": "2026-12",
        "kind": "change",
        "change_pct": -50,
        "owner": "hq_manager",
    }


SCHEME_FILE: dict[str, Any] = {
    "code": "API-TEST",
    "name": "API test scheme",
    "effective_from": "2026-01",
    "min_coverage": 0.6,
    "grade_bands": [["A", 90], ["B", 80], ["C", 70], ["D", 0]],
    "major_complaint_deduction": {"per_item": 2, "cap": 10},
    "kpis": [
        {"code": "csat", "weight": 15, "method": "threshold", "floor": 60, "target": 95, "min_sample": 10},
        {"code": "repair_count", "weight": 0},
    ],
}


def _group_figure(dealer: Dealer, period: str = "2026-10") -> GroupFigure:
    return GroupFigure.objects.create(
        period=Period.objects.get_or_create(code=period)[0],
        grouping="region",
        group_key=str(dealer.region_id),
        kpi_code="nps" if dealer.code == "GL0002" else "csat",
        value=80.0,
        n=10,
        dealers=2,
    )


def _group_figure_owner(item: dict[str, Any]) -> str:
    if item["kpi_code"] == "nps":
        return "GL0002"
    return "GL0001" if item["group_label"] == "华东" else "GL0003"


ENDPOINTS: dict[str, Endpoint] = {
    e.basename: e
    for e in [
        Endpoint("region", lambda d: d.region, lambda r: {"pk": str(r.pk)}, scoped=False, list_queries=2),
        Endpoint(
            "dealer",
            lambda d: d,
            lambda d: {"code": d.code},
            scoped=True,
            list_queries=2,
            owner=lambda i: i["code"],
            more=lambda d, n: DealerFactory(code=f"{d.code}-{n}", region=d.region),
        ),
        Endpoint(
            "user",
            lambda d: UserFactory(username=f"staff-{d.code}", role=Role.DEALER_USER, dealer=d),
            lambda u: {"pk": str(u.pk)},
            scoped=False,
            more=lambda d, n: UserFactory(username=f"staff-{d.code}-{n}", role=Role.DEALER_USER, dealer=d),
            list_queries=3,
            read_roles=HQ_ADMIN_ONLY,
            writes=(
                Write(
                    "token",
                    "post",
                    HQ_ADMIN_ONLY,
                    (201,),
                    target=lambda d: User.objects.get(username="dealer_user"),
                ),
                Write(
                    "token",
                    "delete",
                    HQ_ADMIN_ONLY,
                    (204,),
                    target=lambda d: User.objects.get(username="dealer_user"),
                ),
            ),
        ),
        Endpoint(
            "kpi",
            lambda d: Kpi.objects.get(code="csat"),
            lambda k: {"pk": k.code},
            scoped=False,
            list_queries=2,
        ),
        Endpoint(
            "scheme",
            lambda d: Scheme.objects.get(code="STD-2026", version=1),
            lambda s: {"pk": str(s.pk)},
            scoped=False,
            list_queries=3,
            writes=(
                Write("list", "post", HQ_ADMIN_ONLY, (201,), body=lambda d: SCHEME_FILE),
                Write("publish", "post", HQ_ADMIN_ONLY, (200,), target=lambda d: _draft_scheme()),
            ),
        ),
        Endpoint(
            "period",
            lambda d: Period.objects.get_or_create(code="2026-10")[0],
            lambda p: {"code": p.code},
            scoped=False,
            list_queries=2,
            writes=(
                Write(
                    "close",
                    "post",
                    HQ_ONLY,
                    (200,),
                    target=lambda d: Period.objects.get_or_create(code="2026-09")[0],
                ),
                Write(
                    "recompute",
                    "post",
                    HQ_ONLY,
                    (202,),
                    target=lambda d: Period.objects.get_or_create(code="2026-08")[0],
                ),
            ),
        ),
        Endpoint(
            "scorecard",
            make_scorecard,
            lambda c: {"key": f"{c.period.code}:{c.dealer.code}"},
            scoped=True,
            list_queries=3,
            owner=lambda i: i["dealer_code"],
            more=lambda d, n: make_scorecard(d, period=f"2026-0{n}"),
            detail_reads={"kpi-records": {"kpi_code": "first_time_fix_rate"}},
        ),
        Endpoint("repairorder", lambda d: RepairOrderFactory(dealer=d), lambda r: {"pk": str(r.pk)}, True, 2),
        Endpoint("complaint", lambda d: ComplaintFactory(dealer=d), lambda r: {"pk": str(r.pk)}, True, 2),
        Endpoint("partsorder", lambda d: PartsOrderFactory(dealer=d), lambda r: {"pk": str(r.pk)}, True, 2),
        Endpoint(
            "surveyresponse", lambda d: SurveyResponseFactory(dealer=d), lambda r: {"pk": str(r.pk)}, True, 2
        ),
        Endpoint(
            "submission",
            lambda d: SubmissionFactory(dealer=d),
            lambda r: {"pk": str(r.pk)},
            scoped=True,
            list_queries=2,
            more=lambda d, n: SubmissionFactory(dealer=d, period=f"2026-0{n}"),
            list_reads=("queue",),
            writes=(
                Write("list", "post", DEALER_USER_ONLY, (201,), body=lambda d: SUBMISSION),
                Write("submit", "post", DEALER_USER_ONLY, (200,), target=_submission(SubmissionStatus.DRAFT)),
                Write("approve", "post", MANAGERS, (200,), target=_submission(SubmissionStatus.SUBMITTED)),
                Write(
                    "return",
                    "post",
                    MANAGERS,
                    (200,),
                    body=lambda d: {"comment": "持证技师人数与培训记录不符"},
                    target=_submission(SubmissionStatus.SUBMITTED),
                ),
            ),
        ),
        Endpoint(
            "importjob",
            _import_job,
            lambda j: {"pk": str(j.pk)},
            scoped=True,
            list_queries=2,
            detail_reads={"error-file": {}},
            writes=(
                Write(
                    "list",
                    "post",
                    UPLOAD_ROLES,
                    (201, 202),
                    multipart=True,
                    body=lambda d: {"kind": "complaints", "file": _complaints_csv(d.code)},
                ),
            ),
        ),
        Endpoint(
            "incentiverule",
            lambda d: IncentiveRule.objects.create(
                name=f"{d.code} veto", condition="veto", action_type="interview"
            ),
            lambda r: {"pk": str(r.pk)},
            scoped=False,
            list_queries=2,
            read_roles=MANAGERS,
        ),
        Endpoint(
            "incentiveaction",
            make_action,
            lambda a: {"pk": str(a.pk)},
            scoped=True,
            list_queries=3,
            more=lambda d, n: make_action(d, period=f"2026-0{n}"),
            writes=(
                Write(
                    "approve", "post", MANAGERS, (200,), target=lambda d: make_action(d, origin="rule:target")
                ),
                Write(
                    "reject",
                    "post",
                    MANAGERS,
                    (200,),
                    body=lambda d: {"comment": "奖励需待整改完成"},
                    target=lambda d: make_action(d, origin="rule:target"),
                ),
                Write(
                    "lift-suspension",
                    "post",
                    MANAGERS,
                    (201,),
                    body=lambda d: suspended_and_lift_body(d),
                    on_list=True,
                ),
            ),
        ),
        Endpoint(
            "ledgerentry",
            make_ledger_entry,
            lambda e: {"pk": str(e.pk)},
            scoped=True,
            list_queries=2,
            more=lambda d, n: make_ledger_entry(d, period=f"2026-0{n}"),
            list_reads=("totals",),
        ),
        Endpoint(
            "rectification",
            make_rectification,
            lambda o: {"pk": str(o.pk)},
            scoped=True,
            list_queries=3,
            more=lambda d, n: make_rectification(d, period=f"2026-0{n}"),
            detail_reads={"evidence-file": lambda o: {"evidence_id": str(o.evidence.get().pk)}},
            writes=(
                Write(
                    "plan",
                    "post",
                    DEALER_USER_ONLY,
                    (200,),
                    multipart=True,
                    body=lambda d: {
                        "plan": "增加两名持证技师，十一月底前完成培训",
                        "evidence": [_upload("training.pdf")],
                    },
                    target=lambda d: make_rectification(d, origin="rule:target", evidence=False),
                ),
                Write(
                    "verify",
                    "post",
                    MANAGERS,
                    (200,),
                    body=lambda d: {"passed": True, "comment": "已现场核实"},
                    target=lambda d: make_rectification(
                        d, origin="rule:target", status=RectificationStatus.PLAN_SUBMITTED
                    ),
                ),
            ),
        ),
        Endpoint(
            "appeal",
            make_appeal,
            lambda a: {"pk": str(a.pk)},
            scoped=True,
            list_queries=3,  # + the contested records, prefetched
            detail_reads={"evidence-file": {}},
            writes=(
                Write(
                    "list",
                    "post",
                    DEALER_USER_ONLY,
                    (201,),
                    multipart=True,
                    body=lambda d: {
                        "scorecard": f"2026-10:{d.code}",
                        "kpi_code": "csat",
                        "reason": "抽样有误",
                    },
                ),
                Write(
                    "decide",
                    "post",
                    MANAGERS,
                    (200,),
                    body=lambda d: {"uphold": False, "decision": "抽样符合规则"},
                    target=make_appeal,
                ),
            ),
        ),
        Endpoint("technician", lambda d: TechnicianFactory(dealer=d), lambda t: {"pk": str(t.pk)}, True, 4),
        # A region's figure per dealer (a KPI of its own for GL0002, which shares GL0001's region):
        # regional managers see their regions' figures only, dealer users none.
        Endpoint(
            "groupfigure",
            _group_figure,
            lambda f: {"pk": str(f.pk)},
            scoped=True,
            list_queries=3,
            owner=_group_figure_owner,
            read_roles=MANAGERS,
            more=lambda d, n: _group_figure(d, f"2026-0{n}"),
        ),
        # Technical cases: dealers their own, managers their regions', HQ all (and the technical
        # expert every dealer's: tests/support/test_isolation.py).
        Endpoint(
            "supportcase",
            _support_case,
            lambda c: {"pk": str(c.pk)},
            scoped=True,
            list_queries=2,
            read_roles=frozenset(SUPPORT_ROLES),
        ),
        # Findings: dealers their own, managers their regions' (and the network's, which have no
        # dealer: tests/insights/test_findings.py), HQ all.
        Endpoint(
            "finding",
            _finding,
            lambda f: {"pk": str(f.pk)},
            scoped=True,
            list_queries=2,
            more=lambda d, n: _finding(d, n),
        ),
        Endpoint(
            "goal",
            _goal,
            lambda g: {"pk": str(g.pk)},
            scoped=True,
            list_queries=2,
            owner=lambda i: i["dealer"],
            writes=(
                Write("list", "post", HQ_ADMIN_ONLY, (201,), body=_goal_body),
                Write("revise", "post", HQ_ADMIN_ONLY, (200,), body=_goal_body, target=_goal),
            ),
        ),
    ]
}


# --- helpers -----------------------------------------------------------------------------------


@pytest.fixture
def rows(cast: dict[str, User], dealer: Dealer, other_dealer: Dealer, far_dealer: Dealer) -> Callable:
    """rows(endpoint) makes one row of the endpoint for each of the three dealers, by dealer code."""

    def make(endpoint: Endpoint) -> dict[str, Any]:
        return {d.code: endpoint.make(d) for d in (dealer, other_dealer, far_dealer)}

    return make


def url(endpoint: Endpoint, route: str, row: Any = None, extra: Any = None) -> str:
    """The address of a route: of the list when `row` is None, else of that row (plus `extra` kwargs)."""
    if route == "list":
        return reverse(f"api:{endpoint.basename}-list")
    if row is None:
        return reverse(f"api:{endpoint.basename}-{route}")
    extra = extra(row) if callable(extra) else extra
    kwargs = {**endpoint.key(row), **(extra or {})}
    return reverse(f"api:{endpoint.basename}-{route}", kwargs=kwargs)


def home_dealer(user: User) -> Dealer:
    """The first dealer the user sees: its own, its region's first, or GL0001 for HQ."""
    return Dealer.objects.for_user(user).order_by("code").first()


def send(client: Any, method: str, address: str, body: Any = None, *, multipart: bool = False) -> Any:
    if body is None:
        return getattr(client, method)(address)
    return getattr(client, method)(address, body, format="multipart" if multipart else "json")


def write_url(endpoint: Endpoint, write: Write, target: Any) -> str:
    return url(endpoint, write.route, target if write.on_row else None)


def every_request(endpoint: Endpoint, row: Any) -> list[tuple[str, str]]:
    """(method, URL) of everything the endpoint answers, on `row` where a row is needed."""
    requests = [("get", url(endpoint, "list")), ("get", url(endpoint, "detail", row))]
    requests += [("get", url(endpoint, name)) for name in endpoint.list_reads]
    requests += [("get", url(endpoint, name, row, extra)) for name, extra in endpoint.detail_reads.items()]
    requests += [(write.method, write_url(endpoint, write, row)) for write in endpoint.writes]
    return requests


parametrize_endpoints = pytest.mark.parametrize("endpoint", list(ENDPOINTS.values()), ids=list(ENDPOINTS))
parametrize_roles = pytest.mark.parametrize("role", ROLES)


# --- the checks --------------------------------------------------------------------------------


@parametrize_endpoints
def test_anonymous_gets_401_everywhere(endpoint: Endpoint, rows: Callable) -> None:
    row = rows(endpoint)["GL0001"]
    for method, address in every_request(endpoint, row):
        response = getattr(api_client(), method)(address)
        assert response.status_code == 401, (method, address)
        assert set(response.json()) == {"detail", "errors"}


@parametrize_endpoints
@parametrize_roles
def test_list_shows_exactly_the_rows_in_scope(
    endpoint: Endpoint, role: str, cast: dict, rows: Callable
) -> None:
    made = rows(endpoint)
    response = api_client(cast[role]).get(url(endpoint, "list"), {"page_size": 500})
    if cast[role].role not in endpoint.read_roles:
        assert response.status_code == 403
        return
    assert response.status_code == 200
    results = response.json()["results"]
    if endpoint.scoped:
        assert {endpoint.owner(item) for item in results} == VISIBLE[role]
        assert response.json()["count"] == len(VISIBLE[role])
    else:
        model = type(made["GL0001"])
        assert response.json()["count"] == model.objects.count()


SCOPED = [e for e in ENDPOINTS.values() if e.scoped]


@pytest.mark.parametrize("endpoint", SCOPED, ids=[e.basename for e in SCOPED])
@pytest.mark.parametrize("role", list(OUT_OF_SCOPE))
def test_row_outside_scope_is_404_never_403(
    endpoint: Endpoint, role: str, cast: dict, rows: Callable
) -> None:
    made = rows(endpoint)
    client = api_client(cast[role])
    hidden = made[OUT_OF_SCOPE[role]]
    if ROLE_OF[role] not in endpoint.read_roles:  # a role that reads none of it: 403 whatever the row
        assert client.get(url(endpoint, "detail", hidden)).status_code == 403
        return
    assert client.get(url(endpoint, "detail", hidden)).status_code == 404
    for name, extra in endpoint.detail_reads.items():
        assert client.get(url(endpoint, name, hidden, extra)).status_code == 404, name
    own = made[sorted(VISIBLE[role])[0]]
    assert client.get(url(endpoint, "detail", own)).status_code == 200
    for name, extra in endpoint.detail_reads.items():
        assert client.get(url(endpoint, name, own, extra)).status_code == 200, name


@parametrize_endpoints
@parametrize_roles
def test_detail_readable_by_reading_roles_only(
    endpoint: Endpoint, role: str, cast: dict, rows: Callable
) -> None:
    made = rows(endpoint)
    row = made[sorted(VISIBLE[role])[0]]
    status = api_client(cast[role]).get(url(endpoint, "detail", row)).status_code
    assert status == (200 if cast[role].role in endpoint.read_roles else 403)


WRITES = [(e, w) for e in ENDPOINTS.values() for w in e.writes]


@pytest.mark.parametrize(
    ("endpoint", "write"), WRITES, ids=[f"{e.basename}-{w.route}-{w.method}" for e, w in WRITES]
)
@parametrize_roles
def test_writes_per_role(endpoint: Endpoint, write: Write, role: str, cast: dict, rows: Callable) -> None:
    rows(endpoint)
    allowed = cast[role].role in write.roles
    home = home_dealer(cast[role])
    target = write.target(home) if write.target else None
    address = write_url(endpoint, write, target)
    response = send(
        api_client(cast[role]), write.method, address, write.body(home), multipart=write.multipart
    )
    if allowed:
        assert response.status_code in write.ok, response.content
    else:
        assert response.status_code == 403, response.content
        assert set(response.json()) == {"detail", "errors"}


#: Writes on rows of scoped endpoints, with each non-HQ role that may do them.
ROW_WRITES = [
    (e, w, role)
    for e, w in WRITES
    if e.scoped and w.on_row
    for role in OUT_OF_SCOPE
    if ROLE_OF[role] in w.roles
]


@pytest.mark.parametrize(
    ("endpoint", "write", "role"),
    ROW_WRITES,
    ids=[f"{e.basename}-{w.route}-{w.method}-{role}" for e, w, role in ROW_WRITES],
)
def test_writes_on_a_row_outside_scope_are_404(
    endpoint: Endpoint, write: Write, role: str, cast: dict, rows: Callable
) -> None:
    """A role that may do the write, on a row it does not see: 404, and the row is untouched."""
    rows(endpoint)
    hidden = Dealer.objects.get(code=OUT_OF_SCOPE[role])
    target = write.target(hidden)
    before = type(target).objects.filter(pk=target.pk).values().get()
    response = send(
        api_client(cast[role]),
        write.method,
        write_url(endpoint, write, target),
        write.body(home_dealer(cast[role])),
        multipart=write.multipart,
    )
    assert response.status_code == 404, response.content
    assert type(target).objects.filter(pk=target.pk).values().get() == before


@parametrize_endpoints
@pytest.mark.parametrize("method", ["put", "patch", "delete"])
def test_rows_are_not_changed_through_the_api(
    endpoint: Endpoint, method: str, cast: dict, rows: Callable
) -> None:
    """Data rows change only through imports and services: no update or delete on any row."""
    row = rows(endpoint)["GL0001"]
    response = getattr(api_client(cast["hq_admin"]), method)(url(endpoint, "detail", row), {}, format="json")
    assert response.status_code == 405


NO_CREATE = [e for e in ENDPOINTS.values() if not any(w.route == "list" for w in e.writes)]


@pytest.mark.parametrize("endpoint", NO_CREATE, ids=[e.basename for e in NO_CREATE])
def test_create_only_where_a_service_exists(endpoint: Endpoint, cast: dict, rows: Callable) -> None:
    """Only where a service creates rows (schemes, imports, submissions, appeals) does a list take a POST."""
    rows(endpoint)
    response = api_client(cast["hq_admin"]).post(url(endpoint, "list"), {}, format="json")
    assert response.status_code == 405


@parametrize_endpoints
@pytest.mark.parametrize("role", ["hq_admin", "regional_manager", "dealer_user"])
def test_list_query_count_is_pinned(
    endpoint: Endpoint, role: str, cast: dict, rows: Callable, django_assert_num_queries: Any
) -> None:
    """The list costs the same queries for one row or many, whoever asks."""
    rows(endpoint)
    user = cast[role]
    if user.role not in endpoint.read_roles:
        user = cast["hq_admin"]
    more = endpoint.more or (lambda dealer, n: endpoint.make(dealer))
    for dealer in list(Dealer.objects.all()):
        for n in range(1, 3):
            more(dealer, n)
    client = api_client(user)
    with django_assert_num_queries(endpoint.list_queries):
        assert client.get(url(endpoint, "list")).status_code == 200


# --- the table covers every route ---------------------------------------------------------------


def _route_names(patterns: list[Any]) -> set[str]:
    names: set[str] = set()
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            names |= _route_names(pattern.url_patterns)
        elif isinstance(pattern, URLPattern) and pattern.name:
            names.add(pattern.name)
    return names


def test_every_registered_viewset_has_an_entry() -> None:
    registered = {basename for _prefix, _viewset, basename in router.registry}
    assert registered == set(ENDPOINTS), "add the endpoint to ENDPOINTS in tests/api/test_isolation.py"


def test_every_route_has_an_entry() -> None:
    covered = {"api-root"}
    for endpoint in ENDPOINTS.values():
        covered |= {f"{endpoint.basename}-list", f"{endpoint.basename}-detail"}
        covered |= {f"{endpoint.basename}-{name}" for name in endpoint.detail_reads}
        covered |= {f"{endpoint.basename}-{name}" for name in endpoint.list_reads}
        covered |= {f"{endpoint.basename}-{w.route}" for w in endpoint.writes}
    missing = _route_names(api_urlpatterns) - covered
    assert not missing, f"routes without isolation tests: {sorted(missing)}"


def test_every_extra_action_has_an_entry() -> None:
    """An @action added to a viewset must be listed as a read or a write of its endpoint."""
    for _prefix, viewset, basename in router.registry:
        endpoint = ENDPOINTS[basename]
        listed = set(endpoint.detail_reads) | set(endpoint.list_reads) | {w.route for w in endpoint.writes}
        for extra in viewset.get_extra_actions():
            assert extra.url_name in listed, f"{basename}: action {extra.url_name} is not in the table"


def test_the_api_root_needs_sign_in_too(cast: dict) -> None:
    assert api_client().get(reverse("api:api-root")).status_code == 401
    assert api_client(cast["dealer_user"]).get(reverse("api:api-root")).status_code == 200


def test_token_of_a_dealer_user_sees_only_its_own_rows_in_every_list(cast: dict, rows: Callable) -> None:
    for endpoint in ENDPOINTS.values():
        rows(endpoint)
    client = api_client(cast["dealer_user"], token=True)
    for endpoint in ENDPOINTS.values():
        response = client.get(url(endpoint, "list"), {"page_size": 500})
        if Role.DEALER_USER not in endpoint.read_roles:
            assert response.status_code == 403
        elif endpoint.scoped:
            assert {endpoint.owner(item) for item in response.json()["results"]} == {"GL0001"}, (
                endpoint.basename
            )


def test_group_figures_of_the_network_city_tiers_and_peers_are_hqs(cast: dict, dealer: Dealer) -> None:
    period = Period.objects.create(code="2026-10")
    for grouping, key in (
        ("network", ""),
        ("city_tier", "2"),
        ("peer", "2-M"),
        ("region", str(dealer.region_id)),
    ):
        GroupFigure.objects.create(
            period=period, grouping=grouping, group_key=key, kpi_code="csat", value=1.0, n=1
        )
    address = reverse("api:groupfigure-list")
    hq = api_client(cast["hq_manager"]).get(
        address, {"grouping": "network", "period": "2026-10", "kpi": "csat"}
    )
    assert [item["grouping"] for item in hq.json()["results"]] == ["network"]
    manager = api_client(cast["regional_manager"]).get(address)
    assert [item["grouping"] for item in manager.json()["results"]] == ["region"]
    assert api_client(cast["other_regional_manager"]).get(address).json()["count"] == 0
