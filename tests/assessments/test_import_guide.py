"""What to upload (issue #20): every kind's columns with their rules on the upload page, and a
template per kind (CSV and XLSX, Chinese headers, one example row) that the importer accepts."""

from __future__ import annotations

import csv
import io
from datetime import date

import pytest
from openpyxl import load_workbook

from assessments.choices import ImportKind
from assessments.importing.guide import GUIDE, columns_of, template_rows
from assessments.importing.kinds import Context, get_kind

from ..conftest import client_for


@pytest.mark.parametrize("kind", ImportKind.values)
def test_every_column_of_every_kind_has_a_rule_and_an_example(kind):
    names = [c.name for c in get_kind(kind).columns]
    assert list(GUIDE[kind]) == names, "the guide must list the kind's columns in file order"
    for column in columns_of(kind):
        if column.required:
            assert column.example, f"{kind}.{column.name}: a required column needs an example"


@pytest.mark.parametrize("kind", ImportKind.values)
def test_each_template_row_passes_the_importers_own_checks(kind):
    spec = get_kind(kind)
    header, example = template_rows(kind)
    bound = spec.bind(header)  # the Chinese headers are read like English ones
    context = Context(dealers={"GL0001": 1}, sees_all=True, today=date(2026, 12, 4))
    result = spec.validator(bound, context)(example, ())
    assert not isinstance(result, list), f"{kind}: the example row is refused: {result}"


def test_a_dealer_user_downloads_templates_in_both_formats_but_not_the_dealer_registry(dealer_user):
    client = client_for(dealer_user)
    response = client.get("/assessments/imports/template/repair_orders.csv")
    rows = list(csv.reader(io.StringIO(response.content.decode("utf-8-sig"))))
    assert rows[0][:3] == ["工单号", "经销商代码", "VIN码"] and len(rows) == 2
    book = load_workbook(io.BytesIO(client.get("/assessments/imports/template/complaints.xlsx").content))
    sheet = book.worksheets[0]
    assert [c.value for c in sheet[1]][:2] == ["投诉编号", "经销商代码"]
    assert client.get("/assessments/imports/template/dealers.csv").status_code == 404
    assert client.get("/assessments/imports/template/nonsense.csv").status_code == 404


def test_the_upload_page_lists_each_kinds_columns_and_template_links(hq_manager, dealer_user):
    body = (
        client_for(hq_manager)
        .get("/assessments/imports/upload/", HTTP_ACCEPT_LANGUAGE="zh-hans")
        .content.decode()
    )
    for kind in ImportKind.values:
        assert f'data-testid="guide-{kind}"' in body and f'data-testid="template-{kind}-xlsx"' in body
    assert "承诺交车时间" in body and "P0301" in body
    dealer_page = client_for(dealer_user).get("/assessments/imports/upload/").content.decode()
    assert 'data-testid="guide-dealers"' not in dealer_page
