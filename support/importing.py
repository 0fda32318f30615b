"""Historical technical cases from a file (CSV or XLSX, Chinese headers), all rows or none.

For bringing an earlier system's cases (and their fixes: the knowledge base) into the portal:
`manage.py import_support_cases FILE`. A case is known by its dealer, VIN and opening time, so
importing the same file again adds nothing. Errors name the line and the column, in the user's
language; one bad row writes no row.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from django.db import transaction
from django.utils import timezone
from django.utils.translation import gettext as _

from assessments.periods import SHANGHAI
from dealers.events import record
from dealers.models import Dealer
from training.importing import _text, chinese_labels, choice_lookup, read_table

from .choices import CaseStatus, Urgency
from .models import SupportCase, search_terms_of

HEADER = [
    "经销商代码",
    "VIN",
    "故障码",
    "里程",
    "故障现象",
    "已尝试措施",
    "紧急程度",
    "状态",
    "发起时间",
    "首次答复时间",
    "解决时间",
    "关闭时间",
    "解决方法",
]
REQUIRED = ("经销商代码", "VIN", "故障现象", "发起时间")
MAX_ROWS = 20000
SOLVED = (CaseStatus.RESOLVED, CaseStatus.CLOSED)


@dataclass
class Parsed:
    cases: list[SupportCase]
    errors: list[tuple[int, str]]  # (line of the file, message); line 0: the whole file


def _moment(value: Any) -> datetime | None:
    """A time as written in the file (Beijing time): 2026-11-03 09:15[:00], or an XLSX date."""
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.replace(tzinfo=SHANGHAI) if timezone.is_naive(value) else value
    text = _text(value).replace("/", "-")
    for fmt in ("%Y-%m-%d %H:%M:%S", "%Y-%m-%d %H:%M", "%Y-%m-%d"):
        try:
            return datetime.strptime(text, fmt).replace(tzinfo=SHANGHAI)
        except ValueError:
            continue
    raise ValueError(text)


def parse(content: bytes, file_name: str) -> Parsed:
    try:
        table = read_table(content, file_name)
    except Exception:  # noqa: BLE001 - any unreadable file is one message, never a crash
        return Parsed([], [(0, _("The file could not be read as CSV or XLSX."))])
    table = [row for row in table if any(_text(c) for c in row)]
    if len(table) < 2:
        return Parsed([], [(0, _("The file has no rows."))])
    if len(table) - 1 > MAX_ROWS:
        return Parsed([], [(0, _("The file has more than %(max)s rows.") % {"max": MAX_ROWS})])
    header = [_text(c) for c in table[0]]
    missing = [c for c in REQUIRED if c not in header]
    if missing:
        return Parsed([], [(0, _("Missing columns: %(columns)s.") % {"columns": "、".join(missing)})])
    at = {name: header.index(name) for name in HEADER if name in header}
    dealers = {d.code: d for d in Dealer.objects.all()}
    urgencies, statuses = choice_lookup(Urgency), choice_lookup(CaseStatus)
    urgencies.update({"停驶": Urgency.VOR, "可行驶": Urgency.NORMAL})  # as people write them
    cases: list[SupportCase] = []
    errors: list[tuple[int, str]] = []
    for line, row in enumerate(table[1:], start=2):

        def cell(name: str, row: list[Any] = row) -> Any:
            i = at.get(name)
            return row[i] if i is not None and i < len(row) else None

        problems = []
        for name in REQUIRED:
            if not _text(cell(name)):
                problems.append(_("%(column)s is required.") % {"column": name})
        dealer = dealers.get(_text(cell("经销商代码")))
        if _text(cell("经销商代码")) and dealer is None:
            problems.append(
                _("经销商代码 is not a dealer: %(value)s.") % {"value": _text(cell("经销商代码"))}
            )
        vin = _text(cell("VIN")).upper()
        if vin and len(vin) != 17:
            problems.append(_("A VIN has 17 characters."))
        times: dict[str, datetime | None] = {}
        for name in ("发起时间", "首次答复时间", "解决时间", "关闭时间"):
            try:
                times[name] = _moment(cell(name))
            except ValueError:
                problems.append(
                    _("%(column)s is not a time (YYYY-MM-DD HH:MM): %(value)s.")
                    % {"column": name, "value": _text(cell(name))}
                )
        urgency = urgencies.get(_text(cell("紧急程度")).lower() or Urgency.NORMAL)
        status = statuses.get(_text(cell("状态")).lower() or CaseStatus.CLOSED)
        if urgency is None:
            problems.append(_("紧急程度 is not one of %(allowed)s.") % {"allowed": chinese_labels(Urgency)})
        if status is None:
            problems.append(_("状态 is not a case status: %(value)s.") % {"value": _text(cell("状态"))})
        opened = times.get("发起时间")
        for name in ("首次答复时间", "解决时间", "关闭时间"):
            later = times.get(name)
            if opened and later and later < opened:
                problems.append(_("%(column)s is before 发起时间.") % {"column": name})
        solution = _text(cell("解决方法"))
        if status in SOLVED and not solution:
            problems.append(_("A resolved or closed case needs its 解决方法."))
        mileage_text = _text(cell("里程"))
        mileage = None
        if mileage_text:
            try:
                mileage = int(float(mileage_text))
            except ValueError:
                problems.append(_("里程 is not a number: %(value)s.") % {"value": mileage_text})
        if problems:
            errors += [(line, p) for p in problems]
            continue
        cases.append(
            SupportCase(
                dealer=dealer,
                vin=vin,
                fault_code=_text(cell("故障码")).upper()[:20],
                mileage=mileage,
                symptom=_text(cell("故障现象")),
                tried=_text(cell("已尝试措施")),
                urgency=urgency,
                status=status,
                opened_at=opened,
                first_response_at=times.get("首次答复时间"),
                resolved_at=times.get("解决时间") or (times.get("关闭时间") if status in SOLVED else None),
                closed_at=times.get("关闭时间") if status == CaseStatus.CLOSED else None,
                solution=solution,
                # Old cases are history: they raise no escalation now.
                escalated_at=opened if status not in SOLVED else None,
            )
        )
    return Parsed(cases, errors)


def import_cases(
    content: bytes, file_name: str, *, actor: Any = None
) -> tuple[int, int, list[tuple[int, str]]]:
    """(created, already there, errors). Nothing is written when any row has an error."""
    parsed = parse(content, file_name)
    if parsed.errors:
        return 0, 0, parsed.errors
    known = set(SupportCase.objects.values_list("dealer_id", "vin", "opened_at"))
    new = [c for c in parsed.cases if (c.dealer_id, c.vin, c.opened_at) not in known]
    for case in new:
        case.search_terms = search_terms_of(case)  # bulk_create skips save()
    with transaction.atomic():
        SupportCase.objects.bulk_create(new, batch_size=1000)
        record(
            "support.cases_imported",
            actor=actor,
            object_type="support_import",
            object_id=file_name[:60],
            after={"created": len(new), "already_there": len(parsed.cases) - len(new)},
        )
    return len(new), len(parsed.cases) - len(new), []
