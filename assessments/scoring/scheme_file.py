"""The scheme file of scoring.md: parsed and checked as a whole, every problem listed."""

from __future__ import annotations

import math
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from django.utils.translation import gettext as _

from .catalogue import KpiDefinition

_MONTH = re.compile(r"^\d{4}-(0[1-9]|1[0-2])$")
METHODS = ("threshold", "relative")


@dataclass(frozen=True)
class SchemeKpiSpec:
    code: str
    weight: float
    method: str
    floor: float | None
    target: float | None
    min_sample: int


@dataclass(frozen=True)
class SchemeSpec:
    code: str
    name: str
    effective_from: str
    min_coverage: float
    grade_bands: tuple[tuple[str, float], ...]
    deduction_per_item: float
    deduction_cap: float
    kpis: tuple[SchemeKpiSpec, ...]
    # The name for English readers; optional in the file ("name" is the Chinese-first name).
    name_en: str = ""

    def as_json(self) -> dict[str, Any]:
        """The file form (scoring.md → Scheme file)."""
        kpis: list[dict[str, Any]] = []
        for k in self.kpis:
            entry: dict[str, Any] = {"code": k.code, "weight": k.weight, "method": k.method}
            if k.floor is not None:
                entry["floor"] = k.floor
            if k.target is not None:
                entry["target"] = k.target
            entry["min_sample"] = k.min_sample
            kpis.append(entry)
        out: dict[str, Any] = {
            "code": self.code,
            "name": self.name,
            "effective_from": self.effective_from,
            "min_coverage": self.min_coverage,
            "grade_bands": [[g, m] for g, m in self.grade_bands],
            "major_complaint_deduction": {"per_item": self.deduction_per_item, "cap": self.deduction_cap},
            "kpis": kpis,
        }
        if self.name_en:
            out["name_en"] = self.name_en
        return out


class SchemeFileError(ValueError):
    """The file is not a valid scheme; `problems` lists every reason."""

    def __init__(self, problems: list[str]) -> None:
        super().__init__("; ".join(problems))
        self.problems = problems


MAX_NUMBER = 1e12
MAX_MIN_SAMPLE = 1_000_000


def _number(value: Any) -> float | None:
    """A finite JSON number within a sane range, else None (never an exception)."""
    if isinstance(value, bool) or not isinstance(value, int | float):
        return None
    try:
        number = float(value)
    except OverflowError:
        return None
    if not math.isfinite(number) or abs(number) > MAX_NUMBER:
        return None
    return number


