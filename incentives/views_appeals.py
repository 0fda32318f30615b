"""Appeal pages: filing from a scorecard's KPI row or drill-down, the list, the decision, the evidence."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

from assessments.choices import ComplaintCategory, RepairType, Severity
from assessments.exporting import export_response
from assessments.models import Kpi, Scorecard
from dealers.choices import Role
from dealers.permissions import ALL_ROLES, role_required

from .choices import CorrectionKind, RecordCorrection
from .files import private_file_response
from .filtersets import AppealFilterSet
from .models import Appeal, AppealEvidence
from .services import (
    KPI_RECORD_KIND,
    IncentiveError,
    RecordFix,
    appeal_counted_rows,
    appeal_decide,
    appeal_file,
    appeal_window_end,
    appeal_window_open,
    corrections_for,
    time_fields_for,
)
from .services.appeals import RECORD_SPECS

# How many counted records the filing form lists (flagged ones first); the drill-down's
# checkboxes reach the others, page by page.
FORM_ROWS = 200


def kpi_names() -> dict[str, str]:
    """KPI names in the reader's language, by code."""
    return {k.code: k.name for k in Kpi.objects.all()}


def _choice_labels() -> dict[str, dict[str, str]]:
    return {
        "repair_type": {k: str(v) for k, v in RepairType.choices},
        "category": {k: str(v) for k, v in ComplaintCategory.choices},
        "severity": {k: str(v) for k, v in Severity.choices},
    }


@role_required(Role.DEALER_USER)
def appeal_new(request: HttpRequest, scorecard_pk: int) -> HttpResponse:
    """File an appeal: the KPI, the records it counted that are contested, why, and evidence."""
    card = get_object_or_404(
        Scorecard.objects.for_user(request.user).select_related("period", "dealer"), pk=scorecard_pk
    )
    user = request.user
    names = kpi_names()
    kpis = [(code, names.get(code, code)) for code in card.kpi_results.values_list("kpi_code", flat=True)]
    data = request.POST if request.method == "POST" else request.GET
    chosen = data.get("kpi_code") or data.get("kpi", "")
    ticked = [k for k in data.getlist("records") if k]
    if request.method == "POST":
        try:
            appeal = appeal_file(
                scorecard=card,
                kpi_code=chosen,
                reason=request.POST.get("reason", ""),
                actor=user,  # type: ignore[arg-type]
                files=request.FILES.getlist("evidence"),
                records=ticked,
            )
            messages.success(request, _("Appeal filed."))
            return redirect("incentives:appeal", pk=appeal.pk)
        except IncentiveError as exc:
            messages.error(request, str(exc))
    drill, rows, key_field = None, [], ""
    if chosen in KPI_RECORD_KIND and chosen in dict(kpis):
        drill = appeal_counted_rows(user, card, chosen)
        key_field = RECORD_SPECS[KPI_RECORD_KIND[chosen]].key_field
        rows = list(drill.rows[:FORM_ROWS])
        shown = {r[key_field] for r in rows}
        extra = [k for k in ticked if k not in shown]
        if extra:
            rows = list(drill.rows.filter(**{f"{key_field}__in": extra})) + rows
    return render(
        request,
        "incentives/appeal_new.html",
        {
            "card": card,
            "dealer": card.dealer,
            "kpis": kpis,
            "window_open": appeal_window_open(card.period),
            "window_end": appeal_window_end(card.period),
            "chosen": chosen,
            "chosen_name": names.get(chosen, ""),
            "drill": drill,
            "rows": rows,
            "key_field": key_field,
            "ticked": set(ticked),
            "choices": _choice_labels(),
            "reason": request.POST.get("reason", ""),
            "more": drill is not None and len(rows) >= FORM_ROWS,
        },
    )


def _as_counted(snapshot: dict[str, Any], columns: Any) -> dict[str, Any]:
    """A snapshot row with its times read back, to show as the drill-down shows them."""
    row = dict(snapshot)
    for c in columns:
        if c.kind == "datetime" and isinstance(row.get(c.key), str):
            try:
                row[c.key] = datetime.fromisoformat(row[c.key])
            except ValueError:
                pass
    return row


def _changes(contested: Any) -> list[dict[str, Any]]:
    """Each corrected field of a contested record: its label, before and after (times read back)."""
    spec = RECORD_SPECS[contested.kind]
    out = []
    for f, after in (contested.after or {}).items():
        if f in ("excluded_reason", "excluded_by_id"):
            continue
        before = (contested.before or {}).get(f)
        try:
            label = str(spec.model._meta.get_field(f).verbose_name)
        except Exception:  # noqa: BLE001 — a field since removed still shows by name
            label = f
        out.append({"field": f, "label": label, "before": _read(before), "after": _read(after)})
    return out


def _read(value: Any) -> Any:
    if isinstance(value, bool):
        return _("yes") if value else _("no")
    if isinstance(value, str):
        try:
            return timezone.localtime(datetime.fromisoformat(value))
        except ValueError:
            return value
    return value


