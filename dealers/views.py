"""Sign-in, the home page per role, the dealer registry pages and the API token pages."""

from __future__ import annotations

from typing import Any

from django.contrib import messages
from django.contrib.auth import views as auth_views
from django.contrib.auth.decorators import login_not_required
from django.core.paginator import Paginator
from django.http import HttpRequest, HttpResponse, JsonResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.decorators import method_decorator
from django.utils.translation import gettext_lazy as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_GET, require_http_methods, require_POST

from assessments.exporting import export_response
from assessments.models import Scorecard
from config.health import health_report

from .api.tokens import api_token_issue, api_token_revoke, tokens_visible_to
from .choices import DealerStatus, Role
from .filtersets import DealerListFilterSet
from .forms import ApiTokenForm
from .models import ApiToken, Dealer, Notice, Region
from .permissions import ALL_ROLES, EVERY_ROLE, role_required
from .services import notice_mark_all_read, notice_mark_read

TOKEN_REVOKED = _("The token “%(name)s” is revoked; requests with it are refused from now on.")

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
    """Every role lands on its workbench (待办): what is due, overdue or waiting for it."""
    user = request.user
    if user.is_manager or (user.is_dealer_user and user.dealer_id) or user.role == Role.TECH_EXPERT:  # type: ignore[union-attr]
        return redirect("workbench:index")
    return render(request, "dealers/no_role.html")


def _dealers(request: HttpRequest) -> Any:
    """The user's dealers for the list's filters (the page and its export read the same)."""
    dealers = Dealer.objects.for_user(request.user).select_related("region").order_by("code")
    return DealerListFilterSet(request.GET, queryset=dealers).qs


@require_GET
@role_required(*ALL_ROLES)
def dealer_list(request: HttpRequest) -> HttpResponse:
    """The dealers in the user's scope, searchable and filtered by region, city tier and status."""
    q = request.GET.get("q", "").strip()
    region = request.GET.get("region", "")
    tier = request.GET.get("city_tier", "")
    status = request.GET.get("status", "")
    dealers = _dealers(request)
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
    context["query"] = request.GET.urlencode()
    return render(request, "dealers/dealer_list.html", context)


DEALER_EXPORT_HEADER = (
    _("Dealer code"),
    _("Dealer"),
    _("Region"),
    _("Province"),
    _("City"),
    _("City tier"),
    _("Status"),
    _("Opened on"),
)


@require_GET
@role_required(*ALL_ROLES)
def dealer_list_export(request: HttpRequest, fmt: str) -> HttpResponse:
    """The dealer list as filtered, every page, as CSV or XLSX (Chinese headers in zh-hans)."""
    rows = (
        [d.code, d.name, d.region.name, d.province, d.city, d.city_tier, d.get_status_display(), d.opened_on]
        for d in _dealers(request).iterator(chunk_size=1000)
    )
    return export_response(rows, DEALER_EXPORT_HEADER, fmt, "dealers", sheet_title=str(_("Dealers")))


def _dealer_scorecards(request: HttpRequest, code: str) -> tuple[Dealer, Any]:
    """The dealer (404 out of scope) and its last 24 scorecards, newest first (page and export)."""
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    scorecards = (
        Scorecard.objects.for_user(request.user)
        .filter(dealer_id=dealer.pk)
        .select_related("period")
        .order_by("-period__code")[:24]
    )
    return dealer, scorecards


@require_GET
@role_required(*ALL_ROLES)
def dealer_detail(request: HttpRequest, code: str) -> HttpResponse:
    dealer, scorecards = _dealer_scorecards(request, code)
    return render(request, "dealers/dealer_detail.html", {"dealer": dealer, "scorecards": scorecards})


SCORECARD_HISTORY_HEADER = (
    _("Month"),
    _("Dealer code"),
    _("Dealer"),
    _("Total"),
    _("Grade"),
    _("Rank"),
    _("Region rank"),
)


