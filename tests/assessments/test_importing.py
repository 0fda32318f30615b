"""The import service against every rule of data-formats.md and every bad input of issue 3."""

from __future__ import annotations

import io
import re
import zipfile
from datetime import datetime, timedelta
from decimal import Decimal

import pytest
from django.test import override_settings

from assessments.choices import ImportKind, ImportStatus, PeriodStatus, SubmissionStatus
from assessments.importing import import_file
from assessments.importing import messages as msg
from assessments.models import Complaint, ImportJob, MonthlySubmission, PartsOrder, Period, RepairOrder
from assessments.periods import SHANGHAI
from dealers.models import AuditEvent, Dealer, Region
from surveys.models import SurveyResponse
from tests.factories import ComplaintFactory, RepairOrderFactory, local

from .import_helpers import RO_COLUMNS, RO_DEFAULTS, csv_line, ro_rows, table, write, xlsx_bytes

pytestmark = pytest.mark.django_db


def errors_of(job: ImportJob) -> list[tuple[int, str, str]]:
    return [(e["row"], e["column"], e["message"]) for e in job.errors]


def text(message, **params) -> str:  # noqa: ANN001
    return str(message) % params if params else str(message)


# --- encodings and the shape of a CSV ---------------------------------------------------


def test_utf8_file_with_bom_imports(tmp_path, dealer, hq_manager):
    path = write(tmp_path, "\ufeff" + ro_rows({}))
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED and job.created == 1


def test_gb18030_file_imports_with_its_chinese_intact(tmp_path, east, hq_manager):
    csv_text = table(
        ["经销商代码", "经销商名称", "大区", "省份", "城市", "城市级别"],
        ["GL0100", "吉利杭州店", "华东", "浙江", "杭州", "2"],
    )
    job = import_file("dealers", write(tmp_path, csv_text, encoding="gb18030"), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert Dealer.objects.get(code="GL0100").name == "吉利杭州店"


def test_utf8_chinese_is_never_read_as_gbk_mojibake(tmp_path, hq_manager):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0101", "锦江店", "西南", "四川", "成都", 1],
    )
    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert Dealer.objects.get(code="GL0101").name == "锦江店"


def test_undecodable_file_is_rejected_naming_the_encoding(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows({}).encode() + b"\x81\xff\xfe junk\n")
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert "UTF-8" in job.message and "GB18030" in job.message
    assert not RepairOrder.objects.exists()


def test_utf8_file_damaged_after_its_chinese_is_refused_not_read_as_gb18030_mojibake(tmp_path, hq_manager):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0102", "锦江店", "西南", "四川", "成都", 1],
    )
    path = write(tmp_path, csv_text.encode("utf-8") + b"GL0103,\xb0\xa1,x,x,x,1\n")
    job = import_file("dealers", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_DAMAGED_UTF8, row=3, offset=f"{len(csv_text.encode()) + 7:,}")
    assert not Dealer.objects.filter(code="GL0102").exists()


@pytest.mark.parametrize(
    "kind", ["dealers", "repair_orders", "complaints", "survey_responses", "parts_orders", "submissions"]
)
def test_gb18030_files_with_chinese_headers_of_every_kind_are_read_as_gb18030(
    tmp_path, dealer, hq_manager, kind
):
    from assessments.importing.kinds import get_kind
    from assessments.importing.reading import detect_encoding

    header = ",".join(column.alias for column in get_kind(kind).columns)
    path = write(tmp_path, header + "\n", encoding="gb18030")
    assert detect_encoding(path) == "gb18030"


