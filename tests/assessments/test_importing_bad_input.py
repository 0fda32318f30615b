"""Bad input the import used to take silently or to explain wrongly (issue 13, Must 4).

Dates out of their sane range, files whose rows are in two encodings, workbooks with more
than one sheet or a password, and a UTF-8 mark before GB18030 text.
"""

from __future__ import annotations

import io
import struct
from datetime import date, datetime, timedelta

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation

from assessments.choices import ImportStatus
from assessments.importing import import_file
from assessments.importing import messages as msg
from assessments.importing.reading import detect_encoding
from assessments.models import Complaint, ImportJob, MonthlySubmission, PartsOrder, RepairOrder
from assessments.periods import SHANGHAI, Month
from dealers.models import Dealer
from surveys.models import SurveyResponse
from tests.conftest import client_for

from .import_helpers import RO_COLUMNS, RO_DEFAULTS, ro_rows, table, write

pytestmark = pytest.mark.django_db

DEALER_HEADER = ["dealer_code", "name", "region", "province", "city", "city_tier", "opened_on"]


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def text(message, **params) -> str:  # noqa: ANN001
    return str(message) % params if params else str(message)


def today() -> date:
    return datetime.now(SHANGHAI).date()


def days_from_today(days: int) -> str:
    return (today() + timedelta(days=days)).isoformat()


# --- dates out of their sane range ------------------------------------------------------


def test_an_opening_date_in_year_9999_is_a_row_error_naming_the_accepted_range(tmp_path, east, hq_manager):
    csv_text = table(DEALER_HEADER, ["GL0301", "吉利杭州店", "华东", "浙江", "杭州", 2, "9999-12-31"])

    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    expected = text(
        msg.ROW_OPENING_OUT_OF_RANGE, value="9999-12-31", earliest="1980-01-01", latest=days_from_today(366)
    )
    assert errors_of(job) == [(2, "opened_on", expected)]
    assert not Dealer.objects.filter(code="GL0301").exists()


@pytest.mark.parametrize(
    ("opened_on", "accepted"),
    [
        ("1980-01-01", True),
        ("1979-12-31", False),
        ("0202-05-01", False),
        (days_from_today(366), True),
        (days_from_today(367), False),
    ],
)
def test_opening_dates_are_accepted_from_1980_to_a_year_ahead(
    tmp_path, east, hq_manager, opened_on, accepted
):
    csv_text = table(DEALER_HEADER, ["GL0302", "吉利宁波店", "华东", "浙江", "宁波", 2, opened_on])

    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)

    assert (job.status == ImportStatus.SUCCEEDED) is accepted, job.errors
    assert Dealer.objects.filter(code="GL0302").exists() is accepted


SERVICE_TIMES = [
    # kind, header, row with {when} in the time column, the column, the model
    (
        "complaints",
        ["complaint_id", "dealer_code", "received_at", "category"],
        ["C1", "GL0001", "{when}", "quality"],
        "received_at",
        Complaint,
    ),
    (
        "survey_responses",
        ["response_id", "dealer_code", "responded_at", "overall"],
        ["S1", "GL0001", "{when}", "5"],
        "responded_at",
        SurveyResponse,
    ),
    (
        "parts_orders",
        ["order_id", "dealer_code", "part_number", "ordered_at"],
        ["P1", "GL0001", "PN1", "{when}"],
        "ordered_at",
        PartsOrder,
    ),
    (
        "repair_orders",
        ["ro_number", "dealer_code", "vin", "repair_type", "opened_at"],
        ["RO1", "GL0001", "LB3E8MAL8RV000001", "maintenance", "{when}"],
        "opened_at",
        RepairOrder,
    ),
]


