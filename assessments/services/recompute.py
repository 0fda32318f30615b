"""Recompute a period's scorecards: values set-wise per slice of dealers, then one merge.

The work is cut in parts (slices of dealers) so that many Celery workers can compute the
values of one period at once (a chord); the merge scores, ranks and replaces the period's
scorecards in one transaction. Until that transaction commits, the last good scorecards stay.
A lease on the period keeps two recomputes of one period from running at once.
"""

from __future__ import annotations

import io
import logging
import uuid
from collections.abc import Callable, Iterable, Sequence
from contextlib import AbstractContextManager
from datetime import date, datetime, timedelta
from decimal import Decimal
from typing import Any

from django.conf import settings
from django.db import connection, transaction
from django.db.models import F, Max, Min, Q, Subquery, Value
from django.db.models.functions import Coalesce, Greatest
from django.utils import timezone
from django.utils.dateparse import parse_datetime
from django.utils.translation import gettext as _

from config.heartbeat import heartbeat
from dealers.choices import DealerStatus
from dealers.models import Dealer, User

from .. import events, signals
from ..choices import PeriodStatus, ScoreRunStatus
from ..kpis import BY_CODE, kpi_measurements
from ..models import (
    KpiResult,
    Period,
    RecomputeRequest,
    Scorecard,
    ScoreRun,
    ScoreRunPart,
    VetoIncident,
)
from ..pages.cache import scorecards_changed
from ..periods import Month
from ..scoring.engine import DealerInput, Measurement, SchemeParams, ScorecardOutcome, score_period
from ..scoring.rounding import round_half_up
from .freeze import period_freeze_comebacks
from .group_figures import group_figures_store, group_members
from .schemes import SchemeError, scheme_for_period, scheme_params

SCORECARD_FIELDS = [
    "region_name",
    "scheme",
    "status",
    "total_score",
    "grade",
    "rank",
    "region_rank",
    "coverage",
    "deduction",
    "major_complaints",
    "veto",
    "veto_incident",
    "tier_base",
    "tier_process",
    "tier_result",
    "data_as_of",
    "computed_at",
]
# The same fields as table columns (foreign keys as their ids), in the same order.
SCORECARD_COLUMNS = [
    "scheme_id" if name == "scheme" else "veto_incident_id" if name == "veto_incident" else name
    for name in SCORECARD_FIELDS
]
DEALERS_PER_PART = 500
MAX_SUPERSEDED_IN_A_ROW = 3  # redos for changed data before a run lands anyway (no livelock)
MAX_ATTEMPTS = 5  # a request whose runs failed this often waits for a person (logged, shown in admin)


def lease() -> timedelta:
    """How long a run holds its period without a sign of life (renewed every quarter of it)."""
    return timedelta(seconds=settings.RECOMPUTE_LEASE_SECONDS)


class RecomputeError(Exception):
    """A recompute that must not or cannot run; the message is for the user."""


class RecomputeBusy(RecomputeError):
    """Another recompute of the same period holds its lock."""


class RecomputeRefused(RecomputeError):
    """The month cannot be recomputed at all (closed, not started, no scheme): its requests are dropped."""


class RecomputeSuperseded(RecomputeError):
    """The run lost its lease or its data changed while it ran: it wrote nothing."""


logger = logging.getLogger(__name__)


def period_get_or_create(code: str) -> Period:
    """The period for a month 'YYYY-MM', created open on first use."""
    month = Month.parse(code)
    period, _created = Period.objects.get_or_create(code=str(month))
    return period


def eligible_dealers(month: Month) -> list[Dealer]:
    """Dealers that get a scorecard: not terminated now, opened on or before the period's last day."""
    return list(
        Dealer.objects.exclude(status=DealerStatus.TERMINATED)
        .filter(Q(opened_on__isnull=True) | Q(opened_on__lte=month.last_day))
        .select_related("region")
        .order_by("id")
    )


