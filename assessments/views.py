"""The portal pages: overview, ranking, dealer scorecard, KPI drill-down, dealer home, imports.

Views are thin: they read through `pages` (which scopes every read with
`for_user`), shape chart data as JSON for `json_script`, and render. Out-of-scope
dealers answer 404; a page that a role may not open answers 403.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import datetime
from decimal import ROUND_HALF_UP, Decimal
from typing import Any
from urllib.parse import urlencode

from django.core.paginator import Paginator
from django.http import Http404, HttpResponse
from django.shortcuts import get_object_or_404, redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy
from django.views.decorators.http import require_GET

from dealers.choices import DealerStatus
from dealers.http import AuthenticatedHttpRequest
from dealers.models import Dealer
from dealers.permissions import ALL_ROLES, MANAGERS, role_required
from support.selectors import dealer_month_figures

from .choices import ComplaintCategory, RepairType, ScorecardStatus, Severity
from .exporting import export_response
from .filtersets import CITY_TIER_CHOICES
from .kpis import BY_CODE, ENTRIES, DrillDown, kpi_measurements
from .kpis import records as kpi_records
from .models import Kpi, Scorecard
from .pages.cache import fragment_key
from .pages.dealer_home import month_states, recent_imports
from .pages.overview import GroupStats, Overview, overview_page
from .pages.periods import (
    calendar_periods,
    default_period,
    grade_bands_for_period,
    pick_period,
    visible_periods,
    visible_regions,
)
from .pages.ranking import KpiSheet, Ranking, kpi_sheet, ranking_page, ranking_rows_page
from .pages.scorecard import (
    HistoryPoint,
    ScorecardPage,
    default_period_code,
    kpi_result_for,
    points_lost,
    scorecard_with_page,
    unit_label,
)
from .periods import Month
from .services.closing import period_closable
from .templatetags.portal import period_label

PAGE_SIZE = 50


def _chart_label(code: str) -> str:
    """Short axis label for a period: '2026-10' → '26-10'."""
    return code[2:]


def _float(value: Decimal | float | None) -> float | None:
    return None if value is None else float(value)


def _score(value: Decimal | float | None) -> Decimal | None:
    """A score for an export as shown (2 decimals, half up), never float noise such as
    1.18000000000001 (a change computed in SQL as a float); a number, so a spreadsheet sums it."""
    return _as_shown(value, 2)


def _as_shown(value: Decimal | float | None, digits: int) -> Decimal | None:
    """A number for an export rounded as the page shows it (`digits` decimals, half up)."""
    if value is None:
        return None
    exact = value if isinstance(value, Decimal) else Decimal(repr(float(value)))
    return exact.quantize(Decimal(1).scaleb(-digits), rounding=ROUND_HALF_UP)


# --- overview ----------------------------------------------------------------------------


@require_GET
@role_required(*MANAGERS)
def overview(request: AuthenticatedHttpRequest) -> HttpResponse:
    user = request.user
    periods = visible_periods(user)
    period = pick_period(periods, request.GET.get("period"))
    if period is None and request.GET.get("period"):
        raise Http404
    context: dict[str, Any] = {
        "periods": periods,
        "period": period,
        "default_period": default_period(periods),
    }
    if period is not None:
        data = overview_page(user, period, periods)
        context["ov"] = data
        context["charts"] = _overview_charts(data)
        # Rendered once per scorecards version, scope and language (nothing in it is per user).
        context["body_key"] = fragment_key(user, "overview", period, [(p.id, p.code) for p in periods])
        context["can_close"] = period_closable(user, period.code)
    return render(request, "assessments/overview.html", context)


#: The overview's tables that export: the regions, the city tiers, the top and bottom ten.
OVERVIEW_TABLES = ("regions", "tiers", "top", "bottom")


@require_GET
@role_required(*MANAGERS)
def overview_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """One table of the overview (`table`: regions, tiers, top or bottom) of the month, as
    shown (the user's scope), as CSV or XLSX; averages and totals to 2 decimals as shown."""
    user = request.user
    periods = visible_periods(user)
    period = pick_period(periods, request.GET.get("period"))
    table = request.GET.get("table", "")
    if period is None or table not in OVERVIEW_TABLES:
        raise Http404
    data = overview_page(user, period, periods)
    header: list[Any]
    if table in ("regions", "tiers"):
        groups = data.regions if table == "regions" else data.city_tiers
        header = [
            _("Month"),
            _("Region") if table == "regions" else _("City tier"),
            _("Dealers"),
            _("Ranked"),
            _("Average"),
            _("vs last month"),
            _("vs last year"),
            *data.grades,
            _("Insufficient data"),
        ]
        rows = [
            [
                period.code,
                g.label if table == "regions" else g.key,
                g.dealers,
                g.scored,
                _score(g.average),
                _score(g.change),
                _score(g.change_last_year),
                *(g.grades.get(grade, 0) for grade in data.grades),
                g.insufficient,
            ]
            for g in groups
        ]
    else:
        header = [
            _("Month"),
            _("Rank"),
            _("Dealer code"),
            _("Dealer"),
            _("Region"),
            _("Total"),
            _("Grade"),
            _("Veto"),
        ]
        rows = [
            [
                period.code,
                r.rank,
                r.dealer__code,
                r.dealer__name,
                r.region_name,
                _score(r.total),
                r.grade,
                _("Yes") if r.veto else "",
            ]
            for r in (data.top if table == "top" else data.bottom)
        ]
    name = f"overview-{table}-{period.code}"
    return export_response(rows, header, fmt, name, f"{table} {period.code}")


def _ranking_url(period: str, **filters: Any) -> str:
    return f"{reverse('assessments:ranking')}?{urlencode({'period': period, **filters})}"


def _overview_charts(data: Overview) -> dict[str, Any]:
    code = data.period.code
    grades = {
        "labels": data.grades,
        "grades": True,
        "series": [
            {
                "name": _("Dealers"),
                "values": [data.grade_counts.get(g, 0) for g in data.grades],
                "labels": True,
            }
        ],
        "urls": [_ranking_url(code, grade=g) for g in data.grades],
        "digits": 0,
    }

    def groups_chart(groups: Sequence[GroupStats], labels: list[str], urls: list[str]) -> dict[str, Any]:
        return {
            "labels": labels,
            "series": [
                {"name": _("This month"), "values": [_round(g.average) for g in groups], "labels": True},
                {
                    "name": _("Last month"),
                    "values": [_round(g.previous_average) for g in groups],
                    "color": "#cbd5e1",
                },
            ],
            "urls": urls,
            "reference": _round(data.average),
            "referenceName": _("Average"),
            "min": 0,
            "max": 100,
        }

    regions = groups_chart(
        data.regions,
        [g.label for g in data.regions],
        [_ranking_url(code, region=g.key) for g in data.regions],
    )
    tiers = groups_chart(
        data.city_tiers,
        [_("Tier %(tier)s") % {"tier": g.key} for g in data.city_tiers],
        [_ranking_url(code, city_tier=g.key) for g in data.city_tiers],
    )
    return {"grades": grades, "regions": regions, "tiers": tiers}


def _round(value: float | None) -> float | None:
    return None if value is None else round(value, 2)


# --- ranking -----------------------------------------------------------------------------

RANKING_COLUMNS: tuple[tuple[str, Any, bool], ...] = (
    # (sort key, header, numeric)
    ("rank", gettext_lazy("Rank"), True),
    ("region_rank", gettext_lazy("Region rank"), True),
    ("code", gettext_lazy("Dealer code"), False),
    ("name", gettext_lazy("Dealer"), False),
    ("region", gettext_lazy("Region"), False),
    ("city_tier", gettext_lazy("City tier"), True),
    ("total", gettext_lazy("Total"), True),
    ("grade", gettext_lazy("Grade"), False),
    ("base", gettext_lazy("Base"), True),
    ("process", gettext_lazy("Process"), True),
    ("result", gettext_lazy("Result"), True),
    ("change", gettext_lazy("Change"), True),
)
# Numbers sort best-first on the first click; text sorts A to Z.
FIRST_CLICK_DESCENDING = {"total", "base", "process", "result", "change"}


def _ranking(request: AuthenticatedHttpRequest) -> Ranking:
    found = ranking_page(request.user, request.GET)
    if found is None:
        raise Http404
    return found


@require_GET
@role_required(*MANAGERS)
def ranking(request: AuthenticatedHttpRequest) -> HttpResponse:
    found = _ranking(request)
    period, periods, filterset = found.period, found.periods, found.filterset
    context: dict[str, Any] = {
        "periods": periods,
        "period": period,
        "default_period": default_period(periods),
    }
    if period is not None and filterset is not None:
        page = ranking_rows_page(request.user, found, request.GET, PAGE_SIZE)
        query = sorted((k, request.GET.getlist(k)) for k in request.GET)
        context.update(
            {
                "filterset": filterset,
                "form": filterset.form,
                "page": page,
                "columns": _sort_columns(found.sort_key, found.descending),
                "sort": request.GET.get("sort", ""),
                "regions": visible_regions(request.user),
                "grades": grade_bands_for_period(request.user, period.id),
                "city_tiers": CITY_TIER_CHOICES,
                "statuses": ScorecardStatus.choices,
                "dealer_statuses": DealerStatus.choices,
                "dealer_status_labels": dict(DealerStatus.choices),
                "export_query": request.GET.urlencode(),
                # The table is rendered once per scorecards version, scope, language and query.
                "table_key": fragment_key(request.user, "ranking", period, query),
                # The filters as filled in: nothing per user, a GET form (no CSRF token).
                "filters_key": fragment_key(request.user, "ranking-filters", period, query),
                "filtered": any(
                    request.GET.get(k)
                    for k in ("region", "city_tier", "grade", "status", "dealer_status", "q")
                ),
            }
        )
    return render(request, "assessments/ranking.html", context)


def _sort_columns(key: str, descending: bool) -> list[dict[str, Any]]:
    columns = []
    for column_key, header, numeric in RANKING_COLUMNS:
        active = column_key == key
        if active:
            next_sort = column_key if descending else f"-{column_key}"
        else:
            next_sort = f"-{column_key}" if column_key in FIRST_CLICK_DESCENDING else column_key
        columns.append(
            {
                "key": column_key,
                "label": header,
                "numeric": numeric,
                "active": active,
                "descending": descending,
                "next_sort": next_sort,
            }
        )
    return columns


@require_GET
@role_required(*MANAGERS)
def ranking_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The ranking as shown (filters and sort applied), every page, then each KPI of the month
    (value and score, as the wide sheet has them), as CSV or XLSX."""
    found = _ranking(request)
    period, rows = found.period, found.rows
    if period is None or rows is None:
        raise Http404
    header = [
        _("Period"),
        _("Rank"),
        _("Region rank"),
        _("Dealer code"),
        _("Dealer"),
        _("Region"),
        _("City tier"),
        _("Dealer status"),
        _("Scorecard status"),
        _("Total"),
        _("Grade"),
        _("Base tier"),
        _("Process tier"),
        _("Result tier"),
        _("Last month"),
        _("Change"),
        _("Veto"),
    ]
    # The KPIs of the month, value and score each, after the ranking's own columns: the wide
    # sheet's reading (three queries whatever the number of dealers and KPIs).
    sheet = kpi_sheet(request.user, found)
    header += _kpi_headers(sheet)
    statuses = dict(ScorecardStatus.choices)
    dealer_statuses = dict(DealerStatus.choices)
    table = (
        [
            period.code,
            row["rank"],
            row["region_rank"],
            row["dealer__code"],
            row["dealer__name"],
            row["region_name"],
            row["dealer__city_tier"],
            str(dealer_statuses.get(row["dealer__status"], row["dealer__status"])),
            str(statuses.get(row["status"], row["status"])),
            _score(row["total_score"]),
            row["grade"],
            _score(row["tier_base"]),
            _score(row["tier_process"]),
            _score(row["tier_result"]),
            _score(row["previous_total"]),
            _score(row["change"]),
            _("Yes") if row["veto"] else "",
            *_kpi_cells(sheet, values),
        ]
        for row, values in sheet.rows
    )
    return export_response(table, header, fmt, f"ranking_{period.code}", f"ranking {period.code}")


def _kpi_headers(sheet: KpiSheet) -> list[str]:
    """Two columns per KPI of the wide sheet: '<KPI> · Value (<unit>)' and '<KPI> · Score'."""
    header: list[str] = []
    for kpi in sheet.kpis:
        value_title = f"{kpi.name} · {_('Value')}" + (f" ({kpi.unit})" if kpi.unit else "")
        header += [value_title, f"{kpi.name} · {_('Score')}"]
    return header


def _kpi_cells(sheet: KpiSheet, values: dict[str, tuple[float | None, float | None]]) -> list[Decimal | None]:
    """A row's value and score of each KPI of the sheet, as Decimals rounded as shown."""
    cells: list[Decimal | None] = []
    for kpi in sheet.kpis:
        value, score = values.get(kpi.code, (None, None))
        cells += [_as_shown(value, kpi.decimals), _score(score)]
    return cells


@require_GET
@role_required(*MANAGERS)
def ranking_kpis_export(request: AuthenticatedHttpRequest, fmt: str) -> HttpResponse:
    """The wide sheet of the month: every dealer of the ranking as shown (scope, filters and
    sort applied) × every KPI, its value and its score, as CSV or XLSX."""
    found = _ranking(request)
    period = found.period
    if period is None or found.rows is None:
        raise Http404
    sheet = kpi_sheet(request.user, found)
    header: list[Any] = [
        _("Dealer code"),
        _("Dealer"),
        _("Region"),
        _("City tier"),
        _("Total"),
        _("Grade"),
        _("Rank"),
    ]
    header += _kpi_headers(sheet)
    table = (
        [
            row["dealer__code"],
            row["dealer__name"],
            row["region_name"],
            row["dealer__city_tier"],
            _score(row["total_score"]),
            row["grade"],
            row["rank"],
            *_kpi_cells(sheet, values),
        ]
        for row, values in sheet.rows
    )
    return export_response(table, header, fmt, f"ranking_kpis_{period.code}", f"KPIs {period.code}")


# --- scorecard ---------------------------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def scorecard_latest(request: AuthenticatedHttpRequest, code: str) -> HttpResponse:
    """A dealer's scorecard of its default month (its newest ended month with a score, else its
    newest); the dealer page when it has none yet."""
    period_code = default_period_code(request.user, code)
    if period_code is None:
        get_object_or_404(Dealer.objects.for_user(request.user), code=code)
        return redirect("dealers:detail", code=code)
    return redirect("assessments:scorecard", code=code, period=period_code)


@require_GET
@role_required(*ALL_ROLES)
def scorecard(request: AuthenticatedHttpRequest, code: str, period: str) -> HttpResponse:
    found = scorecard_with_page(request.user, code, period)
    if found is None:
        raise Http404
    card, data = found
    months = calendar_periods(data.period_codes)
    context = {
        "card": card,
        "dealer": card.dealer,
        "sc": data,
        "charts": _scorecard_charts(data, code),
        "months": months,
        "period": next(p for p in months if p.code == card.period.code),
        # Rendered once per scorecards version, scope and language: all but the KPI table (appeals).
        "top_key": fragment_key(request.user, "scorecard-top", code, period),
        "bottom_key": fragment_key(request.user, "scorecard-bottom", code, period),
        # Changes with every case, not at recompute: outside the cached fragments.
        "support": dealer_month_figures(request.user, card.dealer_id, card.period.month),
    }
    return render(request, "assessments/scorecard.html", context)


SCORECARD_EXPORT_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Tier"),
    gettext_lazy("KPI code"),
    gettext_lazy("KPI"),
    gettext_lazy("Direction"),
    gettext_lazy("Value"),
    gettext_lazy("Unit"),
    gettext_lazy("Floor"),
    gettext_lazy("Target"),
    gettext_lazy("Sample size"),
    gettext_lazy("Minimum sample"),
    gettext_lazy("Valid"),
    gettext_lazy("Score"),
    gettext_lazy("Weight"),
    gettext_lazy("Contribution"),
    gettext_lazy("Last year"),
    gettext_lazy("Change on last year"),
    gettext_lazy("Change on last year (%)"),
    gettext_lazy("Peer median"),
    gettext_lazy("Better than (% of peers)"),
    gettext_lazy("Peers"),
)