def test_quoted_fields_may_hold_commas_quotes_and_line_breaks(tmp_path, dealer, hq_manager):
    description = 'He said "too slow", then\nleft'
    csv_text = table(
        ["complaint_id", "dealer_code", "received_at", "category", "description"],
        ["C1", "GL0001", "2026-10-01 10:00", "timeliness", description],
    )
    job = import_file("complaints", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert Complaint.objects.get().description == description


@pytest.mark.parametrize(
    ("content", "name", "expected"),
    [
        (b"", "empty.csv", msg.FILE_EMPTY),
        (b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR\x00\x00", "photo.csv", msg.FILE_BINARY),
        (b"%PDF-1.7\n%\xe2\xe3\xcf\xd3\n1 0 obj\n<< /Type /Catalog >>\x00", "report.csv", msg.FILE_BINARY),
        (b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\x00" * 100, "old.xls", msg.FILE_OLD_XLS),
        (b"ro_number\nRO1\n", "orders.pdf", None),
        (b"this is not a zip", "orders.xlsx", msg.FILE_XLSX_INVALID),
    ],
)
def test_wrong_kind_of_file_is_rejected_with_a_clear_message(
    tmp_path, dealer, hq_manager, content, name, expected
):
    job = import_file("repair_orders", write(tmp_path, content, name=name), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    if expected is not None:
        assert job.message == text(expected)
    else:
        assert job.message == text(msg.FILE_TYPE, name=name)
    assert not RepairOrder.objects.exists()


def test_binary_junk_is_rejected(tmp_path, dealer, hq_manager):
    junk = bytes(range(256)) * 50
    job = import_file("repair_orders", write(tmp_path, junk), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_BINARY)


def test_header_only_file_is_rejected(tmp_path, dealer, hq_manager):
    job = import_file("repair_orders", write(tmp_path, ",".join(RO_COLUMNS) + "\n"), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_NO_ROWS)


def test_file_with_only_blank_lines_has_no_header(tmp_path, hq_manager):
    job = import_file("repair_orders", write(tmp_path, "\n\n  \n"), user=hq_manager)
    assert job.message == text(msg.FILE_NO_HEADER)


def test_file_cut_short_inside_a_quoted_field_is_rejected_and_nothing_written(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}) + 'RO3,GL0001,"LB3E8MAL8RV0000'
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_CSV_MALFORMED, row=4, reason=text(msg.CSV_UNCLOSED_QUOTE))
    assert not RepairOrder.objects.exists()


def test_stray_quote_inside_a_field_rejects_the_file(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({"ro_number": "RO1"}) + 'RO2,"GL0001"x,LB3E8MAL8RV000002,repair\n'
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.message == text(msg.FILE_CSV_MALFORMED, row=3, reason=text(msg.CSV_STRAY_QUOTE))


def test_row_cut_short_is_a_row_error(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({"ro_number": "RO1"}) + "RO2,GL0001,LB3E8MAL8RV000002,repair\n"
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert errors_of(job) == [(3, "", text(msg.ROW_SHORT, found=4, expected=13))]
    assert not RepairOrder.objects.exists()


def test_row_with_an_unquoted_thousands_separator_is_a_row_error(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({}).replace(",300.00,", ",1,300.00,")
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert errors_of(job) == [(2, "", text(msg.ROW_LONG))]


@override_settings(IMPORT_MAX_FILE_BYTES=200)
def test_file_over_the_size_limit_is_rejected(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}"} for i in range(5))))
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_TOO_LARGE, size=f"{path.stat().st_size:,}", limit="200")
    assert job.file_size == path.stat().st_size


@override_settings(IMPORT_MAX_ROWS=2)
def test_file_over_the_row_limit_is_rejected(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows(*({"ro_number": f"RO{i}"} for i in range(3))))
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.message == text(msg.FILE_TOO_MANY_ROWS, limit="2")
    assert not RepairOrder.objects.exists()


# --- headers ----------------------------------------------------------------------------


def test_chinese_headers_in_any_order_with_spaces_and_any_case(tmp_path, dealer, hq_manager):
    csv_text = table(
        [" 开单时间 ", "VIN", "Dealer_Code", "工单号", "维修类型", "故障代码"],
        ["2026-10-10 09:00", "LB3E8MAL8RV000001", "GL0001", "RO9", "维修", "F1"],
    )
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    order = RepairOrder.objects.get()
    assert (order.ro_number, order.repair_type, order.labor_amount) == ("RO9", "repair", Decimal("0"))


def test_unknown_columns_are_ignored(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({}, columns=[*RO_COLUMNS, "remarks"])
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED


def test_missing_required_column_rejects_the_file_naming_it(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({}, columns=[c for c in RO_COLUMNS if c != "vin"])
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_MISSING_COLUMNS, columns="vin (VIN码)")


def test_a_column_named_twice_rejects_the_file(tmp_path, dealer, hq_manager):
    csv_text = ro_rows({}, columns=[*RO_COLUMNS, "工单号"])
    job = import_file("repair_orders", write(tmp_path, csv_text), user=hq_manager)
    assert job.message == text(msg.FILE_DUPLICATE_COLUMN, column="工单号")


# --- values -----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("written", "expected"),
    [
        ("2026-10-01 08:30", "2026-10-01 08:30:00"),
        ("2026-10-01 08:30:05", "2026-10-01 08:30:05"),
        ("2026/10/01 08:30:05", "2026-10-01 08:30:05"),
        ("2026-10-01T08:30:05+08:00", "2026-10-01 08:30:05"),
        ("2026-10-01T00:30:05Z", "2026-10-01 08:30:05"),
        ("2026-09-30T20:30:05.999-04:00", "2026-10-01 08:30:05"),
    ],
)
def test_timestamps_are_shanghai_local_time_in_the_accepted_formats(
    tmp_path, dealer, hq_manager, written, expected
):
    path = write(
        tmp_path, ro_rows({"opened_at": written, "booked_at": "", "promised_at": "", "closed_at": ""})
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert RepairOrder.objects.get().opened_at == datetime.fromisoformat(expected).replace(tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("written", "message"),
    [
        ("2026-02-30 10:00", msg.ROW_NO_SUCH_DAY),
        ("2026-10-01 24:00", msg.ROW_BAD_TIMESTAMP),
        ("01/10/2026 10:00", msg.ROW_BAD_TIMESTAMP),
        ("2026-10-01", msg.ROW_BAD_TIMESTAMP),
    ],
)
def test_impossible_or_malformed_timestamp_is_a_row_error(tmp_path, dealer, hq_manager, written, message):
    path = write(
        tmp_path, ro_rows({"opened_at": written, "booked_at": "", "promised_at": "", "closed_at": ""})
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert errors_of(job) == [(2, "opened_at", text(message, value=written))]


def test_february_30th_is_a_row_error_and_nothing_is_written(tmp_path, dealer, hq_manager):
    path = write(
        tmp_path, ro_rows({"ro_number": "OK1"}, {"ro_number": "BAD", "closed_at": "2026-02-30 10:00"})
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert errors_of(job) == [(3, "closed_at", text(msg.ROW_NO_SUCH_DAY, value="2026-02-30 10:00"))]
    assert not RepairOrder.objects.exists()


def test_negative_money_is_a_row_error(tmp_path, dealer, hq_manager):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"parts_amount": "-5.00"})), user=hq_manager)
    assert errors_of(job) == [(2, "parts_amount", text(msg.ROW_NEGATIVE, value="-5.00"))]


@pytest.mark.parametrize(
    ("written", "stored"), [("1,234.50", Decimal("1234.50")), ("12", Decimal("12")), ("0.5", Decimal("0.50"))]
)
def test_money_accepts_a_thousands_separator_inside_a_quoted_field(
    tmp_path, dealer, hq_manager, written, stored
):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"labor_amount": written})), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert RepairOrder.objects.get().labor_amount == stored