@pytest.mark.parametrize(("kind", "header", "row", "column", "model"), SERVICE_TIMES)
@pytest.mark.parametrize("when", ["9999-12-31 10:00:00", "2999-11-01 08:00", "1999-12-31 23:59:59"])
def test_a_service_time_before_2000_or_after_tomorrow_is_a_row_error_naming_the_range(
    tmp_path, dealer, hq_manager, kind, header, row, column, model, when
):
    cells = [cell.format(when=when) for cell in row]

    job = import_file(kind, write(tmp_path, table(header, cells)), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    expected = text(msg.ROW_EVENT_OUT_OF_RANGE, value=when, earliest="2000-01-01", latest=days_from_today(1))
    assert errors_of(job) == [(2, column, expected)]
    assert not model.objects.exists()


@pytest.mark.parametrize(("kind", "header", "row", "column", "model"), SERVICE_TIMES)
def test_a_service_time_up_to_the_end_of_tomorrow_is_accepted(
    tmp_path, dealer, hq_manager, kind, header, row, column, model
):
    cells = [cell.format(when=f"{days_from_today(1)} 23:59:59") for cell in row]

    job = import_file(kind, write(tmp_path, table(header, cells)), user=hq_manager)

    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert model.objects.count() == 1


def test_a_closing_time_in_the_far_future_is_a_row_error_too(tmp_path, dealer, hq_manager):
    job = import_file(
        "repair_orders", write(tmp_path, ro_rows({"closed_at": "9999-12-31 10:00:00"})), user=hq_manager
    )

    expected = text(
        msg.ROW_EVENT_OUT_OF_RANGE,
        value="9999-12-31 10:00:00",
        earliest="2000-01-01",
        latest=days_from_today(1),
    )
    assert errors_of(job) == [(2, "closed_at", expected)]


def test_a_time_with_an_offset_is_checked_after_conversion_to_shanghai_time(tmp_path, dealer, hq_manager):
    # 1999-12-31 20:00 UTC is 2000-01-01 04:00 in Shanghai: inside the range.
    rows = ro_rows({"booked_at": "", "opened_at": "1999-12-31T20:00:00Z", "promised_at": "", "closed_at": ""})

    job = import_file("repair_orders", write(tmp_path, rows), user=hq_manager)

    assert job.status == ImportStatus.SUCCEEDED, job.errors


def test_a_promised_time_may_lie_months_ahead_but_not_years(tmp_path, dealer, hq_manager):
    opened = f"{today().isoformat()} 09:00:00"
    in_half_a_year = f"{days_from_today(180)} 18:00:00"
    in_two_years = f"{days_from_today(730)} 18:00:00"
    rows = ro_rows(
        {
            "ro_number": "RO1",
            "booked_at": "",
            "opened_at": opened,
            "promised_at": in_half_a_year,
            "closed_at": "",
        },
        {
            "ro_number": "RO2",
            "booked_at": "",
            "opened_at": opened,
            "promised_at": in_two_years,
            "closed_at": "",
        },
    )

    job = import_file("repair_orders", write(tmp_path, rows), user=hq_manager, partial=True)

    expected = text(
        msg.ROW_PROMISE_OUT_OF_RANGE, value=in_two_years, earliest="2000-01-01", latest=days_from_today(366)
    )
    assert errors_of(job) == [(3, "promised_at", expected)]
    assert list(RepairOrder.objects.values_list("ro_number", flat=True)) == ["RO1"]


def test_a_monthly_report_for_a_month_that_has_not_begun_is_a_row_error(tmp_path, dealer, hq_manager):
    this_month = str(Month.of(today()))
    next_month = str(Month.of(today()).shift(1))
    header = [
        "dealer_code",
        "period",
        "technicians",
        "certified_technicians",
        "equipment_total",
        "equipment_ok",
        "training_hours",
    ]
    csv_text = table(
        header,
        ["GL0001", this_month, 10, 8, 20, 19, 40],
        ["GL0001", next_month, 10, 8, 20, 19, 40],
        ["GL0001", "2999-11", 10, 8, 20, 19, 40],
        ["GL0001", "1999-12", 10, 8, 20, 19, 40],
    )

    job = import_file("submissions", write(tmp_path, csv_text), user=hq_manager, partial=True)

    def out_of_range(value: str) -> str:
        return text(msg.ROW_PERIOD_OUT_OF_RANGE, value=value, earliest="2000-01", latest=this_month)

    assert errors_of(job) == [
        (3, "period", out_of_range(next_month)),
        (4, "period", out_of_range("2999-11")),
        (5, "period", out_of_range("1999-12")),
    ]
    assert list(MonthlySubmission.objects.values_list("period", flat=True)) == [this_month]


@pytest.mark.parametrize(
    "message",
    [
        msg.ROW_EVENT_OUT_OF_RANGE,
        msg.ROW_PROMISE_OUT_OF_RANGE,
        msg.ROW_OPENING_OUT_OF_RANGE,
        msg.ROW_PERIOD_OUT_OF_RANGE,
        msg.FILE_MIXED_ENCODING,
        msg.FILE_DAMAGED_UTF8,
        msg.FILE_BOM_NOT_UTF8,
        msg.FILE_XLSX_ENCRYPTED,
        msg.XLSX_OTHER_SHEETS_IGNORED,
    ],
)
def test_each_new_message_has_its_chinese_translation(message):
    with translation.override("en"):
        english = str(message)
    with translation.override("zh-hans"):
        chinese = str(message)
    assert chinese != english
    assert any("\u4e00" <= c <= "\u9fff" for c in chinese)


def test_the_chinese_range_message_names_the_range(tmp_path, east, hq_manager):
    csv_text = table(DEALER_HEADER, ["GL0303", "吉利温州店", "华东", "浙江", "温州", 2, "9999-12-31"])

    with translation.override("zh-hans"):
        job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)

    [(_, _, message)] = errors_of(job)
    assert "1980-01-01" in message and days_from_today(366) in message and "9999-12-31" in message
    assert any("\u4e00" <= c <= "\u9fff" for c in message)


