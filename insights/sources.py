"""What the detectors read: set-wise loaders, each one grouped query over the whole network
(never a query per dealer), returning plain data. SQLite and PostgreSQL alike: the two
expressions that differ by database (the minute of a timestamp, whole seconds between two)
are written once per vendor below.

A repair order belongs to the month its closed_at falls in (Asia/Shanghai), as in the
rulebook; a warranty claim is a repair order of type "warranty" with a warranty cost above
zero. The detectors run overnight as the system, so the loaders read every dealer's rows:
who may see a finding is decided where findings are shown.

`dealer_ids` (where a loader takes it) narrows the same query to some dealers: the
re-measure of one finding and the evidence of the dealers found.
"""

from __future__ import annotations

from collections import defaultdict
from collections.abc import Collection, Iterable
from datetime import timedelta
from decimal import Decimal
from typing import Any, NamedTuple

from django.db.models import (
    BigIntegerField,
    Case,
    Count,
    Exists,
    F,
    FloatField,
    Func,
    IntegerField,
    OuterRef,
    Q,
    QuerySet,
    Sum,
    Value,
    When,
    Window,
)
from django.db.models.functions import Mod, RowNumber
from django.db.models.lookups import Exact

from assessments.choices import REPAIR_TYPES_FOR_REPAIR_KPIS, RepairType
from assessments.models import GroupMember, RepairOrder
from assessments.periods import Month
from surveys.choices import FlagKind, FlagStatus
from surveys.models import ResponseFlag, SurveyResponse

Dealers = Collection[int] | None


# --- database expressions ------------------------------------------------------------------


class LocalMinute(Func):
    """The minute of the hour of a timestamp in Asia/Shanghai time (0–59).

    Shanghai is UTC+8 all year (no daylight saving since 1991), a whole number of hours, so
    the minute is the same in UTC: SQLite reads it from the stored UTC text; PostgreSQL
    converts anyway, to say what it means.
    """

    arity = 1
    output_field = IntegerField()

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        template = "CAST(EXTRACT(MINUTE FROM %(expressions)s AT TIME ZONE 'Asia/Shanghai') AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra)

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        # '%%%%M' is '%%M' in the SQL, which the cursor wrapper turns into '%M'.
        template = "CAST(strftime('%%%%M', %(expressions)s) AS integer)"
        return self.as_sql(compiler, connection, template=template, **extra)