@pytest.mark.parametrize("written", ["12.345", "1,23.00", "12,5", "abc", "1e3"])
def test_money_with_more_than_two_decimals_or_not_a_number_is_a_row_error(
    tmp_path, dealer, hq_manager, written
):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"labor_amount": written})), user=hq_manager)
    assert errors_of(job) == [(2, "labor_amount", text(msg.ROW_BAD_MONEY, value=written))]


def test_vin_with_the_letter_o_is_a_row_error(tmp_path, dealer, hq_manager):
    job = import_file(
        "repair_orders", write(tmp_path, ro_rows({"vin": "LB3E8MAL8RVO00001"})), user=hq_manager
    )
    assert errors_of(job) == [(2, "vin", text(msg.ROW_BAD_VIN, value="LB3E8MAL8RVO00001"))]


@pytest.mark.parametrize("vin", ["LB3E8MAL8RV00001", "LB3E8MAL8RVI00001", "LB3E8MAL8RVQ00001"])
def test_vin_of_wrong_length_or_with_i_or_q_is_a_row_error(tmp_path, dealer, hq_manager, vin):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"vin": vin})), user=hq_manager)
    assert errors_of(job) == [(2, "vin", text(msg.ROW_BAD_VIN, value=vin))]


def test_vin_is_case_folded_to_upper(tmp_path, dealer, hq_manager):
    import_file("repair_orders", write(tmp_path, ro_rows({"vin": "lb3e8mal8rv000001"})), user=hq_manager)
    assert RepairOrder.objects.get().vin == "LB3E8MAL8RV000001"


@pytest.mark.parametrize(
    ("kind", "header", "row", "field", "stored"),
    [
        ("repair_orders", None, {"repair_type": "保养", "fault_code": ""}, "repair_type", "maintenance"),
        ("repair_orders", None, {"repair_type": "索赔"}, "repair_type", "warranty"),
        ("repair_orders", None, {"repair_type": "事故", "fault_code": ""}, "repair_type", "accident"),
        ("repair_orders", None, {"repair_type": "Repair"}, "repair_type", "repair"),
    ],
)
def test_repair_type_accepts_chinese_aliases(tmp_path, dealer, hq_manager, kind, header, row, field, stored):
    job = import_file(kind, write(tmp_path, ro_rows(row)), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert getattr(RepairOrder.objects.get(), field) == stored


def test_complaint_category_and_severity_accept_chinese_aliases(tmp_path, dealer, hq_manager):
    csv_text = table(
        ["投诉编号", "经销商代码", "投诉时间", "投诉类别", "严重程度"],
        ["C1", "GL0001", "2026-10-01 10:00", "质量", "重大"],
        ["C2", "GL0001", "2026-10-01 10:00", "价格", "一般"],
        ["C3", "GL0001", "2026-10-01 10:00", "其他", ""],
    )
    job = import_file("complaints", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert sorted(Complaint.objects.values_list("complaint_id", "category", "severity")) == [
        ("C1", "quality", "major"),
        ("C2", "price", "normal"),
        ("C3", "other", "normal"),
    ]


def test_dealer_status_accepts_chinese_aliases_and_defaults_to_active(tmp_path, hq_manager):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier", "status", "opened_on"],
        ["GL0201", "A", "华北", "北京", "北京", 1, "暂停", "2020-05-01"],
        ["GL0202", "B", "华北", "北京", "北京", 1, "终止", ""],
        ["GL0203", "C", "华北", "北京", "北京", 1, "", ""],
    )
    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    assert dict(Dealer.objects.values_list("code", "status")) == {
        "GL0201": "suspended",
        "GL0202": "terminated",
        "GL0203": "active",
    }


def test_unknown_choice_lists_the_accepted_values(tmp_path, dealer, hq_manager):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"repair_type": "wash"})), user=hq_manager)
    assert errors_of(job) == [
        (
            2,
            "repair_type",
            text(msg.ROW_BAD_CHOICE, value="wash", choices="maintenance, repair, warranty, accident"),
        )
    ]


def test_required_cell_may_not_be_empty(tmp_path, dealer, hq_manager):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"vin": " "})), user=hq_manager)
    assert errors_of(job) == [(2, "vin", text(msg.ROW_REQUIRED))]