def _acquire_lock(period: Period, hold: timedelta) -> str:
    token = uuid.uuid4().hex
    now = timezone.now()
    taken = Period.objects.filter(
        Q(recompute_lock_until__isnull=True) | Q(recompute_lock_until__lt=now), pk=period.pk
    ).update(recompute_lock_token=token, recompute_lock_until=now + hold)
    if not taken:
        raise RecomputeBusy(_("A recompute of %(period)s is already running.") % {"period": period.code})
    return token


def _release_lock(period_id: int, token: str) -> None:
    Period.objects.filter(pk=period_id, recompute_lock_token=token).update(
        recompute_lock_token="", recompute_lock_until=None
    )


def lease_renew(run: ScoreRun) -> bool:
    """Extend the run's lease on its period; False when it no longer holds it (fenced off).

    The token decides: a lease that ran out is still the run's until another run takes the
    period (which changes the token) or the sweep declares the run lost (which clears it).
    """
    renewed = timezone.now() + lease()
    return bool(
        Period.objects.filter(pk=run.period_id, recompute_lock_token=run.lock_token).update(
            # Never shorter than it was: the hold that covers parts still waiting in the queue stays.
            recompute_lock_until=Greatest(Coalesce(F("recompute_lock_until"), Value(renewed)), Value(renewed))
        )
    )


def lease_heartbeat(run: ScoreRun) -> AbstractContextManager[None]:
    """Renew the run's lease every quarter lease while the block runs.

    A worker killed mid-run stops renewing, so its period is free again within one lease.
    On SQLite the single writer may be busy; a missed beat is harmless while the lease lasts.
    """
    return heartbeat(
        lambda: lease_renew(run), settings.RECOMPUTE_LEASE_SECONDS / 4, f"recompute-lease-{run.pk}"
    )


def requests_pending(period_code: str) -> bool:
    """Whether a change asks for a recompute of the period that no live run has claimed."""
    return RecomputeRequest.objects.filter(
        period_code=period_code, run__isnull=True, attempts__lt=MAX_ATTEMPTS
    ).exists()


def recompute_request(period_codes: Sequence[str], reason: str = "") -> list[str]:
    """Record requests to recompute these months, in the caller's transaction.

    Closed periods are frozen and get none. Returns the months that got a request.
    """
    codes = sorted({str(Month.parse(code)) for code in period_codes})
    closed = set(
        Period.objects.filter(code__in=codes, status=PeriodStatus.CLOSED).values_list("code", flat=True)
    )
    wanted = [code for code in codes if code not in closed]
    RecomputeRequest.objects.bulk_create(
        [RecomputeRequest(period_code=code, reason=reason[:40]) for code in wanted]
    )
    return wanted


def recompute_start(
    period_code: str, *, dealers_per_part: int = DEALERS_PER_PART, hold: timedelta | None = None
) -> tuple[ScoreRun, list[list[int]]]:
    """Check the period may be recomputed, take its lock, claim its requests, cut the dealers into parts.

    `hold` is how long the period is held before a part first shows a sign of life: one
    lease in-process; through a broker, also the time parts may wait in its queue.
    """
    month = Month.parse(period_code)
    if month.start > timezone.now():
        raise RecomputeRefused(_("Period %(period)s has not started yet.") % {"period": str(month)})
    period = period_get_or_create(period_code)
    if period.status == PeriodStatus.CLOSED:
        RecomputeRequest.objects.filter(period_code=period.code).delete()
        raise RecomputeRefused(
            _("Period %(period)s is closed; its scorecards are frozen.") % {"period": period.code}
        )
    try:
        scheme_for_period(period.month)
    except SchemeError as exc:
        raise RecomputeRefused(str(exc)) from exc
    token = _acquire_lock(period, hold or lease())
    try:
        ids = [d.pk for d in eligible_dealers(period.month)]
        parts = [ids[i : i + dealers_per_part] for i in range(0, len(ids), dealers_per_part)] or [[]]
        run = _start_run(period, parts, token)
    except BaseException:
        _release_lock(period.pk, token)  # no run holds it: do not leave the month locked for a lease
        raise
    return run, parts


