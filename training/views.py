"""Roster pages. Dealer users keep their technicians; managers see the network's skill picture.

Rows are reached only through `for_user` (dealers.scoping): a technician outside the user's
scope answers 404. Actions validate a form and call one service.
"""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.exporting import export_response
from dealers.choices import Role
from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import ALL_ROLES, MANAGERS, role_required

from .forms import CertificationForm, LeaveForm, RosterImportForm, TechnicianForm, TrainingForm
from .importing import ROSTER_HEADER, parse_roster
from .models import Technician
from .selectors import EXPIRING_WITHIN_DAYS, expiring_certifications, roster, skill_picture
from .services import (
    RosterError,
    certification_add,
    roster_import,
    technician_create,
    technician_mark_left,
    technician_update,
    training_add,
)

DEALER = (Role.DEALER_USER,)


def _technician(request: AuthenticatedHttpRequest, pk: int) -> Technician:
    return get_object_or_404(Technician.objects.for_user(request.user).select_related("dealer"), pk=pk)


@require_GET
@role_required(*ALL_ROLES)
def index(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The nav entry: a dealer user's roster, a manager's skill picture."""
    if request.user.is_dealer_user:
        return redirect("training:roster")
    return redirect("training:skills")


# --- the dealer's roster ----------------------------------------------------------------


@require_GET
@role_required(*DEALER)
def roster_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    dealer = request.user.dealer
    if dealer is None:
        raise Http404
    show_left = request.GET.get("left") == "1"
    today = timezone.localdate()
    return render(
        request,
        "training/roster.html",
        {
            "dealer": dealer,
            "technicians": roster(request.user, dealer, include_left=show_left),
            "show_left": show_left,
            "today": today,
            "expiring": expiring_certifications(request.user, today).filter(technician__dealer=dealer),
            "expiring_days": EXPIRING_WITHIN_DAYS,
        },
    )


@require_GET
@role_required(*DEALER)
def roster_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The roster in the import's format: one row per certificate or course (a bare row if none)."""
    dealer = request.user.dealer
    if dealer is None:
        raise Http404

    def rows() -> Any:
        for t in roster(request.user, dealer, include_left=True):
            person = [t.name, t.get_role_display(), t.hire_date, t.left_on]
            certs, courses = list(t.certifications.all()), list(t.training_records.all())
            for c in certs:
                yield [
                    *person,
                    c.name,
                    c.get_level_display(),
                    c.number,
                    c.issued_on,
                    c.expires_on,
                    "",
                    "",
                    "",
                ]
            for r in courses:
                yield [*person, "", "", "", "", "", r.course, r.hours, r.completed_on]
            if not certs and not courses:
                yield [*person, "", "", "", "", "", "", "", ""]

    return export_response(rows(), ROSTER_HEADER, fmt, f"roster_{dealer.code}_{timezone.localdate():%Y%m%d}")


@require_http_methods(["GET", "POST"])
@role_required(*DEALER)
def roster_import_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    dealer = request.user.dealer
    if dealer is None:
        raise Http404
    form = RosterImportForm(request.POST or None, request.FILES or None)
    errors: list[tuple[int, str]] = []
    if request.method == "POST" and form.is_valid():
        upload = form.cleaned_data["file"]
        parsed = parse_roster(upload.read(), upload.name)
        errors = parsed.errors
        if not errors:
            counts = roster_import(dealer=dealer, rows=parsed.rows, file_name=upload.name, actor=request.user)  # type: ignore[arg-type]
            messages.success(
                request,
                _(
                    "Imported: %(technicians)s technicians, %(certifications)s certificates, %(training)s courses added."
                )
                % counts,
            )
            return redirect("training:roster")
    return render(
        request,
        "training/import.html",
        {"form": form, "errors": errors, "header": ROSTER_HEADER, "dealer": dealer},
    )


@require_http_methods(["GET", "POST"])
@role_required(*DEALER)
def technician_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    dealer = request.user.dealer
    if dealer is None:
        raise Http404
    form = TechnicianForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        technician = technician_create(dealer=dealer, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Technician added."))
        return redirect("training:technician", pk=technician.pk)
    return render(request, "training/technician_form.html", {"form": form, "dealer": dealer})


@require_http_methods(["GET", "POST"])
@role_required(*ALL_ROLES)
def technician_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A technician's record; their dealer's users may correct it and add to it."""
    technician = _technician(request, pk)
    may_edit = bool(request.user.is_dealer_user and technician.dealer_id == request.user.dealer_id)
    form = None
    if may_edit:
        initial = {"name": technician.name, "role": technician.role, "hire_date": technician.hire_date}
        form = TechnicianForm(request.POST or None, initial=initial)
        if request.method == "POST" and form.is_valid():
            try:
                technician_update(technician=technician, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
                messages.success(request, _("Technician saved."))
                return redirect("training:technician", pk=technician.pk)
            except RosterError as exc:
                form.add_error(None, str(exc))
    elif request.method == "POST":
        raise Http404
    return _detail(request, technician, may_edit=may_edit, form=form)


def _detail(
    request: AuthenticatedHttpRequest, technician: Technician, *, may_edit: bool, **forms: Any
) -> HttpResponse:
    context = {
        "technician": technician,
        "may_edit": may_edit and technician.left_on is None,
        "form": forms.get("form")
        or (
            TechnicianForm(
                initial={"name": technician.name, "role": technician.role, "hire_date": technician.hire_date}
            )
            if may_edit
            else None
        ),
        "cert_form": forms.get("cert_form") or CertificationForm(),
        "training_form": forms.get("training_form") or TrainingForm(),
        "leave_form": forms.get("leave_form") or LeaveForm(),
        "certifications": technician.certifications.order_by("-expires_on", "pk"),
        "training_records": technician.training_records.order_by("-completed_on", "pk"),
        "today": timezone.localdate(),
    }
    return render(request, "training/technician.html", context)


def _own_technician(request: AuthenticatedHttpRequest, pk: int) -> Technician:
    technician = _technician(request, pk)
    if technician.dealer_id != request.user.dealer_id:
        raise Http404
    return technician


@require_POST
@role_required(*DEALER)
def certification_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    technician = _own_technician(request, pk)
    form = CertificationForm(request.POST)
    if form.is_valid():
        try:
            certification_add(technician=technician, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("Certificate added."))
            return redirect("training:technician", pk=technician.pk)
        except RosterError as exc:
            form.add_error(None, str(exc))
    return _detail(request, technician, may_edit=True, cert_form=form)


@require_POST
@role_required(*DEALER)
def training_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    technician = _own_technician(request, pk)
    form = TrainingForm(request.POST)
    if form.is_valid():
        training_add(technician=technician, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
        messages.success(request, _("Training hours added."))
        return redirect("training:technician", pk=technician.pk)
    return _detail(request, technician, may_edit=True, training_form=form)


@require_POST
@role_required(*DEALER)
def technician_leave(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    technician = _own_technician(request, pk)
    form = LeaveForm(request.POST)
    if form.is_valid():
        try:
            technician_mark_left(technician=technician, actor=request.user, **form.cleaned_data)  # type: ignore[arg-type]
            messages.success(request, _("Marked as left."))
            return redirect("training:roster")
        except RosterError as exc:
            form.add_error(None, str(exc))
    return _detail(request, technician, may_edit=True, leave_form=form)


# --- the network's skill picture ----------------------------------------------------------


@require_GET
@role_required(*MANAGERS)
def skills_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    today = timezone.localdate()
    return render(
        request,
        "training/skills.html",
        {
            "picture": skill_picture(request.user, today),
            "expiring": expiring_certifications(request.user, today)[:200],
            "expiring_days": EXPIRING_WITHIN_DAYS,
        },
    )


def _skill_header() -> list[str]:
    return [
        _("Group"),
        _("Dealers"),
        _("Technicians"),
        _("Certified technicians"),
        _("Share certified"),
        _("Training hours per technician, last 12 months"),
    ]


@require_GET
@role_required(*MANAGERS)
def skills_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    picture = skill_picture(request.user, timezone.localdate())
    rows = [
        *[
            [
                _("Region") + " " + r.label,
                r.dealer_count,
                r.technicians,
                r.certified,
                r.certified_share,
                r.hours_per_technician,
            ]
            for r in picture.by_region
        ],
        *[
            [
                _("City tier") + " " + r.label,
                r.dealer_count,
                r.technicians,
                r.certified,
                r.certified_share,
                r.hours_per_technician,
            ]
            for r in picture.by_tier
        ],
    ]
    return export_response(rows, _skill_header(), fmt, f"skills_{picture.day:%Y%m%d}")


@require_GET
@role_required(*MANAGERS)
def expiring_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    today = timezone.localdate()
    rows = (
        [
            c.technician.dealer.region.name,
            c.technician.dealer.code,
            c.technician.dealer.name,
            c.technician.name,
            c.name,
            c.get_level_display(),
            c.number,
            c.expires_on,
        ]
        for c in expiring_certifications(request.user, today)
    )
    header = [
        _("Region"),
        _("Dealer code"),
        _("Dealer"),
        _("Technician"),
        _("Certificate"),
        _("Level"),
        _("Certificate number"),
        _("Expires on"),
    ]
    return export_response(rows, header, fmt, f"expiring_certificates_{today:%Y%m%d}")
