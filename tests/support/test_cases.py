"""Technical support: cases, the conversation, service levels and escalation, files by content."""

from __future__ import annotations

from datetime import timedelta

import pytest
from django.contrib.auth.models import Group
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import timezone

from dealers.choices import Role
from dealers.models import AuditEvent, Notice
from support.choices import CaseStatus, MessageKind, Urgency
from support.errors import SupportError
from support.files import attachment_kind, sniff
from support.models import SupportCase
from support.selectors import conversation, solutions, workbench_cases
from support.services import (
    CaseInput,
    case_close,
    case_message,
    case_open,
    case_publish,
    case_reopen,
    case_resolve,
    case_take,
    cases_escalate_breached,
)
from tests.assessments.conftest import seed_scored_months
from tests.conftest import client_for
from tests.factories import RepairOrderFactory, UserFactory

pytestmark = pytest.mark.django_db

VIN = "LSVAB4BM0NN000001"
PNG = (
    b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00\x00\x01\x00\x00\x00\x01\x08\x06\x00\x00\x00\x1f\x15\xc4\x89"
    b"\x00\x00\x00\rIDATx\xdac\xfc\xcf\xc0P\x0f\x00\x04\x85\x01\x80\x84\xa9\x8c!\x00\x00\x00\x00IEND\xaeB`\x82"
)
JPEG = b"\xff\xd8\xff\xe0\x00\x10JFIF\x00\x01" + b"\x00" * 64


@pytest.fixture
def expert(db):
    return UserFactory(username="expert", role=Role.TECH_EXPERT)


def photo(name: str = "photo.png", content: bytes = PNG) -> SimpleUploadedFile:
    return SimpleUploadedFile(name, content, content_type="image/png")


# --- files ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("name", "content", "kind"),
    [
        ("a.png", PNG, "photo"),
        ("a.JPG", JPEG, "photo"),
        ("clip.mp4", b"\x00\x00\x00\x18ftypmp42" + b"\x00" * 32, "video"),
        ("iphone.heic", b"\x00\x00\x00\x18ftypheic" + b"\x00" * 32, "photo"),
        ("report.pdf", b"%PDF-1.7\n" + b"x" * 40, "pdf"),
        ("ecm.log", "时间,故障码\n09:12,P0300\n".encode(), "log"),
        ("ecm.csv", "时间,故障码\n09:12,P0300\n".encode("gb18030"), "log"),
        ("logs.zip", b"PK\x03\x04" + b"\x00" * 40, "log"),
    ],
)
def test_a_file_is_taken_by_what_it_contains(name, content, kind):
    assert attachment_kind(SimpleUploadedFile(name, content)) == kind


@pytest.mark.parametrize(
    ("name", "content"),
    [
        ("photo.jpg", b"MZ\x90\x00\x03\x00\x00\x00\x04\x00"),  # a Windows program named as a photo
        ("photo.png", b"%PDF-1.7\n"),  # a PDF named as a photo
        ("notes.txt", PNG),  # a photo named as a log
        ("script.sh", b"#!/bin/sh\nrm -rf /\n"),  # text, but not a log's name
        ("empty.log", b""),
    ],
)
def test_a_file_whose_content_is_not_what_its_name_says_is_refused(name, content):
    with pytest.raises(SupportError, match=name.replace(".", r"\.")):
        attachment_kind(SimpleUploadedFile(name, content))


def test_each_kind_has_its_size_limit(settings):
    settings.SUPPORT_MAX_FILE_MB = {"photo": 1, "video": 50, "pdf": 20, "log": 20}
    big = SimpleUploadedFile("big.png", PNG + b"\x00" * (1024 * 1024))
    with pytest.raises(SupportError, match="1 MB"):
        attachment_kind(big)
    assert sniff(b"") is None


# --- the case's life ---------------------------------------------------------------------


def test_a_dealer_opens_a_case_and_every_expert_hears_of_it(
    dealer_user, expert, django_capture_on_commit_callbacks
):
    with django_capture_on_commit_callbacks(execute=True):
        case = case_open(
            user=dealer_user,
            data=CaseInput(vin=VIN.lower(), symptom="怠速抖动", urgency=Urgency.VOR),
            files=[photo("前.png"), photo("后.png")],
        )
    assert case.vin == VIN and case.status == CaseStatus.NEW and case.dealer_id == dealer_user.dealer_id
    assert [a.kind for a in case.attachments.all()] == ["photo", "photo"]
    assert case.first_response_due - case.opened_at == timedelta(hours=2)
    assert case.resolution_due - case.opened_at == timedelta(hours=24)
    assert Notice.objects.filter(user=expert, url=reverse("support:detail", args=[case.pk])).exists()
    assert AuditEvent.objects.filter(action="support.case_opened", object_id=str(case.pk)).exists()