def _fixes(request: HttpRequest, appeal: Appeal) -> dict[int, RecordFix]:
    fixes = {}
    for contested in appeal.records.all():
        kind = request.POST.get(f"fix_{contested.pk}", "")
        if not kind:
            continue
        value = None
        raw = request.POST.get(f"value_{contested.pk}", "").strip()
        if kind == RecordCorrection.SET_TIME and raw:
            try:
                value = timezone.make_aware(datetime.fromisoformat(raw))
            except ValueError as exc:
                raise IncentiveError(
                    _("%(record)s: the corrected time is not a date and time.")
                    % {"record": contested.record_key}
                ) from exc
        fixes[contested.pk] = RecordFix(kind, request.POST.get(f"field_{contested.pk}", ""), value)
    return fixes


@role_required(*ALL_ROLES)
def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = get_object_or_404(
        Appeal.objects.for_user(request.user).select_related(
            "dealer", "scorecard__period", "filed_by", "decided_by"
        ),
        pk=pk,
    )
    if request.method == "POST":
        if not request.user.is_manager:  # type: ignore[union-attr]
            raise PermissionDenied
        try:
            appeal_decide(
                appeal=appeal,
                actor=request.user,  # type: ignore[arg-type]
                uphold=request.POST.get("decision") == "uphold",
                decision=request.POST.get("reason", ""),
                correction=request.POST.get("correction", ""),
                target=request.POST.get("target", ""),
                fixes=_fixes(request, appeal),
            )
            messages.success(request, _("Decision recorded."))
        except IncentiveError as exc:
            messages.error(request, str(exc))
        return redirect("incentives:appeal", pk=appeal.pk)
    columns: Any = ()
    if appeal.scorecard is not None and appeal.kpi_code in KPI_RECORD_KIND:
        columns = [
            c
            for c in appeal_counted_rows(request.user, appeal.scorecard, appeal.kpi_code).columns
            if c.kind != "changed" and not c.key.startswith("changed")
        ]
    records = [
        {
            "obj": r,
            "row": _as_counted(r.snapshot, columns),
            "corrections": corrections_for(r.kind, appeal.kpi_code),
            "times": time_fields_for(r.kind),
            "changes": _changes(r),
        }
        for r in appeal.records.all()
    ]
    return render(
        request,
        "incentives/appeal.html",
        {
            "appeal": appeal,
            "kpi_name": kpi_names().get(appeal.kpi_code, appeal.kpi_code),
            "records": records,
            "columns": columns,
            "choices": _choice_labels(),
            "files": appeal.files.all(),
            "corrections": CorrectionKind.choices,
            "window_end": appeal_window_end(appeal.scorecard.period) if appeal.scorecard else None,
        },
    )


@role_required(*ALL_ROLES)
def appeal_evidence(request: HttpRequest, pk: int, file_pk: int) -> FileResponse:
    """An evidence file, only to those who may see the appeal (else 404); never a public URL."""
    found = get_object_or_404(AppealEvidence.objects.for_user(request.user), pk=file_pk, appeal_id=pk)
    return private_file_response(found.file, found.name)


@role_required(*ALL_ROLES)
def appeal_evidence_legacy(request: HttpRequest, pk: int) -> FileResponse:
    """The single evidence file an appeal filed through the API carries."""
    appeal = get_object_or_404(Appeal.objects.for_user(request.user), pk=pk)
    if not appeal.evidence:
        raise Http404
    return private_file_response(appeal.evidence, appeal.evidence.name.rsplit("/", 1)[-1])


def _appeals(request: HttpRequest) -> Any:
    """The user's appeals for the list's filters (the page and its export read the same)."""
    appeals = Appeal.objects.for_user(request.user).select_related("dealer", "filed_by", "decided_by")
    return AppealFilterSet(request.GET, queryset=appeals).qs.order_by("status", "-filed_at")


@role_required(*ALL_ROLES)
def appeal_list(request: HttpRequest) -> HttpResponse:
    page = Paginator(_appeals(request), 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incentives/appeals.html",
        {"page": page, "kpi_names": kpi_names(), "query": request.GET.urlencode()},
    )


APPEAL_EXPORT_HEADER = (
    gettext_lazy("Filed"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Month"),
    gettext_lazy("KPI"),
    gettext_lazy("Status"),
    gettext_lazy("Reason"),
    gettext_lazy("Filed by"),
    gettext_lazy("Decided at"),
    gettext_lazy("Decision"),
)


@role_required(*ALL_ROLES)
def appeal_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The appeals as filtered, every page, as CSV or XLSX (headers in the reader's language)."""
    names = kpi_names()

    def local(moment: datetime | None) -> Any:
        return timezone.localtime(moment).replace(tzinfo=None) if moment else None

    rows = (
        [
            local(ap.filed_at),
            ap.dealer.code,
            ap.dealer.name,
            ap.period,
            names.get(ap.kpi_code, ap.kpi_code),
            ap.get_status_display(),
            ap.reason,
            ap.filed_by.get_full_name() or ap.filed_by.username if ap.filed_by else "",
            local(ap.decided_at),
            ap.decision,
        ]
        for ap in _appeals(request).iterator(chunk_size=500)
    )
    return export_response(rows, APPEAL_EXPORT_HEADER, fmt, "appeals", sheet_title=_("Appeals"))
