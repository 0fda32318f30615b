"""Findings pages: the list, a finding with its evidence and its triage / 复盘, the methods,
the daily review (复盘) of a region or the network, and the lessons a user was told."""

from __future__ import annotations

from datetime import date, datetime, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Any

from django.contrib import messages
from django.core.paginator import Paginator
from django.db.models import Count
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.utils import timezone
from django.utils.formats import number_format
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET, require_POST

from assessments.exporting import export_response
from assessments.periods import SHANGHAI
from dealers.http import AuthenticatedHttpRequest
from dealers.models import Dealer, Region, User
from dealers.permissions import ALL_ROLES, MANAGERS, role_required

from .choices import FAMILY_OF, FindingKind, FindingStatus
from .conf import DEFAULTS, setting
from .errors import FindingError
from .explain import FIGURE_LABELS, explain, method
from .forms import DismissForm, OpenForm, ReviewForm
from .models import AnalysisRun, Finding, Review
from .selectors import daily_review, evidence_for, findings_for, lessons_for, may_read_lesson
from .services import ReviewInput, after_month, finding_close, finding_dismiss, finding_open, may_close

PAGE_SIZE = 50
SUGGESTED = 12


def person(user: User | None) -> str:
    return user.display_name if user is not None else ""


# Words a detector stores as figures (the trend rule that fired).
WORDS = {
    "limit": gettext_lazy("beyond the control limit"),
    "run": gettext_lazy("a run on the worse side of the centre line"),
}


def figure_text(value: Any) -> str:
    """A figure as the page shows it: integers with thousands separators, other numbers to at
    most 4 decimals without trailing zeros, anything else as it is."""
    if value is None:
        return "—"
    if isinstance(value, str):
        return str(WORDS.get(value, value))
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return str(value)
    if 0 < abs(value) < 0.0001:
        return f"{value:.2g}"  # a p-value far below any threshold: 1.2e-30, not 0
    if isinstance(value, int) or float(value).is_integer():
        return number_format(int(value), 0, force_grouping=True)
    text = f"{value:.4f}".rstrip("0")
    return number_format(value, len(text.split(".")[1]), force_grouping=True)


def explanation(finding: Finding) -> str:
    return explain(FindingKind(finding.kind), finding.subject, finding.figures)


def _where(finding: Finding) -> str:
    return f"{finding.dealer.code} {finding.dealer.name}" if finding.dealer else _("Whole network")


def _finding(request: AuthenticatedHttpRequest, pk: int) -> Finding:
    return get_object_or_404(
        Finding.objects.for_user(request.user).select_related("dealer__region", "owner", "triaged_by"), pk=pk
    )


def _last_runs() -> list[AnalysisRun]:
    """The newest run of each detector (the list shows when the analysis last ran)."""
    latest = AnalysisRun.objects.order_by("-started_at").first()
    if latest is None:
        return []
    since = latest.started_at - timedelta(hours=6)
    runs: dict[str, AnalysisRun] = {}
    for run in AnalysisRun.objects.filter(started_at__gte=since).order_by("-started_at"):
        runs.setdefault(run.kind, run)
    return sorted(runs.values(), key=lambda r: r.kind)


@require_GET
@role_required(*ALL_ROLES)
def finding_list(request: AuthenticatedHttpRequest) -> HttpResponse:
    """Findings in scope, new and open first by default; filters by status, family, kind,
    month, region; each row says what was found in a sentence."""
    filterset, findings = findings_for(request.user, request.GET)
    page = Paginator(findings, PAGE_SIZE).get_page(request.GET.get("page"))
    for f in page:
        f.explanation = explanation(f)  # type: ignore[attr-defined]
    counts = {
        s: n
        for s, n in Finding.objects.for_user(request.user)
        .values_list("status")
        .annotate(n=Count("id"))
        .order_by()
    }
    query = request.GET.copy()
    query.pop("page", None)
    runs = _last_runs()
    return render(
        request,
        "insights/list.html",
        {
            "filterset": filterset,
            "page": page,
            "counts": counts,
            "query": query.urlencode(),
            "runs": runs,
            "run_errors": [r for r in runs if r.error],
            "regions": Region.objects.filter(
                pk__in=Dealer.objects.for_user(request.user).values("region")
            ).order_by("name"),
            "lessons": lessons_for(request.user)[:5],
        },
    )