def test_only_a_dealers_own_staff_open_cases_and_only_on_its_own_repair_orders(
    dealer_user, hq_manager, expert, other_dealer
):
    for user in (hq_manager, expert):
        with pytest.raises(SupportError):
            case_open(user=user, data=CaseInput(vin=VIN, symptom="x"))
    with pytest.raises(SupportError, match="17"):
        case_open(user=dealer_user, data=CaseInput(vin="LSV123", symptom="x"))
    elsewhere = RepairOrderFactory(dealer=other_dealer)
    with pytest.raises(SupportError):
        case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="x", repair_order=elsewhere))
    assert not SupportCase.objects.exists()


def test_the_first_answer_starts_the_conversation_and_a_note_never_reaches_the_dealer(dealer_user, expert):
    case = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="冷车启动困难"))
    case_message(case=case, user=expert, body="内部：同批次节温器问题", internal=True)
    case.refresh_from_db()
    assert case.first_response_at is None  # a note is no answer to the dealer
    case_message(case=case, user=expert, body="请测量冷却液温度传感器电阻", wait_for_dealer=True)
    case.refresh_from_db()
    assert case.first_response_at is not None and case.status == CaseStatus.WAITING_DEALER
    assert case.expert == expert  # the first expert to answer owns it
    assert [m.kind for m in conversation(case, dealer_user)] == [MessageKind.MESSAGE]
    assert [m.kind for m in conversation(case, expert)] == [MessageKind.NOTE, MessageKind.MESSAGE]
    case_message(case=case, user=dealer_user, body="电阻 2.4 kΩ")
    case.refresh_from_db()
    assert case.status == CaseStatus.IN_PROGRESS
    with pytest.raises(SupportError):
        case_message(case=case, user=dealer_user, body="x", internal=True)


def test_resolve_needs_the_fix_reopen_needs_a_reason_and_only_hq_closes(
    dealer_user, expert, other_dealer_user
):
    case = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="冷车启动困难"))
    with pytest.raises(SupportError):
        case_message(case=case, user=other_dealer_user, body="not my case")
    with pytest.raises(SupportError):
        case_resolve(case=case, user=dealer_user, solution="  ")
    case_resolve(case=case, user=dealer_user, solution="更换节温器")
    assert case.status == CaseStatus.RESOLVED and case.resolved_at is not None
    with pytest.raises(SupportError):
        case_close(case=case, user=dealer_user)
    with pytest.raises(SupportError):
        case_reopen(case=case, user=dealer_user, reason="")
    case_reopen(case=case, user=dealer_user, reason="三天后故障再现")
    assert case.status == CaseStatus.IN_PROGRESS and case.resolved_at is None
    case_resolve(case=case, user=expert, solution="更换节温器并排空冷却系统空气")
    case_close(case=case, user=expert)
    assert case.status == CaseStatus.CLOSED
    with pytest.raises(SupportError):
        case_message(case=case, user=dealer_user, body="x")


def test_a_breached_case_is_escalated_once_to_senior_experts_and_the_regional_manager(
    dealer_user, expert, regional_manager, other_regional_manager, settings
):
    seniors = Group.objects.create(name=settings.SUPPORT_SENIOR_GROUP)
    senior = UserFactory(username="senior", role=Role.TECH_EXPERT)
    senior.groups.add(seniors)
    vor = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="无法启动", urgency=Urgency.VOR))
    normal = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="异响"))
    now = vor.opened_at + timedelta(hours=2, seconds=1)  # VOR: past its 2 h; normal: inside 8 h

    assert cases_escalate_breached(now=now) == {"escalated": 1, "notices": 2}
    vor.refresh_from_db()
    normal.refresh_from_db()
    assert vor.escalated_at == now and normal.escalated_at is None
    told = set(
        Notice.objects.filter(url=reverse("support:detail", args=[vor.pk])).values_list(
            "user__username", flat=True
        )
    )
    assert told == {"senior", regional_manager.username}
    assert cases_escalate_breached(now=now + timedelta(minutes=15)) == {"escalated": 0, "notices": 0}
    # An answer in time stops the first clock; the resolution clock still runs.
    case_message(case=normal, user=expert, body="请检查底盘")
    assert cases_escalate_breached(now=normal.opened_at + timedelta(hours=9))["escalated"] == 0
    assert cases_escalate_breached(now=normal.opened_at + timedelta(hours=72, seconds=1))["escalated"] == 1


