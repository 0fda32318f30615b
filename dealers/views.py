"""Sign-in, the home page per role, and the dealer registry pages."""

from __future__ import annotations

from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.db.models import Q
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils.decorators import method_decorator
from django.views.decorators.http import require_GET

from assessments.models import Scorecard
from config.health import health_report

from .choices import DealerStatus
from .models import Dealer, Region

PAGE_SIZE = 50
CITY_TIERS = ("1", "2", "3", "4", "5")


@method_decorator(login_not_required, name="dispatch")
class PortalLoginView(auth_views.LoginView):
    template_name = "registration/login.html"
    redirect_authenticated_user = True


@login_not_required
@require_GET
def healthz(request: HttpRequest) -> JsonResponse:
    """200 when the database, the broker (if any) and the cache answer; 503 naming what is down."""
    healthy, report = health_report()
    response = JsonResponse(report, status=200 if healthy else 503)
    response["Cache-Control"] = "no-store"
    return response


def home(request: HttpRequest) -> HttpResponse:
    """Managers land on the national (or regional) overview; dealer users on their dealer's home."""
    user = request.user
    if user.is_manager:  # type: ignore[union-attr]
        return redirect("assessments:overview")
    if user.is_dealer_user and user.dealer_id:  # type: ignore[union-attr]
        return redirect("assessments:dealer_home")
    return render(request, "dealers/no_role.html")


@require_GET
def dealer_list(request: HttpRequest) -> HttpResponse:
    """The dealers in the user's scope, searchable and filtered by region, city tier and status."""
    dealers = Dealer.objects.for_user(request.user).select_related("region").order_by("code")
    q = request.GET.get("q", "").strip()
    region = request.GET.get("region", "")
    tier = request.GET.get("city_tier", "")
    status = request.GET.get("status", "")
    if q:
        dealers = dealers.filter(Q(code__icontains=q) | Q(name__icontains=q) | Q(city__icontains=q))
    if region:
        dealers = dealers.filter(region__name=region)
    if tier in CITY_TIERS:
        dealers = dealers.filter(city_tier=int(tier))
    if status in DealerStatus.values:
        dealers = dealers.filter(status=status)
    regions = (
        Region.objects.filter(dealers__in=Dealer.objects.for_user(request.user)).distinct().order_by("name")
    )
    context = {
        "page": Paginator(dealers, PAGE_SIZE).get_page(request.GET.get("page")),
        "regions": list(regions.values_list("name", flat=True)),
        "city_tiers": CITY_TIERS,
        "statuses": DealerStatus.choices,
        "q": q,
        "region": region,
        "tier": tier,
        "status": status,
        "filtered": bool(q or region or tier or status),
    }
    return render(request, "dealers/dealer_list.html", context)


@require_GET
def dealer_detail(request: HttpRequest, code: str) -> HttpResponse:
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    scorecards = (
        Scorecard.objects.for_user(request.user)
        .filter(dealer_id=dealer.pk)
        .select_related("period")
        .order_by("-period__code")[:24]
    )
    return render(request, "dealers/dealer_detail.html", {"dealer": dealer, "scorecards": scorecards})
