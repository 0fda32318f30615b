"""The draft scheme editor: scheme-wide fields and one row per KPI of the catalogue.

The forms only turn text into numbers; every rule of scoring.md → "Scheme file" is checked
by the same `parse_scheme` that `load_scheme` uses, and its problems are put next to the
field they concern.
"""

from __future__ import annotations

import re
from typing import Any

from django import forms
from django.utils.translation import gettext_lazy as _

from .choices import ScoringMethod
from .kpis import BY_CODE, CATALOGUE
from .models import Scheme
from .scoring.scheme_file import SchemeFileError, SchemeSpec, parse_scheme

MAX_BANDS = 6


class SchemeForm(forms.Form):
    name = forms.CharField(label=_("Name (Chinese)"), max_length=200)
    name_en = forms.CharField(label=_("Name (English)"), max_length=200, required=False)
    effective_from = forms.RegexField(
        label=_("Effective from"),
        regex=r"^\d{4}-(0[1-9]|1[0-2])$",
        help_text="YYYY-MM",
        error_messages={"invalid": _("Enter a month as YYYY-MM.")},
    )
    min_coverage = forms.FloatField(label=_("Minimum coverage (0–1)"), min_value=0, max_value=1)
    deduction_per_item = forms.FloatField(label=_("Deduction per major complaint"), min_value=0)
    deduction_cap = forms.FloatField(label=_("Deduction cap"), min_value=0)

    def __init__(self, *args: Any, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        for i in range(MAX_BANDS):
            self.fields[f"band_{i}_grade"] = forms.CharField(label=_("Grade"), max_length=5, required=False)
            self.fields[f"band_{i}_min"] = forms.FloatField(label=_("Minimum total"), required=False)

    def bands(self) -> list[list[Any]]:
        out = []
        for i in range(MAX_BANDS):
            grade = (self.cleaned_data.get(f"band_{i}_grade") or "").strip()
            minimum = self.cleaned_data.get(f"band_{i}_min")
            if grade or minimum is not None:
                out.append([grade, minimum])
        return out

    def band_rows(self) -> list[tuple[Any, Any]]:
        return [(self[f"band_{i}_grade"], self[f"band_{i}_min"]) for i in range(MAX_BANDS)]


class SchemeKpiForm(forms.Form):
    code = forms.CharField(widget=forms.HiddenInput)
    enabled = forms.BooleanField(label=_("In the scheme"), required=False)
    weight = forms.FloatField(label=_("Weight"), min_value=0, required=False)
    method = forms.ChoiceField(
        label=_("Method"), choices=ScoringMethod.choices, initial=ScoringMethod.THRESHOLD
    )
    floor = forms.FloatField(label=_("Floor"), required=False)
    target = forms.FloatField(label=_("Target"), required=False)
    min_sample = forms.IntegerField(label=_("Minimum sample"), min_value=1, initial=1)


SchemeKpiFormSet = forms.formset_factory(
    SchemeKpiForm, extra=0, min_num=len(CATALOGUE), max_num=len(CATALOGUE)
)


def initial_for(scheme: Scheme) -> tuple[dict[str, Any], list[dict[str, Any]]]:
    """The editor's initial values for a stored scheme version."""
    scheme_initial: dict[str, Any] = {
        "name": scheme.name,
        "name_en": scheme.name_en,
        "effective_from": scheme.effective_from,
        "min_coverage": scheme.min_coverage,
        "deduction_per_item": scheme.deduction_per_item,
        "deduction_cap": scheme.deduction_cap,
    }
    for i, (grade, minimum) in enumerate(scheme.grade_bands[:MAX_BANDS]):
        scheme_initial[f"band_{i}_grade"] = grade
        scheme_initial[f"band_{i}_min"] = minimum
    entries = {e.kpi_id: e for e in scheme.kpis.all()}
    rows = []
    for kpi in CATALOGUE:
        e = entries.get(kpi.code)
        rows.append(
            {
                "code": kpi.code,
                "enabled": e is not None,
                "weight": e.weight if e else 0,
                "method": e.method if e else ScoringMethod.THRESHOLD,
                "floor": e.floor if e else None,
                "target": e.target if e else None,
                "min_sample": e.min_sample if e else 1,
            }
        )
    return scheme_initial, rows


def spec_from_forms(scheme: Scheme, form: SchemeForm, formset: Any) -> SchemeSpec | None:
    """Check the editor's input with the scheme-file rules; put each problem next to its field."""
    if not (form.is_valid() and formset.is_valid()):
        return None
    kpis = []
    rows_by_code = {}
    for row in formset:
        data = row.cleaned_data
        rows_by_code[data["code"]] = row
        if not data.get("enabled"):
            continue
        entry: dict[str, Any] = {
            "code": data["code"],
            "weight": data.get("weight") or 0,
            "method": data["method"],
            "min_sample": data["min_sample"],
        }
        if data.get("floor") is not None:
            entry["floor"] = data["floor"]
        if data.get("target") is not None:
            entry["target"] = data["target"]
        kpis.append(entry)
    file_data = {
        "code": scheme.code,
        "name": form.cleaned_data["name"],
        "name_en": form.cleaned_data.get("name_en", ""),
        "effective_from": form.cleaned_data["effective_from"],
        "min_coverage": form.cleaned_data["min_coverage"],
        "grade_bands": form.bands(),
        "major_complaint_deduction": {
            "per_item": form.cleaned_data["deduction_per_item"],
            "cap": form.cleaned_data["deduction_cap"],
        },
        "kpis": kpis,
    }
    try:
        return parse_scheme(file_data, BY_CODE)
    except SchemeFileError as exc:
        for problem in exc.problems:
            placed = False
            for code, row in rows_by_code.items():
                if problem.startswith(f"kpis[{code}]"):
                    row.add_error(None, re.split(r"[:：]\s*", problem, maxsplit=1)[-1])
                    placed = True
            if not placed:
                field = re.split(r"[:：]", problem, maxsplit=1)[0]
                target = {"grade_bands": None, "major_complaint_deduction": "deduction_per_item"}.get(
                    field, field
                )
                form.add_error(target if target in form.fields else None, problem)
        return None