def _start_run(period: Period, parts: list[list[int]], token: str) -> ScoreRun:
    with transaction.atomic():
        run = ScoreRun.objects.create(period=period, parts_total=len(parts), lock_token=token)
        # A run whose lease ran out (its worker was lost) is over: it can no longer write.
        ScoreRun.objects.filter(period=period, status=ScoreRunStatus.RUNNING).exclude(pk=run.pk).update(
            status=ScoreRunStatus.SUPERSEDED,
            finished_at=timezone.now(),
            error="its lease ran out; a newer run took over",
        )
        # Every request of the period is this run's now: the data it reads includes their changes.
        RecomputeRequest.objects.filter(period_code=period.code).update(run=run)
    return run


def recompute_part(run_id: int, index: int, dealer_ids: Sequence[int]) -> None:
    """Compute and keep the KPI values of one slice of dealers (idempotent)."""
    run = ScoreRun.objects.select_related("period").get(pk=run_id)
    if run.status != ScoreRunStatus.RUNNING or not lease_renew(run):
        return  # a superseded run's part (say, redelivered after its worker was lost) is not worth doing
    with lease_heartbeat(run):
        # A run of one part holds every dealer that gets a scorecard: measured over all dealers,
        # without a list of 2,000 ids to match each record against. The values are the same
        # (every query groups by dealer); those of dealers without a card are not kept.
        measurements = kpi_measurements(run.period.month, None if run.parts_total == 1 else dealer_ids)
    payload: dict[str, Any] = {}
    for dealer_id in dealer_ids:
        m = measurements.get(dealer_id)
        payload[str(dealer_id)] = {
            "values": dict(m.values) if m else {},
            "major": m.major_complaints if m else 0,
            "as_of": m.data_as_of.isoformat() if m and m.data_as_of else None,
        }
    ScoreRunPart.objects.update_or_create(run=run, index=index, defaults={"values": payload})


def recompute_finish(run_id: int, *, actor: User | None = None) -> ScoreRun:
    """Score and rank all parts of a run, then replace the period's scorecards in one transaction.

    Fenced: the swap happens only while the run still holds its period's lease and no change
    arrived since it claimed its requests (its parts then all read one data state). Otherwise
    it writes nothing, hands its requests back and raises RecomputeSuperseded.
    """
    run = ScoreRun.objects.select_related("period").get(pk=run_id)
    if run.status != ScoreRunStatus.RUNNING:
        return run  # already finished, failed or superseded (a redelivered callback)
    try:
        parts = list(run.parts.all())
        if len(parts) != run.parts_total:
            raise RecomputeError(_("A part of the recompute is missing; the previous scorecards stay."))
        with lease_heartbeat(run):
            _write_scorecards(run, parts, actor=actor)
    except RecomputeSuperseded as exc:
        _end_run(run.pk, run.period_id, run.lock_token, ScoreRunStatus.SUPERSEDED, str(exc))
        raise
    except Exception as exc:
        _end_run(run.pk, run.period_id, run.lock_token, ScoreRunStatus.FAILED, str(exc))
        raise
    _release_lock(run.period_id, run.lock_token)
    ScoreRunPart.objects.filter(run_id=run.pk).delete()
    run.refresh_from_db()
    return run


def _end_run(run_id: int, period_id: int, token: str, status: str, error: str) -> None:
    """End a run that did not land: free its month and give its requests back (one attempt
    older if it failed; a superseded run was not at fault). The previous scorecards stay."""
    _release_lock(period_id, token)
    ScoreRun.objects.filter(pk=run_id, status=ScoreRunStatus.RUNNING).update(
        status=status, finished_at=timezone.now(), error=error[:2000]
    )
    requests = RecomputeRequest.objects.filter(run_id=run_id)
    if status == ScoreRunStatus.FAILED:
        requests.update(run=None, attempts=F("attempts") + 1)
    else:
        requests.update(run=None)
    ScoreRunPart.objects.filter(run_id=run_id).delete()