@require_GET
@role_required(*ALL_ROLES)
def scorecard_export(request: AuthenticatedHttpRequest, code: str, period: str, fmt: str) -> HttpResponse:
    """The scorecard's KPI table as the page shows it (a row per KPI, tier by tier), as CSV or
    XLSX, for whoever may open the scorecard; another dealer's answers 404."""
    found = scorecard_with_page(request.user, code, period)
    if found is None:
        raise Http404
    card, data = found
    valid_labels = {"": _("Valid"), "no_data": _("No data"), "small_sample": _("Sample below minimum")}
    rows = [
        [
            card.period.code,
            card.dealer.code,
            card.dealer.name,
            group.label,
            line.code,
            line.name,
            _("lower is better") if line.direction == "lower" else _("higher is better"),
            _as_shown(line.result.value, line.decimals),
            line.unit,
            _as_shown(line.result.floor, line.decimals),
            _as_shown(line.result.target, line.decimals),
            line.result.sample_size,
            line.result.min_sample,
            valid_labels[line.invalid_reason],
            _score(line.result.score),
            _as_shown(line.result.weight, 0),
            _score(line.result.contribution),
            _as_shown(line.last_year, line.decimals),
            _as_shown(line.change_last_year, line.decimals),
            _as_shown(line.change_last_year_percent, 1),
            # Both empty with too few peers, as on the page.
            _as_shown(line.peer.median, line.decimals) if line.peer else None,
            _as_shown(line.peer.percentile, 0) if line.peer else None,
            line.peer.peers if line.peer else None,
        ]
        for group in data.tiers
        for line in group.lines
    ]
    return export_response(
        rows,
        SCORECARD_EXPORT_HEADER,
        fmt,
        f"scorecard_{card.dealer.code}_{card.period.code}",
        card.period.code,
    )