def test_fault_code_is_required_for_repair_and_warranty_only(tmp_path, dealer, hq_manager):
    path = write(
        tmp_path,
        ro_rows(
            {"ro_number": "R1", "repair_type": "maintenance", "fault_code": ""},
            {"ro_number": "R2", "repair_type": "warranty", "fault_code": ""},
        ),
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert errors_of(job) == [(3, "fault_code", text(msg.ROW_FAULT_CODE_REQUIRED))]


def test_order_of_repair_order_times_is_checked(tmp_path, dealer, hq_manager):
    path = write(
        tmp_path,
        ro_rows(
            {
                "booked_at": "2026-10-10 10:00",
                "opened_at": "2026-10-10 09:00",
                "promised_at": "2026-10-10 08:00",
                "closed_at": "2026-10-10 08:59:59",
            }
        ),
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert errors_of(job) == [
        (2, "booked_at", text(msg.ROW_AFTER, other="opened_at")),
        (2, "promised_at", text(msg.ROW_BEFORE, other="opened_at")),
        (2, "closed_at", text(msg.ROW_BEFORE, other="opened_at")),
    ]


def test_closed_exactly_when_opened_is_accepted(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows({"opened_at": "2026-10-10 09:00", "closed_at": "2026-10-10 09:00:00"}))
    assert import_file("repair_orders", path, user=hq_manager).status == ImportStatus.SUCCEEDED


@pytest.mark.parametrize(
    ("column", "value", "message", "params"),
    [
        ("overall", "6", msg.ROW_OUT_OF_RANGE, {"value": 6, "min": 1, "max": 5}),
        ("overall", "0", msg.ROW_OUT_OF_RANGE, {"value": 0, "min": 1, "max": 5}),
        ("nps", "11", msg.ROW_OUT_OF_RANGE, {"value": 11, "min": 0, "max": 10}),
        ("reception", "4.5", msg.ROW_BAD_INTEGER, {"value": "4.5"}),
    ],
)
def test_survey_scores_are_whole_numbers_in_range(
    tmp_path, dealer, hq_manager, column, value, message, params
):
    values = {
        "response_id": "S1",
        "dealer_code": "GL0001",
        "responded_at": "2026-10-12 10:00",
        "overall": "5",
    }
    values[column] = value
    job = import_file(
        "survey_responses", write(tmp_path, table(list(values), list(values.values()))), user=hq_manager
    )
    assert errors_of(job) == [(2, column, text(message, **params))]


def test_survey_response_imports_with_its_repair_order(tmp_path, dealer, hq_manager):
    order = RepairOrderFactory(dealer=dealer, ro_number="RO77")
    csv_text = table(
        ["response_id", "dealer_code", "ro_number", "responded_at", "overall", "nps", "comment"],
        ["S1", "GL0001", "RO77", "2026-10-12 10:00", "4", "9", "好"],
    )
    job = import_file("survey_responses", write(tmp_path, csv_text), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED
    response = SurveyResponse.objects.get()
    assert (response.repair_order_id, response.nps, response.source) == (order.pk, 9, "import")


def test_complaint_repair_order_must_be_one_of_that_dealer(tmp_path, dealer, other_dealer, hq_manager):
    RepairOrderFactory(dealer=other_dealer, ro_number="RO-OTHER")
    mine = RepairOrderFactory(dealer=dealer, ro_number="RO-MINE")
    csv_text = table(
        ["complaint_id", "dealer_code", "ro_number", "received_at", "category"],
        ["C1", "GL0001", "RO-MINE", "2026-10-01 10:00", "quality"],
        ["C2", "GL0001", "RO-OTHER", "2026-10-01 10:00", "quality"],
    )
    job = import_file("complaints", write(tmp_path, csv_text), user=hq_manager, partial=True)
    assert errors_of(job) == [
        (3, "ro_number", text(msg.ROW_UNKNOWN_REPAIR_ORDER, value="RO-OTHER", dealer="GL0001"))
    ]
    assert Complaint.objects.get().repair_order_id == mine.pk


def test_parts_order_quantity_defaults_to_one_and_fulfilment_not_before_order(tmp_path, dealer, hq_manager):
    csv_text = table(
        ["order_id", "dealer_code", "part_number", "quantity", "ordered_at", "fulfilled_at"],
        ["P1", "GL0001", "PN1", "", "2026-10-01 10:00", "2026-10-02 10:00"],
        ["P2", "GL0001", "PN1", "0", "2026-10-01 10:00", ""],
        ["P3", "GL0001", "PN1", "2", "2026-10-01 10:00", "2026-09-30 10:00"],
    )
    job = import_file("parts_orders", write(tmp_path, csv_text), user=hq_manager, partial=True)
    assert errors_of(job) == [
        (3, "quantity", text(msg.ROW_BELOW_MIN, value=0, min=1)),
        (4, "fulfilled_at", text(msg.ROW_BEFORE, other="ordered_at")),
    ]
    assert PartsOrder.objects.get().quantity == 1


@pytest.mark.parametrize(
    ("code", "tier", "column", "message", "params"),
    [
        ("GL_01", "2", "dealer_code", msg.ROW_BAD_DEALER_CODE, {"value": "GL_01"}),
        ("G" * 21, "2", "dealer_code", msg.ROW_BAD_DEALER_CODE, {"value": "G" * 21}),
        ("GL0300", "6", "city_tier", msg.ROW_OUT_OF_RANGE, {"value": 6, "min": 1, "max": 5}),
    ],
)
def test_dealer_code_and_city_tier_rules(tmp_path, hq_manager, code, tier, column, message, params):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        [code, "A", "华北", "北京", "北京", tier],
    )
    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)
    assert errors_of(job) == [(2, column, text(message, **params))]


def test_dealers_import_creates_a_region_on_first_use(tmp_path, hq_manager):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0401", "A", "西北", "陕西", "西安", 2],
        ["GL0402", "B", "西北", "陕西", "宝鸡", 3],
    )
    job = import_file("dealers", write(tmp_path, csv_text), user=hq_manager)
    assert job.created == 2
    assert Region.objects.filter(name="西北").count() == 1
    assert set(Dealer.objects.filter(region__name="西北").values_list("code", flat=True)) == {
        "GL0401",
        "GL0402",
    }


def test_unknown_dealer_code_is_a_row_error_for_hq(tmp_path, dealer, hq_manager):
    job = import_file("repair_orders", write(tmp_path, ro_rows({"dealer_code": "GL9999"})), user=hq_manager)
    assert errors_of(job) == [(2, "dealer_code", text(msg.ROW_UNKNOWN_DEALER, value="GL9999"))]


# --- natural keys -----------------------------------------------------------------------