def _superseded_in_a_row(period: Period) -> int:
    """How many runs of the period were redone for changed data since the last that landed."""
    last_success = (
        ScoreRun.objects.filter(period=period, status=ScoreRunStatus.SUCCEEDED)
        .order_by("-pk")
        .values("pk")[:1]
    )
    return ScoreRun.objects.filter(
        period=period, status=ScoreRunStatus.SUPERSEDED, pk__gt=Coalesce(Subquery(last_success), Value(0))
    ).count()


def recompute_fail(run_id: int, error: str) -> None:
    """Mark a run failed and free its period; the previous scorecards stay, its requests wait again."""
    run = ScoreRun.objects.filter(pk=run_id).first()
    if run is not None:
        _end_run(run.pk, run.period_id, run.lock_token, ScoreRunStatus.FAILED, error)


def period_recompute(period_code: str, *, actor: User | None = None) -> ScoreRun:
    """Recompute one period now, in this process, and wait for it.

    In one process there is nothing to fan out: one part holds every dealer, so the number
    of queries does not grow with the number of dealers. A change that arrives while it
    runs supersedes the run, which then starts again (a few times at most).
    """
    for _attempt in range(3):
        run, parts = recompute_start(period_code, dealers_per_part=10**9)
        try:
            for index, ids in enumerate(parts):
                recompute_part(run.pk, index, ids)
        except Exception as exc:
            recompute_fail(run.pk, str(exc))
            raise
        try:
            finished = recompute_finish(run.pk, actor=actor)
        except RecomputeSuperseded:
            continue
        if finished.status == ScoreRunStatus.SUCCEEDED:
            return finished
        # Declared lost meanwhile (its lease ran out under a sweep): another try.
    raise RecomputeBusy(
        _("The data of %(period)s keeps changing; its recompute will run again shortly.")
        % {"period": period_code}
    )


def period_recompute_pending(period_code: str) -> ScoreRun | None:
    """In-process: run the period's waiting requests, if any and if no other run holds it.

    Busy is not an error here: the run that holds the period sees the new request when it
    finishes and runs again. A request that can never run (closed period, no scheme) is dropped.
    """
    run = None
    # Once more while requests wait: one that came in after the last run's check but before it
    # let go of the month found the month busy, and nobody else would run it.
    for _round in range(5):
        if not requests_pending(period_code):
            return run
        try:
            run = period_recompute(period_code)
        except RecomputeBusy:
            return run
        except RecomputeRefused as exc:
            logger.warning("recompute of %s not possible: %s", period_code, exc)
            RecomputeRequest.objects.filter(period_code=period_code, run__isnull=True).delete()
            return run
    return run


def runs_expire() -> int:
    """Runs whose worker was lost (lease over, or taken over): superseded; their requests wait again."""
    now = timezone.now()
    lost = list(
        ScoreRun.objects.filter(status=ScoreRunStatus.RUNNING)
        .exclude(
            period__recompute_lock_token=F("lock_token"),
            period__recompute_lock_until__gte=now,
        )
        .values_list("pk", "period_id", "lock_token")
    )
    for run_id, period_id, token in lost:
        _end_run(run_id, period_id, token, ScoreRunStatus.SUPERSEDED, "its worker was lost (lease ran out)")
    return len(lost)


def periods_waiting() -> list[str]:
    """Months with requests no live run has claimed (and not given up on)."""
    return sorted(
        set(
            RecomputeRequest.objects.filter(run__isnull=True, attempts__lt=MAX_ATTEMPTS).values_list(
                "period_code", flat=True
            )
        )
    )