TIER_EXPORT_HEADER = (
    gettext_lazy("Month"),
    gettext_lazy("Dealer code"),
    gettext_lazy("Dealer"),
    gettext_lazy("Tier"),
    gettext_lazy("Score"),
    gettext_lazy("Weight"),
    gettext_lazy("Last month"),
    gettext_lazy("Last year"),
)


@require_GET
@role_required(*ALL_ROLES)
def scorecard_tiers_export(
    request: AuthenticatedHttpRequest, code: str, period: str, fmt: str
) -> HttpResponse:
    """The scorecard's tier scores as the page shows them (its radar compares the month with the
    month before and the same month a year earlier), to 2 decimals, as CSV or XLSX; a separate
    file, as the export helper writes one sheet. Another dealer's answers 404."""
    found = scorecard_with_page(request.user, code, period)
    if found is None:
        raise Http404
    card, data = found

    def tier_score(point: HistoryPoint | None, tier: str) -> Decimal | None:
        return _score(getattr(point, f"tier_{tier}")) if point is not None else None

    rows = [
        [
            card.period.code,
            card.dealer.code,
            card.dealer.name,
            group.label,
            _score(group.score),
            _as_shown(group.weight, 0),
            tier_score(data.previous, group.tier),
            tier_score(data.last_year, group.tier),
        ]
        for group in data.tiers
    ]
    return export_response(
        rows,
        TIER_EXPORT_HEADER,
        fmt,
        f"scorecard_tiers_{card.dealer.code}_{card.period.code}",
        sheet_title=_("Tier scores"),
    )


