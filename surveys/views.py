"""Staff pages of customer voice. Rows are reached only through `for_user` (dealers.scoping);
a row outside the user's scope answers 404. Actions validate a form and call one service.

Who may do what:
- everyone with a role: the daily clearing board, survey results, hot-alert cases (a
  dealer user sees only their own dealer's, a regional manager only their regions');
- dealer users and managers (in scope): record contact on a case and close it;
- HQ (admin, manager) — the call centre and survey owners: invitations and their export,
  the integrity review with exclusions, follow-up calls, survey templates.
"""

from __future__ import annotations

from typing import Any

from django.conf import settings
from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.exporting import export_response
from assessments.models import RepairOrder
from assessments.pages.periods import PeriodRef, default_period, month_choices, visible_periods
from assessments.periods import Month
from dealers.choices import Role
from dealers.models import Dealer
from dealers.permissions import role_required
from dealers.redirects import redirect_to_next

from . import events
from . import messages as msg
from .choices import BoardItemKind, FlagStatus
from .filtersets import InvitationFilterSet
from .forms import (
    CallForm,
    CloseForm,
    ContactForm,
    ExcludeForm,
    InvitationTextForm,
    KeepFlagForm,
    RepairOrderLookupForm,
)
from .models import HotAlertCase, ResponseFlag, SurveyResponse, SurveyTemplate
from .rules import DIMENSION_FIELDS
from .selectors import (
    board_groups,
    board_items,
    call_candidates,
    dealer_responses,
    dealer_result,
    due_items,
    factor_drivers,
    factor_window,
    followup_calls,
    hot_alert_age_buckets,
    hot_alert_cases,
    invitations,
    overnight_trend,
    review_queue,
    survey_results,
)
from .services import (
    SurveyError,
    UnknownOrders,
    flag_keep,
    followup_call_record,
    hot_alert_close,
    hot_alert_contact,
    invitations_text_pasted,
    response_exclude,
)

ALL_ROLES = tuple(r for r in Role.values if r != Role.TECH_EXPERT)
HQ = (Role.HQ_ADMIN, Role.HQ_MANAGER)
CASE_ACTORS = (Role.HQ_ADMIN, Role.HQ_MANAGER, Role.REGIONAL_MANAGER, Role.DEALER_USER)
PAGE_SIZE = 50
EXPORT_MAX_ROWS = 200_000
INVITATION_STATES = {
    "waiting": gettext_lazy("Not answered yet"),
    "answered": gettext_lazy("Answered"),
    "expired": gettext_lazy("Expired"),
}
DIMENSION_LABELS = {
    "reception": gettext_lazy("Reception"),
    "diagnosis": gettext_lazy("Diagnosis"),
    "repair_quality": gettext_lazy("Repair quality"),
    "attitude": gettext_lazy("Attitude"),
    "timeliness": gettext_lazy("Timeliness"),
}


def _month(request: HttpRequest, periods: list[PeriodRef]) -> Month:
    """The month asked for, else the scorecard pages' default month (see assessments.pages.periods),
    else the last month that has ended: never the month in progress by default."""
    text = request.GET.get("period")
    if not text:
        default = default_period(periods)
        return default.month if default else Month.of(timezone.localdate()).shift(-1)
    try:
        return Month.parse(text)
    except ValueError as exc:
        raise Http404 from exc


def _period_context(request: HttpRequest) -> tuple[Month, dict[str, Any]]:
    """The month of a results page and its picker: thirteen months, those in progress labelled."""
    periods = visible_periods(request.user)
    month = _month(request, periods)
    choices = month_choices(month, periods)
    period = next(p for p in choices if p.code == str(month))
    return month, {"period": period, "periods": choices, "default_period": default_period(periods)}


def _round(value: float | None, digits: int = 2) -> float | None:
    return None if value is None else round(value, digits)


# --- index ------------------------------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def index(request: HttpRequest) -> HttpResponse:
    return redirect("surveys:board")