def test_the_workbench_shows_each_side_what_waits_for_it(dealer_user, expert, hq_manager):
    now = timezone.now()
    case = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="异响"))
    assert [r for r, c in workbench_cases(expert, now)] == ["new"]
    assert workbench_cases(dealer_user, now) == []
    case_take(case=case, user=expert)
    case_message(case=case, user=expert, body="请上传视频", wait_for_dealer=True)
    assert [r for r, c in workbench_cases(dealer_user, now)] == ["answer"]
    client_for(dealer_user).get(reverse("support:detail", args=[case.pk]))  # the dealer reads it
    assert [r for r, c in workbench_cases(dealer_user, timezone.now())] == ["waiting"]
    case_message(case=case, user=dealer_user, body="视频已上传")
    assert [r for r, c in workbench_cases(expert, timezone.now())] == ["answer"]
    page = client_for(expert).get(reverse("workbench:index"))
    assert page.status_code == 200 and case.number in page.content.decode()


def test_the_knowledge_base_finds_a_solution_by_a_chinese_symptom_word_or_an_english_one(dealer_user, expert):
    case = case_open(
        user=dealer_user,
        data=CaseInput(vin=VIN, symptom="发动机怠速抖动 misfire at idle", fault_code="P0300"),
    )
    other = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="空调不制冷"))
    case_resolve(case=case, user=expert, solution="更换第3缸点火线圈")
    case_resolve(case=other, user=expert, solution="补充冷媒")
    assert [c.pk for c in solutions("抖动")] == [case.pk]
    assert [c.pk for c in solutions("怠速有抖动现象")] == [case.pk]
    assert [c.pk for c in solutions("Misfire")] == [case.pk]
    assert [c.pk for c in solutions("", fault_code="p0300")] == [case.pk]
    assert solutions("变速箱") == []


def test_the_scorecard_tracks_the_months_cases_and_the_board_shows_an_overnight_one(
    dealer_user, expert, hq_manager, cast, dealer, other_dealer, far_dealer
):
    """Per dealer and month: cases opened, answered and resolved within target (not weighted).
    A case open more than 24 hours is on the 日清 board, escalated when past its level."""
    from assessments.periods import Month

    seed_scored_months(cast, dealer, other_dealer, far_dealer)
    month = Month(2026, 10)
    kept = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="异响"))
    late = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="抖动", urgency=Urgency.VOR))
    SupportCase.objects.filter(pk=kept.pk).update(opened_at=month.start + timedelta(days=2))
    SupportCase.objects.filter(pk=late.pk).update(opened_at=month.start + timedelta(days=3))
    kept.refresh_from_db()
    late.refresh_from_db()
    SupportCase.objects.filter(pk=kept.pk).update(
        first_response_at=kept.opened_at + timedelta(hours=1),
        resolved_at=kept.opened_at + timedelta(hours=20),
        status=CaseStatus.RESOLVED,
    )
    SupportCase.objects.filter(pk=late.pk).update(first_response_at=late.opened_at + timedelta(hours=3))
    page = client_for(dealer_user).get(
        reverse("assessments:scorecard", args=[dealer_user.dealer.code, "2026-10"])
    )
    figures = page.context["support"]
    assert (figures.opened, figures.answered_in_time, figures.resolved_in_time, figures.still_open) == (
        2,
        1,
        1,
        1,
    )

    cases_escalate_breached()
    board = client_for(hq_manager).get(reverse("surveys:board")).content.decode()
    assert f'data-testid="board-item-{late.number}"' in board
    assert f'data-testid="board-item-{kept.number}"' not in board  # resolved


