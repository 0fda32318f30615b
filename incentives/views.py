"""Incentive pages: the action queue, the ledger, a dealer's history and the rules."""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Iterable
from decimal import ROUND_HALF_UP, Decimal

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import QuerySet, Sum
from django.http import FileResponse, HttpResponse, QueryDict
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.http import urlencode
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy, ngettext
from django.views.decorators.http import require_GET, require_POST

from assessments.exporting import export_response
from assessments.models import Scorecard
from dealers.http import AuthenticatedHttpRequest
from dealers.models import Dealer, Region, User
from dealers.permissions import ALL_ROLES, HQ, MANAGERS, role_required
from dealers.redirects import redirect_to_next, safe_next_url

from .choices import ActionStatus, ActionType
from .files import private_file_response
from .filtersets import ActionQueueFilterSet, LedgerEntryFilterSet
from .models import Appeal, IncentiveAction, IncentiveRule, LedgerEntry, RectificationOrder, VetoEvidence
from .services import (
    IncentiveError,
    action_decide,
    action_propose,
    actions_bulk_summary,
    actions_decide_bulk,
)
from .services.actions import REJECT_NEEDS_REASON
from .services.vetoes import veto_record
from .views_appeals import kpi_names

# The queue's filters, kept by pagination, exports and the bulk form.
QUEUE_FILTERS = ("status", "period", "region", "dealer", "type", "rule")
FEN = Decimal("0.01")
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
    return ActionQueueFilterSet(values, queryset=actions).qs.order_by("-period", "dealer__code", "id")