def test_same_key_twice_in_one_file_is_an_error_on_the_second_row(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2"}, {"ro_number": "RO1"}))
    job = import_file("repair_orders", path, user=hq_manager)
    assert errors_of(job) == [
        (4, "dealer_code + ro_number", text(msg.ROW_DUPLICATE_KEY, key="dealer_code + ro_number", first=2))
    ]
    assert not RepairOrder.objects.exists()


def test_same_ro_number_at_two_dealers_is_two_repair_orders(tmp_path, dealer, other_dealer, hq_manager):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO1", "dealer_code": "GL0002"}))
    assert import_file("repair_orders", path, user=hq_manager).created == 2


def test_reimporting_the_same_file_changes_nothing(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "closed_at": ""}))
    first = import_file("repair_orders", path, user=hq_manager)
    stamps = dict(RepairOrder.objects.values_list("ro_number", "imported_at"))
    second = import_file("repair_orders", path, user=hq_manager)
    assert (first.created, first.updated, first.unchanged) == (2, 0, 0)
    assert (second.created, second.updated, second.unchanged, second.rejected) == (0, 0, 2, 0)
    assert dict(RepairOrder.objects.values_list("ro_number", "imported_at")) == stamps
    assert RepairOrder.objects.count() == 2


def test_a_changed_row_updates_its_record_and_its_import_time(tmp_path, dealer, hq_manager):
    old = RepairOrderFactory(dealer=dealer, ro_number="RO1", imported_at=local("2026-10-01 00:00"))
    job = import_file(
        "repair_orders",
        write(tmp_path, ro_rows({"ro_number": "RO1", "labor_amount": "999.99"})),
        user=hq_manager,
    )
    assert (job.created, job.updated, job.unchanged) == (0, 1, 0)
    old.refresh_from_db()
    assert old.labor_amount == Decimal("999.99")
    assert old.imported_at > local("2026-10-01 00:00")
    assert old.imported_at.microsecond == 0


def test_imported_timestamps_have_whole_seconds(tmp_path, dealer, hq_manager):
    path = write(
        tmp_path,
        ro_rows(
            {"opened_at": "2026-10-01T08:30:05.75+08:00", "booked_at": "", "promised_at": "", "closed_at": ""}
        ),
    )
    import_file("repair_orders", path, user=hq_manager)
    assert RepairOrder.objects.get().opened_at.microsecond == 0


# --- atomic, partial, dry run -----------------------------------------------------------


def test_atomic_import_with_bad_rows_writes_nothing_and_lists_every_error(tmp_path, dealer, hq_manager):
    path = write(
        tmp_path,
        ro_rows(
            {"ro_number": "RO1"},
            {"ro_number": "RO2", "vin": "BAD"},
            {"ro_number": "RO3"},
            {"ro_number": "RO4", "labor_amount": "-1", "repair_type": "x"},
        ),
    )
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert (job.created, job.updated, job.unchanged, job.rejected) == (0, 0, 0, 2)
    assert [(row, column) for row, column, _ in errors_of(job)] == [
        (3, "vin"),
        (5, "repair_type"),
        (5, "labor_amount"),
    ]
    assert not RepairOrder.objects.exists()


def test_partial_import_writes_valid_rows_and_keeps_rejected_rows_whole_in_the_error_file(
    tmp_path, dealer, hq_manager
):
    bad_row = {"ro_number": "RO2", "vin": "LB3E8MAL8RVO00001", "fault_code": '=HYPERLINK("x")'}
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, bad_row, {"ro_number": "RO3"}))
    job = import_file("repair_orders", path, user=hq_manager, partial=True)
    assert job.status == ImportStatus.PARTIAL
    assert (job.created, job.rejected) == (2, 1)
    assert set(RepairOrder.objects.values_list("ro_number", flat=True)) == {"RO1", "RO3"}
    content = job.error_file.read()
    assert content.startswith(b"\xef\xbb\xbf")
    lines = content.decode("utf-8-sig").splitlines()
    assert lines[0] == csv_line([*RO_COLUMNS, f"error ({text(msg.ERROR_FILE_NOTE)})"])
    # Whole, but with the formula neutralised (the file as uploaded stays on the job).
    neutralised = {**RO_DEFAULTS, **bad_row, "fault_code": '\'=HYPERLINK("x")'}
    assert lines[1].startswith(csv_line([neutralised[c] for c in RO_COLUMNS]) + ",")
    assert "vin: " + text(msg.ROW_BAD_VIN, value="LB3E8MAL8RVO00001") in lines[1]
    assert len(lines) == 2


def test_partial_import_keeps_a_multiline_rejected_row_unchanged(tmp_path, dealer, hq_manager):
    csv_text = table(
        ["complaint_id", "dealer_code", "received_at", "category", "description"],
        ["C1", "GL0001", "2026-10-01 10:00", "quality", "ok"],
        ["C2", "GL0001", "2026-10-01 10:00", "nonsense", "line one\nline, two"],
    )
    job = import_file("complaints", write(tmp_path, csv_text), user=hq_manager, partial=True)
    import csv

    rows = list(csv.reader(io.StringIO(job.error_file.read().decode("utf-8-sig"))))
    assert rows[1][:5] == ["C2", "GL0001", "2026-10-01 10:00", "nonsense", "line one\nline, two"]


def test_dry_run_writes_nothing_queues_nothing_and_audits_nothing(
    tmp_path, dealer, hq_manager, django_capture_on_commit_callbacks
):
    path = write(tmp_path, ro_rows({"ro_number": "RO1"}, {"ro_number": "RO2", "vin": "BAD"}))
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_file("repair_orders", path, user=hq_manager, dry_run=True)
    assert job.status == ImportStatus.PREVIEWED
    assert (job.created, job.rejected) == (1, 1)
    assert not RepairOrder.objects.exists()
    assert callbacks == []
    assert not AuditEvent.objects.exists()


