"""Roster import: Chinese headers, CSV or XLSX, all rows or none, errors in the user's language."""

from __future__ import annotations

import io
from datetime import date

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.urls import reverse
from django.utils import translation
from openpyxl import Workbook

from assessments.exporting import write_csv
from dealers.models import AuditEvent
from tests.conftest import client_for
from tests.factories import TechnicianFactory
from training.importing import BAD_CHOICE, BAD_DATE, MISSING_COLUMNS, ROSTER_HEADER, parse_roster
from training.models import Certification, Technician, TrainingRecord

GOOD_ROWS = [
    [
        "王伟",
        "高级技师",
        "2018-03-01",
        "",
        "吉利售后维修技师认证",
        "高级",
        "GT2024000001",
        "2024-01-01",
        "2027-01-01",
        "",
        "",
        "",
    ],
    ["王伟", "高级技师", "2018-03-01", "", "", "", "", "", "", "新能源三电系统检修", "16", "2026-10-12"],
    ["李娜", "服务顾问", "2023/06/15", "", "", "", "", "", "", "", "", ""],
    [
        "张磊",
        "Diagnostic technician",
        "2020-01-01",
        "",
        "车辆故障诊断技术认证",
        "expert",
        "",
        "2025-05-01",
        "2028-05-01",
        "",
        "",
        "",
    ],
]


def csv_file(rows, header=ROSTER_HEADER, name="roster.csv") -> SimpleUploadedFile:
    return SimpleUploadedFile(name, write_csv(rows, header), content_type="text/csv")


def xlsx_file(rows) -> SimpleUploadedFile:
    workbook = Workbook()
    sheet = workbook.active
    sheet.append(ROSTER_HEADER)
    for row in rows:
        sheet.append(
            [
                date.fromisoformat(v)
                if isinstance(v, str) and v[:2] == "20" and len(v) == 10 and "-" in v
                else v
                for v in row
            ]
        )
    out = io.BytesIO()
    workbook.save(out)
    return SimpleUploadedFile("roster.xlsx", out.getvalue())


@pytest.mark.parametrize("make_file", [csv_file, xlsx_file], ids=["csv", "xlsx"])
def test_a_good_file_adds_technicians_certificates_and_hours(dealer, dealer_user, make_file):
    response = client_for(dealer_user).post(reverse("training:import"), {"file": make_file(GOOD_ROWS)})

    assert response.status_code == 302
    assert sorted(Technician.objects.filter(dealer=dealer).values_list("name", flat=True)) == [
        "张磊",
        "李娜",
        "王伟",
    ]
    wang = Technician.objects.get(name="王伟")
    assert wang.role == "senior_technician" and wang.certifications.get().level == "senior"
    assert wang.training_records.get().hours == 16
    assert Technician.objects.get(name="李娜").hire_date == date(2023, 6, 15)
    assert Certification.objects.get(technician__name="张磊").level == "expert"
    assert AuditEvent.objects.get(action="roster.imported").after == {
        "technicians": 3,
        "certifications": 2,
        "training": 1,
    }


def test_a_file_with_one_bad_row_writes_nothing_and_names_the_row_in_chinese(dealer, dealer_user):
    bad = [*GOOD_ROWS, ["赵敏", "厨师", "2020-13-01", "", "", "", "", "", "", "", "", ""]]

    response = client_for(dealer_user).post(reverse("training:import"), {"file": csv_file(bad)})

    assert response.status_code == 200
    assert not Technician.objects.exists() and not Certification.objects.exists()
    assert not TrainingRecord.objects.exists()
    errors = response.context["errors"]
    assert {line for line, _ in errors} == {6}
    with translation.override("zh-hans"):
        assert str(BAD_DATE) % {"column": "入职日期", "value": "2020-13-01"} in [m for _, m in errors]
    page = response.content.decode()
    assert "入职日期 不是日期" in page and "岗位 不是 技师、高级技师" in page


def test_the_errors_are_in_english_for_an_english_user(dealer_user):
    response = client_for(dealer_user).post(
        reverse("training:import"),
        {"file": csv_file([["赵敏", "厨师", "2020-01-01"]], header=["姓名", "岗位", "入职日期"])},
        HTTP_ACCEPT_LANGUAGE="en",
    )

    assert "岗位 is not one of" in response.content.decode()


def test_a_file_without_the_required_columns_is_refused_as_a_whole():
    result = parse_roster(write_csv([["王伟", "技师"]], ["名字", "岗位"]), "x.csv")

    assert result.rows == []
    with translation.override("zh-hans"):
        assert result.errors == [(0, str(MISSING_COLUMNS) % {"columns": "姓名、入职日期"})]


@pytest.mark.parametrize(
    ("row", "fragment"),
    [
        (["王伟", "技师", "2020-01-01", "", "证书A", "大师", "", "2024-01-01", "2027-01-01"], BAD_CHOICE),
        (["王伟", "技师", "2020-01-01", "", "证书A", "初级", "", "2024-01-01", "2023-01-01"], "有效期至"),
        (["王伟", "技师", "2020-01-01", "", "", "", "", "", "", "课程A", "很多", "2026-10-01"], "学时"),
        (["王伟", "技师", "2020-01-01", "2019-01-01"], "离职日期"),
        (["", "技师", "2020-01-01"], "姓名"),
    ],
)
def test_each_kind_of_bad_row_gets_a_message(row, fragment):
    with translation.override("zh-hans"):
        result = parse_roster(write_csv([row], ROSTER_HEADER[: len(row)]), "x.csv")

    assert result.rows == []
    assert len(result.errors) >= 1 and result.errors[0][0] == 2
    if isinstance(fragment, str):
        assert fragment in result.errors[0][1]


def test_an_unreadable_file_is_one_clear_error(dealer_user):
    response = client_for(dealer_user).post(
        reverse("training:import"), {"file": SimpleUploadedFile("roster.xlsx", b"PK\x03\x04 not really")}
    )

    assert response.status_code == 200 and len(response.context["errors"]) == 1
    assert not Technician.objects.exists()


def test_an_exported_roster_imports_again_without_duplicates(dealer, dealer_user):
    client = client_for(dealer_user)
    client.post(reverse("training:import"), {"file": csv_file(GOOD_ROWS)})
    exported = client.get(reverse("training:roster_export", args=["xlsx"])).content

    client.post(reverse("training:import"), {"file": SimpleUploadedFile("roster.xlsx", exported)})

    assert Technician.objects.count() == 3 and Certification.objects.count() == 2
    assert TrainingRecord.objects.count() == 1


def test_an_import_finds_technicians_already_on_the_roster_by_name(dealer, dealer_user, other_dealer):
    TechnicianFactory(dealer=dealer, name="王伟")
    TechnicianFactory(dealer=other_dealer, name="李娜")  # another dealer's: not matched

    client_for(dealer_user).post(reverse("training:import"), {"file": csv_file(GOOD_ROWS)})

    assert Technician.objects.filter(dealer=dealer).count() == 3
    assert Technician.objects.filter(dealer=other_dealer).count() == 1
