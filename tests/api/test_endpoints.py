"""What each endpoint does beyond the generic isolation checks: shapes, filters, workflows."""

from __future__ import annotations

import io
from typing import Any

import pytest
from django.urls import reverse

from assessments.choices import ImportStatus, SchemeStatus
from assessments.models import Complaint, Period, Scheme
from assessments.serializers_json import scorecard_as_json, scorecards_for_export
from dealers.models import AuditEvent
from tests.factories import ComplaintFactory, RepairOrderFactory, local

from .conftest import api_client, make_scorecard


def csv_upload(text: str, name: str = "complaints.csv") -> io.BytesIO:
    upload = io.BytesIO(text.encode())
    upload.name = name
    return upload


COMPLAINTS_HEADER = "complaint_id,dealer_code,ro_number,received_at,closed_at,category,severity,description\n"


# --- scorecards ------------------------------------------------------------------------------


def test_scorecards_of_a_period_are_the_objects_of_the_export(cast, dealer, other_dealer, far_dealer):
    for d in (far_dealer, dealer, other_dealer):
        make_scorecard(d)
    make_scorecard(dealer, period="2026-09")

    response = api_client(cast["hq_manager"]).get("/api/v1/scorecards/", {"period": "2026-10"})

    assert response.status_code == 200
    exported = [scorecard_as_json(card) for card in scorecards_for_export("2026-10")]
    assert response.json()["results"] == exported
    assert [c["dealer_code"] for c in response.json()["results"]] == ["GL0001", "GL0002", "GL0003"]


@pytest.mark.parametrize(
    ("params", "expected"),
    [
        ({"region": "华东"}, ["GL0001", "GL0002"]),
        ({"dealer": "GL0003"}, ["GL0003"]),
        ({"grade": "A"}, ["GL0002"]),
        ({"status": "insufficient_data"}, ["GL0003"]),
        ({"ordering": "-total_score"}, ["GL0002", "GL0001", "GL0003"]),
        ({"ordering": "dealer_code"}, ["GL0001", "GL0002", "GL0003"]),
        ({"ordering": "password,-dealer__name"}, ["GL0001", "GL0002", "GL0003"]),  # not whitelisted: ignored
        ({"dealer__region__name": "华南"}, ["GL0001", "GL0002", "GL0003"]),  # not a filter: ignored
    ],
)
def test_scorecard_filters_and_ordering_are_whitelisted(
    cast, dealer, other_dealer, far_dealer, params, expected
):
    make_scorecard(dealer, total_score=80, grade="B")
    make_scorecard(other_dealer, total_score=95, grade="A")
    make_scorecard(far_dealer, status="insufficient_data", total_score=None, grade="", rank=None)

    response = api_client(cast["hq_admin"]).get("/api/v1/scorecards/", {"period": "2026-10", **params})

    assert [c["dealer_code"] for c in response.json()["results"]] == expected


def test_a_bad_filter_value_is_a_400_with_field_errors(cast):
    response = api_client(cast["hq_admin"]).get("/api/v1/scorecards/", {"status": "excellent"})

    assert response.status_code == 400
    assert set(response.json()) == {"detail", "errors"}
    assert "status" in response.json()["errors"]


def test_scorecard_is_addressed_by_period_and_dealer_code(cast, dealer):
    card = make_scorecard(dealer)

    response = api_client(cast["dealer_user"]).get("/api/v1/scorecards/2026-10:GL0001/")

    assert response.json() == scorecard_as_json(card)