# --- the daily clearing board -----------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def board(request: HttpRequest) -> HttpResponse:
    """日清: complaints and hot-alert cases still open after 24 hours, per region and dealer."""
    now = timezone.now()
    items = board_items(request.user, now)
    due = due_items(request.user, now)
    trend = overnight_trend(request.user, now)
    chart = {
        "labels": trend["labels"],
        "series": [
            {"name": _("Complaints"), "values": trend["complaints"]},
            {"name": _("Hot alerts"), "values": trend["hot_alerts"]},
        ],
    }
    context = {
        "now": now,
        "regions": board_groups(items),
        "due": due,
        "total": len(items),
        "complaints": sum(1 for i in items if i.kind == "complaint"),
        "hot_alerts": sum(1 for i in items if i.kind == "hot_alert"),
        "tech_cases": sum(1 for i in items if i.kind == "tech_case"),
        "trend": chart,
    }
    return render(request, "surveys/board.html", context)


BOARD_EXPORT_HEADER = (
    gettext_lazy("Status"),  # open after 24 hours, or due today: the board's two tables
    gettext_lazy("Region"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Kind"),
    gettext_lazy("Reference"),
    gettext_lazy("Open since"),
    gettext_lazy("Due by"),
    gettext_lazy("Hours open"),
    gettext_lazy("Summary"),
    gettext_lazy("Owners"),
)


@require_GET
@role_required(*ALL_ROLES)
def board_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """Both tables of the board in one sheet, as CSV or XLSX: the items open after 24 hours
    (oldest first), then those due today, a Status column saying which. One list of what is
    open, to filter in Excel, rather than two files to put together."""
    now = timezone.now()
    tables = (
        (_("Open after 24 hours"), board_items(request.user, now)),
        (_("Due today"), due_items(request.user, now)),
    )
    rows = (
        [
            status,
            item.dealer.region.name,
            item.dealer.code,
            item.dealer.name,
            str(BoardItemKind(item.kind).label),
            item.ref,
            item.since,
            item.due_at,
            item.age_hours,
            item.summary,
            ", ".join(u.get_full_name() or u.username for u in item.owners),
        ]
        for status, items in tables
        for item in items
    )
    return export_response(
        rows,
        BOARD_EXPORT_HEADER,
        fmt,
        f"daily_clearing_{timezone.localdate():%Y%m%d}",
        sheet_title=_("Daily clearing"),
    )


# --- survey results ---------------------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def results(request: HttpRequest) -> HttpResponse:
    """Per dealer in scope: n, mean overall, CSAT and NPS with 95 % intervals, dimension means."""
    month, context = _period_context(request)
    rows, total = survey_results(request.user, month)
    context |= {
        "rows": rows,
        "total": total,
        "dimensions": [(name, DIMENSION_LABELS[name]) for name in DIMENSION_FIELDS],
        "show_total": not request.user.is_dealer_user and len(rows) > 1,  # type: ignore[union-attr]
        **_factor_context(request.user, month),
    }
    return render(request, "surveys/results.html", context)


def _factor_context(user: Any, month: Month) -> dict[str, Any]:
    """The 'what drives overall satisfaction' section: the table, its window and its chart."""
    drivers = factor_drivers(user, month)
    first, last = factor_window(month)
    judged = [d for d in drivers if not d.too_few and d.slope is not None]
    return {
        "factors": [(d, DIMENSION_LABELS[d.name]) for d in drivers],
        "factor_first": str(first),
        "factor_last": str(last),
        "factor_min_sample": settings.SURVEY_FACTOR_MIN_SAMPLE,
        "factor_chart": {
            "labels": [str(DIMENSION_LABELS[d.name]) for d in judged],
            "series": [
                {
                    "name": _("Overall points per 10 factor points"),
                    "values": [_round(d.slope_per_10) for d in judged],
                }
            ],
        },
    }


@require_GET
@role_required(*ALL_ROLES)
def factors_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The factor table of the results page, one row per factor, same window and scope."""
    month = _month(request, visible_periods(request.user))
    first, last = factor_window(month)
    header = [
        _("From month"),
        _("To month"),
        _("Factor"),
        _("Responses (n)"),
        _("Mean factor (0–100)"),
        _("Correlation r"),
        _("Overall points per 10 factor points"),
        _("Mean overall, factor 4–5"),
        _("Responses, factor 4–5"),
        _("Mean overall, factor 1–3"),
        _("Responses, factor 1–3"),
        _("Gap (4–5 minus 1–3)"),
        _("Too few answers to judge"),
    ]
    data = (
        [
            str(first),
            str(last),
            str(DIMENSION_LABELS[d.name]),
            d.n,
            _round(d.mean),
            _round(d.r),
            _round(d.slope_per_10),
            _round(d.mean_overall_high),
            d.n_high,
            _round(d.mean_overall_low),
            d.n_low,
            _round(d.gap),
            _("Yes") if d.too_few else _("No"),
        ]
        for d in factor_drivers(request.user, month)
    )
    return export_response(data, header, fmt, f"survey_factors_{month}")


@require_GET
@role_required(*ALL_ROLES)
def results_export(request: HttpRequest, fmt: str) -> HttpResponse:
    month = _month(request, visible_periods(request.user))
    rows, _total = survey_results(request.user, month)
    header = [
        _("Month"),
        _("Dealer code"),
        _("Dealer"),
        _("Region"),
        _("Responses"),
        _("Mean overall"),
        _("CSAT"),
        _("CSAT CI low"),
        _("CSAT CI high"),
        _("NPS responses"),
        _("NPS"),
        _("NPS CI low"),
        _("NPS CI high"),
        *[str(DIMENSION_LABELS[name]) for name in DIMENSION_FIELDS],
    ]
    data = (
        [
            str(month),
            r.dealer.code,
            r.dealer.name,
            r.dealer.region.name,
            r.n,
            _round(r.mean_overall),
            _round(r.csat.value),
            _round(r.csat.low),
            _round(r.csat.high),
            r.nps.n,
            _round(r.nps.value),
            _round(r.nps.low),
            _round(r.nps.high),
            *[_round(r.dimensions[name]) for name in DIMENSION_FIELDS],
        ]
        for r in rows
        if r.dealer is not None
    )
    return export_response(data, header, fmt, f"survey_results_{month}")


@require_GET
@role_required(*ALL_ROLES)
def dealer_results(request: HttpRequest, code: str) -> HttpResponse:
    """One dealer's month: the results and every response (a dealer sees only its own)."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    month, period_context = _period_context(request)
    page = Paginator(dealer_responses(request.user, dealer, month), PAGE_SIZE).get_page(
        request.GET.get("page")
    )
    for response in page.object_list:
        response.dimension_values = [getattr(response, name) for name in DIMENSION_FIELDS]
    context = {
        **period_context,
        "dealer": dealer,
        "result": dealer_result(request.user, dealer, month),
        "dimensions": [(name, DIMENSION_LABELS[name]) for name in DIMENSION_FIELDS],
        "page": page,
        "can_exclude": request.user.role in HQ,  # type: ignore[union-attr]
    }
    return render(request, "surveys/dealer_results.html", context)


RESPONSE_EXPORT_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Response"),
    gettext_lazy("Answered at"),
    gettext_lazy("Source"),
    gettext_lazy("RO number"),
    gettext_lazy("Overall"),
    gettext_lazy("NPS"),
    *DIMENSION_LABELS.values(),
    gettext_lazy("Comment"),
    gettext_lazy("Excluded"),
    gettext_lazy("Reason"),  # for excluding it, beside "Excluded"
    gettext_lazy("Hot alert"),
)