def _write_scorecards(run: ScoreRun, parts: list[ScoreRunPart], *, actor: User | None) -> None:
    period = run.period
    month = period.month
    scheme = scheme_for_period(month)
    params = scheme_params(scheme)
    merged: dict[int, dict[str, Any]] = {}
    for part in parts:
        merged.update({int(k): v for k, v in part.values.items()})
    # Plain values, not model instances: the merge needs a region name and an incident id.
    # Read for all dealers and kept for those of the parts: no list of 2,000 ids in the query.
    regions = {
        dealer_id: region
        for dealer_id, region in Dealer.objects.values_list("pk", "region__name")
        if dealer_id in merged
    }
    vetoes: dict[int, int] = {}
    for dealer_id, incident_id in (
        VetoIncident.objects.filter(period=period.code).order_by("recorded_at").values_list("dealer_id", "pk")
    ):
        if dealer_id in merged:
            vetoes.setdefault(dealer_id, incident_id)  # the first incident recorded
    inputs = [
        DealerInput(
            dealer_id=dealer_id,
            region=regions[dealer_id],
            measurements={code: Measurement(v[0], int(v[1])) for code, v in data["values"].items()},
            major_complaints=int(data["major"]),
            veto=dealer_id in vetoes,
        )
        for dealer_id, data in sorted(merged.items())
        if dealer_id in regions
    ]
    outcomes = score_period(params, inputs)
    now = timezone.now()
    with transaction.atomic():
        locked = Period.objects.select_for_update().get(pk=period.pk)
        if locked.status == PeriodStatus.CLOSED:
            raise RecomputeError(
                _("Period %(period)s was closed meanwhile; nothing changed.") % {"period": period.code}
            )
        # The period's row is locked: while the token is ours nobody can take the period over.
        if locked.recompute_lock_token != run.lock_token:
            raise RecomputeSuperseded(f"run {run.pk} no longer holds the lease of {period.code}")
        if RecomputeRequest.objects.filter(period_code=period.code, run__isnull=True).exists() and (
            _superseded_in_a_row(period) < MAX_SUPERSEDED_IN_A_ROW
        ):
            # Redone rather than swapped in: its parts may have read two data states. Under a
            # steady stream of changes this would never end, so after a few redos the run lands
            # and the waiting requests get a run of their own right after it.
            raise RecomputeSuperseded(f"the data of {period.code} changed while run {run.pk} read it")
        cards = _scorecard_rows(outcomes, scheme.pk, merged, vetoes, now)
        results = _kpi_result_rows(outcomes)
        _store_scorecards(locked, cards, results, _kpi_facts(params))
        # The network's, regions', city tiers' and peer groups' figures swap in with the cards.
        group_figures_store(locked, group_members(merged, outcomes))
        if locked.scorecards_published_at is None:
            locked.scorecards_published_at = now
            locked.save(update_fields=["scorecards_published_at"])
        ScoreRun.objects.filter(pk=run.pk).update(
            status=ScoreRunStatus.SUCCEEDED, finished_at=timezone.now(), scorecards=len(cards)
        )
        RecomputeRequest.objects.filter(run_id=run.pk).delete()
        events.period_recomputed(actor=actor, period=locked, scorecards=len(cards), run_id=run.pk)
        transaction.on_commit(scorecards_changed)  # cached pages show the new cards
    _refresh_scorecard_statistics()


def _refresh_scorecard_statistics() -> None:
    """Let PostgreSQL's planner know the month's new cards (50–100 ms on five years of cards).

    A month's 2,000 cards are under the 10 % of a five-year table (124,000) at which autovacuum
    analyses it, so for weeks the planner would take a new month for one with a single card and
    plan the ranking and the overview for that (a nested loop re-reading the periods per card:
    twice the time, docs/benchmarks.md → "Five years of history").
    """
    if connection.vendor == "postgresql":
        with connection.cursor() as cursor:
            cursor.execute(f"ANALYZE {Scorecard._meta.db_table}")


