"""Rectification pages: the order with its tasks and evidence, HQ's verification with the
re-measure, the evidence files (served only through the scope), and interview records."""

from __future__ import annotations

from datetime import date
from typing import Any

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Prefetch
from django.http import FileResponse, Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, pgettext_lazy
from django.views.decorators.http import require_GET, require_POST

from assessments.exporting import export_response
from assessments.kpis import BY_CODE
from assessments.pages.scorecard import unit_label
from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import ALL_ROLES, role_required

from . import events
from .files import private_file_response
from .filtersets import RECTIFICATION_TABS, RectificationListFilterSet
from .models import InterviewRecord, RectificationEvidence, RectificationOrder, RectificationTask
from .rectification_templates import kpi_name
from .services import (
    IncentiveError,
    interview_record,
    order_kpis,
    rectification_evidence_attach,
    rectification_remeasure,
    rectification_submit_plan,
    rectification_task_add,
    rectification_task_edit,
    rectification_task_mark,
    rectification_verify,
)
from .services.rectification import ANSWERABLE


def _orders(request: AuthenticatedHttpRequest) -> Any:
    return RectificationOrder.objects.for_user(request.user).select_related("dealer", "action", "owner")


def _date(raw: str | None) -> date | None:
    try:
        return date.fromisoformat(raw or "")
    except ValueError:
        return None


def remeasure_lines(data: dict[str, Any] | None) -> list[dict[str, Any]]:
    """The stored (or previewed) re-measure as lines to show: names and units, never codes."""
    if not data:
        return []
    lines = []
    for row in data.get("rows", []):
        code = row.get("kpi") or ""
        kpi = BY_CODE.get(code)
        before, after = row.get("before"), row.get("after")
        change = after - before if before is not None and after is not None else None
        lower_is_better = kpi is not None and kpi.direction == "lower"
        improved = None if change is None else (change < 0 if lower_is_better else change > 0)
        lines.append(
            {
                "name": kpi_name(code) if code else _("Total score"),
                "unit": unit_label(kpi.unit) if kpi else "",
                "before": before,
                "after": after,
                "before_grade": row.get("before_grade", ""),
                "after_grade": row.get("after_grade", ""),
                "change": change,
                "improved": improved,
            }
        )
    return lines


@role_required(*ALL_ROLES)
def rectification_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The order: why, deadline, the tasks, the evidence; the dealer answers, a manager verifies."""
    order = get_object_or_404(_orders(request), pk=pk)
    if request.method == "POST":
        try:
            if request.POST.get("step") == "plan":
                rectification_submit_plan(
                    order=order,
                    actor=request.user,
                    plan=request.POST.get("plan", ""),
                    files=request.FILES.getlist("evidence")[:10],
                )
                messages.success(request, _("Plan submitted. HQ will verify it."))
            elif request.POST.get("step") in ("pass", "fail"):
                rectification_verify(
                    order=order,
                    actor=request.user,
                    passed=request.POST["step"] == "pass",
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, _("Verification recorded."))
            else:
                raise PermissionDenied
        except IncentiveError as exc:
            messages.error(request, str(exc))
        return redirect("incentives:rectification", pk=order.pk)
    user: Any = request.user
    tasks = list(
        order.tasks.prefetch_related(
            Prefetch("evidence", queryset=RectificationEvidence.objects.select_related("uploaded_by"))
        )
    )
    evidence = list(order.evidence.select_related("uploaded_by", "task"))
    answering = user.is_dealer_user and user.dealer_id == order.dealer_id and order.status in ANSWERABLE
    if order.remeasure:
        remeasure = order.remeasure
    elif user.is_manager and order.status == "plan_submitted":
        remeasure = rectification_remeasure(order)
    else:
        remeasure = None
    return render(
        request,
        "incentives/rectification.html",
        {
            "order": order,
            "tasks": tasks,
            "tasks_done": sum(1 for t in tasks if t.status == "done"),
            "evidence": evidence,
            "answering": answering,
            "kpi_names": [kpi_name(c) for c in order_kpis(order)],
            "days_left": (order.deadline - timezone.localdate()).days,
            "days_late": (timezone.localdate() - order.deadline).days,
            "remeasure": remeasure,
            "remeasure_lines": remeasure_lines(remeasure),
            "today": timezone.localdate(),
        },
    )


@require_POST
@role_required(*ALL_ROLES)
def rectification_task_new(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(_orders(request), pk=pk)
    due = _date(request.POST.get("due_date"))
    try:
        if due is None:
            raise IncentiveError(_("Give the task's due date."))
        rectification_task_add(
            order=order,
            actor=request.user,
            title=request.POST.get("title", ""),
            owner=request.POST.get("owner", ""),
            due_date=due,
        )
        messages.success(request, _("Task added."))
    except IncentiveError as exc:
        messages.error(request, str(exc))
    return redirect("incentives:rectification", pk=order.pk)


@require_POST
@role_required(*ALL_ROLES)
def rectification_task_update(request: AuthenticatedHttpRequest, pk: int, task_pk: int) -> HttpResponse:
    """Edit a task (title, owner, due date), or tick it done / open it again."""
    order = get_object_or_404(_orders(request), pk=pk)
    task = get_object_or_404(RectificationTask.objects.for_user(request.user), pk=task_pk, order=order)
    try:
        if "done" in request.POST:
            rectification_task_mark(task=task, actor=request.user, done=request.POST["done"] == "1")
        else:
            due = _date(request.POST.get("due_date"))
            if due is None:
                raise IncentiveError(_("Give the task's due date."))
            rectification_task_edit(
                task=task,
                actor=request.user,
                title=request.POST.get("title", ""),
                owner=request.POST.get("owner", ""),
                due_date=due,
            )
            messages.success(request, _("Task saved."))
    except IncentiveError as exc:
        messages.error(request, str(exc))
    return redirect(f"{order_url(order)}#task-{task.pk}")


def order_url(order: RectificationOrder) -> str:
    return reverse("incentives:rectification", args=[order.pk])


@require_POST
@role_required(*ALL_ROLES)
def rectification_evidence_upload(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(_orders(request), pk=pk)
    task = None
    raw_task = request.POST.get("task", "")
    if raw_task:
        if not raw_task.isdigit():
            raise Http404
        task = get_object_or_404(
            RectificationTask.objects.for_user(request.user), pk=int(raw_task), order=order
        )
    files = request.FILES.getlist("evidence")
    try:
        if not files:
            raise IncentiveError(_("Choose a file to upload."))
        rectification_evidence_attach(order=order, actor=request.user, files=files, task=task)
        messages.success(request, _("Evidence uploaded."))
    except IncentiveError as exc:
        messages.error(request, str(exc))
    return redirect("incentives:rectification", pk=order.pk)


@require_GET
@role_required(*ALL_ROLES)
def rectification_evidence_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """One evidence file, for the users who may see its order; 404 for everyone else.

    Always an attachment under its original name (Django encodes it safely) and never
    sniffed as a page, so an uploaded HTML or SVG cannot run in the portal's origin."""
    evidence = get_object_or_404(
        RectificationEvidence.objects.for_user(request.user).select_related("order__dealer"), pk=pk
    )
    response = private_file_response(evidence.file, evidence.name)
    if request.user.is_manager:
        events.rectification_evidence_opened(actor=request.user, evidence=evidence)
    return response