def _trend_chart(history: Iterable[HistoryPoint], code: str) -> dict[str, Any]:
    points = list(history)
    return {
        "labels": [_chart_label(p.code) for p in points],
        "series": [
            {"name": _("Total"), "values": [_float(p.total_score) for p in points]},
            {"name": _("Base tier"), "values": [_float(p.tier_base) for p in points]},
            {"name": _("Process tier"), "values": [_float(p.tier_process) for p in points]},
            {"name": _("Result tier"), "values": [_float(p.tier_result) for p in points]},
        ],
        "urls": [reverse("assessments:scorecard", args=[code, p.code]) for p in points],
    }


def _radar(indicators: list[str], series: list[tuple[str, list[float | None]]]) -> dict[str, Any] | None:
    """Radar data over the axes the first series has a value for; None when fewer than three."""
    keep = [i for i, value in enumerate(series[0][1]) if value is not None]
    if len(keep) < 3:
        return None
    return {
        "indicators": [indicators[i] for i in keep],
        "series": [{"name": name, "values": [values[i] for i in keep]} for name, values in series],
    }


def _scorecard_charts(data: ScorecardPage, code: str) -> dict[str, Any]:
    card = data.card

    def tier_values(point: Any) -> list[float | None]:
        return [_float(point.tier_base), _float(point.tier_process), _float(point.tier_result)]

    tier_series = [(period_label(card.period.code), tier_values(card))]
    tier_series += [
        (period_label(p.code), tier_values(p)) for p in (data.previous, data.last_year) if p is not None
    ]
    return {
        "trend": _trend_chart(data.history, code),
        "tiers": _radar([_("Base tier"), _("Process tier"), _("Result tier")], tier_series),
        "dimensions": _radar(
            [label for _key, label, _score in data.dimensions],
            [(period_label(card.period.code), [score for *_rest, score in data.dimensions])],
        ),
    }