# A scorecard's row as written: SCORECARD_FIELDS' values after its dealer id (foreign keys as ids).
ScorecardRow = tuple[Any, ...]
# A KPI result's row as written: its scorecard's dealer id, KPI_RESULT_MEASURED's values and
# the KPI's code, whose facts in the scheme (KPI_RESULT_FACTS) are the same on every card.
KpiResultRow = tuple[int, float | None, int, bool, Decimal | None, Decimal | None, str]
KpiFacts = tuple[Any, ...]

KPI_RESULT_MEASURED = ["value", "sample_size", "valid", "score", "contribution"]
KPI_RESULT_FACTS = ["kpi_code", "tier", "weight", "method", "floor", "target", "min_sample", "sort_order"]


def _scorecard_rows(
    outcomes: list[ScorecardOutcome],
    scheme_id: int,
    merged: dict[int, dict[str, Any]],
    vetoes: dict[int, int],
    now: datetime,
) -> list[ScorecardRow]:
    rows = []
    for outcome in outcomes:
        as_of = merged[outcome.dealer_id]["as_of"]
        rows.append(
            (
                outcome.dealer_id,
                outcome.region,
                scheme_id,
                outcome.status,
                outcome.total,
                outcome.grade,
                outcome.rank,
                outcome.region_rank,
                round_half_up(outcome.coverage, 4),
                outcome.deduction,
                outcome.major_complaints,
                outcome.veto,
                vetoes.get(outcome.dealer_id),
                outcome.tier_scores["base"],
                outcome.tier_scores["process"],
                outcome.tier_scores["result"],
                parse_datetime(as_of) if as_of else None,
                now,
            )
        )
    return rows


def _kpi_facts(params: SchemeParams) -> dict[str, KpiFacts]:
    """KPI_RESULT_FACTS of each KPI of the scheme (the same on every scorecard)."""
    return {
        k.code: (
            k.code,
            BY_CODE[k.code].tier,
            float(k.weight),
            k.method,
            k.floor,
            k.target,
            k.min_sample,
            order,
        )
        for order, k in enumerate(params.kpis)
    }


def _kpi_result_rows(outcomes: list[ScorecardOutcome]) -> list[KpiResultRow]:
    return [
        (outcome.dealer_id, k.value, k.sample_size, k.valid, k.score, k.contribution, k.code)
        for outcome in outcomes
        for k in outcome.kpis
    ]


def _store_scorecards(
    period: Period, cards: list[ScorecardRow], results: list[KpiResultRow], facts: dict[str, KpiFacts]
) -> None:
    """Replace the period's scorecards and KPI results, in the caller's transaction.

    A dealer keeps its scorecard row (and id) across recomputes, so links and appeals stay
    valid; its KPI results are replaced. Cards of dealers no longer assessed are removed.
    """
    KpiResult.objects.filter(scorecard__period=period).delete()
    existing = dict(Scorecard.objects.filter(period=period).values_list("dealer_id", "pk"))
    gone = set(existing) - {card[0] for card in cards}
    if gone:
        Scorecard.objects.filter(pk__in=[existing[dealer_id] for dealer_id in gone]).delete()
    if _copy_supported():
        card_ids = _store_scorecards_copy(period, cards)
        # The facts' text once per KPI, not once per dealer.
        facts_text = {code: "\t".join(map(_copy_text, kpi_facts)) for code, kpi_facts in facts.items()}
        _copy_lines(
            KpiResult._meta.db_table,
            ["scorecard_id", *KPI_RESULT_MEASURED, *KPI_RESULT_FACTS],
            (
                "\t".join(map(_copy_text, (card_ids[row[0]], *row[1:6]))) + "\t" + facts_text[row[6]] + "\n"
                for row in results
            ),
        )
        return
    objects = [
        Scorecard(
            pk=existing.get(card[0]),
            period=period,
            dealer_id=card[0],
            **dict(zip(SCORECARD_COLUMNS, card[1:], strict=True)),
        )
        for card in cards
    ]
    kept = [c for c in objects if c.pk is not None]
    if kept:
        Scorecard.objects.bulk_update(kept, SCORECARD_FIELDS, batch_size=1000)
    Scorecard.objects.bulk_create([c for c in objects if c.pk is None])
    card_ids = {c.dealer_id: c.pk for c in objects}
    _insert_kpi_results(card_ids, results, facts)


