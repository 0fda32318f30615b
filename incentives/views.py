"""Incentive pages: the action queue, the ledger, a dealer's history and the rules."""

from __future__ import annotations

from collections import defaultdict
from decimal import Decimal

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Q, QuerySet, Sum
from django.http import FileResponse, HttpRequest, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_POST

from assessments.exporting import write_csv, write_xlsx
from assessments.models import Scorecard
from dealers.http import AuthenticatedHttpRequest
from dealers.models import Dealer, Region, User
from dealers.redirects import redirect_to_next, safe_next_url

from .choices import ActionStatus, ActionType
from .files import private_file_response
from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder, VetoEvidence
from .services import (
    IncentiveError,
    action_decide,
    action_propose,
    actions_bulk_summary,
    actions_decide_bulk,
)
from .services.actions import REJECT_NEEDS_REASON
from .services.vetoes import may_record_veto, veto_record
from .views_appeals import kpi_names

# The queue's filters, kept by pagination, exports and the bulk form.
QUEUE_FILTERS = ("status", "period", "region", "dealer", "type", "rule")
NOTHING_SELECTED = gettext_lazy("Select at least one proposal (or all that match the filter).")


def _queue_params(request: AuthenticatedHttpRequest, source: QueryDict | None = None) -> dict[str, str]:
    """The filter values of a request; the status defaults to "proposed" for managers."""
    params = source if source is not None else request.GET
    values = {name: params.get(name, "").strip() for name in QUEUE_FILTERS}
    if "status" not in params and request.user.is_manager:
        values["status"] = ActionStatus.PROPOSED
    return values


def _queue_actions(user: User, values: dict[str, str]) -> QuerySet[IncentiveAction]:
    """The user's actions that match the queue's filters (scope first, then the filters)."""
    actions = IncentiveAction.objects.for_user(user).select_related(
        "dealer", "dealer__region", "decided_by", "rule", "owner"
    )
    if values["status"] in ActionStatus.values:
        actions = actions.filter(status=values["status"])
    if values["type"] in ActionType.values:
        actions = actions.filter(action_type=values["type"])
    if values["period"]:
        actions = actions.filter(period=values["period"])
    if values["region"].isdigit():
        actions = actions.filter(dealer__region_id=int(values["region"]))
    if values["rule"].isdigit():
        actions = actions.filter(rule_id=int(values["rule"]))
    if values["dealer"]:
        actions = actions.filter(
            Q(dealer__code__icontains=values["dealer"]) | Q(dealer__name__icontains=values["dealer"])
        )
    return actions.order_by("-period", "dealer__code", "id")


def action_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers: proposals to decide (one by one or in bulk) and past decisions; dealers: their own."""
    user: User = request.user
    values = _queue_params(request)
    actions = _queue_actions(user, values)
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
    scope = IncentiveAction.objects.for_user(user)
    filters = urlencode(values)
    return render(
        request,
        "incentives/queue.html",
        {
            "page": page,
            "filters": filters,
            **values,
            "matching": page.paginator.count,
            "can_decide": user.is_manager and values["status"] == ActionStatus.PROPOSED,
            "statuses": ActionStatus.choices,
            "types": ActionType.choices,
            "months": scope.order_by("-period").values_list("period", flat=True).distinct(),
            "regions": Region.objects.filter(pk__in=Dealer.objects.for_user(user).values("region_id"))
            if user.is_manager
            else [],
            "rules": IncentiveRule.objects.filter(pk__in=scope.values("rule_id")),
        },
    )


def _confirmation(
    request: HttpRequest, ids: list[int], approve: bool, comment: str, next_url: str
) -> HttpResponse:
    """The step before a decision: what approving or rejecting these proposals will do."""
    summary = actions_bulk_summary(request.user, ids)  # type: ignore[arg-type]
    return render(
        request,
        "incentives/decide_confirm.html",
        {
            "summary": summary,
            "bonus_total": f"¥{summary.bonus_total:,.2f}",
            "ids": ",".join(str(i) for i in sorted(ids)),
            "approve": approve,
            "decision": "approve" if approve else "reject",
            "comment": comment,
            "next": next_url,
        },
    )


def _ids(raw: list[str]) -> list[int]:
    return [int(x) for part in raw for x in part.split(",") if x.strip().isdigit()]


@require_POST
def actions_decide_bulk_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Bulk decisions: step "review" shows what will happen, step "confirm" does it."""
    user: User = request.user
    if not user.is_manager:
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    comment = request.POST.get("comment", "").strip()
    next_url = safe_next_url(request, "incentives:queue")
    if request.POST.get("step") == "confirm":
        try:
            outcome = actions_decide_bulk(
                actor=user, action_ids=_ids(request.POST.getlist("ids")), approve=approve, comment=comment
            )
        except IncentiveError as exc:
            messages.error(request, str(exc))
            return redirect(next_url)
        done = outcome.approved if approve else outcome.rejected
        messages.success(
            request,
            (
                ngettext("%(n)s proposal approved.", "%(n)s proposals approved.", done)
                if approve
                else ngettext("%(n)s proposal rejected.", "%(n)s proposals rejected.", done)
            )
            % {"n": done},
        )
        if outcome.skipped:
            messages.warning(
                request,
                ngettext(
                    "%(n)s was already decided and was left as it was.",
                    "%(n)s were already decided and were left as they were.",
                    outcome.skipped,
                )
                % {"n": outcome.skipped},
            )
        for action, reason in outcome.refused:
            messages.error(
                request, f"{action.dealer.code} {action.period} {action.get_action_type_display()}: {reason}"
            )
        return redirect(next_url)
    if request.POST.get("all_matching"):
        values = _queue_params(request, request.POST)
        values["status"] = ActionStatus.PROPOSED
        ids = list(_queue_actions(user, values).values_list("pk", flat=True))
    else:
        ids = list(
            IncentiveAction.objects.for_user(user)
            .filter(pk__in=_ids(request.POST.getlist("ids")), status=ActionStatus.PROPOSED)
            .values_list("pk", flat=True)
        )
    if not ids:
        messages.error(request, str(NOTHING_SELECTED))
        return redirect(next_url)
    if not approve and not comment:
        messages.error(request, str(REJECT_NEEDS_REASON))
        return redirect(next_url)
    return _confirmation(request, ids, approve, comment, next_url)


