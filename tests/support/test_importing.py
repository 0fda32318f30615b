"""Historical technical cases from CSV/XLSX: all rows or none, errors by line, no duplicates."""

from __future__ import annotations

import io

import pytest
from django.core.management import CommandError, call_command
from openpyxl import Workbook

from support.choices import CaseStatus, Urgency
from support.importing import HEADER, import_cases
from support.models import SupportCase
from support.selectors import solutions

pytestmark = pytest.mark.django_db

GOOD = [
    [
        "GL0001",
        "LSVAB4BM0NN000001",
        "P0300",
        "48210",
        "怠速抖动",
        "更换火花塞",
        "车辆停驶",
        "已关闭",
        "2025-03-02 09:15",
        "2025-03-02 10:00",
        "2025-03-03 16:30",
        "2025-03-04 09:00",
        "更换第3缸点火线圈",
    ],
    [
        "GL0002",
        "LSVAB4BM0NN000002",
        "",
        "",
        "空调异响",
        "",
        "可行驶",
        "new",
        "2025-04-01 08:00",
        "",
        "",
        "",
        "",
    ],
]


def csv_bytes(rows, header=HEADER) -> bytes:
    import csv

    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(header)
    writer.writerows(rows)
    return out.getvalue().encode("utf-8-sig")


def test_a_file_of_old_cases_comes_in_once_and_feeds_the_knowledge_base(dealer, other_dealer):
    created, known, errors = import_cases(csv_bytes(GOOD), "old.csv")
    assert (created, known, errors) == (2, 0, [])
    closed = SupportCase.objects.get(vin="LSVAB4BM0NN000001")
    assert (closed.urgency, closed.status, closed.mileage) == (Urgency.VOR, CaseStatus.CLOSED, 48210)
    assert closed.resolved_at is not None and closed.closed_at is not None
    assert closed.opened_at.isoformat() == "2025-03-02T01:15:00+00:00"  # Beijing time in the file
    open_case = SupportCase.objects.get(vin="LSVAB4BM0NN000002")
    assert open_case.status == CaseStatus.NEW and open_case.escalated_at is not None  # history: no alarm now
    assert [c.pk for c in solutions("抖动")] == [closed.pk]
    assert import_cases(csv_bytes(GOOD), "old.csv") == (0, 2, [])


def test_one_bad_row_writes_nothing_and_each_error_names_its_line(dealer, other_dealer):
    bad = [
        GOOD[0],
        ["GL9999", "LSV1", "", "lots", "", "", "飞行", "已关闭", "2025-13-01", "", "", "", ""],
        [
            "GL0001",
            "LSVAB4BM0NN000003",
            "",
            "",
            "漏油",
            "",
            "",
            "已解决",
            "2025-05-01 09:00",
            "",
            "2025-04-30 09:00",
            "",
            "",
        ],
    ]
    created, known, errors = import_cases(csv_bytes(bad), "bad.csv")
    assert (created, known) == (0, 0) and not SupportCase.objects.exists()
    lines = {line for line, _ in errors}
    assert lines == {3, 4}
    text = " ".join(message for _, message in errors)
    for expected in ("GL9999", "17", "lots", "发起时间", "解决方法", "解决时间 早于发起时间"):
        assert expected in text, expected


def test_xlsx_and_the_command(dealer, other_dealer, tmp_path):
    book = Workbook()
    sheet = book.active
    sheet.append(HEADER)
    for row in GOOD:
        sheet.append(row)
    path = tmp_path / "old.xlsx"
    book.save(path)
    out = io.StringIO()
    call_command("import_support_cases", str(path), stdout=out)
    assert "imported 2 cases" in out.getvalue()
    missing = tmp_path / "missing.csv"
    missing.write_bytes(csv_bytes([["GL0001"]], header=["经销商代码"]))
    with pytest.raises(CommandError, match="nothing was imported"):
        call_command("import_support_cases", str(missing), stdout=io.StringIO(), stderr=io.StringIO())