def test_drill_down_flags_the_comeback_behind_first_time_fix(cast, dealer, far_dealer):
    make_scorecard(dealer)
    RepairOrderFactory(dealer=dealer, ro_number="RO-FIXED", vin="LB3E8MAL8RV900001")
    RepairOrderFactory(dealer=dealer, ro_number="RO-CAME-BACK", vin="LB3E8MAL8RV900002")
    RepairOrderFactory(
        dealer=far_dealer,
        ro_number="RO-ELSEWHERE",
        vin="LB3E8MAL8RV900002",
        opened_at=local("2026-10-20 09:00"),
        closed_at=None,
    )

    response = api_client(cast["dealer_user"]).get(
        "/api/v1/scorecards/2026-10:GL0001/kpis/first_time_fix_rate/records/"
    )

    body = response.json()
    assert response.status_code == 200
    assert body["flag"] == "comeback"
    flagged = {row["ro_number"]: row["comeback"] for row in body["results"]}
    assert flagged == {"RO-FIXED": False, "RO-CAME-BACK": True}
    # The comeback at a dealer outside the user's scope is counted, never named.
    assert "RO-ELSEWHERE" not in response.content.decode()
    assert body["results"][0]["opened_at"].endswith("+08:00")


def test_drill_down_of_an_unknown_kpi_is_404(cast, dealer):
    make_scorecard(dealer)

    response = api_client(cast["hq_admin"]).get("/api/v1/scorecards/2026-10:GL0001/kpis/no_such_kpi/records/")

    assert response.status_code == 404


# --- schemes ---------------------------------------------------------------------------------


def test_hq_admin_loads_and_publishes_a_scheme(cast, scheme_file):
    client = api_client(cast["hq_admin"])

    created = client.post("/api/v1/schemes/", scheme_file, format="json")
    published = client.post(f"/api/v1/schemes/{created.json()['id']}/publish/")
    again = client.post(f"/api/v1/schemes/{created.json()['id']}/publish/")

    assert created.status_code == 201
    assert created.json()["status"] == SchemeStatus.DRAFT
    assert [k["code"] for k in created.json()["kpis"]] == ["csat", "repair_count"]
    assert published.json()["status"] == SchemeStatus.PUBLISHED
    assert again.status_code == 409
    assert set(again.json()) == {"detail", "errors"}


def test_a_scheme_file_may_be_published_at_once(cast, scheme_file):
    response = api_client(cast["hq_admin"]).post("/api/v1/schemes/?publish=true", scheme_file, format="json")

    assert response.json()["status"] == SchemeStatus.PUBLISHED


def test_a_bad_scheme_file_is_refused_with_every_problem(cast, scheme_file):
    bad = {**scheme_file, "min_coverage": 2, "kpis": [{"code": "no_such_kpi", "weight": -1}]}

    response = api_client(cast["hq_admin"]).post("/api/v1/schemes/", bad, format="json")

    assert response.status_code == 400
    assert len(response.json()["errors"]["scheme"]) >= 2
    assert not Scheme.objects.filter(code="API-TEST").exists()


def test_a_scheme_file_must_be_json(cast, scheme_file):
    response = api_client(cast["hq_admin"]).post("/api/v1/schemes/", {"code": "X"}, format="multipart")

    assert response.status_code == 415


# --- periods ---------------------------------------------------------------------------------


def test_hq_manager_closes_a_period_once(cast):
    Period.objects.create(code="2026-10")
    client = api_client(cast["hq_manager"])

    first = client.post("/api/v1/periods/2026-10/close/")
    second = client.post("/api/v1/periods/2026-10/close/")

    assert first.status_code == 200
    assert first.json()["status"] == "closed"
    assert second.status_code == 409
    assert AuditEvent.objects.filter(action="period.closed", actor=cast["hq_manager"]).count() == 1


def test_recompute_is_queued_for_an_open_period_and_refused_for_a_closed_one(cast, monkeypatch):
    queued: list[list[str]] = []
    monkeypatch.setattr("assessments.api.views.queue_recompute", queued.append)
    Period.objects.create(code="2026-10")
    Period.objects.create(code="2026-09", status="closed")
    client = api_client(cast["hq_admin"])

    assert client.post("/api/v1/periods/2026-10/recompute/").status_code == 202
    assert client.post("/api/v1/periods/2026-09/recompute/").status_code == 409
    assert queued == [["2026-10"]]


# --- imports ---------------------------------------------------------------------------------


