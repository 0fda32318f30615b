"""Goal pages. HQ admins create and revise goals; managers and dealer users read those in
their scope (Goal.objects.for_user): a goal outside it answers 404."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.http import HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_http_methods

from assessments.exporting import export_response
from assessments.kpis import BY_CODE, kpi_name
from assessments.periods import Month
from dealers.choices import Role
from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import ALL_ROLES, role_required

from .choices import MonthStatus
from .forms import GoalForm
from .models import Goal
from .projection import PROJECTION_METHOD
from .selectors import GoalMonth, goal_months, goals_for, status_counts
from .services import GoalError, goal_create, goal_revise

HQ_ADMIN = (Role.HQ_ADMIN,)


def _goal(request: AuthenticatedHttpRequest, pk: int) -> Goal:
    return get_object_or_404(goals_for(request.user), pk=pk)


def _status_counts(goals: list[Goal], current: str) -> dict[str, int]:
    """How many goals are in each status this month (goals not covering it are left out)."""
    counts = {status: 0 for status in MonthStatus.values}
    for goal in goals:
        if goal.current_month == current and goal.current_status:
            counts[goal.current_status] += 1
    return counts


@require_GET
@role_required(*ALL_ROLES)
def goal_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The goals in scope with the month in progress's status as last checked (on every save
    and each morning, goals.services.goal_check): the list reads no figures itself."""
    goals = list(goals_for(request.user))
    current = str(Month.of(timezone.now()))
    return render(
        request,
        "goals/list.html",
        {
            "goals": [(goal, kpi_name(goal.kpi_code)) for goal in goals],
            "counts": _status_counts(goals, current),
            "may_edit": request.user.is_hq_admin,
            "month": current,
        },
    )


LIST_HEADER = (
    gettext_lazy("Goal"),
    gettext_lazy("KPI"),
    gettext_lazy("Group"),
    gettext_lazy("From month"),
    gettext_lazy("To month"),
    gettext_lazy("Target"),
    gettext_lazy("Owner"),
    gettext_lazy("Version"),
    gettext_lazy("This month"),
    gettext_lazy("Checked at"),
)


@require_GET
@role_required(*ALL_ROLES)
def goal_list_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    current = str(Month.of(timezone.now()))

    def rows() -> Any:
        for goal in goals_for(request.user):
            status = goal.current_status if goal.current_month == current else ""
            yield [
                goal.pk,
                kpi_name(goal.kpi_code),
                goal.group_label,
                goal.month_from,
                goal.month_to,
                goal.target_label,
                goal.owner.username if goal.owner is not None else "",
                goal.version,
                str(MonthStatus(status).label) if status else "",
                timezone.localtime(goal.status_checked_at).strftime("%Y-%m-%d %H:%M")
                if goal.status_checked_at
                else "",
            ]

    return export_response(rows(), LIST_HEADER, fmt, f"goals_{timezone.localdate():%Y%m%d}")


def _chart(rows: list[GoalMonth]) -> dict[str, Any]:
    return {
        "labels": [str(r.month) for r in rows],
        "target_label": _("Target"),
        "actual_label": _("Actual"),
        "projection_label": _("Projection"),
        "target": [r.target for r in rows],
        "actual": [r.actual for r in rows],
        "projection": [r.projection.value if r.projection else None for r in rows],
    }


@require_GET
@role_required(*ALL_ROLES)
def goal_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    rows = goal_months(goal)
    return render(
        request,
        "goals/detail.html",
        {
            "goal": goal,
            "kpi": BY_CODE[goal.kpi_code],
            "kpi_name": kpi_name(goal.kpi_code),
            "rows": rows,
            "counts": status_counts(rows),
            "chart": _chart(rows),
            "versions": goal.versions.select_related("created_by"),
            "method": PROJECTION_METHOD,
            "may_edit": request.user.is_hq_admin,
        },
    )


DETAIL_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Target"),
    gettext_lazy("Actual"),
    gettext_lazy("Sample size"),
    gettext_lazy("Projection"),
    gettext_lazy("Interval low"),
    gettext_lazy("Interval high"),
    gettext_lazy("Variance"),
    gettext_lazy("Status"),
    gettext_lazy("Last year"),
)


@require_GET
@role_required(*ALL_ROLES)
def goal_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    goal = _goal(request, pk)

    def rows() -> Any:
        for r in goal_months(goal):
            p = r.projection
            yield [
                str(r.month),
                r.target,
                r.actual,
                r.n,
                p.value if p else None,
                p.low if p else None,
                p.high if p else None,
                r.variance,
                str(MonthStatus(r.status).label),
                r.last_year,
            ]

    return export_response(rows(), DETAIL_HEADER, fmt, f"goal_{goal.pk}_{goal.kpi_code}")


VERSIONS_HEADER = (
    gettext_lazy("Version"),
    gettext_lazy("Saved at"),
    gettext_lazy("By"),
    gettext_lazy("What changed"),
    gettext_lazy("Before"),
    gettext_lazy("After"),
)


@require_GET
@role_required(*ALL_ROLES)
def goal_versions_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A goal's versions table, newest first, as CSV or XLSX: a row per changed term (its value
    before and after, a target as a number), the first version one row saying it was created."""
    goal = _goal(request, pk)

    def rows() -> Any:
        for v in goal.versions.select_related("created_by"):
            saved = [v.version, v.created_at, v.created_by.username if v.created_by else ""]
            if not v.changes:
                yield [*saved, _("Created"), None, None]
            for field, before, after in v.changes:
                yield [*saved, field, before, after]

    return export_response(
        rows(), VERSIONS_HEADER, fmt, f"goal_{goal.pk}_versions", sheet_title=_("Versions")
    )


@require_http_methods(["GET", "POST"])
@role_required(*HQ_ADMIN)
def goal_new(request: AuthenticatedHttpRequest) -> HttpResponse:
    form = GoalForm(request.POST or None)
    if request.method == "POST" and form.is_valid():
        try:
            goal = goal_create(terms=form.terms(), actor=request.user)
        except GoalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Goal saved."))
            return redirect("goals:detail", pk=goal.pk)
    return render(request, "goals/form.html", {"form": form, "back": reverse("goals:list")})


@require_http_methods(["GET", "POST"])
@role_required(*HQ_ADMIN)
def goal_edit(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    goal = _goal(request, pk)
    form = GoalForm(request.POST or None, initial=GoalForm.initial_of(goal))
    if request.method == "POST" and form.is_valid():
        try:
            goal = goal_revise(goal=goal, terms=form.terms(), actor=request.user)
        except GoalError as exc:
            form.add_error(None, str(exc))
        else:
            messages.success(request, _("Goal saved as version %(version)d.") % {"version": goal.version})
            return redirect("goals:detail", pk=goal.pk)
    return render(
        request,
        "goals/form.html",
        {"form": form, "goal": goal, "back": reverse("goals:detail", args=[goal.pk])},
    )