def _insert_kpi_results(
    card_ids: dict[int, int], results: list[KpiResultRow], facts: dict[str, KpiFacts]
) -> None:
    """SQLite: the KPI results by one prepared INSERT over plain tuples (`executemany`), not
    model instances through `bulk_create` (which was most of a recompute's write there). The
    values are already what the columns take: floats, ints, bools, Decimals (stored as the
    ORM stores them: the driver's Decimal adapter, numeric affinity) and None."""
    float_facts = {"weight", "floor", "target"}
    plain_facts = {
        code: tuple(
            float(v) if name in float_facts and v is not None else v
            for name, v in zip(KPI_RESULT_FACTS, kpi_facts, strict=True)
        )
        for code, kpi_facts in facts.items()
    }
    quote = connection.ops.quote_name
    columns = ["scorecard_id", *KPI_RESULT_MEASURED, *KPI_RESULT_FACTS]
    sql = (
        f"INSERT INTO {quote(KpiResult._meta.db_table)} ({', '.join(quote(c) for c in columns)})"
        f" VALUES ({', '.join(['%s'] * len(columns))})"
    )
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(card_ids[row[0]], *row[1:6], *plain_facts[row[6]]) for row in results])


def _copy_supported() -> bool:
    """PostgreSQL takes the rows by COPY; elsewhere (SQLite) the plain ORM path writes them."""
    return connection.vendor == "postgresql"


def _store_scorecards_copy(period: Period, cards: list[ScorecardRow]) -> dict[int, int]:
    """PostgreSQL: the cards COPied into a temporary table, then one upsert on (period, dealer)
    that keeps each dealer's row id. Returns the scorecard id of each dealer."""
    table = Scorecard._meta.db_table
    columns = ["period_id", "dealer_id", *SCORECARD_COLUMNS]
    with connection.cursor() as cursor:
        cursor.execute(
            f"CREATE TEMPORARY TABLE recompute_cards ON COMMIT DROP AS "
            f"SELECT {', '.join(columns)} FROM {table} WITH NO DATA"
        )
    _copy_rows("recompute_cards", columns, ((period.pk, *card) for card in cards))
    updates = ", ".join(f"{column} = EXCLUDED.{column}" for column in SCORECARD_COLUMNS)
    with connection.cursor() as cursor:
        cursor.execute(
            f"INSERT INTO {table} ({', '.join(columns)}) SELECT {', '.join(columns)} FROM recompute_cards "
            f"ON CONFLICT (period_id, dealer_id) DO UPDATE SET {updates} RETURNING dealer_id, id"
        )
        ids = dict(cursor.fetchall())
        cursor.execute("DROP TABLE recompute_cards")
    return ids


def _copy_escaped(text: str) -> str:
    if "\\" in text or "\t" in text or "\n" in text or "\r" in text:
        return text.replace("\\", "\\\\").replace("\t", "\\t").replace("\n", "\\n").replace("\r", "\\r")
    return text


# COPY's text format of each kind of value we write (what psycopg would send as a parameter).
_COPY_FORMATS: dict[type, Callable[[Any], str]] = {
    type(None): lambda _value: "\\N",
    bool: lambda value: "t" if value else "f",
    int: int.__str__,
    float: float.__repr__,  # the shortest form that reads back as the same double
    Decimal: Decimal.__str__,  # already rounded to the column's places
    str: _copy_escaped,
    datetime: datetime.isoformat,  # aware: with its offset
}