@require_GET
@role_required(*ALL_ROLES)
def dealer_detail_export(request: HttpRequest, code: str, fmt: str) -> HttpResponse:
    """The dealer page's scorecards table as shown (the last 24 months, newest first), as CSV or
    XLSX; the total a number to 2 decimals, the grade (or the status of a month not scored)."""
    dealer, scorecards = _dealer_scorecards(request, code)
    rows = (
        [
            s.period.code,
            dealer.code,
            dealer.name,
            s.total_score,
            s.grade if s.status == "scored" else s.get_status_display(),
            s.rank,
            s.region_rank,
        ]
        for s in scorecards
    )
    return export_response(
        rows, SCORECARD_HISTORY_HEADER, fmt, f"scorecards_{dealer.code}", sheet_title=dealer.code
    )


@never_cache
@role_required(*EVERY_ROLE)
@require_http_methods(["GET", "POST"])
def my_api_tokens(request: HttpRequest) -> HttpResponse:
    """The user's own API tokens; a new one's secret is shown on this answer only, never again."""
    form = ApiTokenForm(request.POST or None)
    issued = None
    if request.method == "POST" and form.is_valid():
        issued = api_token_issue(user=request.user, actor=request.user, name=form.cleaned_data["name"])  # type: ignore[arg-type]
        form = ApiTokenForm()
    tokens = ApiToken.objects.filter(user=request.user).select_related("user")
    context = {"form": form, "issued": issued, "tokens": tokens, "now": timezone.now(), "everyone": False}
    return render(request, "dealers/api_tokens.html", context)


@role_required(Role.HQ_ADMIN)
@require_GET
def all_api_tokens(request: HttpRequest) -> HttpResponse:
    """Every API token of every user, for HQ admins: owner, created, expires, last used; revoke."""
    tokens = tokens_visible_to(request.user).order_by("user__username", "-created_at")  # type: ignore[arg-type]
    context = {"tokens": tokens, "now": timezone.now(), "everyone": True}
    return render(request, "dealers/api_tokens.html", context)


@role_required(*EVERY_ROLE)
@require_POST
def api_token_revoke_view(request: HttpRequest, pk: int) -> HttpResponse:
    """Revoke one token: its owner's, or any for an HQ admin. Anyone else's answers 404."""
    token = get_object_or_404(tokens_visible_to(request.user), pk=pk)  # type: ignore[arg-type]
    api_token_revoke(token=token, actor=request.user)  # type: ignore[arg-type]
    messages.success(request, TOKEN_REVOKED % {"name": token.name})
    if request.POST.get("from") == "all" and request.user.is_hq_admin:  # type: ignore[union-attr]
        return redirect("tokens:all")
    return redirect("tokens:mine")


# --- the inbox of notices -------------------------------------------------------------------

NOTICES_PER_PAGE = 30


@require_GET
@role_required(*EVERY_ROLE)
def notice_list(request: HttpRequest) -> HttpResponse:
    """The user's own notices, newest first; unread ones stand out. Filter: all or unread."""
    notices = Notice.objects.filter(user=request.user)
    show = request.GET.get("show", "")
    if show == "unread":
        notices = notices.filter(read_at__isnull=True)
    page = Paginator(notices, NOTICES_PER_PAGE).get_page(request.GET.get("page"))
    unread = Notice.objects.unread_count(request.user)
    return render(request, "dealers/notices.html", {"page": page, "show": show, "unread_notices": unread})


@require_GET
@role_required(*EVERY_ROLE)
def notice_open(request: HttpRequest, pk: int) -> HttpResponse:
    """Opening a notice marks it read and follows its link (or returns to the inbox)."""
    notice = get_object_or_404(Notice, pk=pk, user=request.user)
    notice_mark_read(notice, read=True)
    url = notice.url if notice.url.startswith("/") and not notice.url.startswith("//") else ""
    return redirect(url or "notices:list")


@require_POST
@role_required(*EVERY_ROLE)
def notice_toggle(request: HttpRequest, pk: int) -> HttpResponse:
    notice = get_object_or_404(Notice, pk=pk, user=request.user)
    notice_mark_read(notice, read=request.POST.get("read") == "1")
    return redirect(f"{reverse('notices:list')}?show={request.POST.get('show', '')}")


@require_POST
@role_required(*EVERY_ROLE)
def notice_read_all(request: HttpRequest) -> HttpResponse:
    count = notice_mark_all_read(request.user)  # type: ignore[arg-type]
    messages.success(request, _("%(n)s notices marked read.") % {"n": count})
    return redirect("notices:list")