@require_GET
@role_required(*ALL_ROLES)
def dealer_results_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """One dealer's responses of the month as listed (every page, excluded ones marked), as CSV
    or XLSX; scores as numbers. Another dealer's answers 404, as the page does."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user), code=code)
    month = _month(request, visible_periods(request.user))
    rows = (
        [
            str(month),
            dealer.code,
            dealer.name,
            r.response_id,
            r.responded_at,
            r.get_source_display(),
            r.repair_order.ro_number if r.repair_order else "",
            r.overall,
            r.nps,
            *(getattr(r, name) for name in DIMENSION_FIELDS),
            r.comment,
            _("Yes") if r.excluded else "",
            r.excluded_reason,
            _("Yes") if getattr(r, "hot_alert", None) else "",
        ]
        for r in dealer_responses(request.user, dealer, month).iterator(chunk_size=2000)
    )
    return export_response(
        rows,
        RESPONSE_EXPORT_HEADER,
        fmt,
        f"survey_responses_{dealer.code}_{month}",
        sheet_title=f"{dealer.code} {month}",
    )


# --- hot alerts -------------------------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def alerts(request: HttpRequest) -> HttpResponse:
    """Hot-alert cases: open ones oldest first with their age; closed ones on a second tab."""
    now = timezone.now()
    state = "closed" if request.GET.get("state") == "closed" else "open"
    page = Paginator(hot_alert_cases(request.user, state), PAGE_SIZE).get_page(request.GET.get("page"))
    for case in page.object_list:
        # Open: how long it has been open; closed: how long it took.
        case.age_hours = int(((case.closed_at or now) - case.opened_at).total_seconds() // 3600)
    context = {
        "state": state,
        "now": now,
        "page": page,
        "buckets": hot_alert_age_buckets(request.user, now),
    }
    return render(request, "surveys/alerts.html", context)


def _case_for(request: HttpRequest, pk: int) -> HotAlertCase:
    return get_object_or_404(
        HotAlertCase.objects.for_user(request.user).select_related(
            "dealer__region", "response__repair_order", "contacted_by", "closed_by"
        ),
        pk=pk,
    )


@require_GET
@role_required(*ALL_ROLES)
def alert_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    return _alert_page(
        request, case, ContactForm(initial={"contacted_at": timezone.localtime()}), CloseForm()
    )


def _alert_page(
    request: HttpRequest, case: HotAlertCase, contact: ContactForm, close: CloseForm
) -> HttpResponse:
    context = {
        "case": case,
        "response": case.response,
        "contact_form": contact,
        "close_form": close,
        "can_act": case.is_open and request.user.role in CASE_ACTORS,  # type: ignore[union-attr]
        "age_hours": int((timezone.now() - case.opened_at).total_seconds() // 3600),
        "dimensions": [(label, getattr(case.response, name)) for name, label in DIMENSION_LABELS.items()],
    }
    return render(request, "surveys/alert_detail.html", context)


@require_POST
@role_required(*CASE_ACTORS)
def alert_contact(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    form = ContactForm(request.POST)
    if form.is_valid():
        try:
            hot_alert_contact(
                case,
                actor=request.user,  # type: ignore[arg-type]
                contacted_at=form.cleaned_data["contacted_at"],
                note=form.cleaned_data["note"],
            )
        except SurveyError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, msg.CONTACT_OK)
            return redirect("surveys:alert_detail", pk=case.pk)
    return _alert_page(request, case, form, CloseForm())


@require_POST
@role_required(*CASE_ACTORS)
def alert_close(request: HttpRequest, pk: int) -> HttpResponse:
    case = _case_for(request, pk)
    form = CloseForm(request.POST)
    if form.is_valid():
        try:
            hot_alert_close(case, actor=request.user, resolution=form.cleaned_data["resolution"])  # type: ignore[arg-type]
        except SurveyError as exc:
            form.add_error(None, exc.message)
        else:
            messages.success(request, msg.CLOSED_OK)
            return redirect("surveys:alert_detail", pk=case.pk)
    return _alert_page(request, case, ContactForm(initial={"contacted_at": timezone.localtime()}), form)


@require_GET
@role_required(*ALL_ROLES)
def alerts_export(request: HttpRequest, fmt: str) -> HttpResponse:
    now = timezone.now()
    state = "closed" if request.GET.get("state") == "closed" else "open"
    header = [
        _("Case"),
        _("Region"),
        _("Dealer code"),
        _("Dealer"),
        _("Response"),
        _("RO number"),
        _("Overall"),
        _("NPS"),
        _("Opened at"),
        _("Hours open"),
        _("Contacted at"),
        _("Closed at"),
        _("Resolution"),
    ]
    rows = (
        [
            f"HA-{c.pk}",
            c.dealer.region.name,
            c.dealer.code,
            c.dealer.name,
            c.response.response_id,
            c.response.repair_order.ro_number if c.response.repair_order else "",
            c.response.overall,
            c.response.nps,
            c.opened_at,
            int(((c.closed_at or now) - c.opened_at).total_seconds() // 3600),
            c.contacted_at,
            c.closed_at,
            c.resolution,
        ]
        for c in hot_alert_cases(request.user, state).iterator(chunk_size=2000)
    )
    return export_response(rows, header, fmt, f"hot_alerts_{state}")


# --- invitations (HQ) -------------------------------------------------------------------


def _invitation_rows(request: HttpRequest) -> tuple[Any, dict[str, str]]:
    filters = {
        "state": request.GET.get("state", ""),
        "dealer": request.GET.get("dealer", "").strip(),
        "created_on": request.GET.get("created_on", "").strip(),
    }
    filterset = InvitationFilterSet(request.GET, queryset=invitations(request.user))
    qs = filterset.qs
    if "created_on" in filterset.form.errors:
        filters["created_on"] = ""
    return qs.order_by("-created_at", "-pk"), filters


def _link(request: HttpRequest, token: str) -> str:
    from django.conf import settings

    path = reverse("survey_answer", args=[token])
    base = getattr(settings, "SURVEY_LINK_BASE_URL", "")
    return f"{base.rstrip('/')}{path}" if base else request.build_absolute_uri(path)


@require_GET
@role_required(*HQ)
def invitation_list(request: HttpRequest) -> HttpResponse:
    """Invitations with their state; the links themselves go out only in the export or by SMS."""
    return _invitations_page(request)


def _invitations_page(request: HttpRequest, text_form: InvitationTextForm | None = None) -> HttpResponse:
    """The invitations page; with the SMS form's errors (400) when a paste was refused."""
    qs, filters = _invitation_rows(request)
    context = {
        "page": Paginator(qs, PAGE_SIZE).get_page(request.GET.get("page")),
        "filters": filters,
        "now": timezone.now(),
        "states": list(INVITATION_STATES.items()),
        "export_query": request.GET.urlencode(),
        "text_form": text_form or InvitationTextForm(),
    }
    return render(request, "surveys/invitations.html", context, status=400 if text_form else 200)


