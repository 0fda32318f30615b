"""Scheme tuning pages: versions, the draft editor, what-if preview, publish, history."""

from __future__ import annotations

import json
from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from dealers.choices import Role
from dealers.http import AuthenticatedHttpRequest
from dealers.models import AuditEvent
from dealers.permissions import role_required

from .exporting import export_response
from .forms_schemes import SchemeForm, SchemeKpiFormSet, initial_for, spec_from_forms
from .kpis import BY_CODE, CATALOGUE
from .models import Period, Scheme
from .periods import Month
from .scoring.scheme_file import SchemeFileError
from .services.preview import scheme_preview
from .services.publishing import scheme_load, scheme_publish
from .services.schemes import (
    SchemeError,
    scheme_as_file,
    scheme_delete_draft,
    scheme_diff,
    scheme_draft_from,
    scheme_update_draft,
)

READERS = (Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER)
ADMIN = (Role.HQ_ADMIN,)


@role_required(*READERS)
def scheme_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    schemes = Scheme.objects.select_related("published_by").order_by("code", "-version")
    return render(request, "assessments/schemes/list.html", {"schemes": schemes})


@role_required(*READERS)
def scheme_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    entries = list(scheme.kpis.select_related("kpi").order_by("kpi__sort_order"))
    previous = (
        Scheme.objects.filter(code=scheme.code, version__lt=scheme.version).order_by("-version").first()
    )
    diff = scheme_diff(scheme_as_file(previous), scheme_as_file(scheme)) if previous else []
    version_ids = [str(i) for i in Scheme.objects.filter(code=scheme.code).values_list("pk", flat=True)]
    history = AuditEvent.objects.filter(object_type="scheme", object_id__in=version_ids).select_related(
        "actor"
    )[:200]
    history_rows = [
        {
            "event": e,
            "changes": scheme_diff(e.before, e.after) if e.before and e.after and "kpis" in e.after else [],
        }
        for e in history
    ]
    tiers: dict[str, float] = {"base": 0.0, "process": 0.0, "result": 0.0}
    for e in entries:
        tiers[BY_CODE[e.kpi_id].tier] += e.weight
    return render(
        request,
        "assessments/schemes/detail.html",
        {
            "scheme": scheme,
            "entries": entries,
            "previous": previous,
            "diff": diff,
            "history": history_rows,
            "tier_weights": tiers,
            "total_weight": sum(tiers.values()),
            "periods": Period.objects.filter(scorecards__isnull=False).distinct().order_by("-code")[:24],
        },
    )