@require_POST
def action_decide_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(IncentiveAction.objects.for_user(request.user), pk=pk)
    if not request.user.is_manager:
        raise PermissionDenied
    approve = request.POST.get("decision") == "approve"
    if approve and action.action_type == ActionType.SUSPENSION and action.status == ActionStatus.PROPOSED:
        # No one-click suspension: the same confirmation as a bulk decision, for one.
        return _confirmation(
            request,
            [action.pk],
            True,
            request.POST.get("comment", ""),
            safe_next_url(request, "incentives:queue"),
        )
    try:
        action_decide(
            action=action,
            actor=request.user,
            approve=approve,
            comment=request.POST.get("comment", ""),
        )
        messages.success(request, _("Decision recorded."))
    except IncentiveError as exc:
        messages.error(request, str(exc))
    return redirect_to_next(request, "incentives:queue")


@require_POST
def action_lift_suspension(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user), code=code)
    if not request.user.is_manager:
        raise PermissionDenied
    from django.utils import timezone

    from assessments.periods import Month

    action_propose(
        dealer=dealer,
        period_code=str(Month.of(timezone.localdate())),
        action_type=ActionType.LIFT_SUSPENSION,
        reason=request.POST.get("reason", "") or _("Lift the suspension"),
        actor=request.user,
    )
    messages.success(request, _("Proposed: lift the suspension. It takes effect when approved."))
    return redirect("incentives:dealer", code=dealer.code)


def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
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


def dealer_history(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    return render(
        request,
        "incentives/dealer.html",
        {
            "dealer": dealer,
            "actions": IncentiveAction.objects.for_user(request.user)
            .filter(dealer=dealer)
            .select_related("decided_by", "rectification", "interview"),
            "rectifications": RectificationOrder.objects.for_user(request.user)
            .filter(dealer=dealer)
            .select_related("action"),
            "appeals": Appeal.objects.for_user(request.user).filter(dealer=dealer),
            "kpi_names": kpi_names(),
            "ledger_total": LedgerEntry.objects.for_user(request.user)
            .filter(dealer=dealer)
            .aggregate(t=Sum("amount"))["t"]
            or 0,
        },
    )


def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    if not request.user.is_manager:
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


def veto_new(request: AuthenticatedHttpRequest, code: str, period: str) -> HttpResponse:
    """HQ managers record a veto (一票否决) for a dealer's month, with the incident and evidence."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    if not may_record_veto(request.user):
        raise PermissionDenied
    card = get_object_or_404(Scorecard.objects.select_related("period"), dealer=dealer, period__code=period)
    form = {"title": "", "description": ""}
    if request.method == "POST":
        form = {"title": request.POST.get("title", ""), "description": request.POST.get("description", "")}
        try:
            veto_record(
                dealer=dealer,
                period_code=period,
                title=form["title"],
                description=form["description"],
                files=request.FILES.getlist("evidence"),
                actor=request.user,
            )
        except IncentiveError as exc:
            messages.error(request, str(exc))
        else:
            messages.success(
                request,
                _("Veto recorded. The month's scorecards are being recomputed; no reward is proposed."),
            )
            return redirect("assessments:scorecard", code=dealer.code, period=period)
    return render(request, "incentives/decide_veto.html", {"dealer": dealer, "card": card, "form": form})


def veto_evidence_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """One veto evidence file, for those who may see the dealer (others get 404)."""
    evidence = get_object_or_404(VetoEvidence.objects.for_user(request.user), pk=pk)
    return private_file_response(evidence.file, evidence.original_name)