@require_POST
@role_required(*HQ)
def invitation_text(request: HttpRequest) -> HttpResponse:
    """Send the survey links of pasted repair orders to the customers' mobiles by SMS (the
    SMS_BACKEND provider): all lines good, or nothing is sent and the problems are shown."""
    form = InvitationTextForm(request.POST)
    if not form.is_valid():
        return _invitations_page(request, text_form=form)
    try:
        sent, skipped = invitations_text_pasted(rows=form.cleaned_data["lines"], actor=request.user)  # type: ignore[arg-type]
    except UnknownOrders as exc:
        shown = ", ".join(exc.orders[:20]) + (" …" if len(exc.orders) > 20 else "")
        form.add_error("lines", str(msg.SMS_UNKNOWN_ORDERS % {"orders": shown}))
        return _invitations_page(request, text_form=form)
    messages.success(request, msg.SMS_SENT % {"sent": sent, "skipped": skipped})
    return redirect("surveys:invitations")


@require_GET
@role_required(*HQ)
def invitation_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The invitations with their links, for the SMS vendor. Audited: the links open surveys."""
    qs, _filters = _invitation_rows(request)
    count = qs.count()
    if count > EXPORT_MAX_ROWS:
        messages.error(
            request,
            _("%(count)d invitations match; narrow the filter to at most %(max)d.")
            % {"count": count, "max": EXPORT_MAX_ROWS},
        )
        return redirect(f"{reverse('surveys:invitations')}?{request.GET.urlencode()}")
    now = timezone.now()
    header = [
        _("Dealer code"),
        _("Dealer"),
        _("RO number"),
        _("VIN"),
        _("Closed at"),
        _("Invited at"),
        _("Expires at"),
        _("State"),
        _("Link"),
    ]
    rows = (
        [
            inv.dealer.code,
            inv.dealer.name,
            inv.repair_order.ro_number,
            inv.repair_order.vin,
            inv.repair_order.closed_at,
            inv.created_at,
            inv.expires_at,
            str(INVITATION_STATES[inv.state(now)]),
            _link(request, inv.token),
        ]
        for inv in qs.iterator(chunk_size=2000)
    )
    response = export_response(rows, header, fmt, f"survey_invitations_{timezone.localdate():%Y%m%d}")
    events.invitations_exported(actor=request.user, count=count, query=request.GET.urlencode())  # type: ignore[arg-type]
    return response


# --- integrity review (HQ) --------------------------------------------------------------


@require_GET
@role_required(*HQ)
def review(request: HttpRequest) -> HttpResponse:
    """Responses flagged as duplicates or suspicious, to keep or exclude."""
    return render(
        request,
        "surveys/review.html",
        {"entries": review_queue(request.user), "exclude_form": ExcludeForm(), "keep_form": KeepFlagForm()},
    )


REVIEW_EXPORT_HEADER = (
    gettext_lazy("Response"),
    gettext_lazy("Source"),
    gettext_lazy("RO number"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Answered at"),
    gettext_lazy("Overall"),
    gettext_lazy("NPS"),
    gettext_lazy("Flags"),
    gettext_lazy("Detail"),
    gettext_lazy("Excluded"),
)


@require_GET
@role_required(*HQ)
def review_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The integrity review queue as shown: a row per flagged response (newest flag first), its
    flags and why, as CSV or XLSX."""
    rows = (
        [
            r.response_id,
            r.get_source_display(),
            r.repair_order.ro_number if r.repair_order else "",
            r.dealer.code,
            r.dealer.name,
            r.responded_at,
            r.overall,
            r.nps,
            "; ".join(str(f.get_kind_display()) for f in entry["flags"]),
            "; ".join(f.describe() for f in entry["flags"]),
            _("Yes") if r.excluded else "",
        ]
        for entry in review_queue(request.user)
        for r in [entry["response"]]
    )
    return export_response(
        rows, REVIEW_EXPORT_HEADER, fmt, "integrity_review", sheet_title=_("Integrity review")
    )