class WholeSeconds(Func):
    """Whole seconds from the second timestamp to the first (fractions of a second dropped
    from each): an integer, so that sums and sums of squares are exact."""

    arity = 2
    output_field = BigIntegerField()

    def _operands(self, compiler: Any) -> tuple[str, str, list[Any]]:
        (later, later_params), (earlier, earlier_params) = (
            compiler.compile(e) for e in self.source_expressions
        )
        return later, earlier, [*later_params, *earlier_params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        later, earlier, params = self._operands(compiler)
        sql = f"CAST(FLOOR(EXTRACT(EPOCH FROM {later})) - FLOOR(EXTRACT(EPOCH FROM {earlier})) AS bigint)"
        return sql, params

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        later, earlier, params = self._operands(compiler)
        # '%%s' reaches SQLite as '%s': the cursor wrapper turns '%%' into '%' (and '%s' into '?').
        sql = f"(CAST(strftime('%%s', {later}) AS INTEGER) - CAST(strftime('%%s', {earlier}) AS INTEGER))"
        return sql, params


class Squared(Func):
    """x·x, without overflow: as numeric on PostgreSQL (exact), as a double on SQLite."""

    arity = 1

    def _square(self, compiler: Any, cast: str) -> tuple[str, list[Any]]:
        sql, params = compiler.compile(self.source_expressions[0])
        return f"(CAST({sql} AS {cast}) * CAST({sql} AS {cast}))", [*params, *params]

    def as_postgresql(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._square(compiler, "numeric")

    def as_sqlite(self, compiler: Any, connection: Any, **extra: Any) -> Any:
        return self._square(compiler, "REAL")


def _closed_in(month: Month, dealer_ids: Dealers = None) -> QuerySet:
    qs = RepairOrder.objects.filter(closed_at__gte=month.start, closed_at__lt=month.end)
    return qs if dealer_ids is None else qs.filter(dealer_id__in=list(dealer_ids))


def _claims(qs: QuerySet) -> QuerySet:
    return qs.filter(repair_type=RepairType.WARRANTY, warranty_cost__gt=0)


def _capped_ids(qs: QuerySet, order_by: Iterable[Any], cap: int) -> dict[int, list[int]]:
    """At most `cap` ids per dealer of the rows of `qs`, in `order_by` order: one query,
    numbered per dealer in SQL so that a dealer with a million rows sends `cap` of them."""
    ranked = qs.annotate(
        rank=Window(RowNumber(), partition_by=[F("dealer_id")], order_by=list(order_by))
    ).filter(rank__lte=cap)
    out: dict[int, list[int]] = defaultdict(list)
    for pk, dealer_id, _rank in ranked.order_by("dealer_id", "rank").values_list("pk", "dealer_id", "rank"):
        out[dealer_id].append(pk)
    return dict(out)


# --- quality: fault codes --------------------------------------------------------------------


class FaultCounts(NamedTuple):
    """Repair and warranty orders per fault code and dealer, this month and in the baseline."""

    # {fault code: {dealer id: (orders this month, orders in the baseline months)}}
    by_code: dict[str, dict[int, tuple[int, int]]]
    # {dealer id: (all repair and warranty orders this month, in the baseline months)}
    totals: dict[int, tuple[int, int]]


def fault_code_counts(month: Month, baseline_months: int) -> FaultCounts:
    """One grouped query over the month and the `baseline_months` before it: orders per
    (fault code, dealer, this month or not). Orders without a fault code count in the totals
    only (the denominator: a seasonal rise in all repairs is not a rise of one code)."""
    first = month.shift(-baseline_months)
    rows = (
        RepairOrder.objects.filter(
            closed_at__gte=first.start, closed_at__lt=month.end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
        )
        .annotate(current=Case(When(closed_at__gte=month.start, then=Value(1)), default=Value(0)))
        .values_list("fault_code", "dealer_id", "current")
        .annotate(n=Count("id"))
        .order_by()
    )
    by_code: dict[str, dict[int, list[int]]] = defaultdict(lambda: defaultdict(lambda: [0, 0]))
    totals: dict[int, list[int]] = defaultdict(lambda: [0, 0])
    for code, dealer_id, current, n in rows:
        slot = 0 if current else 1
        totals[dealer_id][slot] += n
        if code:
            by_code[code][dealer_id][slot] += n
    return FaultCounts(
        {code: {d: (c[0], c[1]) for d, c in dealers.items()} for code, dealers in by_code.items()},
        {d: (t[0], t[1]) for d, t in totals.items()},
    )


def fault_code_share(month: Month, fault_code: str) -> tuple[int, int]:
    """(orders with the code, all repair and warranty orders) closed in the month, network-wide."""
    row = RepairOrder.objects.filter(
        closed_at__gte=month.start, closed_at__lt=month.end, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
    ).aggregate(code=Count("id", filter=Q(fault_code=fault_code)), all=Count("id"))
    return row["code"], row["all"]


def fault_code_orders(
    month: Month, fault_code: str, dealer_ids: Collection[int], cap: int
) -> dict[int, list[int]]:
    """Ids of the month's repair and warranty orders with the code at these dealers (≤ cap each)."""
    qs = _closed_in(month, dealer_ids).filter(
        fault_code=fault_code, repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS
    )
    return _capped_ids(qs, [F("closed_at").asc(), F("id").asc()], cap)


# --- performance: the stored KPI figures -----------------------------------------------------


class MemberRow(NamedTuple):
    """A scored dealer in one month as the group figures stored it."""

    dealer_id: int
    month: str
    peer_key: str
    region_id: int | None
    figures: dict[str, list[Any]]  # {kpi code: [value or None, n]}


def kpi_members(months: Iterable[Month], dealer_ids: Dealers = None) -> list[MemberRow]:
    """The stored group members (each dealer's KPI values and sample sizes) of these months:
    one query; the KPIs were measured by the recompute, not again here."""
    qs = GroupMember.objects.filter(period__code__in=[str(m) for m in months])
    if dealer_ids is not None:
        qs = qs.filter(dealer_id__in=list(dealer_ids))
    return [
        MemberRow(dealer_id, code, peer_key or "", region_id, figures or {})
        for dealer_id, code, peer_key, region_id, figures in qs.order_by().values_list(
            "dealer_id", "period__code", "peer_key", "region_id", "figures"
        )
    ]


# --- warranty --------------------------------------------------------------------------------


def _earlier_claim(days: int) -> Exists:
    """An earlier claim (closed before this one, or at the same moment with a smaller id) for
    the same vehicle and fault at the same dealer, at most `days` days before."""
    same = _claims(RepairOrder.objects.all()).filter(
        dealer_id=OuterRef("dealer_id"),
        vin=OuterRef("vin"),
        fault_code=OuterRef("fault_code"),
        closed_at__gte=OuterRef("closed_at") - timedelta(days=days),
    )
    return Exists(
        same.filter(
            Q(closed_at__lt=OuterRef("closed_at")) | Q(closed_at=OuterRef("closed_at"), id__lt=OuterRef("id"))
        )
    )


def warranty_repeats(month: Month, days: int, dealer_ids: Dealers = None) -> dict[int, tuple[int, int]]:
    """{dealer id: (claims closed in the month, of them repeats)}: a repeat is a claim with an
    earlier claim for the same vehicle and fault at the same dealer within `days` days (the
    look-back reaches into earlier months). One grouped query with a semi-join."""
    rows = (
        _claims(_closed_in(month, dealer_ids))
        .annotate(repeat=_earlier_claim(days))
        .values_list("dealer_id")
        .annotate(n=Count("id"), repeats=Count("id", filter=Q(repeat=True)))
        .order_by()
    )
    return {dealer_id: (n, repeats) for dealer_id, n, repeats in rows}


def warranty_repeat_orders(
    month: Month, days: int, dealer_ids: Collection[int], cap: int
) -> dict[int, list[int]]:
    """Ids of the repeated claims of the month at these dealers (≤ cap each)."""
    qs = _claims(_closed_in(month, dealer_ids)).filter(_earlier_claim(days))
    return _capped_ids(qs, [F("vin").asc(), F("closed_at").asc(), F("id").asc()], cap)


class ClaimCost(NamedTuple):
    dealer_id: int
    fault_code: str
    cost: Decimal
    claims: int


def warranty_costs(month: Month, dealer_ids: Dealers = None) -> list[ClaimCost]:
    """The month's claims as (dealer, fault code, cost, how many claims at that cost): one
    grouped query, exact amounts, at most one row per claim (fewer where costs repeat)."""
    rows = (
        _claims(_closed_in(month, dealer_ids))
        .values_list("dealer_id", "fault_code", "warranty_cost")
        .annotate(n=Count("id"))
        .order_by()
    )
    return [ClaimCost(d, code, cost, n) for d, code, cost, n in rows]


def warranty_cost_orders(
    month: Month, thresholds: dict[str, Decimal], dealer_ids: Collection[int], cap: int
) -> dict[int, list[int]]:
    """Ids of the month's claims at these dealers that cost more than their fault code's
    threshold, most expensive first (≤ cap each)."""
    above = Q(pk__in=[])
    for code, threshold in thresholds.items():
        above |= Q(fault_code=code, warranty_cost__gt=threshold)
    qs = _claims(_closed_in(month, dealer_ids)).filter(above)
    return _capped_ids(qs, [F("warranty_cost").desc(), F("id").asc()], cap)


def month_end_start(month: Month, days: int) -> Any:
    """The first instant of the month's last `days` days (Shanghai midnight)."""
    return month.end - timedelta(days=days)


def warranty_month_end(month: Month, days: int, dealer_ids: Dealers = None) -> dict[int, tuple[int, int]]:
    """{dealer id: (claims closed in the month, of them in its last `days` days)}: one query."""
    rows = (
        _claims(_closed_in(month, dealer_ids))
        .values_list("dealer_id")
        .annotate(n=Count("id"), late=Count("id", filter=Q(closed_at__gte=month_end_start(month, days))))
        .order_by()
    )
    return {dealer_id: (n, late) for dealer_id, n, late in rows}


def warranty_month_end_orders(
    month: Month, days: int, dealer_ids: Collection[int], cap: int
) -> dict[int, list[int]]:
    """Ids of the claims closed in the month's last `days` days at these dealers (≤ cap each)."""
    qs = _claims(_closed_in(month, dealer_ids)).filter(closed_at__gte=month_end_start(month, days))
    return _capped_ids(qs, [F("closed_at").asc(), F("id").asc()], cap)


# --- data integrity --------------------------------------------------------------------------


def _is_round(column: str, step: int) -> Any:
    """A condition: the timestamp's local minute is a multiple of `step`."""
    return Exact(Mod(LocalMinute(column), Value(step), output_field=IntegerField()), 0)


def round_timestamps(month: Month, step: int, dealer_ids: Dealers = None) -> dict[int, tuple[int, int]]:
    """{dealer id: (timestamps, of them on a round minute)} over the opened and closed times of
    the orders closed in the month (two timestamps each): one grouped query."""
    rows = (
        _closed_in(month, dealer_ids)
        .values_list("dealer_id")
        .annotate(
            n=Count("id"),
            opened=Count("id", filter=_is_round("opened_at", step)),
            closed=Count("id", filter=_is_round("closed_at", step)),
        )
        .order_by()
    )
    return {dealer_id: (2 * n, opened + closed) for dealer_id, n, opened, closed in rows}


def round_timestamp_orders(
    month: Month, step: int, dealer_ids: Collection[int], cap: int
) -> dict[int, list[int]]:
    """Ids of the month's orders at these dealers with both timestamps on round minutes, then
    those with one (≤ cap each)."""
    both = Case(
        When(_is_round("opened_at", step) & _is_round("closed_at", step), then=Value(0)),
        default=Value(1),
    )
    qs = _closed_in(month, dealer_ids).filter(
        Q(_is_round("opened_at", step)) | Q(_is_round("closed_at", step))
    )
    return _capped_ids(qs, [both.asc(), F("closed_at").asc(), F("id").asc()], cap)


class CycleSums(NamedTuple):
    """A dealer's repair cycle times in whole seconds, as sums (the moments give mean and
    spread exactly) and the number of distinct durations."""

    n: int
    total: int
    total_sq: float | int
    distinct: int


def repair_cycle_sums(month: Month, dealer_ids: Dealers = None) -> dict[int, CycleSums]:
    """Per dealer, over the repair and warranty orders closed in the month (the repair cycle
    KPI's orders): count, Σ seconds, Σ seconds², distinct durations. One grouped query."""
    seconds = WholeSeconds("closed_at", "opened_at")
    rows = (
        _closed_in(month, dealer_ids)
        .filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
        .values_list("dealer_id")
        .annotate(
            n=Count("id"),
            total=Sum(seconds),
            total_sq=Sum(Squared(seconds), output_field=FloatField()),
            distinct=Count(seconds, distinct=True),
        )
        .order_by()
    )
    return {
        dealer_id: CycleSums(n, int(total or 0), _exact(total_sq), distinct)
        for dealer_id, n, total, total_sq, distinct in rows
    }


def _exact(value: Any) -> float | int:
    """A sum of squares as returned: numeric (Decimal, exact) on PostgreSQL, else a float."""
    if isinstance(value, Decimal):
        return int(value)
    return float(value or 0)


def repair_cycle_orders(month: Month, dealer_ids: Collection[int], cap: int) -> dict[int, list[int]]:
    """Ids of the month's repair and warranty orders at these dealers (≤ cap each)."""
    qs = _closed_in(month, dealer_ids).filter(repair_type__in=REPAIR_TYPES_FOR_REPAIR_KPIS)
    return _capped_ids(qs, [F("closed_at").asc(), F("id").asc()], cap)


def _burst_flags(month: Month, dealer_ids: Dealers = None) -> QuerySet:
    """Burst flags on responses of the month that HQ has not reviewed and kept (an open flag,
    or one whose response HQ excluded: both say the responses look made up)."""
    qs = ResponseFlag.objects.filter(
        kind=FlagKind.BURST, response__responded_at__gte=month.start, response__responded_at__lt=month.end
    ).exclude(status=FlagStatus.KEPT)
    return qs if dealer_ids is None else qs.filter(response__dealer_id__in=list(dealer_ids))


def survey_bursts(month: Month, dealer_ids: Dealers = None) -> dict[int, tuple[int, int]]:
    """{dealer id: (responses in the month, of them flagged as part of a burst)}: two grouped
    queries (responses per dealer; flagged responses per dealer)."""
    responses = SurveyResponse.objects.filter(responded_at__gte=month.start, responded_at__lt=month.end)
    if dealer_ids is not None:
        responses = responses.filter(dealer_id__in=list(dealer_ids))
    totals = dict(responses.values_list("dealer_id").annotate(n=Count("id")).order_by())
    flagged = dict(
        _burst_flags(month, dealer_ids)
        .values_list("response__dealer_id")
        .annotate(n=Count("response_id", distinct=True))
        .order_by()
    )
    return {dealer_id: (n, flagged.get(dealer_id, 0)) for dealer_id, n in totals.items()}


def burst_responses(month: Month, dealer_ids: Collection[int], cap: int) -> dict[int, list[int]]:
    """Ids of the burst-flagged responses of the month at these dealers (≤ cap each)."""
    out: dict[int, list[int]] = defaultdict(list)
    rows = (
        _burst_flags(month, dealer_ids)
        .order_by("response__dealer_id", "response__responded_at", "response_id")
        .values_list("response__dealer_id", "response_id")
    )
    for dealer_id, response_id in rows:
        if len(out[dealer_id]) < cap and response_id not in out[dealer_id]:
            out[dealer_id].append(response_id)
    return dict(out)
