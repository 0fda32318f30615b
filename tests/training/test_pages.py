"""Roster pages: the dealer keeps its roster; managers see the skill picture; scope as everywhere."""

from __future__ import annotations

import io
from datetime import date, timedelta

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealers.models import AuditEvent
from tests.conftest import client_for
from tests.factories import CertificationFactory, TechnicianFactory, TrainingRecordFactory
from training.models import Certification, Technician, TrainingRecord


def test_a_dealer_user_reaches_the_roster_from_the_navigation(dealer_user):
    home = client_for(dealer_user).get(reverse("home"), follow=True)

    assert reverse("training:index") in home.content.decode()
    assert client_for(dealer_user).get(reverse("training:index")).url == reverse("training:roster")


@pytest.mark.parametrize("role", ["regional_manager", "hq_manager", "hq_admin"])
def test_a_manager_is_sent_to_the_skill_picture(cast, role):
    assert client_for(cast[role]).get(reverse("training:index")).url == reverse("training:skills")


def test_a_dealer_user_adds_a_technician_a_certificate_and_hours_then_marks_them_left(dealer, dealer_user):
    client = client_for(dealer_user)

    response = client.post(
        reverse("training:technician_new"),
        {"name": "陈静", "role": "service_advisor", "hire_date": "2022-04-01"},
    )
    technician = Technician.objects.get(name="陈静")
    assert response.url == reverse("training:technician", args=[technician.pk])
    client.post(
        reverse("training:certification_new", args=[technician.pk]),
        {
            "name": "服务顾问接待认证",
            "level": "junior",
            "number": "SA1",
            "issued_on": "2024-01-01",
            "expires_on": "2027-01-01",
        },
    )
    client.post(
        reverse("training:training_new", args=[technician.pk]),
        {"course": "客户接待礼仪", "hours": "8", "completed_on": "2026-10-10"},
    )
    client.post(reverse("training:leave", args=[technician.pk]), {"left_on": "2026-11-30"})

    technician.refresh_from_db()
    assert technician.dealer == dealer and technician.left_on == date(2026, 11, 30)
    assert technician.certifications.count() == 1 and technician.training_records.count() == 1
    page = client.get(reverse("training:roster")).content.decode()
    assert "陈静" not in page
    assert "陈静" in client.get(reverse("training:roster") + "?left=1").content.decode()


