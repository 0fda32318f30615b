"""The one export helper (issue #20): every XLSX has a bold, frozen header row and columns as
wide as their text, a Chinese character counting two."""

from __future__ import annotations

import io
from datetime import date
from decimal import Decimal

import pytest
from openpyxl import load_workbook

from assessments.exporting import MAX_WIDTH, MIN_WIDTH, column_widths, text_width, write_xlsx

from ..conftest import client_for


def _sheet(content: bytes):
    return load_workbook(io.BytesIO(content)).active


def test_an_xlsx_has_a_frozen_bold_header_and_columns_as_wide_as_their_text():
    rows = [["GL0001", "吉利南京01店" * 2, Decimal("87.25"), date(2026, 10, 1)] for _ in range(3)]

    sheet = _sheet(write_xlsx(rows, ["Code", "经销商", "Score", "Opened on"], "Dealers"))

    assert sheet.freeze_panes == "A2"
    assert sheet["A1"].font.b and not sheet["A2"].font.b
    widths = {letter: sheet.column_dimensions[letter].width for letter in "ABCD"}
    # B: 10 Chinese characters (20) and 4 digits, plus a margin of 2; D: a date is 10 wide
    assert widths == {"A": 8, "B": 26, "C": 8, "D": 12}
    assert sheet["C2"].value == 87.25 and sheet["D2"].value.date() == date(2026, 10, 1)
    assert sheet.max_row == 4


def test_widths_count_chinese_characters_double_and_stay_within_bounds():
    assert text_width("吉利") == 4 and text_width("GL01") == 4 and text_width(None) == 0
    assert text_width("第一行\nlonger second line") == len("longer second line")

    widths = column_widths([["x", "长" * 100], ["", ""]])

    assert widths == [MIN_WIDTH, MAX_WIDTH]


def test_widths_are_measured_on_the_first_rows_and_every_row_is_written():
    rows = ([str(i), "短"] if i < 250 else [str(i), "很长" * 20] for i in range(300))

    sheet = _sheet(write_xlsx(rows, ["n", "text"]))

    assert sheet.max_row == 301  # the held-back sample and the streamed rest alike
    assert sheet.column_dimensions["B"].width == MIN_WIDTH  # the long rows came after the sample


@pytest.mark.django_db
def test_every_page_export_gets_the_frozen_header(dealer, hq_manager):
    response = client_for(hq_manager).get("/dealers/export.xlsx", HTTP_ACCEPT_LANGUAGE="zh-hans")

    sheet = _sheet(response.content)

    assert sheet.freeze_panes == "A2" and sheet["A1"].value == "经销商代码"
    assert sheet.column_dimensions["B"].width >= len("吉利南京01店") + 4