ACTION_EXPORT_HEADER = (
    gettext_lazy("Period"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Region"),
    gettext_lazy("Action"),
    gettext_lazy("Amount (CNY)"),
    gettext_lazy("Status"),
    gettext_lazy("Reason"),
    gettext_lazy("Decided by"),
    gettext_lazy("Comment"),
)
LEDGER_EXPORT_HEADER = (
    gettext_lazy("Period"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Region"),
    gettext_lazy("Amount (CNY)"),
)


@require_GET
@role_required(*ALL_ROLES)
def action_queue_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The queue as filtered (every page), as CSV or XLSX."""
    actions = _queue_actions(request.user, _queue_params(request))  # type: ignore[arg-type]
    rows = (_action_row(a) for a in actions.iterator(chunk_size=2000))
    return export_response(rows, ACTION_EXPORT_HEADER, fmt, "actions")


def _action_row(a: IncentiveAction) -> list[object]:
    """An action as the exports write it (the queue's and a dealer's), under ACTION_EXPORT_HEADER."""
    return [
        a.period,
        a.dealer.code,
        a.dealer.name,
        a.dealer.region.name,
        str(a.get_action_type_display()),
        a.amount,
        str(a.get_status_display()),
        a.reason_text,
        str(a.decided_by or ""),
        a.decision_comment,
    ]


@role_required(*ALL_ROLES)
def action_queue(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Managers: proposals to decide (one by one or in bulk) and past decisions; dealers: their own."""
    user: User = request.user
    values = _queue_params(request)
    actions = _queue_actions(user, values)
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
    request: AuthenticatedHttpRequest, ids: list[int], approve: bool, comment: str, next_url: str
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
@role_required(*MANAGERS)
def actions_decide_bulk_view(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Bulk decisions: step "review" shows what will happen, step "confirm" does it."""
    user: User = request.user  # type: ignore[assignment]
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
@role_required(*MANAGERS)
def action_decide_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    action = get_object_or_404(IncentiveAction.objects.for_user(request.user), pk=pk)
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
@role_required(*MANAGERS)
def action_lift_suspension(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user), code=code)
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


def _ledger_entries(request: AuthenticatedHttpRequest) -> QuerySet[LedgerEntry]:
    entries = LedgerEntry.objects.for_user(request.user).select_related("dealer", "dealer__region", "action")
    return LedgerEntryFilterSet(request.GET, queryset=entries).qs


@require_GET
@role_required(*ALL_ROLES)
def ledger_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The ledger's entries (of the month asked for, else all), as CSV or XLSX."""
    rows = (
        [e.period, e.dealer.code, e.dealer.name, e.dealer.region.name, e.amount]
        for e in _ledger_entries(request).order_by("-period", "dealer__code").iterator(chunk_size=2000)
    )
    return export_response(rows, LEDGER_EXPORT_HEADER, fmt, "ledger")


def _totals_per_month(entries: QuerySet[LedgerEntry]) -> dict[str, Decimal]:
    """The ledger's "Totals per month" table: the amount per month, newest first."""
    return dict(entries.values_list("period").annotate(total=Sum("amount")).order_by("-period"))


def _totals_per_region(entries: Iterable[LedgerEntry]) -> list[tuple[tuple[str, str], Decimal]]:
    """The ledger's "Totals per region" table: ((month, region), amount), newest month first."""
    by_region: dict[tuple[str, str], Decimal] = defaultdict(Decimal)
    for e in entries:
        by_region[(e.period, e.dealer.region.name)] += e.amount
    return sorted(by_region.items(), reverse=True)


@require_GET
@role_required(*ALL_ROLES)
def ledger(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Approved bonuses per dealer and per region, with totals per period."""
    entries = _ledger_entries(request)
    period = request.GET.get("period", "")
    rows = list(entries.order_by("-period", "dealer__code"))
    return render(
        request,
        "incentives/ledger.html",
        {
            "entries": rows,
            "by_region": _totals_per_region(rows),
            "by_period": _totals_per_month(entries),
            "period": period,
        },
    )


def _yuan(amount: Decimal | None) -> Decimal:
    """An amount to the fen as the ledger shows it (a sum in SQL may come back with float noise)."""
    return Decimal(amount or 0).quantize(FEN, rounding=ROUND_HALF_UP)


@require_GET
@role_required(*ALL_ROLES)
def ledger_months_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The ledger's totals per month (of the month asked for, else all), as CSV or XLSX."""
    rows = ([p, _yuan(total)] for p, total in _totals_per_month(_ledger_entries(request)).items())
    header = (_("Month"), _("Amount (CNY)"))
    return export_response(rows, header, fmt, "ledger_months", sheet_title=_("Totals per month"))


@require_GET
@role_required(*ALL_ROLES)
def ledger_regions_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The ledger's totals per month and region (of the month asked for, else all), as CSV or XLSX."""
    totals = _totals_per_region(_ledger_entries(request).iterator(chunk_size=2000))
    rows = ([p, region, _yuan(total)] for (p, region), total in totals)
    header = (_("Month"), _("Region"), _("Amount (CNY)"))
    return export_response(rows, header, fmt, "ledger_regions", sheet_title=_("Totals per region"))


def _dealer_actions(request: AuthenticatedHttpRequest, dealer: Dealer) -> QuerySet[IncentiveAction]:
    """The dealer's actions as its page lists them (the page and its export read the same)."""
    return (
        IncentiveAction.objects.for_user(request.user)
        .filter(dealer=dealer)
        .select_related("dealer__region", "decided_by", "rectification", "interview", "rule")
    )


@require_GET
@role_required(*ALL_ROLES)
def dealer_history(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    return render(
        request,
        "incentives/dealer.html",
        {
            "dealer": dealer,
            "actions": _dealer_actions(request, dealer),
            "rectifications": RectificationOrder.objects.for_user(request.user)
            .filter(dealer=dealer)
            .select_related("action", "action__rule"),
            "appeals": Appeal.objects.for_user(request.user).filter(dealer=dealer),
            "kpi_names": kpi_names(),
            "ledger_total": LedgerEntry.objects.for_user(request.user)
            .filter(dealer=dealer)
            .aggregate(t=Sum("amount"))["t"]
            or 0,
        },
    )


@require_GET
@role_required(*ALL_ROLES)
def dealer_history_export(request: AuthenticatedHttpRequest, code: str, fmt: str) -> HttpResponse:
    """A dealer's actions table as its page lists it, as CSV or XLSX (its rectification orders
    and appeals export from their own lists, filtered to the dealer); out of scope 404."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user), code=code)
    rows = (_action_row(a) for a in _dealer_actions(request, dealer).iterator(chunk_size=2000))
    return export_response(
        rows, ACTION_EXPORT_HEADER, fmt, f"actions_{dealer.code}", sheet_title=_("Actions")
    )


@require_GET
@role_required(*MANAGERS)
def rule_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    return render(request, "incentives/rules.html", {"rules": IncentiveRule.objects.all()})


@role_required(*HQ)
def veto_new(request: AuthenticatedHttpRequest, code: str, period: str) -> HttpResponse:
    """HQ managers record a veto (一票否决) for a dealer's month, with the incident and evidence."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
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


@require_GET
@role_required(*ALL_ROLES)
def veto_evidence_file(request: AuthenticatedHttpRequest, pk: int) -> FileResponse:
    """One veto evidence file, for those who may see the dealer (others get 404)."""
    evidence = get_object_or_404(VetoEvidence.objects.for_user(request.user), pk=pk)
    return private_file_response(evidence.file, evidence.original_name)