@role_required(*ADMIN)
@require_POST
def scheme_new_draft(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    source = get_object_or_404(Scheme, pk=pk)
    draft = scheme_draft_from(source=source, actor=request.user)
    messages.success(
        request,
        _("Draft version %(v)s created from version %(s)s.") % {"v": draft.version, "s": source.version},
    )
    return redirect("schemes:edit", pk=draft.pk)


@role_required(*ADMIN)
def scheme_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    if scheme.is_published:
        messages.error(request, _("A published scheme version never changes; start a new draft."))
        return redirect("schemes:detail", pk=scheme.pk)
    scheme_initial, kpi_initial = initial_for(scheme)
    if request.method == "POST":
        form = SchemeForm(request.POST)
        formset = SchemeKpiFormSet(request.POST, prefix="kpi")
        spec = spec_from_forms(scheme, form, formset)
        if spec is not None:
            scheme_update_draft(scheme=scheme, spec=spec, actor=request.user)
            messages.success(request, _("Draft saved."))
            if "preview" in request.POST:
                return redirect("schemes:preview", pk=scheme.pk)
            return redirect("schemes:edit", pk=scheme.pk)
    else:
        form = SchemeForm(initial=scheme_initial)
        formset = SchemeKpiFormSet(initial=kpi_initial, prefix="kpi")
    rows = [(BY_CODE[row.initial.get("code") or row["code"].value()], row) for row in formset]
    return render(
        request,
        "assessments/schemes/edit.html",
        {"scheme": scheme, "form": form, "formset": formset, "rows": rows, "catalogue": CATALOGUE},
    )


def _preview(request: AuthenticatedHttpRequest, scheme: Scheme) -> tuple[list[Period], str | None, Any]:
    """The months to preview on, the month chosen (?period=, else the newest) and the preview."""
    periods = list(Period.objects.filter(scorecards__isnull=False).distinct().order_by("-code")[:24])
    chosen = request.GET.get("period") or (periods[0].code if periods else None)
    try:
        if chosen:
            Month.parse(chosen)
    except ValueError:
        chosen = periods[0].code if periods else None
    preview = scheme_preview(draft=scheme, period_code=chosen) if chosen else None
    return periods, chosen, preview


PREVIEW_EXPORT_HEADER = (
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Region"),
    gettext_lazy("Published total"),
    gettext_lazy("Published grade"),
    gettext_lazy("Published rank"),
    gettext_lazy("Draft total"),
    gettext_lazy("Draft grade"),
    gettext_lazy("Draft rank"),
    gettext_lazy("Rank change"),
)


@role_required(*ADMIN)
@require_GET
def scheme_preview_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The preview's table (published against draft, per dealer) as CSV or XLSX."""
    scheme = get_object_or_404(Scheme, pk=pk)
    _periods, chosen, preview = _preview(request, scheme)
    if preview is None:
        raise Http404
    rows = (
        [
            r.dealer_code,
            r.dealer_name,
            r.region,
            r.published_total,
            r.published_grade,
            r.published_rank,
            r.draft_total,
            r.draft_grade,
            r.draft_rank,
            r.rank_change,
        ]
        for r in preview.rows
    )
    return export_response(
        rows, PREVIEW_EXPORT_HEADER, fmt, f"preview-{scheme.code}-v{scheme.version}-{chosen}", "preview"
    )


@role_required(*ADMIN)
def scheme_preview_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    periods, chosen, preview = _preview(request, scheme)
    grades = [g for g, _m in scheme.grade_bands]
    return render(
        request,
        "assessments/schemes/preview.html",
        {"scheme": scheme, "periods": periods, "chosen": chosen, "preview": preview, "grades": grades},
    )


@role_required(*ADMIN)
@require_POST
def scheme_publish_page(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    effective_from = request.POST.get("effective_from") or scheme.effective_from
    try:
        Month.parse(effective_from)
        scheme = scheme_publish(
            scheme=scheme,
            actor=request.user,
            effective_from=effective_from,
            recompute_open=request.POST.get("recompute_open") == "on",
        )
    except ValueError:
        messages.error(request, _("Enter a month as YYYY-MM."))
        return redirect("schemes:edit", pk=scheme.pk)
    except SchemeError as exc:
        messages.error(request, str(exc))
        return redirect("schemes:detail", pk=scheme.pk)
    messages.success(
        request,
        _("Version %(v)s published, effective from %(m)s.")
        % {"v": scheme.version, "m": scheme.effective_from},
    )
    return redirect("schemes:detail", pk=scheme.pk)


@role_required(*ADMIN)
@require_POST
def scheme_delete(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    try:
        scheme_delete_draft(scheme=scheme, actor=request.user)
    except SchemeError as exc:
        messages.error(request, str(exc))
        return redirect("schemes:detail", pk=scheme.pk)
    messages.success(request, _("Draft deleted."))
    return redirect("schemes:list")


@role_required(*READERS)
def scheme_export(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    scheme = get_object_or_404(Scheme, pk=pk)
    response = JsonResponse(scheme_as_file(scheme), json_dumps_params={"ensure_ascii": False, "indent": 2})
    response["Content-Disposition"] = f'attachment; filename="{scheme.code}-v{scheme.version}.json"'
    return response


@role_required(*ADMIN)
def scheme_import(request: AuthenticatedHttpRequest) -> HttpResponse:
    problems: list[str] = []
    if request.method == "POST":
        upload = request.FILES.get("file")
        data: Any = None
        if upload is None:
            problems = [_("Choose a scheme file (JSON).")]
        elif (upload.size or 0) > 1024 * 1024:
            problems = [_("A scheme file is at most 1 MB.")]
        else:
            try:
                data = json.loads(upload.read().decode("utf-8-sig"))
            except (UnicodeDecodeError, json.JSONDecodeError):
                problems = [_("The file is not JSON in UTF-8.")]
            except RecursionError:  # the json module recurses once per level of nesting
                problems = [_("The file's JSON is nested too deeply to be a scheme file.")]
        if data is not None:
            try:
                scheme = scheme_load(data=data, publish=False, actor=request.user)
            except SchemeFileError as exc:
                problems = exc.problems
            else:
                messages.success(request, _("Loaded as draft version %(v)s.") % {"v": scheme.version})
                return redirect("schemes:edit", pk=scheme.pk)
    return render(request, "assessments/schemes/import.html", {"problems": problems})