# --- rows in two encodings --------------------------------------------------------------

GB_DEALERS = [
    ["GL0401", "吉利杭州店", "华东", "浙江", "杭州", "2", ""],
    ["GL0402", "吉利宁波店", "华东", "浙江", "宁波", "2", ""],
]
UTF8_DEALER = ["GL0403", "吉利温州店", "华东", "浙江", "温州", "2", ""]


def test_a_gb18030_file_with_one_utf8_row_is_rejected_naming_that_row(tmp_path, east, hq_manager):
    gb_part = table(DEALER_HEADER, *GB_DEALERS).encode("gb18030")
    utf8_row = table(DEALER_HEADER, UTF8_DEALER).split("\n", 1)[1].encode("utf-8")

    job = import_file("dealers", write(tmp_path, gb_part + utf8_row), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_MIXED_ENCODING, row=4)
    assert not Dealer.objects.filter(code__in=["GL0401", "GL0402", "GL0403"]).exists()


def test_the_row_named_counts_rows_not_lines_when_a_quoted_field_spans_lines(tmp_path, dealer, hq_manager):
    header = ["complaint_id", "dealer_code", "received_at", "category", "description"]
    gb_part = table(header, ["C1", "GL0001", "2026-10-01 10:00", "quality", "客户说：\n太慢了"]).encode(
        "gb18030"
    )
    utf8_row = "C2,GL0001,2026-10-02 10:00,quality,维修质量不好\n".encode()

    job = import_file("complaints", write(tmp_path, gb_part + utf8_row), user=hq_manager)

    assert job.message == text(msg.FILE_MIXED_ENCODING, row=3)  # line 4 of the file
    assert not Complaint.objects.exists()


def test_a_utf8_file_with_a_gb18030_row_after_its_chinese_is_rejected_naming_that_row(
    tmp_path, east, hq_manager
):
    utf8_part = table(DEALER_HEADER, *GB_DEALERS).encode("utf-8")
    gb_row = table(DEALER_HEADER, UTF8_DEALER).split("\n", 1)[1].encode("gb18030")

    job = import_file("dealers", write(tmp_path, utf8_part + gb_row), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_DAMAGED_UTF8, row=4, offset=f"{len(utf8_part) + 7:,}")
    assert not Dealer.objects.filter(code__in=["GL0401", "GL0402"]).exists()


def test_a_gb18030_file_of_common_chinese_is_never_taken_for_utf8(tmp_path):
    # Every first-level GB2312 character (the common ones), five to a row.
    characters = [
        bytes([lead, trail]).decode("gb2312")
        for lead in range(0xB0, 0xD8)
        for trail in range(0xA1, 0xFF)
        if (lead, trail) < (0xD7, 0xFA)
    ]
    rows = [["GL0001", "".join(characters[i : i + 5]), "华东"] for i in range(0, len(characters), 5)]
    path = write(tmp_path, table(["经销商代码", "经销商名称", "大区"], *rows), encoding="gb18030")

    assert detect_encoding(path) == "gb18030"


