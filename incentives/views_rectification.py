"""Rectification pages: the order, the dealer's answer and HQ's verification."""

from __future__ import annotations

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.http import HttpRequest, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.translation import gettext as _

from .models import RectificationOrder
from .services import (
    IncentiveError,
    rectification_submit_plan,
    rectification_verify,
)


def rectification_detail(request: HttpRequest, pk: int) -> HttpResponse:
    order = get_object_or_404(
        RectificationOrder.objects.for_user(request.user).select_related("dealer", "action"), pk=pk
    )
    if request.method == "POST":
        try:
            if request.POST.get("step") == "plan":
                rectification_submit_plan(
                    order=order,
                    actor=request.user,
                    plan=request.POST.get("plan", ""),  # type: ignore[arg-type]
                    files=request.FILES.getlist("evidence")[:10],
                )
                messages.success(request, _("Plan submitted. HQ will verify it."))
            elif request.POST.get("step") in ("pass", "fail"):
                rectification_verify(
                    order=order,
                    actor=request.user,
                    passed=request.POST["step"] == "pass",  # type: ignore[arg-type]
                    comment=request.POST.get("comment", ""),
                )
                messages.success(request, _("Verification recorded."))
            else:
                raise PermissionDenied
        except IncentiveError as exc:
            messages.error(request, str(exc))
        return redirect("incentives:rectification", pk=order.pk)
    return render(
        request, "incentives/rectification.html", {"order": order, "evidence": order.evidence.all()}
    )