# --- drill-down --------------------------------------------------------------------------


def _choice_labels() -> dict[str, dict[str, str]]:
    repair_types = {k: str(v) for k, v in RepairType.choices}
    return {
        "repair_type": repair_types,
        "category": {k: str(v) for k, v in ComplaintCategory.choices},
        "severity": {k: str(v) for k, v in Severity.choices},
    }


def _drill_down_context(
    request: AuthenticatedHttpRequest, code: str, period: str, kpi_code: str
) -> dict[str, Any]:
    if kpi_code not in ENTRIES:
        raise Http404
    try:
        month = Month.parse(period)
    except ValueError as exc:
        raise Http404 from exc
    dealer = get_object_or_404(Dealer.objects.for_user(request.user).select_related("region"), code=code)
    drill = kpi_records(request.user, dealer, month, kpi_code)
    flagged_only = bool(request.GET.get("flagged")) and drill.flag_filter is not None
    rows = drill.rows.filter(drill.flag_filter) if flagged_only else drill.rows
    return {
        "dealer": dealer,
        "period": period,
        "month": month,
        "kpi_code": kpi_code,
        "drill": drill,
        "rows": rows,
        "flagged_only": flagged_only,
    }


@require_GET
@role_required(*ALL_ROLES)
def kpi_drilldown(request: AuthenticatedHttpRequest, code: str, period: str, kpi_code: str) -> HttpResponse:
    context = _drill_down_context(request, code, period, kpi_code)
    dealer = context["dealer"]
    result = kpi_result_for(request.user, dealer, period, kpi_code)
    # A KPI the month's scheme does not list has no stored result: its value is measured
    # from the records by the registry, the same query recompute runs, for this one dealer.
    measured = None
    outside_scheme = (
        result is None
        and Scorecard.objects.for_user(request.user)
        .filter(dealer=dealer, period__code=period)
        .exclude(scheme__kpis__kpi_id=kpi_code)
        .exists()
    )
    if outside_scheme:
        found = kpi_measurements(context["month"], [dealer.pk]).get(dealer.pk)
        measured = found.values.get(kpi_code, (None, 0)) if found else (None, 0)
    context.update(
        {
            "kpi": Kpi.objects.filter(code=kpi_code).first(),
            "result": result,
            "measured": measured,
            "page": Paginator(context["rows"], PAGE_SIZE).get_page(request.GET.get("page")),
            "choices": _choice_labels(),
            "export_query": request.GET.urlencode(),
            "unit": unit_label(BY_CODE[kpi_code].unit),
        }
    )
    return render(request, "assessments/kpi_drilldown.html", context)


