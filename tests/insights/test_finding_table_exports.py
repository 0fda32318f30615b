"""A finding page's other tables export (issue #20) — the months behind it, the dealers and the
survey responses behind it, and the review's before/after — each as the page shows it: the
page's scope (a regional manager sees only their regions' dealers named), figures as numbers to
4 decimals, times as times, the reader's language, no cell a live formula."""

from __future__ import annotations

import csv
import io
from datetime import datetime

import pytest
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from dealers.models import Dealer
from insights.choices import FindingKind
from insights.drafts import Draft
from insights.models import Finding, Review
from insights.services import ReviewInput, finding_close, finding_open, findings_store
from surveys.models import SurveyResponse
from tests.conftest import client_for
from tests.factories import SurveyResponseFactory, local

pytestmark = pytest.mark.django_db

MONTH = "2026-10"
FORMULA = '=HYPERLINK("http://evil.example","x")'


@pytest.fixture
def finding(dealer, far_dealer) -> Finding:
    """A network finding about two regions' dealers, with a months series and survey responses."""
    responses = [
        SurveyResponseFactory(
            dealer=dealer, response_id="R-EAST", overall=2, responded_at=local("2026-10-12 10:00")
        ),
        SurveyResponseFactory(dealer=far_dealer, response_id="R-SOUTH", overall=1),
    ]
    draft = Draft(
        kind=FindingKind.FAULT_RISING,
        subject="F013",
        dealer_id=None,
        month=MONTH,
        severity=9.0,
        figures={"value": 0.12, "series": [["2026-08", 0.1], ["2026-09", 0.123456], ["2026-10", 0.3]]},
        evidence={"dealers": [dealer.pk, far_dealer.pk], "responses": [r.pk for r in responses]},
    )
    findings_store(month=MONTH, kind=FindingKind.FAULT_RISING, drafts=[draft])
    return Finding.objects.get(kind=FindingKind.FAULT_RISING)


def _url(name: str, finding: Finding, fmt: str) -> str:
    return reverse(f"insights:{name}_export", args=[finding.pk, fmt])


def _csv(response) -> list[list[str]]:
    assert response.status_code == 200, response.status_code
    return list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))


def _rows(response) -> list[list]:
    assert response.status_code == 200, response.status_code
    return [list(r) for r in load_workbook(io.BytesIO(response.content)).active.iter_rows(values_only=True)]


def _close(finding: Finding, hq) -> Review:
    finding_open(finding=finding, actor=hq, owner=hq, due_date=timezone.localdate())
    return finding_close(
        finding=finding,
        actor=hq,
        data=ReviewInput(
            root_cause="同一批次点火线圈失效", countermeasure="更换该批次配件", lesson="检查同批次的库存"
        ),
    )


