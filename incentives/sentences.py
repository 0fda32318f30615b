"""A rule's condition as a sentence in the reader's language, instead of its raw parameters.

`{"kpi": "complaint_rate", "op": ">", "value": 8, "months": 3}` reads
"客户投诉率 高于 8 ‰，连续 3 个月" / "Complaint rate above 8 ‰, 3 months running".
Parameters a sentence cannot read (a hand-edited rule) fall back to the plain values, never
to an error: the rules page must open whatever an admin saved.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from django.utils.translation import gettext as _
from django.utils.translation import ngettext

from assessments.kpis import BY_CODE, kpi_name
from assessments.pages.scorecard import unit_label
from dealers.language import reads_english

from .choices import ConditionKind


def _comparison(op: str) -> str:
    return {
        ">": _("above"),
        ">=": _("at or above"),
        "<": _("below"),
        "<=": _("at or below"),
        "==": _("equal to"),
    }.get(op, op)


def _running(sentence: str, months: int) -> str:
    if months <= 1:
        return sentence
    return ngettext("%(what)s, %(n)d month running", "%(what)s, %(n)d months running", months) % {
        "what": sentence,
        "n": months,
    }


def _number(value: Any) -> str:
    """8.0 → "8", 8.5 → "8.5": a limit as an admin would write it."""
    try:
        number = float(value)
    except (TypeError, ValueError):
        return str(value)
    return f"{number:g}"


def condition_sentence(condition: str, params: Mapping[str, Any]) -> str:
    """The condition and its parameters as one sentence in the active language."""
    try:
        return _sentence(condition, params)
    except (KeyError, TypeError, ValueError):
        return "; ".join(f"{key} = {value}" for key, value in params.items())


def _sentence(condition: str, params: Mapping[str, Any]) -> str:
    regional = params.get("scope") == "region"
    months = int(params.get("months", 1))
    if condition == ConditionKind.TOP_PERCENT:
        text = (
            _("In the top %(percent)s %% of its region")
            if regional
            else _("In the top %(percent)s %% nationally")
        )
        return text % {"percent": _number(params["percent"])}
    if condition == ConditionKind.RANK_AT_MOST:
        rank = int(params["rank"])
        if rank == 1:
            return _("First in its region") if regional else _("First nationally")
        text = (
            _("Ranked %(rank)d or better in its region")
            if regional
            else _("Ranked %(rank)d or better nationally")
        )
        return text % {"rank": rank}
    if condition == ConditionKind.GRADE:
        grades = (", " if reads_english() else "、").join(str(g) for g in params["grades"])
        return _running(_("Graded %(grades)s") % {"grades": grades}, months)
    if condition in (ConditionKind.KPI_VALUE, ConditionKind.KPI_SCORE):
        code = str(params["kpi"])
        values = {
            "kpi": kpi_name(code),
            "op": _comparison(str(params["op"])),
            "value": _number(params["value"]),
        }
        if condition == ConditionKind.KPI_VALUE:
            unit = unit_label(BY_CODE[code].unit) if code in BY_CODE else ""
            text = _("%(kpi)s %(op)s %(value)s %(unit)s") % {**values, "unit": unit}
        else:
            text = _("Score of %(kpi)s %(op)s %(value)s points") % values
        return _running(" ".join(text.split()), months)
    if condition == ConditionKind.VETO:
        return _("A veto (一票否决) is recorded for the month")
    raise ValueError(condition)