@require_POST
@role_required(*HQ)
def response_exclude_view(request: HttpRequest, pk: int) -> HttpResponse:
    response = get_object_or_404(SurveyResponse.objects.for_user(request.user), pk=pk)
    form = ExcludeForm(request.POST)
    if not form.is_valid():
        messages.error(request, msg.REASON_REQUIRED)
    else:
        try:
            response_exclude(response, actor=request.user, reason=form.cleaned_data["reason"])  # type: ignore[arg-type]
        except SurveyError as exc:
            messages.error(request, exc.message)
        else:
            messages.success(request, msg.EXCLUDED_OK % {"response": response.response_id})
    return redirect_to_next(request, "surveys:review")


@require_POST
@role_required(*HQ)
def flag_keep_view(request: HttpRequest, pk: int) -> HttpResponse:
    flag = get_object_or_404(ResponseFlag.objects.for_user(request.user), pk=pk, status=FlagStatus.OPEN)
    form = KeepFlagForm(request.POST)
    note = form.cleaned_data["note"] if form.is_valid() else ""
    flag_keep(flag, actor=request.user, note=note)  # type: ignore[arg-type]
    messages.success(request, msg.FLAG_KEPT_OK)
    return redirect("surveys:review")


# --- follow-up calls (HQ call centre) ---------------------------------------------------