def test_the_months_behind_a_finding_export_as_numbers_in_the_readers_language(finding, hq_manager):
    client = client_for(hq_manager)

    chinese = _csv(client.get(_url("months", finding, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url("months", finding, "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][0] == "月份" and chinese[1:] == [
        ["2026-08", "0.1000"],
        ["2026-09", "0.1235"],
        ["2026-10", "0.3000"],
    ]
    assert english == [["Month", "Value"], ["2026-08", 0.1], ["2026-09", 0.1235], ["2026-10", 0.3]]


def test_the_dealers_behind_a_finding_export_only_those_the_page_names(
    finding, dealer, regional_manager, hq_manager
):
    chinese = _csv(
        client_for(regional_manager).get(_url("dealers", finding, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    english = _rows(client_for(hq_manager).get(_url("dealers", finding, "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert chinese[0][:2] == ["经销商代码", "经销商"]
    assert [r[0] for r in chinese[1:]] == ["GL0001"]  # 华南's dealer is not named to 华东's manager
    assert english[0] == ["Dealer code", "Dealer", "Region", "City tier"]
    assert [r[0] for r in english[1:]] == ["GL0001", "GL0003"]
    assert english[1] == ["GL0001", dealer.name, dealer.region.name, dealer.city_tier]
    page = client_for(regional_manager).get(reverse("insights:detail", args=[finding.pk])).content.decode()
    assert f'href="/insights/{finding.pk}/dealers/export.xlsx"' in page
    assert f'href="/insights/{finding.pk}/responses/export.csv"' in page
    assert f'href="/insights/{finding.pk}/months/export.xlsx"' in page


def test_the_survey_responses_behind_a_finding_export_in_scope_with_times(finding, regional_manager):
    chinese = _csv(
        client_for(regional_manager).get(_url("responses", finding, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans")
    )
    english = _rows(
        client_for(regional_manager).get(_url("responses", finding, "xlsx"), HTTP_ACCEPT_LANGUAGE="en")
    )

    assert chinese[0][0] != "Response" and [r[0] for r in chinese[1:]] == ["R-EAST"]
    assert english[0] == ["Response", "Responded at", "Overall"]
    assert english[1] == ["R-EAST", datetime(2026, 10, 12, 10, 0), 2]


def test_a_closed_findings_before_and_after_export(finding, hq_manager):
    review = _close(finding, hq_manager)
    Review.objects.filter(pk=review.pk).update(before_value=0.123456, after_value=0.05, after_month="2026-12")
    client = client_for(hq_manager)

    chinese = _csv(client.get(_url("before_after", finding, "csv"), HTTP_ACCEPT_LANGUAGE="zh-hans"))
    english = _rows(client.get(_url("before_after", finding, "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert [r[0] for r in chinese[1:]] == ["变更前", "变更后"]
    assert english[0] == ["When", "Month", "Value"]
    assert english[1] == ["Before", MONTH, 0.1235]
    assert english[2][0] == "After" and english[2][2] == 0.05
    page = client.get(reverse("insights:detail", args=[finding.pk])).content.decode()
    assert 'data-testid="before-after-xlsx"' in page


def test_the_after_value_is_empty_until_its_month_is_measured(finding, hq_manager):
    _close(finding, hq_manager)

    rows = _rows(client_for(hq_manager).get(_url("before_after", finding, "xlsx"), HTTP_ACCEPT_LANGUAGE="en"))

    assert rows[2][0] == "After" and rows[2][1] and rows[2][2] is None


def test_a_finding_not_closed_has_no_before_and_after_export(finding, hq_manager):
    assert client_for(hq_manager).get(_url("before_after", finding, "csv")).status_code == 404


@pytest.mark.parametrize("name", ["months", "dealers", "responses", "before_after"])
def test_a_finding_out_of_scope_answers_404(dealer, cast, name, hq_manager):
    """A dealer's finding: its own dealer user exports it; another dealer's user and another
    region's manager get 404, as on the page."""
    draft = Draft(
        kind=FindingKind.PEER_OUTLIER,
        subject="first_time_fix_rate",
        dealer_id=dealer.pk,
        month=MONTH,
        severity=4.0,
        figures={"value": 0.6},
        evidence={},
    )
    findings_store(month=MONTH, kind=FindingKind.PEER_OUTLIER, drafts=[draft])
    own = Finding.objects.get(dealer=dealer)
    _close(own, hq_manager)

    assert client_for(cast["dealer_user"]).get(_url(name, own, "csv")).status_code == 200
    for role in ("other_dealer_user", "other_regional_manager"):
        assert client_for(cast[role]).get(_url(name, own, "csv")).status_code == 404, role


def test_the_finding_exports_neutralise_a_dealer_and_a_response_written_like_formulas(
    finding, dealer, hq_manager
):
    Dealer.objects.filter(pk=dealer.pk).update(name=FORMULA)
    SurveyResponse.objects.filter(response_id="R-EAST").update(response_id=FORMULA[:40])
    client = client_for(hq_manager)

    dealers = _csv(client.get(_url("dealers", finding, "csv")))
    responses = _csv(client.get(_url("responses", finding, "csv")))

    assert dealers[1][1] == "'" + FORMULA
    assert "'" + FORMULA[:40] in [r[0] for r in responses[1:]]


# session, user, the finding; then its review, or the evidence's dealers and responses (the
# page's own selector, evidence_for: one query per kind of record)
@pytest.mark.parametrize(
    ("name", "most"), [("months", 3), ("dealers", 5), ("responses", 5), ("before_after", 4)]
)
def test_the_finding_exports_cost_a_fixed_number_of_queries(
    finding, hq_manager, django_assert_max_num_queries, name, most
):
    _close(finding, hq_manager)
    client = client_for(hq_manager)

    with django_assert_max_num_queries(most):
        assert client.get(_url(name, finding, "xlsx")).status_code == 200
