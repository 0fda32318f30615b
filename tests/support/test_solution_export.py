"""The knowledge base's results export (issue #20): the search shown, whole texts, the reader's
language, the resolved time as a time — and, like the page, no dealer named."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from openpyxl import load_workbook

from dealers.choices import Role
from support.services import CaseInput, case_open, case_resolve
from tests.conftest import client_for
from tests.factories import UserFactory

pytestmark = pytest.mark.django_db

VIN = "LSVAB4BM0NN000001"


@pytest.fixture
def expert(db):
    return UserFactory(username="expert", role=Role.TECH_EXPERT)


def _solved(user, expert, symptom: str, solution: str, fault_code: str = ""):
    case = case_open(user=user, data=CaseInput(vin=VIN, symptom=symptom, fault_code=fault_code))
    return case_resolve(case=case, user=expert, solution=solution)


def _url(fmt: str) -> str:
    return reverse("support:solutions_export", args=[fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def test_the_knowledge_base_exports_the_search_shown_in_the_readers_language(dealer_user, expert):
    misfire = _solved(dealer_user, expert, "发动机怠速抖动 misfire at idle", "更换第3缸点火线圈", "P0300")
    _solved(dealer_user, expert, "空调不制冷", "补充冷媒")
    client = client_for(dealer_user)
    search = {"q": "抖动", "fault_code": ""}

    chinese = _csv(client.get(_url("csv"), search, HTTP_ACCEPT_LANGUAGE="zh-hans"))
    xlsx = client.get(_url("xlsx"), search, HTTP_ACCEPT_LANGUAGE="en")
    english = [list(r) for r in load_workbook(io.BytesIO(xlsx.content)).active.iter_rows(values_only=True)]

    assert chinese[0][0] != "Case" and chinese[1][0] == misfire.number
    assert english[0] == ["Case", "Fault code", "Symptom", "Fix", "Resolved"]
    assert english[1:2] == [[misfire.number, "P0300", misfire.symptom, "更换第3缸点火线圈", english[1][4]]]
    assert isinstance(english[1][4], datetime) and len(english) == 2
    page = client.get(reverse("support:solutions"), {"q": "抖动"}).content.decode()
    assert 'data-testid="kb-xlsx"' in page and "q=%E6%8A%96%E5%8A%A8" in page


def test_the_knowledge_base_export_names_no_dealer_even_to_another_dealer(
    dealer, dealer_user, other_dealer_user, expert
):
    _solved(dealer_user, expert, "变速箱异响", "更换同步器")

    content = client_for(other_dealer_user).get(_url("csv")).content

    text = content.decode("utf-8-sig")
    assert "更换同步器" in text  # the network's knowledge
    assert dealer.code not in text and dealer.name not in text


def test_the_knowledge_base_export_neutralises_a_fix_written_like_a_formula(dealer_user, expert):
    _solved(dealer_user, expert, "异响", '=HYPERLINK("http://evil.example","x")')

    rows = _csv(client_for(expert).get(_url("csv")))

    assert rows[1][3] == '\'=HYPERLINK("http://evil.example","x")'


def test_the_knowledge_base_export_costs_the_same_queries_for_many_solutions(
    dealer_user, expert, django_assert_max_num_queries
):
    for i in range(15):
        _solved(dealer_user, expert, f"异响 {i}", f"更换 {i}")
    client = client_for(expert)

    with django_assert_max_num_queries(3):  # session, user, the solved cases
        assert client.get(_url("xlsx")).status_code == 200