def _export_value(value: Any, kind: str, choices: dict[str, str]) -> Any:
    if kind == "flag":
        return _("Yes") if value else ""
    if value is None:
        return None
    if kind == "choice":
        return str(choices.get(value, value))
    if isinstance(value, datetime):
        return timezone.localtime(value).replace(tzinfo=None, microsecond=0)
    if isinstance(value, Decimal):
        return float(value)
    if kind in ("hours", "days") and isinstance(value, float):
        return round(value, 2)
    return value


@require_GET
@role_required(*ALL_ROLES)
def kpi_drilldown_export(
    request: AuthenticatedHttpRequest, code: str, period: str, kpi_code: str, fmt: str
) -> HttpResponse:
    context = _drill_down_context(request, code, period, kpi_code)
    drill: DrillDown = context["drill"]
    choices = _choice_labels()
    header = [str(column.label) for column in drill.columns]
    table = (
        [_export_value(row.get(c.key), c.kind, choices.get(c.key, {})) for c in drill.columns]
        for row in context["rows"].iterator(chunk_size=2000)
    )
    return export_response(table, header, fmt, f"{context['dealer'].code}_{period}_{kpi_code}", kpi_code)


# --- dealer home -------------------------------------------------------------------------


@require_GET
@role_required(*ALL_ROLES)
def dealer_home(request: AuthenticatedHttpRequest) -> HttpResponse:
    """A dealer user's scorecard of a month, trend, rank, weakest KPIs and recent imports.

    Opens on the dealer's default month (its newest ended month with a score; its newest
    month when none has a score) unless ?period= asks for another. A month without a score,
    and every newer month, says why: in progress, monthly report not approved, too few records.
    """
    user = request.user
    if not (user.is_dealer_user and user.dealer_id):
        return redirect("home")
    dealer = get_object_or_404(Dealer.objects.for_user(user).select_related("region"), pk=user.dealer_id)
    today = timezone.localdate()
    periods = visible_periods(user, today)
    asked = request.GET.get("period")
    period = pick_period(periods, asked)
    if period is None and asked:
        raise Http404
    if period is None and periods:
        period = periods[0]  # no month has a score yet: the newest, with why
    context: dict[str, Any] = {
        "dealer": dealer,
        "imports": recent_imports(user),
        "periods": periods,
        "period": period,
        "default_period": default_period(periods),
    }
    if period is not None:
        found = scorecard_with_page(user, dealer.code, period.code)
        if found is not None:
            card, data = found
            # The opened month and every newer one get their "why" (newest first).
            explained = [p for p in periods if p.code >= period.code]
            states = month_states(user, dealer, explained, today)
            context.update(
                {
                    "card": card,
                    "sc": data,
                    "lost": points_lost(data.lines) if card.status == ScorecardStatus.SCORED else [],
                    "invalid": [line for line in data.lines if line.weighted and not line.result.valid],
                    "charts": {"trend": _trend_chart(data.history, dealer.code)},
                    "state": next((s for s in states if s.period.code == period.code), None),
                    "newer": [s for s in states if s.period.code != period.code],
                }
            )
    context["imports_url"] = reverse("imports:list")
    return render(request, "assessments/dealer_home.html", context)