def parse_scheme(data: Any, catalogue: Mapping[str, KpiDefinition]) -> SchemeSpec:
    """Check a decoded scheme file against the KPI catalogue (in its order) and return it, or
    raise SchemeFileError with every problem."""
    problems: list[str] = []
    if not isinstance(data, dict):
        raise SchemeFileError([_("The scheme file must hold a JSON object.")])
    code = data.get("code")
    if not isinstance(code, str) or not code.strip() or len(code) > 40:
        problems.append(_("code: required, at most 40 characters."))
    name = data.get("name", code)
    if not isinstance(name, str) or len(name) > 200:
        problems.append(_("name: must be text of at most 200 characters."))
    name_en = data.get("name_en", "")
    if not isinstance(name_en, str) or len(name_en) > 200:
        problems.append(_("name_en: must be text of at most 200 characters."))
    effective_from = data.get("effective_from")
    if not isinstance(effective_from, str) or not _MONTH.match(effective_from):
        problems.append(_("effective_from: must be a month YYYY-MM."))
    min_coverage = _number(data.get("min_coverage"))
    if min_coverage is None or not 0 <= min_coverage <= 1:
        problems.append(_("min_coverage: must be a number from 0 to 1."))
    bands_raw = data.get("grade_bands")
    bands: list[tuple[str, float]] = []
    if not isinstance(bands_raw, list) or not bands_raw:
        problems.append(_("grade_bands: must be a non-empty list of [grade, minimum]."))
    else:
        for index, band in enumerate(bands_raw, start=1):
            minimum = _number(band[1]) if isinstance(band, list) and len(band) == 2 else None
            if minimum is None or not isinstance(band[0], str) or not band[0].strip() or len(band[0]) > 5:
                problems.append(_("grade_bands[%(n)s]: must be [grade, minimum].") % {"n": index})
                continue
            bands.append((band[0], minimum))
        minimums = [m for _g, m in bands]
        if any(b >= a for a, b in zip(minimums, minimums[1:], strict=False)):
            problems.append(_("grade_bands: minimums must be strictly descending, highest grade first."))
        if len({g for g, _m in bands}) != len(bands):
            problems.append(_("grade_bands: each grade may appear once."))
    deduction = data.get("major_complaint_deduction", {"per_item": 0, "cap": 0})
    per_item = cap = None
    if isinstance(deduction, dict):
        per_item, cap = _number(deduction.get("per_item")), _number(deduction.get("cap"))
    if per_item is None or cap is None or per_item < 0 or cap < 0:
        problems.append(_("major_complaint_deduction: per_item and cap must be numbers ≥ 0."))
    kpis_raw = data.get("kpis")
    kpis: list[SchemeKpiSpec] = []
    if not isinstance(kpis_raw, list) or not kpis_raw:
        problems.append(_("kpis: must be a non-empty list."))
        kpis_raw = []
    seen: set[str] = set()
    for index, entry in enumerate(kpis_raw, start=1):
        kpis_problem = _parse_kpi(index, entry, seen, kpis, catalogue)
        problems.extend(kpis_problem)
    if kpis and all(k.weight == 0 for k in kpis):
        problems.append(_("kpis: at least one KPI must have a weight above 0."))
    if problems:
        raise SchemeFileError(problems)
    assert isinstance(code, str) and isinstance(effective_from, str) and min_coverage is not None
    assert per_item is not None and cap is not None
    order = {c: i for i, c in enumerate(catalogue)}
    kpis.sort(key=lambda k: order[k.code])
    return SchemeSpec(
        code=code.strip(),
        name=(name if isinstance(name, str) and name.strip() else code).strip(),
        name_en=name_en.strip() if isinstance(name_en, str) else "",
        effective_from=effective_from,
        min_coverage=min_coverage,
        grade_bands=tuple(bands),
        deduction_per_item=per_item,
        deduction_cap=cap,
        kpis=tuple(kpis),
    )


def _parse_kpi(
    index: int, entry: Any, seen: set[str], out: list[SchemeKpiSpec], catalogue: Mapping[str, KpiDefinition]
) -> list[str]:
    where = f"kpis[{index}]"
    if not isinstance(entry, dict):
        return [_("%(where)s: must be an object.") % {"where": where}]
    code = entry.get("code")
    if not isinstance(code, str) or code not in catalogue:
        return [_("%(where)s: unknown KPI code %(code)r.") % {"where": where, "code": code}]
    where = f"kpis[{code}]"
    if code in seen:
        return [_("%(where)s: listed twice.") % {"where": where}]
    seen.add(code)
    problems: list[str] = []
    weight = _number(entry.get("weight"))
    if weight is None or weight < 0:
        problems.append(_("%(where)s: weight must be a number ≥ 0.") % {"where": where})
    method = entry.get("method", "threshold")
    if method not in METHODS:
        problems.append(_("%(where)s: method must be threshold or relative.") % {"where": where})
    floor = _number(entry["floor"]) if entry.get("floor") is not None else None
    target = _number(entry["target"]) if entry.get("target") is not None else None
    if entry.get("floor") is not None and floor is None or entry.get("target") is not None and target is None:
        problems.append(_("%(where)s: floor and target must be numbers.") % {"where": where})
    if weight and weight > 0 and method == "threshold":
        if floor is None or target is None:
            problems.append(
                _("%(where)s: a weighted threshold KPI needs floor and target.") % {"where": where}
            )
        elif floor == target:
            problems.append(_("%(where)s: floor and target must differ.") % {"where": where})
    min_sample = entry.get("min_sample", 1)
    if (
        isinstance(min_sample, bool)
        or not isinstance(min_sample, int)
        or not 1 <= min_sample <= MAX_MIN_SAMPLE
    ):
        problems.append(_("%(where)s: min_sample must be an integer from 1 to 1,000,000.") % {"where": where})
    if not problems:
        assert weight is not None
        out.append(SchemeKpiSpec(code, weight, method, floor, target, int(min_sample)))
    return problems
