"""Incentive pages: the action queue, the ledger, a dealer's history and the rules."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Sum
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from assessments.exporting import write_csv, write_xlsx
from dealers.models import Dealer
from dealers.redirects import redirect_to_next

from .choices import ActionStatus, ActionType
from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder
from .services import (
    IncentiveError,
    action_decide,
    action_propose,
)


def action_queue(request: HttpRequest) -> HttpResponse:
    """Managers: proposals to decide and past decisions; dealer users: their own actions."""
    actions = IncentiveAction.objects.for_user(request.user).select_related(
        "dealer", "dealer__region", "decided_by", "rule"
    )
    status = request.GET.get("status", ActionStatus.PROPOSED if request.user.is_manager else "")  # type: ignore[union-attr]
    if status in ActionStatus.values:
        actions = actions.filter(status=status)
    kind = request.GET.get("type", "")
    if kind in ActionType.values:
        actions = actions.filter(action_type=kind)
    period = request.GET.get("period", "")
    if period:
        actions = actions.filter(period=period)
    actions = actions.order_by("-period", "dealer__code", "id")
    if request.GET.get("format") in ("csv", "xlsx"):
        header = [
            "period",
            "dealer_code",
            "dealer_name",
            "region",
            "action",
            "amount",
            "status",
            "reason",
            "decided_by",
            "comment",
        ]
        rows = [
            [
                a.period,
                a.dealer.code,
                a.dealer.name,
                a.dealer.region.name,
                a.get_action_type_display(),
                a.amount,
                a.get_status_display(),
                a.reason,
                str(a.decided_by or ""),
                a.decision_comment,
            ]
            for a in actions
        ]
        return _download(request.GET["format"], "actions", header, rows)
    page = Paginator(actions, 50).get_page(request.GET.get("page"))
    return render(
        request,
        "incentives/queue.html",
        {
            "page": page,
            "status": status,
            "type": kind,
            "period": period,
            "statuses": ActionStatus.choices,
            "types": ActionType.choices,
        },
    )


@require_POST
def action_decide_view(request: HttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(IncentiveAction.objects.for_user(request.user), pk=pk)
    if not request.user.is_manager:  # type: ignore[union-attr]
        raise PermissionDenied
    try:
        action_decide(
            action=action,
            actor=request.user,
            approve=request.POST.get("decision") == "approve",  # type: ignore[arg-type]
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("Decision recorded."))
    except IncentiveError as exc:
        messages.error(request, str(exc))
    return redirect_to_next(request, "incentives:queue")


@require_POST
def action_lift_suspension(request: HttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user), code=code)
    if not request.user.is_manager:  # type: ignore[union-attr]
        raise PermissionDenied
    from django.utils import timezone

    from assessments.periods import Month

    action_propose(
        dealer=dealer,
        period_code=str(Month.of(timezone.localdate())),
        action_type=ActionType.LIFT_SUSPENSION,
        reason=request.POST.get("reason", "") or _("Lift the suspension"),
        actor=request.user,
    )  # type: ignore[arg-type]
    messages.success(request, _("Proposed: lift the suspension. It takes effect when approved."))
    return redirect("incentives:dealer", code=dealer.code)


def ledger(request: HttpRequest) -> HttpResponse:
    """Approved bonuses per dealer and per region, with totals per period."""
    entries = LedgerEntry.objects.for_user(request.user).select_related("dealer", "dealer__region", "action")
    period = request.GET.get("period", "")
    if period:
        entries = entries.filter(period=period)
    by_region: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    by_period = dict(entries.values_list("period").annotate(total=Sum("amount")).order_by("-period"))
    rows = list(entries.order_by("-period", "dealer__code"))
    for e in rows:
        by_region[(e.period, e.dealer.region.name)] += e.amount
    if request.GET.get("format") in ("csv", "xlsx"):
        header = ["period", "dealer_code", "dealer_name", "region", "amount"]
        return _download(
            request.GET["format"],
            "ledger",
            header,
            [[e.period, e.dealer.code, e.dealer.name, e.dealer.region.name, e.amount] for e in rows],
        )
    return render(
        request,
        "incentives/ledger.html",
        {
            "entries": rows,
            "by_region": sorted(by_region.items(), reverse=True),
            "by_period": by_period,
            "period": period,
        },
    )


def dealer_history(request: HttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    return render(
        request,
        "incentives/dealer.html",
        {
            "dealer": dealer,
            "actions": IncentiveAction.objects.for_user(request.user)
            .filter(dealer=dealer)
            .select_related("decided_by"),
            "rectifications": RectificationOrder.objects.for_user(request.user)
            .filter(dealer=dealer)
            .select_related("action"),
            "appeals": Appeal.objects.for_user(request.user).filter(dealer=dealer),
            "ledger_total": LedgerEntry.objects.for_user(request.user)
            .filter(dealer=dealer)
            .aggregate(t=Sum("amount"))["t"]
            or 0,
        },
    )


def rule_list(request: HttpRequest) -> HttpResponse:
    if not request.user.is_manager:  # type: ignore[union-attr]
        raise PermissionDenied
    return render(request, "incentives/rules.html", {"rules": IncentiveRule.objects.all()})


def _download(fmt: str, name: str, header: list[str], rows: list[list[object]]) -> HttpResponse:
    if fmt == "xlsx":
        response = HttpResponse(
            write_xlsx(rows, header, name),
            content_type="application/vnd.openxmlformats-officedocument.spreadsheetml.sheet",
        )
    else:
        response = HttpResponse(write_csv(rows, header), content_type="text/csv; charset=utf-8")
    response["Content-Disposition"] = f'attachment; filename="{name}.{fmt}"'
    return response