@role_required(*ALL_ROLES)
def interview_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """The interview record (约谈): managers of the dealer fill it, the dealer reads it."""
    interview = get_object_or_404(
        InterviewRecord.objects.for_user(request.user).select_related("dealer", "action", "recorded_by"),
        pk=pk,
    )
    user: Any = request.user
    if request.method == "POST":
        if not user.is_manager:
            raise PermissionDenied
        try:
            interview_record(
                interview=interview,
                actor=user,
                held_on=_date(request.POST.get("held_on")),
                attendees=request.POST.get("attendees", ""),
                minutes=request.POST.get("minutes", ""),
            )
            messages.success(request, _("Interview record saved."))
        except IncentiveError as exc:
            messages.error(request, str(exc))
        return redirect("incentives:interview", pk=interview.pk)
    return render(
        request,
        "incentives/interview_detail.html",
        {"interview": interview, "editing": user.is_manager, "today": timezone.localdate()},
    )


LIST_STATUSES = RECTIFICATION_TABS  # the list's tabs, defined with its filters


def _listed_orders(request: AuthenticatedHttpRequest) -> tuple[str, Any]:
    """The tab asked for and the user's orders in it (the page and its export read the same)."""
    status = request.GET.get("status", "to_verify" if request.user.is_manager else "open")
    wanted = {"status": status, "dealer": request.GET.get("dealer", "")}
    orders = RectificationListFilterSet(wanted, queryset=_orders(request)).qs
    return status, orders.order_by("deadline", "pk")


@require_GET
@role_required(*ALL_ROLES)
def rectification_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The orders in the user's scope: plans to verify first (HQ's job), then open, then closed."""
    status, orders = _listed_orders(request)
    page = Paginator(orders, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incentives/rectification_list.html",
        {"page": page, "status": status, "today": timezone.localdate()},
    )


RECTIFICATION_EXPORT_HEADER = (
    pgettext_lazy("rectification", "Order"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Month"),
    gettext_lazy("Deadline"),
    gettext_lazy("Overdue"),
    gettext_lazy("Status"),
    gettext_lazy("Owner"),
    gettext_lazy("Plan submitted at"),
    gettext_lazy("Verified at"),
)


@require_GET
@role_required(*ALL_ROLES)
def rectification_list_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The orders of the tab shown (every page, the user's scope), as CSV or XLSX."""
    status, orders = _listed_orders(request)
    today = timezone.localdate()
    rows = (
        [
            f"RO-{o.pk}",
            o.dealer.code,
            o.dealer.name,
            o.action.period,
            o.deadline,
            _("Yes") if o.status == "open" and o.deadline < today else "",
            o.get_status_display(),
            (o.owner.get_full_name() or o.owner.username) if o.owner else "",
            o.plan_submitted_at,
            o.verified_at,
        ]
        for o in orders.iterator(chunk_size=1000)
    )
    return export_response(
        rows,
        RECTIFICATION_EXPORT_HEADER,
        fmt,
        f"rectifications-{status}",
        sheet_title=_("Rectification orders"),
    )
