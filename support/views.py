"""Technical support pages: the dealer's cases and the experts' queue, a case's conversation,
opening a case (also from a comeback), the knowledge base of solved cases, scoped files."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import FileResponse, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.template.loader import render_to_string
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from assessments.exporting import export_response
from assessments.models import RepairOrder
from assessments.periods import Month
from dealers.choices import Role
from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import SUPPORT, role_required
from incentives.files import private_file_response

from .choices import CaseStatus, Urgency
from .errors import SupportError
from .forms import CaseForm, SessionForm
from .models import CaseAttachment, SupportCase
from .selectors import cases_for, conversation, is_breached, queue, service_report, solutions, vehicle_history
from .services import (
    CaseInput,
    case_close,
    case_message,
    case_open,
    case_publish,
    case_reopen,
    case_resolve,
    case_take,
    is_hq_side,
    may_write,
    session_record,
)

PAGE_SIZE = 50
DEALER = (Role.DEALER_USER,)


def _own_repair_order(request: AuthenticatedHttpRequest, number: str | None) -> RepairOrder | None:
    """A repair order of the user's own dealer by its number (the scoping decides), or None."""
    if not number:
        return None
    return (
        RepairOrder.objects.for_user(request.user)
        .filter(ro_number=number.strip())
        .order_by("-opened_at")
        .first()
    )


def _queue_from(request: AuthenticatedHttpRequest, now: datetime) -> Any:
    """The list's cases for the request's filters (the page and its export read the same)."""
    return queue(
        request.user,
        status=request.GET.get("status", "open"),
        urgency=request.GET.get("urgency", ""),
        mine=request.GET.get("mine") == "1",
        breached=request.GET.get("breached") == "1",
        now=now,
    )