def _copy_text(value: Any) -> str:
    """One field in COPY's text format."""
    return _COPY_FORMATS[type(value)](value)


def _copy_rows(table: str, columns: list[str], rows: Iterable[tuple[Any, ...]]) -> None:
    _copy_lines(table, columns, ("\t".join(map(_copy_text, row)) + "\n" for row in rows))


def _copy_lines(table: str, columns: list[str], lines: Iterable[str]) -> None:
    """COPY lines of text format into a table of this connection, in the caller's transaction
    (psycopg 2 or 3)."""
    buffer = io.StringIO()
    buffer.writelines(lines)
    sql = f"COPY {table} ({', '.join(columns)}) FROM STDIN"
    with connection.cursor() as cursor:
        raw = cursor.cursor
        if hasattr(raw, "copy_expert"):
            buffer.seek(0)
            raw.copy_expert(sql, buffer)
        else:
            with raw.copy(sql) as copy:
                copy.write(buffer.getvalue())


def period_close(period_code: str, *, actor: User | None = None) -> Period:
    """Freeze a period: from now on its scorecards never change."""
    month = Month.parse(period_code)
    with transaction.atomic():
        period, _created = Period.objects.select_for_update().get_or_create(code=str(month))
        if period.status == PeriodStatus.CLOSED:
            raise RecomputeError(_("Period %(period)s is already closed.") % {"period": period.code})
        if timezone.now() < month.end:
            raise RecomputeError(
                _("Period %(period)s has not ended yet; it can be closed from %(date)s.")
                % {"period": period.code, "date": month.last_day + timedelta(days=1)}
            )
        if period.recompute_lock_until and period.recompute_lock_until > timezone.now():
            raise RecomputeError(
                _("A recompute of %(period)s is running; close it when it has finished.")
                % {"period": period.code}
            )
        period.status = PeriodStatus.CLOSED
        period.closed_at = timezone.now()
        period.closed_by = actor if actor and actor.pk else None
        period.save(update_fields=["status", "closed_at", "closed_by"])
        events.period_closed(actor=actor, period=period)
        period_freeze_comebacks(period)  # the closed month's comeback flags, kept as counted
        # Incentives evaluates its rules in this transaction: proposals exist iff closed.
        signals.period_closed.send(sender=Period, period=period, actor=actor)
        transaction.on_commit(scorecards_changed)
    return period


def open_period_codes() -> list[str]:
    return list(
        Period.objects.filter(status=PeriodStatus.OPEN).order_by("code").values_list("code", flat=True)
    )


def months_with_data_without_period(today: date | None = None) -> list[str]:
    """Months up to this one that hold service data but have no period yet (say, a first recompute lost).

    Index-backed: the first and last date of each kind of record, then one existence probe per
    month without a period in that range.
    """
    from surveys.models import SurveyResponse

    from ..models import Complaint, PartsOrder, RepairOrder

    sources: list[
        tuple[type[RepairOrder] | type[Complaint] | type[PartsOrder] | type[SurveyResponse], str]
    ] = [
        (RepairOrder, "opened_at"),
        (RepairOrder, "closed_at"),
        (Complaint, "received_at"),
        (PartsOrder, "ordered_at"),
        (SurveyResponse, "responded_at"),
    ]
    this_month = Month.of(today or timezone.localdate())
    known = set(Period.objects.values_list("code", flat=True))
    found: set[str] = set()
    for model, field in sources:
        bounds = model.objects.aggregate(first=Min(field), last=Max(field))
        if bounds["first"] is None:
            continue
        month = max(Month.of(bounds["first"]), this_month.shift(-120))  # ten years back at most
        last = min(Month.of(bounds["last"]), this_month)
        while month <= last:
            code = str(month)
            if code not in known and code not in found:
                if model.objects.filter(**{f"{field}__gte": month.start, f"{field}__lt": month.end}).exists():
                    found.add(code)
            month = month.shift(1)
    return sorted(found)