def test_the_monthly_report_gives_response_and_resolution_per_region_and_expert(
    dealer_user, far_dealer, expert, hq_manager, regional_manager
):
    from assessments.periods import Month

    far_user = UserFactory(username="far_user", role=Role.DEALER_USER, dealer=far_dealer)
    now = timezone.now()
    opened = now - timedelta(minutes=30)
    a = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="异响"))
    b = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="抖动"))
    c = case_open(user=far_user, data=CaseInput(vin=VIN, symptom="漏油"))
    SupportCase.objects.filter(pk__in=[a.pk, b.pk, c.pk]).update(opened_at=opened)
    # a: answered in 1 h, resolved in 10 h (both in time); b: answered after 9 h (late); c: nothing.
    SupportCase.objects.filter(pk=a.pk).update(
        expert=expert, first_response_at=opened + timedelta(hours=1), resolved_at=opened + timedelta(hours=10)
    )
    SupportCase.objects.filter(pk=b.pk).update(expert=expert, first_response_at=opened + timedelta(hours=9))
    month = Month.of(opened)
    response = client_for(hq_manager).get(reverse("support:report"), {"month": str(month)})
    regions = {row.name: row for row in response.context["regions"]}
    east, south = regions[dealer_user.dealer.region.name], regions[far_dealer.region.name]
    assert (east.opened, east.answered_in_time, east.resolved_in_time) == (2, 1, 1)
    assert (east.answered_in_time_pct, east.median_answer_hours, east.median_resolve_hours) == (
        50.0,
        5.0,
        10.0,
    )
    assert (south.opened, south.answered_in_time, south.median_answer_hours) == (1, 0, None)
    experts = {row.name: row for row in response.context["experts"]}
    assert experts[expert.username].opened == 2 and experts["—"].opened == 1
    # A regional manager's report holds its regions only.
    mine = client_for(regional_manager).get(reverse("support:report"), {"month": str(month)})
    assert [row.name for row in mine.context["regions"]] == [dealer_user.dealer.region.name]
    assert client_for(dealer_user).get(reverse("support:report")).status_code == 403


def test_an_expert_publishes_a_solved_case_once_to_every_dealer_without_naming_it(
    dealer_user, other_dealer_user, expert, hq_manager
):
    case = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="怠速抖动", fault_code="P0300"))
    with pytest.raises(SupportError):
        case_publish(case=case, user=expert, title="P0300")  # not solved yet
    case_resolve(case=case, user=expert, solution="更换点火线圈")
    for user in (hq_manager, dealer_user):
        with pytest.raises(SupportError):
            case_publish(case=case, user=user, title="P0300")
    assert case_publish(case=case, user=expert, title="P0300 怠速抖动") == 2  # both dealer users
    with pytest.raises(SupportError):
        case_publish(case=case, user=expert, title="again")
    assert Notice.objects.filter(user=other_dealer_user, text__contains="P0300 怠速抖动").exists()
    page = client_for(other_dealer_user).get(reverse("support:bulletins")).content.decode()
    assert "更换点火线圈" in page and dealer_user.dealer.name not in page


def test_the_knowledge_base_search_is_full_text_on_postgresql_and_terms_elsewhere(dealer_user, expert):
    """The same answers on both databases; on PostgreSQL through the GIN-indexed expression."""
    from django.db import connection
    from django.test.utils import CaptureQueriesContext

    case = case_open(
        user=dealer_user, data=CaseInput(vin=VIN, symptom="冷车启动困难 hard start", fault_code="P0128")
    )
    case_resolve(case=case, user=expert, solution="更换节温器")
    case.refresh_from_db()
    assert {"p0128", "冷车", "启动", "困难", "hard", "start", "节温"} <= set(case.search_terms.split())
    with CaptureQueriesContext(connection) as queries:
        assert [c.pk for c in solutions("启动困难")] == [case.pk]
    sql = " ".join(q["sql"] for q in queries.captured_queries)
    if connection.vendor == "postgresql":
        assert "to_tsvector" in sql
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT indexdef FROM pg_indexes WHERE indexname = 'support_case_search_terms_gin'"
            )
            (indexdef,) = cursor.fetchone()
        assert "to_tsvector('simple'::regconfig, COALESCE(search_terms, ''::text))" in indexdef
    else:
        assert "to_tsvector" not in sql
    assert solutions("节温器", fault_code="P0128")[0].pk == case.pk
    assert solutions("变速箱") == []


def test_a_knowledge_base_query_with_any_characters_answers_and_finds_nothing_odd(dealer_user, expert):
    case = case_open(user=dealer_user, data=CaseInput(vin=VIN, symptom="异响", fault_code="C0035"))
    case_resolve(case=case, user=expert, solution="更换轮速传感器")
    for odd in ("'", "a\\", "c0035' | !", "&|!():*<>"):
        response = client_for(dealer_user).get(reverse("support:solutions"), {"q": odd, "fault_code": odd})
        assert response.status_code == 200, odd
    assert [c.pk for c in solutions("", fault_code="C0035'")] == [case.pk]
    page = client_for(dealer_user).get(reverse("support:solutions"), {"q": "&|!():*", "fault_code": "\\'"})
    assert page.status_code == 200