def test_dealer_user_uploads_own_complaints(cast, dealer):
    upload = csv_upload(
        COMPLAINTS_HEADER + "API-C1,GL0001,,2026-10-05 09:00,2026-10-05 12:00,quality,normal,x\n"
    )

    response = api_client(cast["dealer_user"]).post(
        "/api/v1/imports/", {"kind": "complaints", "file": upload}, format="multipart"
    )

    assert response.status_code == 201, response.content
    assert response.json()["status"] == ImportStatus.SUCCEEDED
    assert response.json()["created"] == 1
    assert response.json()["dealer"] == "GL0001"
    assert Complaint.objects.get(complaint_id="API-C1").dealer == dealer


def test_rejected_rows_come_back_as_an_error_file(cast, dealer, other_dealer):
    upload = csv_upload(
        COMPLAINTS_HEADER
        + "API-C1,GL0001,,2026-10-05 09:00,,quality,normal,x\n"
        + "API-C2,GL0002,,2026-10-05 09:00,,quality,normal,not mine\n"
    )
    client = api_client(cast["dealer_user"])

    job = client.post(
        "/api/v1/imports/", {"kind": "complaints", "file": upload, "partial": True}, format="multipart"
    ).json()
    download = client.get(job["error_file_url"])

    assert job["status"] == ImportStatus.PARTIAL
    assert job["rejected"] == 1
    assert download.status_code == 200
    content = b"".join(download.streaming_content).decode("utf-8-sig")
    assert "API-C2" in content and "API-C1" not in content
    # The other dealer's user cannot follow the link.
    assert api_client(cast["other_dealer_user"]).get(job["error_file_url"]).status_code == 404


def test_an_import_without_rejected_rows_has_no_error_file(cast, dealer):
    upload = csv_upload(COMPLAINTS_HEADER + "API-C1,GL0001,,2026-10-05 09:00,,quality,normal,x\n")
    client = api_client(cast["hq_admin"])

    job = client.post("/api/v1/imports/", {"kind": "complaints", "file": upload}, format="multipart").json()

    assert job["error_file_url"] is None
    assert client.get(f"/api/v1/imports/{job['id']}/error-file/").status_code == 404


def test_a_dry_run_writes_nothing(cast, dealer):
    upload = csv_upload(COMPLAINTS_HEADER + "API-C1,GL0001,,2026-10-05 09:00,,quality,normal,x\n")

    job = (
        api_client(cast["hq_admin"])
        .post("/api/v1/imports/", {"kind": "complaints", "file": upload, "dry_run": True}, format="multipart")
        .json()
    )

    assert job["status"] == ImportStatus.PREVIEWED
    assert not Complaint.objects.exists()


def test_a_dealer_user_may_not_import_dealers(cast):
    upload = csv_upload("dealer_code,name,region,province,city,city_tier,status,opened_on\n", "dealers.csv")

    job = (
        api_client(cast["dealer_user"])
        .post("/api/v1/imports/", {"kind": "dealers", "file": upload}, format="multipart")
        .json()
    )

    assert job["status"] == ImportStatus.REJECTED
    assert job["created"] == 0


@pytest.mark.parametrize(
    ("data", "field"),
    [({"kind": "spaceships"}, "kind"), ({"kind": "complaints"}, "file")],
)
def test_a_bad_upload_is_a_400_with_field_errors(cast, data: dict[str, Any], field: str):
    if field != "file":
        data = {**data, "file": csv_upload(COMPLAINTS_HEADER)}

    response = api_client(cast["hq_admin"]).post("/api/v1/imports/", data, format="multipart")

    assert response.status_code == 400
    assert field in response.json()["errors"]


# --- data rows -------------------------------------------------------------------------------