def test_dry_run_of_dealers_creates_no_region(tmp_path, hq_manager):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0501", "A", "海外", "-", "-", 1],
    )
    import_file("dealers", write(tmp_path, csv_text), user=hq_manager, dry_run=True)
    assert not Region.objects.filter(name="海外").exists()


def test_successful_import_queues_a_recompute_of_the_periods_it_touched(
    tmp_path, dealer, hq_manager, django_capture_on_commit_callbacks, monkeypatch
):
    queued: list[list[str]] = []
    monkeypatch.setattr(
        "assessments.importing.service.queue_recompute", lambda periods: queued.append(periods)
    )
    Period.objects.create(code="2026-08", status=PeriodStatus.CLOSED)
    path = write(
        tmp_path,
        ro_rows(
            {
                "ro_number": "RO1",
                "opened_at": "2026-09-30 23:59:59",
                "closed_at": "2026-10-01 00:00:00",
                "booked_at": "",
                "promised_at": "",
            },
            {
                "ro_number": "RO2",
                "opened_at": "2026-08-31 10:00",
                "closed_at": "",
                "booked_at": "",
                "promised_at": "",
            },
        ),
    )
    with django_capture_on_commit_callbacks(execute=True):
        job = import_file("repair_orders", path, user=hq_manager)
    assert job.periods_touched == ["2026-08", "2026-09", "2026-10"]
    assert queued == [["2026-09", "2026-10"]]


def test_import_that_writes_nothing_queues_no_recompute(
    tmp_path, dealer, hq_manager, django_capture_on_commit_callbacks
):
    path = write(tmp_path, ro_rows({}))
    import_file("repair_orders", path, user=hq_manager)
    with django_capture_on_commit_callbacks() as callbacks:
        job = import_file("repair_orders", path, user=hq_manager)
    assert job.unchanged == 1
    assert callbacks == []


def test_every_import_leaves_a_record(tmp_path, dealer, hq_manager):
    path = write(tmp_path, ro_rows({}), name="十月工单.csv")
    job = import_file("repair_orders", path, user=hq_manager)
    job.refresh_from_db()
    import hashlib

    assert job.user == hq_manager
    assert job.kind == "repair_orders"
    assert job.file_name == "十月工单.csv"
    assert job.file_size == path.stat().st_size
    assert job.checksum == hashlib.sha256(path.read_bytes()).hexdigest()
    assert job.finished_at is not None and job.duration_seconds is not None
    assert job.status == ImportStatus.SUCCEEDED and job.rows_total == 1
    event = AuditEvent.objects.get(action="import.finished")
    assert event.actor == hq_manager and event.after["created"] == 1


def test_import_from_a_file_object(dealer, hq_manager):
    job = import_file("repair_orders", io.BytesIO(ro_rows({}).encode()), user=hq_manager, file_name="up.csv")
    assert job.created == 1 and job.file_name == "up.csv"


# --- who may import what ----------------------------------------------------------------


def test_dealer_user_gets_not_your_dealer_for_any_other_code_whether_it_exists_or_not(
    tmp_path, dealer, other_dealer, dealer_user
):
    path = write(
        tmp_path,
        ro_rows(
            {"ro_number": "RO1"},
            {"ro_number": "RO2", "dealer_code": "GL0002"},
            {"ro_number": "RO3", "dealer_code": "GL9999"},
        ),
    )
    job = import_file("repair_orders", path, user=dealer_user)
    assert errors_of(job) == [
        (3, "dealer_code", text(msg.ROW_NOT_YOUR_DEALER, value="GL0002")),
        (4, "dealer_code", text(msg.ROW_NOT_YOUR_DEALER, value="GL9999")),
    ]
    assert not RepairOrder.objects.exists()


def test_dealer_user_imports_their_own_rows_and_the_job_is_theirs(
    tmp_path, dealer, dealer_user, other_dealer_user
):
    job = import_file("repair_orders", write(tmp_path, ro_rows({})), user=dealer_user)
    assert job.status == ImportStatus.SUCCEEDED
    assert job.dealer == dealer
    assert ImportJob.objects.for_user(dealer_user).filter(pk=job.pk).exists()
    assert not ImportJob.objects.for_user(other_dealer_user).filter(pk=job.pk).exists()


def test_dealer_user_may_not_import_dealers(tmp_path, dealer_user):
    csv_text = table(
        ["dealer_code", "name", "region", "province", "city", "city_tier"],
        ["GL0001", "X", "华东", "江苏", "南京", 1],
    )
    job = import_file("dealers", write(tmp_path, csv_text), user=dealer_user)
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_NOT_ALLOWED, kind=ImportKind.DEALERS.label)


def test_regional_manager_may_not_upload(tmp_path, dealer, regional_manager):
    job = import_file("repair_orders", write(tmp_path, ro_rows({})), user=regional_manager)
    assert job.status == ImportStatus.REJECTED
    assert not RepairOrder.objects.exists()


def test_dealer_user_cannot_overwrite_another_dealers_complaint_by_its_id(
    tmp_path, dealer, other_dealer, dealer_user
):
    ComplaintFactory(complaint_id="C-THEIRS", dealer=other_dealer, description="theirs")
    csv_text = table(
        ["complaint_id", "dealer_code", "received_at", "category", "description"],
        ["C-THEIRS", "GL0001", "2026-10-01 10:00", "quality", "mine now"],
    )
    job = import_file("complaints", write(tmp_path, csv_text), user=dealer_user)
    # Keyed per dealer: the same id is a new complaint of this dealer, theirs is untouched.
    assert (job.created, job.updated, errors_of(job)) == (1, 0, [])
    theirs = Complaint.objects.get(dealer=other_dealer)
    assert (theirs.complaint_id, theirs.description) == ("C-THEIRS", "theirs")
    assert Complaint.objects.get(dealer=dealer).description == "mine now"


