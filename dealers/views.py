"""Sign-in, the home page per role, and the dealer registry pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.db import connection
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET

from .models import Dealer


@method_decorator(login_not_required, name="dispatch")
class PortalLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """Liveness and database reachability, for the load balancer. Reveals nothing else."""
    with connection.cursor() as cursor:
        cursor.execute("SELECT 1")
    return JsonResponse({"status": "ok"})


def home(request: HttpRequest) -> HttpResponse:
    """Managers land on the national (or regional) overview; dealer users on their dealer's home."""
    user = request.user
    if user.is_manager:  # type: ignore[union-attr]
        return redirect("assessments:overview")
    if user.is_dealer_user and user.dealer_id:  # type: ignore[union-attr]
        return redirect("assessments:dealer_home")
    return render(request, "dealers/no_role.html")


def dealer_list(request: HttpRequest) -> HttpResponse:
    dealers = Dealer.objects.for_user(request.user).select_related("region")
    return render(request, "dealers/dealer_list.html", {"dealers": dealers})


def dealer_detail(request: HttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    return render(request, "dealers/dealer_detail.html", {"dealer": dealer})