def test_a_utf8_mark_before_gb18030_text_gets_a_true_message_not_a_missing_column(
    tmp_path, dealer, hq_manager
):
    content = b"\xef\xbb\xbf" + ro_rows({"fault_code": "发动机异响"}).encode("gb18030")

    job = import_file("repair_orders", write(tmp_path, content), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_BOM_NOT_UTF8)
    assert not RepairOrder.objects.exists()


def test_a_utf8_mark_before_undecodable_bytes_is_called_undecodable(tmp_path, dealer, hq_manager):
    content = b"\xef\xbb\xbf" + ro_rows({}).encode() + b"\x81\xff\xfe junk\n"

    job = import_file("repair_orders", write(tmp_path, content), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    assert "UTF-8" in job.message and "GB18030" in job.message and "BOM" not in job.message


def test_a_path_that_cannot_be_read_is_a_rejected_import_not_a_failure(tmp_path, hq_manager):
    job = import_file("dealers", tmp_path, user=hq_manager, file_name="dealers.csv")  # a directory

    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_MISSING, reason="Is a directory")


# --- workbooks --------------------------------------------------------------------------


def workbook_bytes(sheets: dict[str, list[list[object]]]) -> bytes:
    from openpyxl import Workbook

    workbook = Workbook()
    workbook.remove(workbook.active)
    for title, rows in sheets.items():
        sheet = workbook.create_sheet(title)
        for row in rows:
            sheet.append(row)
    out = io.BytesIO()
    workbook.save(out)
    return out.getvalue()


RO_SHEET = [list(RO_COLUMNS), [RO_DEFAULTS[c] for c in RO_COLUMNS]]


def test_a_workbook_with_several_sheets_says_which_sheet_it_read(tmp_path, dealer, hq_manager):
    content = workbook_bytes({"十月工单": RO_SHEET, "说明": [["填写说明"]], "九月": RO_SHEET})

    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)

    assert job.status == ImportStatus.SUCCEEDED and job.created == 1
    assert job.message == text(
        msg.XLSX_OTHER_SHEETS_IGNORED, count=3, sheet="十月工单", others="“说明”, “九月”"
    )


def test_a_workbook_with_one_sheet_has_no_note(tmp_path, dealer, hq_manager):
    content = workbook_bytes({"工单": RO_SHEET})

    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)

    assert job.status == ImportStatus.SUCCEEDED and job.message == ""


def test_the_sheet_note_follows_the_rejection_when_rows_are_rejected(tmp_path, dealer, hq_manager):
    bad = [list(RO_COLUMNS), [RO_DEFAULTS[c] if c != "vin" else "BAD" for c in RO_COLUMNS]]
    content = workbook_bytes({"工单": bad, "旧": RO_SHEET})

    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    note = text(msg.XLSX_OTHER_SHEETS_IGNORED, count=2, sheet="工单", others="“旧”")
    assert job.message == f"{text(msg.IMPORT_ROWS_REJECTED, count=1)} {note}"


def test_an_empty_first_sheet_says_the_data_on_other_sheets_was_not_read(tmp_path, dealer, hq_manager):
    content = workbook_bytes({"Sheet1": [], "工单": RO_SHEET})

    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    note = text(msg.XLSX_OTHER_SHEETS_IGNORED, count=2, sheet="Sheet1", others="“工单”")
    assert job.message == f"{text(msg.FILE_NO_HEADER)} {note}"


def test_the_upload_page_shows_which_sheet_was_read(dealer, hq_manager):
    client = client_for(hq_manager)
    content = workbook_bytes({"十月工单": RO_SHEET, "说明": [["填写说明"]]})
    upload = SimpleUploadedFile("orders.xlsx", content)

    response = client.post(reverse("imports:upload"), {"kind": "repair_orders", "file": upload})

    page = client.get(response["Location"]).content.decode()
    assert "十月工单" in page and "说明" in page and 'data-testid="import-message"' in page