def test_complaints_filter_by_month_and_open(cast, dealer):
    ComplaintFactory(dealer=dealer, complaint_id="OPEN-OCT", received_at=local("2026-10-31 23:30"))
    ComplaintFactory(
        dealer=dealer,
        complaint_id="CLOSED-NOV",
        received_at=local("2026-11-01 00:00"),
        closed_at=local("2026-11-01 08:00"),
    )
    client = api_client(cast["dealer_user"])

    october = client.get("/api/v1/complaints/", {"received_in": "2026-10"}).json()["results"]
    still_open = client.get("/api/v1/complaints/", {"is_open": "true"}).json()["results"]
    bad = client.get("/api/v1/complaints/", {"received_in": "October"})

    assert [c["complaint_id"] for c in october] == ["OPEN-OCT"]
    assert [c["complaint_id"] for c in still_open] == ["OPEN-OCT"]
    assert bad.status_code == 400 and "received_in" in bad.json()["errors"]


def test_a_page_holds_at_most_500_rows(cast, dealer):
    RepairOrderFactory.create_batch(3, dealer=dealer)

    response = api_client(cast["hq_admin"]).get("/api/v1/repair-orders/", {"page_size": 100000, "page": 1})

    assert response.status_code == 200
    assert response.json()["count"] == 3
    assert api_client(cast["hq_admin"]).get("/api/v1/repair-orders/", {"page": 99}).status_code == 404


def test_paging_is_stable_when_the_ordering_ties(cast, dealer):
    RepairOrderFactory.create_batch(7, dealer=dealer)  # every RO opened at the same time
    client = api_client(cast["hq_admin"])

    seen = []
    for page in (1, 2, 3, 4):
        body = client.get(
            "/api/v1/repair-orders/", {"ordering": "opened_at", "page_size": 2, "page": page}
        ).json()
        seen += [row["id"] for row in body["results"]]

    assert len(seen) == len(set(seen)) == 7


# --- users' tokens ---------------------------------------------------------------------------


def test_hq_admin_issues_two_tokens_and_revokes_them(cast):
    admin = api_client(cast["hq_admin"])
    user = cast["dealer_user"]
    address = reverse("api:user-token", kwargs={"pk": user.pk})
    assert admin.get(reverse("api:user-detail", kwargs={"pk": user.pk})).json()["has_token"] is False

    first = admin.post(address).json()["key"]
    second = admin.post(address, {"name": "BI"}, format="json").json()["key"]

    def status_with(key: str) -> int:
        client = api_client()
        client.credentials(HTTP_AUTHORIZATION=f"Token {key}")
        return client.get("/api/v1/dealers/").status_code

    assert status_with(first) == 200
    assert status_with(second) == 200
    assert admin.get(reverse("api:user-detail", kwargs={"pk": user.pk})).json()["has_token"] is True

    assert admin.delete(address).status_code == 204
    assert status_with(first) == status_with(second) == 401
    assert admin.get(reverse("api:user-detail", kwargs={"pk": user.pk})).json()["has_token"] is False
    actions = list(
        AuditEvent.objects.filter(object_type="user", object_id=str(user.pk)).values_list("action", flat=True)
    )
    assert sorted(actions) == ["token.issued", "token.issued", "token.revoked", "token.revoked"]


def test_a_token_is_never_shown_in_the_user_list(cast):
    key = (
        api_client(cast["hq_admin"])
        .post(reverse("api:user-token", kwargs={"pk": cast["dealer_user"].pk}))
        .json()["key"]
    )

    listing = api_client(cast["hq_admin"]).get("/api/v1/users/")

    assert key not in listing.content.decode()


@pytest.mark.parametrize(
    ("change", "field"),
    [
        ({"kpis": [{"code": {"nested": "object"}, "weight": 1}]}, "kpis"),
        ({"kpis": [{"code": "csat", "weight": 1, "floor": 1, "target": 2, "min_sample": 10**30}]}, "kpis"),
        ({"grade_bands": [["EXCELLENT", 90], ["D", 0]]}, "grade_bands"),
        ({"min_coverage": 10**400}, "min_coverage"),
        ({"name": "x" * 201}, "name"),
    ],
)
def test_a_scheme_file_of_the_wrong_shape_is_a_400_with_field_errors(cast, scheme_file, change, field):
    response = api_client(cast["hq_admin"]).post("/api/v1/schemes/", {**scheme_file, **change}, format="json")

    assert response.status_code == 400
    assert field in response.json()["errors"]
