"""Appeal pages: filing from a scorecard, the list, and the decision."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from assessments.models import Scorecard

from .choices import CorrectionKind
from .models import Appeal
from .services import (
    IncentiveError,
    appeal_decide,
    appeal_file,
    appeal_window_open,
)


def appeal_new(request: HttpRequest, scorecard_pk: int) -> HttpResponse:
    card = get_object_or_404(
        Scorecard.objects.for_user(request.user).select_related("period", "dealer"), pk=scorecard_pk
    )
    if not request.user.is_dealer_user:  # type: ignore[union-attr]
        raise PermissionDenied
    kpis = list(card.kpi_results.values_list("kpi_code", flat=True))
    if request.method == "POST":
        try:
            appeal = appeal_file(
                scorecard=card,
                kpi_code=request.POST.get("kpi_code", ""),
                reason=request.POST.get("reason", ""),
                actor=request.user,
                evidence=request.FILES.get("evidence"),
            )  # type: ignore[arg-type]
            messages.success(request, _("Appeal filed."))
            return redirect("incentives:appeal", pk=appeal.pk)
        except IncentiveError as exc:
            messages.error(request, str(exc))
    return render(
        request,
        "incentives/appeal_new.html",
        {
            "card": card,
            "kpis": kpis,
            "window_open": appeal_window_open(card.period),
            "chosen": request.GET.get("kpi", ""),
        },
    )


def appeal_detail(request: HttpRequest, pk: int) -> HttpResponse:
    appeal = get_object_or_404(
        Appeal.objects.for_user(request.user).select_related("dealer", "scorecard"), pk=pk
    )
    if request.method == "POST":
        if not request.user.is_manager:  # type: ignore[union-attr]
            raise PermissionDenied
        try:
            appeal_decide(
                appeal=appeal,
                actor=request.user,
                uphold=request.POST.get("decision") == "uphold",  # type: ignore[arg-type]
                decision=request.POST.get("reason", ""),
                correction=request.POST.get("correction", ""),
                target=request.POST.get("target", ""),
            )
            messages.success(request, _("Decision recorded."))
        except IncentiveError as exc:
            messages.error(request, str(exc))
        return redirect("incentives:appeal", pk=appeal.pk)
    return render(
        request, "incentives/appeal.html", {"appeal": appeal, "corrections": CorrectionKind.choices}
    )


def appeal_list(request: HttpRequest) -> HttpResponse:
    appeals = Appeal.objects.for_user(request.user).select_related("dealer").order_by("status", "-filed_at")
    page = Paginator(appeals, 50).get_page(request.GET.get("page"))
    return render(request, "incentives/appeals.html", {"page": page})