# --- submissions ------------------------------------------------------------------------

SUBMISSION_HEADER = [
    "dealer_code",
    "period",
    "technicians",
    "certified_technicians",
    "equipment_total",
    "equipment_ok",
    "training_hours",
]


def test_submissions_imported_by_hq_are_approved(tmp_path, dealer, hq_manager):
    csv_text = table(SUBMISSION_HEADER, ["GL0001", "2026-10", 10, 9, 20, 19, "60.5"])
    job = import_file("submissions", write(tmp_path, csv_text), user=hq_manager)
    submission = MonthlySubmission.objects.get()
    assert job.periods_touched == ["2026-10"]
    assert (submission.status, submission.reviewed_by) == (SubmissionStatus.APPROVED, hq_manager)
    assert submission.reviewed_at is not None
    again = import_file("submissions", write(tmp_path, csv_text), user=hq_manager)
    assert again.unchanged == 1


def test_submissions_imported_by_a_dealer_user_are_submitted_not_approved(tmp_path, dealer, dealer_user):
    csv_text = table(SUBMISSION_HEADER, ["GL0001", "2026-10", 10, 9, 20, 19, "60"])
    import_file("submissions", write(tmp_path, csv_text), user=dealer_user)
    assert MonthlySubmission.objects.get().status == SubmissionStatus.SUBMITTED


def test_submission_of_a_closed_period_is_refused(tmp_path, dealer, hq_manager):
    Period.objects.create(code="2026-09", status=PeriodStatus.CLOSED)
    csv_text = table(SUBMISSION_HEADER, ["GL0001", "2026-09", 10, 9, 20, 19, "60"])
    job = import_file("submissions", write(tmp_path, csv_text), user=hq_manager)
    assert errors_of(job) == [(2, "period", text(msg.ROW_PERIOD_CLOSED, value="2026-09"))]


def test_submission_counts_may_not_exceed_their_totals(tmp_path, dealer, hq_manager):
    csv_text = table(
        SUBMISSION_HEADER, ["GL0001", "2026-10", 10, 11, 20, 21, "60"], ["GL0001", "2026-13", 1, 1, 1, 1, "1"]
    )
    job = import_file("submissions", write(tmp_path, csv_text), user=hq_manager)
    assert errors_of(job) == [
        (2, "certified_technicians", text(msg.ROW_MORE_THAN, value=11, other="technicians", limit=10)),
        (2, "equipment_ok", text(msg.ROW_MORE_THAN, value=21, other="equipment_total", limit=20)),
        (3, "period", text(msg.ROW_BAD_PERIOD, value="2026-13")),
    ]


# --- XLSX -------------------------------------------------------------------------------


def test_xlsx_first_sheet_imports_with_date_cells_as_local_time(tmp_path, dealer, hq_manager):
    content = xlsx_bytes(
        ["工单号", "经销商代码", "VIN码", "维修类型", "开单时间", "交车时间", "故障代码", "工时费"],
        [
            "RO1",
            "GL0001",
            "LB3E8MAL8RV000001",
            "维修",
            datetime(2026, 10, 1, 8, 30),
            "2026-10-02 09:00",
            "F1",
            1234.5,
        ],
    )
    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED, (job.message, job.errors)
    order = RepairOrder.objects.get()
    assert order.opened_at == datetime(2026, 10, 1, 8, 30, tzinfo=SHANGHAI)
    assert order.labor_amount == Decimal("1234.50")


def test_xlsx_dealers_with_a_date_cell_for_the_opening_day(tmp_path, hq_manager):
    from datetime import date

    content = xlsx_bytes(
        ["经销商代码", "经销商名称", "大区", "省份", "城市", "城市级别", "开业日期"],
        ["GL0601", "吉利宁波店", "华东", "浙江", "宁波", 2, date(2019, 3, 8)],
    )
    job = import_file("dealers", write(tmp_path, content, name="dealers.xlsx"), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert Dealer.objects.get(code="GL0601").opened_on == date(2019, 3, 8)


def test_xlsx_formula_without_a_cached_value_is_a_row_error(tmp_path, dealer, hq_manager):
    content = xlsx_bytes(
        ["ro_number", "dealer_code", "vin", "repair_type", "opened_at", "fault_code", "labor_amount"],
        ["RO1", "GL0001", "LB3E8MAL8RV000001", "repair", "2026-10-01 08:30", "F1", "=100+200"],
    )
    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)
    assert errors_of(job) == [(2, "labor_amount", text(msg.ROW_FORMULA_NO_VALUE))]


def test_xlsx_formula_with_a_cached_value_is_taken_as_that_value_never_evaluated(
    tmp_path, dealer, hq_manager
):
    content = xlsx_bytes(
        ["ro_number", "dealer_code", "vin", "repair_type", "opened_at", "fault_code", "labor_amount"],
        ["RO1", "GL0001", "LB3E8MAL8RV000001", "repair", "2026-10-01 08:30", "F1", "=100+200"],
    )
    content = _with_cached_value(content, "250")  # not 300: the formula is not evaluated
    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)
    assert job.status == ImportStatus.SUCCEEDED, job.errors
    assert RepairOrder.objects.get().labor_amount == Decimal("250")


