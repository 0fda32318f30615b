"""django-import-export resources and the admin: atomic, scoped, formula-safe."""

from __future__ import annotations

import pytest
import tablib
from django.urls import reverse

from assessments.models import Complaint, RepairOrder
from assessments.resources import ComplaintResource, RepairOrderResource
from surveys.resources import SurveyResponseResource
from tests.conftest import client_for
from tests.factories import ComplaintFactory, RepairOrderFactory

pytestmark = pytest.mark.django_db

HEADER = ["ro_number", "dealer_code", "vin", "repair_type", "opened_at", "fault_code"]


def dataset(*rows: list[str]) -> tablib.Dataset:
    data = tablib.Dataset(headers=HEADER)
    for row in rows:
        data.append(row)
    return data


def test_resource_import_with_one_bad_row_writes_nothing(dealer):
    data = dataset(
        ["RO1", "GL0001", "LB3E8MAL8RV000001", "repair", "2026-10-01 08:00:00", "F1"],
        ["RO2", "GL0001", "LB3E8MAL8RV000002", "repair", "not a date", "F1"],
    )
    result = RepairOrderResource().import_data(data, dry_run=False)
    assert result.has_validation_errors() or result.has_errors()
    assert not RepairOrder.objects.exists()


def test_resource_import_of_good_rows_writes_them(dealer):
    data = dataset(["RO1", "GL0001", "LB3E8MAL8RV000001", "repair", "2026-10-01 08:00:00", "F1"])
    result = RepairOrderResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()
    assert RepairOrder.objects.get().dealer == dealer


def test_resource_dealer_lookup_is_limited_to_the_users_dealers(dealer, other_dealer, dealer_user):
    data = dataset(["RO1", "GL0002", "LB3E8MAL8RV000001", "repair", "2026-10-01 08:00:00", "F1"])
    result = RepairOrderResource().import_data(data, dry_run=False, user=dealer_user)
    assert result.has_validation_errors() or result.has_errors()
    assert not RepairOrder.objects.exists()


def test_resource_import_by_a_dealer_user_cannot_rewrite_another_dealers_row(
    dealer, other_dealer, dealer_user
):
    ComplaintFactory(dealer=other_dealer, complaint_id="C-THEIRS", description="theirs")
    data = tablib.Dataset(headers=["complaint_id", "dealer_code", "received_at", "category", "description"])
    data.append(["C-THEIRS", "GL0001", "2026-10-01 10:00:00", "quality", "mine now"])
    result = ComplaintResource().import_data(data, dry_run=False, user=dealer_user)
    # Keyed per dealer: the same id is a new complaint of this dealer; theirs is untouched.
    assert not (result.has_errors() or result.has_validation_errors())
    theirs = Complaint.objects.get(dealer=other_dealer)
    assert (theirs.complaint_id, theirs.description) == ("C-THEIRS", "theirs")
    assert Complaint.objects.get(dealer=dealer).description == "mine now"


def test_resource_export_neutralises_formula_cells(dealer):
    ComplaintFactory(dealer=dealer, complaint_id="C1", description='=HYPERLINK("http://x")')
    RepairOrderFactory(dealer=dealer, ro_number="+RO1", fault_code="-F1")
    complaints = ComplaintResource().export()
    assert complaints.dict[0]["description"] == '\'=HYPERLINK("http://x")'
    orders = RepairOrderResource().export()
    assert orders.dict[0]["ro_number"] == "'+RO1" and orders.dict[0]["fault_code"] == "'-F1"


def test_resource_export_for_a_dealer_user_holds_only_their_rows(dealer, other_dealer, dealer_user):
    RepairOrderFactory(dealer=dealer, ro_number="MINE")
    RepairOrderFactory(dealer=other_dealer, ro_number="THEIRS")
    resource = RepairOrderResource()
    exported = resource.export(queryset=resource.filter_export(RepairOrder.objects.all(), user=dealer_user))
    assert [row["ro_number"] for row in exported.dict] == ["MINE"]


def test_survey_resource_maps_the_dealer_code(dealer):
    data = tablib.Dataset(headers=["response_id", "dealer_code", "responded_at", "overall"])
    data.append(["S1", "GL0001", "2026-10-01 10:00:00", "5"])
    result = SurveyResponseResource().import_data(data, dry_run=False)
    assert not result.has_errors() and not result.has_validation_errors()


@pytest.mark.parametrize(
    "model",
    [
        "assessments/repairorder",
        "assessments/complaint",
        "assessments/partsorder",
        "assessments/monthlysubmission",
        "assessments/importjob",
        "assessments/period",
        "assessments/scheme",
        "assessments/kpi",
        "assessments/scorecard",
        "assessments/vetoincident",
        "surveys/surveyresponse",
    ],
)
def test_admin_lists_every_registered_model(hq_admin, model):
    app, name = model.split("/")
    response = client_for(hq_admin).get(reverse(f"admin:{app}_{name}_changelist"))
    assert response.status_code == 200


def test_admin_import_page_of_repair_orders_opens(hq_admin):
    assert client_for(hq_admin).get(reverse("admin:assessments_repairorder_import")).status_code == 200


def test_import_job_admin_is_read_only(hq_admin):
    assert client_for(hq_admin).get(reverse("admin:assessments_importjob_add")).status_code == 403
