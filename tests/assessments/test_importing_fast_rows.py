"""The repair orders' fast row check gives exactly what the full rules give, or steps aside.

`RepairOrdersKind.fast_validator` checks a row written as the portal's template writes it
with one regular expression (issue #21: the parsing was the import's largest cost). It may
refuse a good row, which then takes the full rules; it must never accept a row the full
rules refuse, nor store a value differently. Here both see thousands of rows made of good
and bad cells of every column, and must agree wherever the fast check answers.
"""

from __future__ import annotations

import random
from datetime import date

from assessments.importing.kinds import Context, get_kind

from .import_helpers import RO_COLUMNS

HEADER = RO_COLUMNS  # the template's order
TODAY = date(2026, 12, 6)  # events up to 2026-12-07, promises up to 2027-12-07
TIMES = [
    "2026-10-10 09:00:00",
    "2026-10-10 09:00:00",
    "2026-10-09 08:59:59",
    "2026-10-12 17:30:00",
    "2026-12-07 23:59:59",  # the last day an event may have
    "2026-12-08 00:00:00",  # a day too far for an event, fine for a promise
    "2027-12-07 10:00:00",
    "2027-12-08 10:00:00",  # too far even for a promise
    "2000-01-01 00:00:00",
    "1999-12-31 23:59:59",
    "2026-02-29 10:00:00",  # no such day
    "2024-02-29 10:00:00",
    "2026-04-31 10:00:00",
    "2026-10-10 24:00:00",
    "2026-10-10 9:00",
    "2026-10-10 09:00",
    "2026/10/10 09:00:00",
    "2026-10-10T09:00:00+08:00",
    "2026-10-10 01:00:00Z",
    " 2026-10-10 09:00:00",
    "２０２６-10-10 09:00:00",
    "2026-13-01 10:00:00",
    "yesterday",
    "",
]
CELLS = {
    "ro_number": [
        "RO0001",
        "RO0002",
        "RO-甲-3",
        " RO4",
        "RO5 ",
        "R" * 40,
        "R" * 41,
        "RO\t6",
        "RO\\7",
        "",
        "  ",
    ],
    "dealer_code": ["GL0001", "GL0001", "GL0002", "gl0001", "ZZ9999", " GL0001", "GL 0001", "", "G" * 21],
    "vin": [
        "LB3E8MAL8RV000001",
        "LB3E8MAL8RV000001",
        "lb3e8mal8rv000001",
        "LB3E8MAL8RV00000I",
        "LB3E8MAL8RV00001",
        " LB3E8MAL8RV000001",
        "",
    ],
    "repair_type": ["repair", "warranty", "maintenance", "accident", "Repair", "维修", "保养", "tyres", ""],
    "booked_at": TIMES,
    "opened_at": TIMES,
    "promised_at": TIMES,
    "closed_at": TIMES,
    "fault_code": ["F001", "F001", "", "", " F1", "F1 ", "X" * 20, "X" * 21, "F\t1", "F\\2", "故障"],
    "labor_hours": ["2.5", "0", "", "123456", "1234567", "2.55", "1,234", "-1", "abc", "٣"],
    "labor_amount": ["300.00", "0", "", "1,234.50", "123456789012", "1234567890123", "5.5", "-5", "1e3"],
    "parts_amount": ["500", "0", "", "0.01", "1,2", ".5", "5."],
    "warranty_cost": ["0", "", "99.99", "99.999", " 1"],
}


GOOD = [
    "RO0001",
    "GL0001",
    "LB3E8MAL8RV000001",
    "repair",
    "2026-10-09 08:00:00",
    "2026-10-10 09:00:00",
    "2026-10-11 09:00:00",
    "2026-10-11 08:00:00",
    "F001",
    "2.5",
    "300.00",
    "500",
    "0",
]


def _validators(header=HEADER):
    spec = get_kind("repair_orders")
    bound = spec.bind(header)
    context = Context(dealers={"GL0001": 11, "GL0002": 12}, sees_all=True, today=TODAY)
    return spec, bound, spec.validator(bound, context, fast=False), spec.fast_validator(bound, context)


def _rows(count: int, seed: int):
    rng = random.Random(seed)
    good = dict(zip(HEADER, GOOD, strict=True))
    for _ in range(count):
        row = dict(good)
        for column in rng.sample(HEADER, rng.choice([0, 1, 1, 2, 3])):  # a few cells changed
            row[column] = rng.choice(CELLS[column])
        yield [row[column] for column in HEADER]


def test_wherever_the_fast_check_answers_it_answers_as_the_full_rules_do():
    _, _, full, fast = _validators()
    answered = deferred = refused_by_rules = 0
    for cells in _rows(12_000, seed=21):
        quick = fast(cells)
        expected = full(cells, ())
        if quick is None:
            deferred += 1
            refused_by_rules += type(expected) is list
            continue
        answered += 1
        assert type(expected) is not list, (cells, expected)
        assert quick == expected, cells
    # both paths were exercised, and many rows the rules refuse went to them
    assert answered > 3_000 and deferred > 3_000 and refused_by_rules > 2_000


def test_a_template_row_takes_the_fast_check_and_an_odd_one_the_full_rules():
    spec, bound, _, fast = _validators()
    validate = spec.validator(bound, Context(dealers={"GL0001": 11}, today=TODAY))
    row = list(GOOD)
    assert fast(row) is not None
    record, key, months = validate(row, ())
    assert record[0] == 11 and key == "GL0001\x1fRO0001" and months == ("2026-10", "2026-10")
    # a lower-case VIN is the full rules' to upper-case: same record, by the other path
    odd = [*row[:2], row[2].lower(), *row[3:]]
    assert fast(odd) is None
    assert validate(odd, ())[0] == record
    # a row cut short before a required cell goes to the full rules, which say so
    assert fast(row[:5]) is None
    assert type(validate(row[:5], ())) is list


def test_a_file_in_another_column_order_or_with_chinese_headers_has_no_fast_check():
    spec = get_kind("repair_orders")
    context = Context(dealers={"GL0001": 11}, today=TODAY)
    shuffled = [HEADER[1], HEADER[0], *HEADER[2:]]
    assert spec.fast_validator(spec.bind(shuffled), context) is None
    assert spec.fast_validator(spec.bind([*HEADER, "remark"]), context) is None
    chinese = [column.alias for column in spec.columns]
    # the aliases in the template's order: the same cells, so the same fast check
    assert spec.fast_validator(spec.bind(chinese), context) is not None


def test_a_chunks_copy_text_goes_dealer_by_dealer_and_keeps_every_row():
    """The indexes that start with the dealer then take a chunk in one sweep (PostgreSQL)."""
    from datetime import UTC, datetime

    from assessments.importing.writing import Actor, CopyWriter

    spec = get_kind("repair_orders")
    writer = CopyWriter(spec, Actor(user=None, approves=True), datetime(2026, 12, 6, tzinfo=UTC))
    records = [
        (dealer, f"RO{i}", *GOOD[2:9], "0", "0", "0", "0") for i, dealer in enumerate([3, 1, 2, 1, 3, 2])
    ]
    lines = writer.copy_text(records).decode().splitlines()
    assert [line.split("\t")[:2] for line in lines] == [
        ["1", "RO1"],
        ["1", "RO3"],
        ["2", "RO2"],
        ["2", "RO5"],
        ["3", "RO0"],
        ["3", "RO4"],
    ]
    assert all(len(line.split("\t")) == 13 for line in lines)