def test_a_certificate_that_expires_before_issue_is_shown_as_an_error_and_not_saved(dealer_user, dealer):
    technician = TechnicianFactory(dealer=dealer)

    response = client_for(dealer_user).post(
        reverse("training:certification_new", args=[technician.pk]),
        {"name": "X", "level": "junior", "issued_on": "2026-01-02", "expires_on": "2026-01-01"},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert response.status_code == 200
    assert "The expiry date cannot be before the issue date." in response.content.decode()
    assert not Certification.objects.exists()


def technician_routes(pk: int) -> list[tuple[str, str, dict]]:
    return [
        ("get", reverse("training:technician", args=[pk]), {}),
        (
            "post",
            reverse("training:technician", args=[pk]),
            {"name": "x", "role": "technician", "hire_date": "2020-01-01"},
        ),
        (
            "post",
            reverse("training:certification_new", args=[pk]),
            {"name": "x", "level": "junior", "issued_on": "2024-01-01", "expires_on": "2027-01-01"},
        ),
        (
            "post",
            reverse("training:training_new", args=[pk]),
            {"course": "x", "hours": "1", "completed_on": "2026-10-01"},
        ),
        ("post", reverse("training:leave", args=[pk]), {"left_on": "2026-10-01"}),
    ]


@pytest.mark.parametrize("index", range(5))
def test_another_dealers_user_gets_404_on_every_technician_route(cast, dealer, index):
    technician = TechnicianFactory(dealer=dealer, name="赵磊")
    method, url, data = technician_routes(technician.pk)[index]

    response = getattr(client_for(cast["other_dealer_user"]), method)(url, data)

    assert response.status_code == 404
    technician.refresh_from_db()
    assert technician.name == "赵磊" and technician.left_on is None
    assert not Certification.objects.exists() and not TrainingRecord.objects.exists()


@pytest.mark.parametrize(
    ("role", "status"), [("regional_manager", 200), ("other_regional_manager", 404), ("hq_manager", 200)]
)
def test_managers_open_a_technician_in_their_scope_only(cast, dealer, role, status):
    technician = TechnicianFactory(dealer=dealer)

    assert (
        client_for(cast[role]).get(reverse("training:technician", args=[technician.pk])).status_code == status
    )


def test_a_manager_may_not_change_a_technician_in_scope(cast, dealer):
    technician = TechnicianFactory(dealer=dealer, name="赵磊")

    response = client_for(cast["hq_manager"]).post(
        reverse("training:leave", args=[technician.pk]), {"left_on": "2026-10-01"}
    )

    assert response.status_code == 403


@pytest.mark.parametrize("name", ["training:roster", "training:import", "training:technician_new"])
def test_the_dealers_own_pages_are_for_dealer_users_only(cast, name):
    assert client_for(cast["hq_manager"]).get(reverse(name)).status_code == 403
    assert client_for(cast["dealer_user"]).get(reverse(name)).status_code == 200


def test_the_roster_shows_only_the_users_own_dealer(cast, dealer, other_dealer):
    TechnicianFactory(dealer=dealer, name="王芳")
    TechnicianFactory(dealer=other_dealer, name="孙强")

    page = client_for(cast["dealer_user"]).get(reverse("training:roster")).content.decode()

    assert "王芳" in page and "孙强" not in page


def test_the_skill_picture_is_for_managers_and_shows_their_scope(cast, dealer, far_dealer):
    today = timezone.localdate()
    CertificationFactory(
        technician__dealer=dealer, technician__name="周杰", expires_on=today + timedelta(days=10)
    )
    CertificationFactory(
        technician__dealer=far_dealer, technician__name="吴敏", expires_on=today + timedelta(days=10)
    )

    page = client_for(cast["regional_manager"]).get(reverse("training:skills")).content.decode()

    assert "周杰" in page and "吴敏" not in page
    assert client_for(cast["dealer_user"]).get(reverse("training:skills")).status_code == 403


def test_the_roster_export_is_in_the_import_format(dealer, dealer_user, other_dealer):
    technician = TechnicianFactory(dealer=dealer, name="王伟", hire_date=date(2020, 3, 1))
    CertificationFactory(technician=technician, number="=1+1")
    TrainingRecordFactory(technician=technician)
    TechnicianFactory(dealer=other_dealer, name="孙强")

    content = (
        client_for(dealer_user)
        .get(reverse("training:roster_export", args=["csv"]))
        .content.decode("utf-8-sig")
    )

    lines = content.splitlines()
    assert lines[0].startswith("姓名,岗位,入职日期")
    assert len(lines) == 3 and "孙强" not in content
    assert "'=1+1" in content  # never a formula


def test_the_expiring_and_skill_exports_open_as_xlsx(cast, dealer, far_dealer):
    today = timezone.localdate()
    CertificationFactory(
        technician__dealer=dealer, technician__name="周杰", expires_on=today + timedelta(days=10)
    )
    CertificationFactory(
        technician__dealer=far_dealer, technician__name="吴敏", expires_on=today + timedelta(days=10)
    )
    client = client_for(cast["regional_manager"])

    expiring = load_workbook(
        io.BytesIO(client.get(reverse("training:expiring_export", args=["xlsx"])).content)
    )
    skills = load_workbook(io.BytesIO(client.get(reverse("training:skills_export", args=["xlsx"])).content))

    names = [row[3] for row in expiring.active.iter_rows(min_row=2, values_only=True)]
    assert names == ["周杰"]
    groups = [row[0] for row in skills.active.iter_rows(min_row=2, values_only=True)]
    assert len(groups) == 2 and "华东" in groups[0]
    assert client.get("/training/skills/export.pdf").status_code == 404


def test_page_actions_leave_audit_events(dealer_user):
    client_for(dealer_user).post(
        reverse("training:technician_new"), {"name": "陈静", "role": "technician", "hire_date": "2022-04-01"}
    )

    assert AuditEvent.objects.filter(action="technician.created", actor=dealer_user).exists()


@pytest.mark.parametrize("name", ["training:roster", "training:skills"])
def test_the_roster_and_skill_pages_cost_the_same_queries_for_more_technicians(cast, dealer, name):
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    user = cast["dealer_user"] if name == "training:roster" else cast["hq_manager"]
    soon = timezone.localdate() + timedelta(days=5)

    def queries() -> int:
        technician = TechnicianFactory(dealer=dealer)
        CertificationFactory(technician=technician, expires_on=soon)
        TrainingRecordFactory(technician=technician)
        client = client_for(user)
        with CaptureQueriesContext(connection) as captured:
            assert client.get(reverse(name)).status_code == 200
        return len(captured)

    assert queries() == queries() == queries()