def _with_cached_value(content: bytes, value: str) -> bytes:
    source = zipfile.ZipFile(io.BytesIO(content))
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            data = source.read(info.filename)
            if info.filename == "xl/worksheets/sheet1.xml":
                data = re.sub(
                    rb"<f>(.*?)</f>(<v\s*/>|<v></v>)?", rb"<f>\1</f><v>" + value.encode() + rb"</v>", data
                )
            target.writestr(info, data)
    return out.getvalue()


def test_xlsx_zip_bomb_is_rejected_before_it_is_opened(tmp_path, dealer, hq_manager):
    path = tmp_path / "bomb.xlsx"
    with zipfile.ZipFile(path, "w", zipfile.ZIP_DEFLATED) as archive:
        with archive.open("xl/worksheets/sheet1.xml", "w", force_zip64=True) as member:
            block = b"\x00" * (1 << 20)
            for _ in range(64):
                member.write(block)
    job = import_file("repair_orders", path, user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message.startswith(str(msg.FILE_XLSX_BOMB).split("%")[0])


@override_settings(IMPORT_MAX_XLSX_UNCOMPRESSED_BYTES=1000)
def test_xlsx_declaring_more_than_the_limit_is_rejected(tmp_path, dealer, hq_manager):
    content = xlsx_bytes(["ro_number"], ["RO1"])
    job = import_file("repair_orders", write(tmp_path, content, name="orders.xlsx"), user=hq_manager)
    assert job.status == ImportStatus.REJECTED
    assert job.message.startswith(str(msg.FILE_XLSX_BOMB).split("%")[0])


def test_xlsx_cut_short_is_rejected(tmp_path, dealer, hq_manager):
    content = xlsx_bytes(list(RO_COLUMNS), [RO_DEFAULTS[c] for c in RO_COLUMNS])
    job = import_file(
        "repair_orders", write(tmp_path, content[: len(content) // 2], name="orders.xlsx"), user=hq_manager
    )
    assert job.status == ImportStatus.REJECTED
    assert job.message == text(msg.FILE_XLSX_INVALID)


def test_zip_that_is_not_a_workbook_is_rejected(tmp_path, dealer, hq_manager):
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w") as archive:
        archive.writestr("word/document.xml", "<w:document/>")
    job = import_file("repair_orders", write(tmp_path, out.getvalue(), name="letter.xlsx"), user=hq_manager)
    assert job.message == text(msg.FILE_XLSX_INVALID)


# --- large files stay streaming ---------------------------------------------------------


def test_a_file_of_many_chunks_imports_every_row(tmp_path, dealer, hq_manager, monkeypatch):
    monkeypatch.setattr("assessments.importing.service.CHUNK_ROWS", 7)
    rows = [{"ro_number": f"RO{i:04d}"} for i in range(50)]
    rows[33]["vin"] = "NOPE"
    job = import_file("repair_orders", write(tmp_path, ro_rows(*rows)), user=hq_manager, partial=True)
    assert (job.created, job.rejected, job.rows_total) == (49, 1, 50)
    assert errors_of(job)[0][:2] == (35, "vin")


def test_opened_at_is_stored_as_an_aware_instant(tmp_path, dealer, hq_manager):
    changes = {"opened_at": "2026-10-01 00:00", "booked_at": "", "promised_at": "", "closed_at": ""}
    assert import_file("repair_orders", write(tmp_path, ro_rows(changes)), user=hq_manager).created == 1
    assert RepairOrder.objects.filter(
        opened_at__lt=datetime(2026, 10, 1, tzinfo=SHANGHAI) + timedelta(seconds=1)
    ).exists()


def test_a_later_chunk_with_existing_keys_is_merged_not_duplicated(tmp_path, dealer, hq_manager, monkeypatch):
    monkeypatch.setattr("assessments.importing.service.CHUNK_ROWS", 7)
    RepairOrderFactory(dealer=dealer, ro_number="RO0040", labor_amount=Decimal("1.00"))
    RepairOrderFactory(dealer=dealer, ro_number="RO0041", **_as_imported(RO_DEFAULTS))
    rows = [{"ro_number": f"RO{i:04d}"} for i in range(50)]
    job = import_file("repair_orders", write(tmp_path, ro_rows(*rows)), user=hq_manager)
    assert (job.created, job.updated, job.unchanged) == (48, 1, 1)
    assert RepairOrder.objects.count() == 50
    assert RepairOrder.objects.get(ro_number="RO0040").labor_amount == Decimal("300.00")


def _as_imported(values: dict[str, str]) -> dict:
    return {
        "vin": values["vin"],
        "repair_type": values["repair_type"],
        "booked_at": local(values["booked_at"]),
        "opened_at": local(values["opened_at"]),
        "promised_at": local(values["promised_at"]),
        "closed_at": local(values["closed_at"]),
        "fault_code": values["fault_code"],
        "labor_hours": Decimal(values["labor_hours"]),
        "labor_amount": Decimal(values["labor_amount"]),
        "parts_amount": Decimal(values["parts_amount"]),
        "warranty_cost": Decimal(values["warranty_cost"]),
    }


@pytest.mark.parametrize(
    ("language", "expected"),
    [("en", "“LB3E8MAL8RVO00001” is not a VIN"), ("zh-hans", "“LB3E8MAL8RVO00001”不是有效的 VIN 码")],
)
def test_row_errors_are_in_the_users_language(tmp_path, dealer, hq_manager, language, expected):
    from django.utils import translation

    with translation.override(language):
        job = import_file(
            "repair_orders", write(tmp_path, ro_rows({"vin": "LB3E8MAL8RVO00001"})), user=hq_manager
        )
    assert job.errors[0]["message"].startswith(expected)