LIST_HEADER = (
    gettext_lazy("Finding"),
    gettext_lazy("Family"),
    gettext_lazy("Kind"),
    gettext_lazy("Subject"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Region"),
    gettext_lazy("Month"),
    gettext_lazy("What was found"),
    gettext_lazy("Severity"),
    gettext_lazy("Status"),
    gettext_lazy("Owner"),
    gettext_lazy("Due"),
    gettext_lazy("Found at"),
)


@require_GET
@role_required(*ALL_ROLES)
def finding_list_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    _filterset, findings = findings_for(request.user, request.GET)

    def rows() -> Any:
        for f in findings.iterator(chunk_size=500):
            yield [
                f.pk,
                str(FAMILY_OF[FindingKind(f.kind)].label),
                f.get_kind_display(),
                f.subject,
                f.dealer.code if f.dealer else "",
                f.dealer.name if f.dealer else _("Whole network"),
                f.dealer.region.name if f.dealer and f.dealer.region else "",
                f.month,
                explanation(f),
                round(f.severity, 2),
                f.get_status_display(),
                person(f.owner),
                f.due_date,
                timezone.localtime(f.found_at, SHANGHAI).replace(tzinfo=None),
            ]

    return export_response(rows(), LIST_HEADER, fmt, "findings", sheet_title=_("Findings"))


def _suggested(request: AuthenticatedHttpRequest, finding: Finding) -> Any:
    """Dealers to tell of the lesson, offered first: for a network finding the dealers behind
    it, otherwise the dealer's peers (same city tier) in its region, then in the network —
    only dealers the closer sees, never the finding's own."""
    visible = Dealer.objects.for_user(request.user).exclude(pk=finding.dealer_id or 0)
    if finding.dealer is None:
        ids = list(finding.evidence.get("dealers", []))[:SUGGESTED]
        return visible.filter(pk__in=ids).order_by("code")
    dealer = finding.dealer
    same = visible.filter(city_tier=dealer.city_tier).order_by("code")
    near = list(same.filter(region_id=dealer.region_id).values_list("pk", flat=True)[:SUGGESTED])
    if len(near) < SUGGESTED:
        near += list(same.exclude(pk__in=near).values_list("pk", flat=True)[: SUGGESTED - len(near)])
    return visible.filter(pk__in=near).order_by("code")


@require_GET
@role_required(*ALL_ROLES)
def finding_detail(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    finding = _finding(request, pk)
    return _detail(request, finding)


def _detail(
    request: AuthenticatedHttpRequest,
    finding: Finding,
    *,
    open_form: OpenForm | None = None,
    dismiss_form: DismissForm | None = None,
    review_form: ReviewForm | None = None,
    status: int = 200,
) -> HttpResponse:
    user = request.user
    may_triage = user.is_manager and finding.status in (FindingStatus.NEW, FindingStatus.OPEN)
    closable = may_close(user, finding)
    review = getattr(finding, "review", None) if finding.status == FindingStatus.CLOSED else None
    figures = [
        (FIGURE_LABELS.get(key, key), figure_text(value))
        for key, value in finding.figures.items()
        if not isinstance(value, (list, dict))
    ]
    series = finding.figures.get("series") if isinstance(finding.figures.get("series"), list) else None
    context = {
        "finding": finding,
        "explanation": explanation(finding),
        "method": method(FindingKind(finding.kind)),
        "figures": figures,
        "series": series,
        "evidence": evidence_for(user, finding),
        "may_triage": may_triage,
        "may_close": closable,
        "open_form": open_form or (OpenForm(finding=finding) if may_triage else None),
        "dismiss_form": dismiss_form or (DismissForm() if may_triage else None),
        "review_form": review_form
        or (ReviewForm(user=user, suggested=_suggested(request, finding)) if closable else None),
        "review": review,
        "after_month": after_month(review) if review else None,
        "dealers_told": list(
            review.notified_dealers.filter(pk__in=Dealer.objects.for_user(user)).order_by("code")
        )
        if review
        else [],
        "regions_told": list(review.notified_regions.order_by("name")) if review else [],
    }
    return render(request, "insights/detail.html", context, status=status)


@require_POST
@role_required(*MANAGERS)
def finding_triage(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Open (owner and due date) or dismiss (with a reason) a finding."""
    finding = _finding(request, pk)
    action = request.POST.get("action")
    try:
        if action == "dismiss":
            form = DismissForm(request.POST)
            if not form.is_valid():
                return _detail(request, finding, dismiss_form=form, status=400)
            finding_dismiss(finding=finding, actor=request.user, reason=form.cleaned_data["reason"])
            messages.success(request, _("Finding dismissed; the reason is kept."))
        elif action == "open":
            open_form = OpenForm(request.POST, finding=finding)
            if not open_form.is_valid():
                return _detail(request, finding, open_form=open_form, status=400)
            finding_open(
                finding=finding,
                actor=request.user,
                owner=open_form.cleaned_data["owner"],
                due_date=open_form.cleaned_data["due_date"],
            )
            messages.success(
                request,
                _("Finding opened: %(owner)s owns it until %(due)s.")
                % {
                    "owner": open_form.cleaned_data["owner"].display_name,
                    "due": open_form.cleaned_data["due_date"],
                },
            )
        else:
            raise Http404
    except FindingError as exc:
        messages.error(request, str(exc))
        return _detail(request, finding, status=400)
    return redirect("insights:detail", pk=finding.pk)


@require_POST
@role_required(*ALL_ROLES)
def finding_close_view(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """Close an open finding with its 复盘 (owner, or a manager who sees it)."""
    finding = _finding(request, pk)
    form = ReviewForm(request.POST, user=request.user, suggested=_suggested(request, finding))
    if not form.is_valid():
        return _detail(request, finding, review_form=form, status=400)
    data = ReviewInput(
        root_cause=form.cleaned_data["root_cause"],
        countermeasure=form.cleaned_data["countermeasure"],
        lesson=form.cleaned_data["lesson"],
        dealers=form.dealers(),
        regions=list(form.cleaned_data.get("regions") or []),
    )
    try:
        review = finding_close(finding=finding, actor=request.user, data=data)
    except FindingError as exc:
        messages.error(request, str(exc))
        return _detail(request, finding, review_form=form, status=400)
    told = len(review.notified_dealers.all()) + len(review.notified_regions.all())
    messages.success(
        request,
        _("Finding closed with its review; the lesson went to %(n)s dealers and regions.") % {"n": told},
    )
    return redirect("insights:detail", pk=finding.pk)


EVIDENCE_HEADER = (
    gettext_lazy("Dealer code"),
    gettext_lazy("RO number"),
    gettext_lazy("VIN"),
    gettext_lazy("Repair type"),
    gettext_lazy("Fault code"),
    gettext_lazy("Opened at"),
    gettext_lazy("Closed at"),
    gettext_lazy("Warranty cost"),
)


@require_GET
@role_required(*ALL_ROLES)
def finding_evidence_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    finding = _finding(request, pk)
    evidence = evidence_for(request.user, finding)

    def local(moment: datetime | None) -> Any:
        return timezone.localtime(moment, SHANGHAI).replace(tzinfo=None) if moment else None

    rows = (
        [
            ro.dealer.code,
            ro.ro_number,
            ro.vin,
            ro.get_repair_type_display(),
            ro.fault_code,
            local(ro.opened_at),
            local(ro.closed_at),
            ro.warranty_cost,
        ]
        for ro in evidence.repair_orders
    )
    return export_response(
        rows, EVIDENCE_HEADER, fmt, f"finding-{finding.pk}-records", sheet_title=_("Records")
    )


# --- the finding page's other tables, each as a file (its records export above) ------------------


def _four_places(value: Any) -> Decimal | None:
    """A figure as the finding page shows it (4 decimals, half up): a number, never float noise."""
    if value is None or isinstance(value, bool):
        return None
    try:
        number = float(value)
    except (TypeError, ValueError):
        return None
    return Decimal(repr(number)).quantize(Decimal("0.0001"), rounding=ROUND_HALF_UP)


@require_GET
@role_required(*ALL_ROLES)
def finding_months_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The months behind a finding (its series) as the page lists them, as CSV or XLSX."""
    finding = _finding(request, pk)
    series = finding.figures.get("series")
    rows = ([str(point[0]), _four_places(point[1])] for point in (series if isinstance(series, list) else []))
    return export_response(
        rows,
        (_("Month"), _("Value")),
        fmt,
        f"finding-{finding.pk}-months",
        sheet_title=_("The months behind it"),
    )


@require_GET
@role_required(*ALL_ROLES)
def finding_dealers_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The dealers behind a finding that the page names (those in the user's scope only, as
    evidence_for gives them), as CSV or XLSX."""
    finding = _finding(request, pk)
    rows = ([d.code, d.name, d.region.name, d.city_tier] for d in evidence_for(request.user, finding).dealers)
    header = (_("Dealer code"), _("Dealer"), _("Region"), _("City tier"))
    return export_response(rows, header, fmt, f"finding-{finding.pk}-dealers", sheet_title=_("Dealers"))


@require_GET
@role_required(*ALL_ROLES)
def finding_responses_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """The survey responses behind a finding as the page lists them (in the user's scope), as
    CSV or XLSX."""
    finding = _finding(request, pk)
    rows = ([r.response_id, r.responded_at, r.overall] for r in evidence_for(request.user, finding).responses)
    header = (_("Response"), _("Responded at"), _("Overall"))
    return export_response(
        rows, header, fmt, f"finding-{finding.pk}-responses", sheet_title=_("Survey responses")
    )


@require_GET
@role_required(*ALL_ROLES)
def finding_before_after_export(request: AuthenticatedHttpRequest, pk: int, fmt: str) -> HttpResponse:
    """A closed finding's "Did the measure move the figure?" table, as CSV or XLSX: the value in
    the finding's month and in the month after closing (empty until that month is measured).
    A finding without a closed review has no such table: 404."""
    finding = _finding(request, pk)
    review = getattr(finding, "review", None) if finding.status == FindingStatus.CLOSED else None
    if review is None:
        raise Http404
    rows = [
        [_("Before"), finding.month, _four_places(review.before_value)],
        [
            _("After"),
            str(after_month(review)),
            _four_places(review.after_value) if review.after_month else None,
        ],
    ]
    header = (_("When"), _("Month"), _("Value"))
    return export_response(
        rows,
        header,
        fmt,
        f"finding-{finding.pk}-before-after",
        sheet_title=_("Did the measure move the figure?"),
    )


@require_GET
@role_required(*ALL_ROLES)
def methods(request: AuthenticatedHttpRequest) -> HttpResponse:
    """How each kind of finding is computed, with the thresholds as set now."""
    kinds = [(kind, FAMILY_OF[kind], method(kind)) for kind in FindingKind]
    thresholds = [(name, setting(name), DEFAULTS[name]) for name in DEFAULTS]
    return render(request, "insights/methods.html", {"kinds": kinds, "thresholds": thresholds})


def _day(request: AuthenticatedHttpRequest) -> date:
    today = timezone.localdate()
    try:
        day = date.fromisoformat(request.GET.get("day", ""))
    except ValueError:
        day = today - timedelta(days=1)
    return min(day, today)


def _region(request: AuthenticatedHttpRequest) -> Region | None:
    raw = request.GET.get("region", "")
    if not raw.isdigit():
        return None
    regions = Region.objects.all() if request.user.is_hq else request.user.regions.all()
    return regions.filter(pk=int(raw)).first()


def _review(request: AuthenticatedHttpRequest) -> Any:
    return daily_review(request.user, _day(request), _region(request), explain=explanation, person=person)


@require_GET
@role_required(*MANAGERS)
def daily(request: AuthenticatedHttpRequest) -> HttpResponse:
    """The morning meeting's review (复盘) of a day, for the network or a region."""
    review = _review(request)
    regions = Region.objects.order_by("name") if request.user.is_hq else request.user.regions.order_by("name")
    return render(
        request,
        "insights/daily.html",
        {
            "review": review,
            "regions": regions,
            "previous": review.day - timedelta(days=1),
            "next": review.day + timedelta(days=1) if review.day < timezone.localdate() else None,
        },
    )


DAILY_HEADER = (
    gettext_lazy("Section"),
    gettext_lazy("At"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Item"),
    gettext_lazy("Detail"),
    gettext_lazy("Person"),
)
SECTIONS = {
    "overnight": gettext_lazy("Stayed open overnight"),
    "found": gettext_lazy("Found by the night's analysis"),
    "closed": gettext_lazy("Closed with a lesson"),
}


@require_GET
@role_required(*MANAGERS)
def daily_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    review = _review(request)
    rows = (
        [
            str(SECTIONS[line.section]),
            timezone.localtime(line.at, SHANGHAI).replace(tzinfo=None),
            line.dealer.code if line.dealer else "",
            line.dealer.name if line.dealer else _("Whole network"),
            line.item,
            line.detail,
            line.person,
        ]
        for line in [*review.overnight, *review.found, *review.closed]
    )
    return export_response(
        rows, DAILY_HEADER, fmt, f"daily-review-{review.day.isoformat()}", sheet_title=_("Daily review")
    )


@require_GET
@role_required(*ALL_ROLES)
def lesson(request: AuthenticatedHttpRequest, pk: int) -> HttpResponse:
    """A lesson (举一反三) as its recipients read it: what was learnt, never whose finding it was
    (unless the reader may see that finding anyway)."""
    review = get_object_or_404(Review.objects.select_related("finding"), pk=pk)
    if not may_read_lesson(request.user, review):
        raise Http404
    sees_finding = Finding.objects.for_user(request.user).filter(pk=review.finding_id).exists()
    return render(request, "insights/lesson.html", {"review": review, "sees_finding": sees_finding})


@require_GET
@role_required(*ALL_ROLES)
def lessons(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = Paginator(lessons_for(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "insights/lessons.html", {"page": page})


LESSON_EXPORT_HEADER = (
    gettext_lazy("Closed"),
    gettext_lazy("Finding"),
    gettext_lazy("Where else it applies"),
    gettext_lazy("Countermeasure"),
)


@require_GET
@role_required(*ALL_ROLES)
def lessons_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The lessons told to the user as listed (every page), whole texts, as CSV or XLSX. Like the
    page it never names whose finding it was."""
    rows = (
        [
            timezone.localtime(r.closed_at, SHANGHAI).date(),
            r.finding.get_kind_display(),
            r.lesson,
            r.countermeasure,
        ]
        for r in lessons_for(request.user).iterator(chunk_size=1000)
    )
    return export_response(rows, LESSON_EXPORT_HEADER, fmt, "lessons", sheet_title=_("Lessons told to me"))