@require_GET
@role_required(*HQ)
def calls(request: HttpRequest) -> HttpResponse:
    """Find a repair order to call about; whom to call; the calls made."""
    lookup = RepairOrderLookupForm(request.GET or None)
    if lookup.is_valid():
        ro = (
            RepairOrder.objects.for_user(request.user)
            .filter(dealer__code=lookup.cleaned_data["dealer"], ro_number=lookup.cleaned_data["ro_number"])
            .first()
        )
        if ro is not None:
            return redirect("surveys:call_record", pk=ro.pk)
        lookup.add_error(None, msg.RO_NOT_FOUND)
    context = {
        "lookup": lookup,
        "candidates": call_candidates(request.user, timezone.now()),
        "page": Paginator(followup_calls(request.user), PAGE_SIZE).get_page(request.GET.get("page")),
    }
    return render(request, "surveys/calls.html", context)


CALL_EXPORT_HEADER = (
    gettext_lazy("Called at"),
    gettext_lazy("Region"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("RO number"),
    gettext_lazy("Outcome"),
    gettext_lazy("Note"),
    gettext_lazy("Complaint"),
    gettext_lazy("Called by"),
)


@require_GET
@role_required(*HQ)
def calls_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The calls made, as listed (newest first, every page), as CSV or XLSX."""
    rows = (
        [
            call.called_at,
            call.dealer.region.name,
            call.dealer.code,
            call.dealer.name,
            call.repair_order.ro_number,
            call.get_outcome_display(),
            call.note,
            call.complaint.complaint_id if call.complaint else "",
            call.called_by.get_full_name() or call.called_by.get_username() if call.called_by else "",
        ]
        for call in followup_calls(request.user).select_related("dealer__region").iterator(chunk_size=2000)
    )
    return export_response(rows, CALL_EXPORT_HEADER, fmt, "followup_calls", sheet_title=_("Follow-up calls"))


CANDIDATE_EXPORT_HEADER = (
    gettext_lazy("Region"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("RO number"),
    gettext_lazy("Closed at"),
)


@require_GET
@role_required(*HQ)
def candidates_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The "To call" table as listed (the same repair orders, oldest closed first), as CSV or XLSX."""
    rows = (
        [ro.dealer.region.name, ro.dealer.code, ro.dealer.name, ro.ro_number, ro.closed_at]
        for ro in call_candidates(request.user, timezone.now())
    )
    return export_response(rows, CANDIDATE_EXPORT_HEADER, fmt, "to_call", sheet_title=_("To call"))


@require_http_methods(["GET", "POST"])
@role_required(*HQ)
def call_record(request: HttpRequest, pk: int) -> HttpResponse:
    ro = get_object_or_404(RepairOrder.objects.for_user(request.user).select_related("dealer__region"), pk=pk)
    form = CallForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            call = followup_call_record(
                ro,
                actor=request.user,  # type: ignore[arg-type]
                outcome=form.cleaned_data["outcome"],
                note=form.cleaned_data["note"],
                category=form.cleaned_data["category"],
            )
        except SurveyError as exc:
            form.add_error(None, exc.message)
        else:
            if call.complaint is not None:
                messages.success(request, msg.CALL_COMPLAINT_OK % {"complaint": call.complaint.complaint_id})
            else:
                messages.success(request, msg.CALL_OK)
            return redirect("surveys:call_record", pk=ro.pk)
    context = {
        "ro": ro,
        "form": form,
        "previous": followup_calls(request.user).filter(repair_order=ro),
        "responses": SurveyResponse.objects.for_user(request.user).filter(repair_order=ro),
        "complaints": ro.complaints.filter(excluded=False).order_by("-received_at"),
    }
    return render(request, "surveys/call_record.html", context)


# --- templates (HQ) ---------------------------------------------------------------------


@require_GET
@role_required(*HQ)
def template_list(request: HttpRequest) -> HttpResponse:
    from .services import template_current

    return render(
        request,
        "surveys/templates.html",
        {"templates": SurveyTemplate.objects.all(), "current": template_current()},
    )


@require_GET
@role_required(*HQ)
def template_detail(request: HttpRequest, pk: int) -> HttpResponse:
    template = get_object_or_404(SurveyTemplate, pk=pk)
    return render(
        request,
        "surveys/template_detail.html",
        {
            "template": template,
            "questions": [
                (zh, en)
                for zh, en in zip(
                    template.questions_for("zh-hans"), template.questions_for("en"), strict=True
                )
            ],
        },
    )