@require_GET
@role_required(*SUPPORT)
def case_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The dealer's own cases; for HQ's experts the queue of every dealer's cases."""
    now = timezone.now()
    status = request.GET.get("status", "open")
    urgency = request.GET.get("urgency", "")
    mine = request.GET.get("mine") == "1"
    breached = request.GET.get("breached") == "1"
    page = Paginator(_queue_from(request, now), PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page:
        case.breached = is_breached(case, now)  # type: ignore[attr-defined]
    context = {
        "page": page,
        "status": status,
        "urgency": urgency,
        "mine": mine,
        "breached": breached,
        "statuses": CaseStatus.choices,
        "urgencies": Urgency.choices,
        "hq_side": is_hq_side(request.user),
        "may_open": request.user.role == Role.DEALER_USER and bool(request.user.dealer_id),
        "now": now,
    }
    return render(request, "support/list.html", context)


@require_http_methods(["GET", "POST"])
@role_required(*DEALER)
def case_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Open a case; from a comeback (?ro=…&earlier=…) the car and both repair orders are filled in."""
    ro = _own_repair_order(request, request.POST.get("ro") or request.GET.get("ro"))
    earlier = _own_repair_order(request, request.POST.get("earlier") or request.GET.get("earlier"))
    initial: dict[str, Any] = {}
    if ro is not None:
        initial = {"vin": ro.vin, "fault_code": ro.fault_code}
    form = CaseForm(request.POST or None, initial=initial)
    if request.method == "POST" and form.is_valid():
        data = form.cleaned_data
        try:
            case = case_open(
                user=request.user,
                data=CaseInput(
                    vin=data["vin"],
                    symptom=data["symptom"],
                    urgency=data["urgency"],
                    fault_code=data["fault_code"],
                    mileage=data["mileage"],
                    tried=data["tried"],
                    repair_order=ro,
                    earlier_repair_order=earlier,
                ),
                files=request.FILES.getlist("files"),
            )
        except SupportError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Case %(n)s opened: HQ's experts have it.") % {"n": case.number})
            return redirect("support:detail", pk=case.pk)
    code = form["fault_code"].value() or ""
    symptom = form["symptom"].value() or ""
    similar = solutions(str(symptom), fault_code=str(code), limit=5) if (code or symptom) else []
    return render(
        request,
        "support/new.html",
        {"form": form, "ro": ro, "earlier": earlier, "similar": similar, "hq_side": False},
    )


def _case_or_404(request: AuthenticatedHttpRequest, pk: int) -> SupportCase:
    return get_object_or_404(cases_for(request.user), pk=pk)


def _act(request: AuthenticatedHttpRequest, case: SupportCase) -> str:
    """Carry out the posted action; the message for the user."""
    action = request.POST.get("action", "")
    files = request.FILES.getlist("files")
    user = request.user
    if action in ("message", "note"):
        case_message(
            case=case,
            user=user,
            body=request.POST.get("body", ""),
            files=files,
            internal=action == "note",
            wait_for_dealer=request.POST.get("wait") == "1",
        )
        return _("Note saved (HQ only).") if action == "note" else _("Message sent.")
    if action == "take":
        case_take(case=case, user=user)
        return _("The case is yours.")
    if action == "resolve":
        case_resolve(case=case, user=user, solution=request.POST.get("solution", ""))
        return _("Case resolved; the fix is in the knowledge base.")
    if action == "reopen":
        case_reopen(case=case, user=user, reason=request.POST.get("reason", ""))
        return _("Case reopened.")
    if action == "close":
        case_close(case=case, user=user)
        return _("Case closed.")
    if action == "publish":
        told = case_publish(case=case, user=user, title=request.POST.get("title", ""))
        return _("Published as a bulletin; %(n)s dealer users told.") % {"n": told}
    if action == "session":
        form = SessionForm(request.POST)
        if not form.is_valid():
            raise SupportError(" ".join(e for errors in form.errors.values() for e in errors))
        session_record(case=case, user=user, **form.cleaned_data)
        return _("Remote session recorded.")
    raise SupportError(_("Unknown action."))


@require_http_methods(["GET", "POST"])
@role_required(*SUPPORT)
def case_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    case = _case_or_404(request, pk)
    if request.method == "POST":
        try:
            messages.success(request, _act(request, case))
        except SupportError as exc:
            messages.error(request, str(exc))
        return redirect("support:detail", pk=case.pk)
    now = timezone.now()
    hq = is_hq_side(request.user)
    # What counts as read: the expert's or the dealer's reading, not a manager's looking on.
    if request.user.role == Role.TECH_EXPERT:
        SupportCase.objects.filter(pk=case.pk).update(expert_seen_at=now)
    elif request.user.role == Role.DEALER_USER and request.user.dealer_id == case.dealer_id:
        SupportCase.objects.filter(pk=case.pk).update(dealer_seen_at=now)
    lines = list(conversation(case, request.user))
    context = {
        "case": case,
        "lines": lines,
        "last_id": lines[-1].pk if lines else 0,
        "files": CaseAttachment.objects.for_user(request.user).filter(case=case, message__isnull=True),
        "history": vehicle_history(case),
        "similar": solutions(case.symptom, fault_code=case.fault_code, exclude=case.pk, limit=5),
        "hq_side": hq,
        "may_write": may_write(request.user, case),
        "is_expert": request.user.role == Role.TECH_EXPERT,
        "breached": is_breached(case, now),
        "now": now,
        "session_form": SessionForm(initial={"held_at": timezone.localtime(now).strftime("%Y-%m-%dT%H:%M")}),
    }
    return render(request, "support/detail.html", context)


@require_GET
@role_required(*SUPPORT)
def case_updates(request: AuthenticatedHttpRequest, pk: int) -> JsonResponse:
    """The lines after ?after=<id>, rendered, for the page to add without a reload."""
    case = _case_or_404(request, pk)
    after = request.GET.get("after", "0")
    lines = list(conversation(case, request.user, after=int(after) if after.isdigit() else 0))
    html = render_to_string("support/_lines.html", {"lines": lines, "case": case}, request=request)
    response = JsonResponse(
        {"html": html, "last": lines[-1].pk if lines else None, "status": case.get_status_display()}
    )
    response["Cache-Control"] = "no-store"
    return response


@require_GET
@role_required(*SUPPORT)
def case_file(request: AuthenticatedHttpRequest, pk: int, file_pk: int) -> FileResponse:
    """A case's file, only to those who may see the case (others get 404)."""
    found = get_object_or_404(CaseAttachment.objects.for_user(request.user), pk=file_pk, case_id=pk)
    return private_file_response(found.file, found.original_name)


def _solutions_found(request: AuthenticatedHttpRequest) -> tuple[str, str, list[SupportCase]]:
    """The search asked for and the solved cases it finds (the page and its export read the same)."""
    q = request.GET.get("q", "").strip()
    code = request.GET.get("fault_code", "").strip()
    found = solutions(q, fault_code=code) if (q or code) else solutions(limit=20)
    return q, code, found


@require_GET
@role_required(*SUPPORT)
def solution_search(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The knowledge base: solved cases of the whole network, searched by fault code and symptom words."""
    q, code, found = _solutions_found(request)
    return render(
        request,
        "support/solutions.html",
        {"q": q, "fault_code": code, "found": found, "hq_side": is_hq_side(request.user)},
    )


SOLUTION_EXPORT_HEADER = (
    gettext_lazy("Case"),
    gettext_lazy("Fault code"),
    gettext_lazy("Symptom"),
    gettext_lazy("Fix"),
    gettext_lazy("Resolved"),
)


@require_GET
@role_required(*SUPPORT)
def solution_search_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The knowledge base's results as shown (same search), whole texts, as CSV or XLSX. Like
    the page it names no dealer: what fixed a car is the network's knowledge."""
    _q, _code, found = _solutions_found(request)
    rows = ([s.number, s.fault_code, s.symptom, s.solution, s.resolved_at] for s in found)
    return export_response(
        rows, SOLUTION_EXPORT_HEADER, fmt, "knowledge_base", sheet_title=_("Knowledge base")
    )


@require_GET
@role_required(*SUPPORT)
def bulletins(request: AuthenticatedHttpRequest) -> HttpResponse:
    """技术通报: solved cases HQ's experts published to every dealer, newest first. No dealer is named."""
    published = SupportCase.objects.filter(published_at__isnull=False).order_by("-published_at")
    return render(request, "support/bulletins.html", {"bulletins": published[:100]})


FOLLOWERS = (Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER, Role.TECH_EXPERT)


@require_GET
@role_required(*SUPPORT)
def case_list_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The list as shown (same filters), as CSV or XLSX."""
    now = timezone.now()
    rows = (
        [
            case.number,
            case.dealer.code,
            case.dealer.name,
            case.vin,
            case.fault_code,
            case.get_urgency_display(),
            case.get_status_display(),
            case.symptom,
            timezone.localtime(case.opened_at).replace(tzinfo=None),
            timezone.localtime(case.first_response_at).replace(tzinfo=None)
            if case.first_response_at
            else None,
            timezone.localtime(case.resolved_at).replace(tzinfo=None) if case.resolved_at else None,
            _("yes") if is_breached(case, now) else "",
            (case.expert.get_full_name() or case.expert.username) if case.expert else "",
            case.solution,
        ]
        for case in _queue_from(request, now)
    )
    header = [
        _("Case"),
        _("Dealer code"),
        _("Dealer"),
        _("VIN"),
        _("Fault code"),
        _("Urgency"),
        _("Status"),
        _("Symptom"),
        _("Opened"),
        _("First answer"),
        _("Resolved"),
        _("Past service level"),
        _("Expert"),
        _("Fix"),
    ]
    return export_response(rows, header, fmt, "technical-cases")


def _report_month(request: AuthenticatedHttpRequest) -> Month:
    try:
        return Month.parse(request.GET.get("month", ""))
    except ValueError:
        return Month.of(timezone.now())


@require_GET
@role_required(*FOLLOWERS)
def report(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The month's response and resolution times per region and per expert."""
    month = _report_month(request)
    regions, experts = service_report(request.user, month)
    context = {
        "month": month,
        "previous": month.shift(-1),
        "next": month.shift(1),
        "regions": regions,
        "experts": experts,
        "levels": settings.SUPPORT_SERVICE_LEVELS,
    }
    return render(request, "support/report.html", context)


@require_GET
@role_required(*FOLLOWERS)
def report_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    month = _report_month(request)
    regions, experts = service_report(request.user, month)
    rows = (
        [
            str(kind),
            row.name,
            row.opened,
            row.answered_in_time,
            row.answered_in_time_pct,
            row.median_answer_hours,
            row.resolved_in_time,
            row.resolved_in_time_pct,
            row.median_resolve_hours,
        ]
        for kind, table in ((_("Region"), regions), (_("Expert"), experts))
        for row in table
    )
    header = [
        _("By"),
        _("Name"),
        _("Cases opened"),
        _("Answered within target"),
        _("Answered within target (%)"),
        _("Median hours to first answer"),
        _("Resolved within target"),
        _("Resolved within target (%)"),
        _("Median hours to resolve"),
    ]
    return export_response(rows, header, fmt, f"technical-support-{month}")