def test_a_workbook_is_read_whatever_its_file_is_called(tmp_path, dealer, hq_manager):
    content = workbook_bytes({"工单": RO_SHEET})

    job = import_file("repair_orders", write(tmp_path, content, name="orders.upload"), file_name="orders.csv")

    assert job.status == ImportStatus.SUCCEEDED and job.created == 1, job.message


def test_the_api_imports_a_workbook_and_says_which_sheet_it_read(dealer, hq_manager):
    from tests.api.conftest import api_client

    content = workbook_bytes({"十月工单": RO_SHEET, "说明": [["填写说明"]]})
    upload = SimpleUploadedFile("orders.xlsx", content)

    response = api_client(hq_manager).post(
        "/api/v1/imports/", {"kind": "repair_orders", "file": upload}, format="multipart"
    )

    assert response.status_code == 201, response.content
    assert response.json()["created"] == 1
    assert response.json()["message"] == text(
        msg.XLSX_OTHER_SHEETS_IGNORED, count=2, sheet="十月工单", others="“说明”"
    )


# A password-protected .xlsx is an OLE compound file (the container of the old .xls) with an
# "EncryptedPackage" stream next to "EncryptionInfo". This builds a minimal valid one.
ENDOFCHAIN, FATSECT, FREESECT, NOSTREAM = 0xFFFFFFFE, 0xFFFFFFFD, 0xFFFFFFFF, 0xFFFFFFFF


def directory_entry(
    name: str, kind: int, *, right: int = NOSTREAM, child: int = NOSTREAM, start: int, size: int
) -> bytes:
    encoded = (name + "\x00").encode("utf-16-le") if name else b""
    return (
        encoded.ljust(64, b"\x00")
        + struct.pack("<HBB", len(encoded), kind, 1)
        + struct.pack("<III", NOSTREAM, right, child)
        + b"\x00" * 16  # CLSID
        + b"\x00" * 4  # state bits
        + b"\x00" * 16  # creation and modification times
        + struct.pack("<IQ", start, size)
    )


def compound_file_bytes(stream_name: str = "EncryptedPackage") -> bytes:
    package = b"\x08\x10\x00\x00\x00\x00\x00\x00" + bytes(range(256)) * 16  # size, then "encrypted" bytes
    package_sectors = -(-len(package) // 512)
    header = (
        b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"
        + b"\x00" * 16
        + struct.pack("<HHHHH", 0x3E, 3, 0xFFFE, 9, 6)
        + b"\x00" * 6
        + struct.pack("<IIIIIIIII", 0, 1, 1, 0, 4096, ENDOFCHAIN, 0, ENDOFCHAIN, 0)
        + struct.pack("<I", 0)  # DIFAT[0]: the FAT is sector 0
        + struct.pack("<I", FREESECT) * 108
    )
    fat = [FATSECT, ENDOFCHAIN] + [*range(3, 2 + package_sectors), ENDOFCHAIN]
    fat_sector = struct.pack(f"<{len(fat)}I", *fat).ljust(512, b"\xff")
    directory = (
        directory_entry("Root Entry", 5, child=1, start=ENDOFCHAIN, size=0)
        + directory_entry("EncryptionInfo", 2, right=2, start=ENDOFCHAIN, size=0)
        + directory_entry(stream_name, 2, start=2, size=len(package))
        + directory_entry("", 0, start=0, size=0)
    )
    return header + fat_sector + directory + package.ljust(package_sectors * 512, b"\x00")


@pytest.mark.parametrize("name", ["orders.xlsx", "orders.xls", "orders.csv"])
def test_a_password_protected_workbook_is_called_that_not_an_old_xls_file(tmp_path, dealer, hq_manager, name):
    job = import_file("repair_orders", write(tmp_path, compound_file_bytes(), name=name), user=hq_manager)

    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_XLSX_ENCRYPTED)


def test_an_old_xls_file_is_still_called_one(tmp_path, dealer, hq_manager):
    content = compound_file_bytes(stream_name="Workbook")

    job = import_file("repair_orders", write(tmp_path, content, name="orders.xls"), user=hq_manager)

    assert job.message == text(msg.FILE_OLD_XLS)
