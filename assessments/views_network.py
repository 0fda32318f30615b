"""The network page (HQ; regional managers for their regions), its drill and their exports.
The figures are the stored group figures (assessments.pages.network); views are thin."""

from __future__ import annotations

from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_GET

from dealers.http import AuthenticatedHttpRequest
from dealers.permissions import MANAGERS, role_required

from .exporting import export_response
from .pages.network import KpiTrend, network_drill, network_page
from .pages.scorecard import unit_label

EXPORT_TABLES = ("kpis", "trends", "groups")
DRILL_PAGE_SIZE = 100


def _chart(trend: KpiTrend) -> dict[str, Any]:
    """The JSON the portal's KPI trend chart draws: this month's line and last year's."""
    return {
        "labels": [m.month for m in trend.months],
        "unit": unit_label(trend.unit),
        "best": next((i for i, m in enumerate(trend.months) if m.best), None),
        "series": [
            {"name": _("This year"), "values": [m.value for m in trend.months]},
            {"name": _("Same month last year"), "values": [m.last_year for m in trend.months]},
        ],
    }


@require_GET
@role_required(*MANAGERS)
def network(request: AuthenticatedHttpRequest) -> HttpResponse:
    page = network_page(request.user, request.GET)
    # One chart per KPI, each embedded with json_script under the id its <div> names.
    charts = [(f"chart-kpi-{t.code}", _chart(t)) for t in page.trends]
    keep = {k: v for k, v in request.GET.items() if k in ("group", "month", "kpi")}
    return render(
        request,
        "assessments/network.html",
        {"page": page, "charts": charts, "query": urlencode(keep), "keep": keep},
    )


@require_GET
@role_required(*MANAGERS)
def network_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """One table of the page (`table`: kpis, trends or groups) as CSV or XLSX, numbers as numbers."""
    page = network_page(request.user, request.GET)
    table = request.GET.get("table", "kpis")
    if table not in EXPORT_TABLES or page.month is None:
        raise Http404
    group = page.group.label
    if table == "kpis":
        header = [
            _("Group"), _("Month"), _("KPI code"), _("KPI"), _("Value"), _("Sample size"), _("Last month"),
            _("Change"), _("Same month last year"), _("Change on last year"), _("Change on last year (%)"),
            _("Best month on record"), _("Best value"),
        ]  # fmt: skip
        rows = [
            [group, t.current.month, t.code, t.label, t.current.value, t.current.n, t.current.previous,
             t.current.change, t.current.last_year, t.current.change_last_year, t.current.yoy_percent,
             t.best_month, t.best_value]
            for t in ([*page.trends, page.average] if page.average else page.trends)
        ]  # fmt: skip
    elif table == "trends":
        header = [
            _("Group"), _("KPI code"), _("KPI"), _("Month"), _("Value"), _("Sample size"), _("Last month"),
            _("Change"), _("Same month last year"), _("Change on last year (%)"), _("Best month on record"),
        ]  # fmt: skip
        rows = [
            [group, t.code, t.label, m.month, m.value, m.n, m.previous, m.change, m.last_year, m.yoy_percent,
             _("yes") if m.best else ""]
            for t in page.trends
            for m in t.months
        ]  # fmt: skip
    else:
        header = [
            _("Group"), _("Month"), _("KPI code"), _("Value"), _("Sample size"), _("Dealers"), _("Last month"),
            _("Change"), _("Same month last year"), _("Change on last year (%)"),
        ]  # fmt: skip
        rows = [
            [r.group.label, page.month, page.kpi.code, r.figure.value, r.figure.n, r.dealers, r.figure.previous,
             r.figure.change, r.figure.last_year, r.figure.yoy_percent]
            for r in page.side
        ]  # fmt: skip
    return export_response(rows, header, fmt, f"network-{table}-{page.month}")


@require_GET
@role_required(*MANAGERS)
def network_drill_page(request: AuthenticatedHttpRequest) -> HttpResponse:
    drill = network_drill(request.user, request.GET)
    # Every dealer is weighed to sort them; a page of them is shown (the export has them all).
    page = Paginator(drill.rows, DRILL_PAGE_SIZE).get_page(request.GET.get("page"))
    query = urlencode({k: v for k, v in request.GET.items() if k in ("group", "month", "kpi")})
    return render(request, "assessments/network_drill.html", {"drill": drill, "page": page, "query": query})


@require_GET
@role_required(*MANAGERS)
def network_drill_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    drill = network_drill(request.user, request.GET)
    header = [
        _("Group"), _("Month"), _("KPI code"), _("Dealer code"), _("Dealer"), _("Value"), _("Sample size"),
        _("Share of the sample (%)"), _("Adds to the group's figure"),
    ]  # fmt: skip
    rows = [
        [drill.group.label, drill.month, drill.kpi.code, r.code, r.name, r.value, r.n, r.share, r.adds]
        for r in drill.rows
    ]
    return export_response(rows, header, fmt, f"network-drill-{drill.kpi.code}-{drill.month}")
