"""Benchmark: recompute one month for N dealers from ~500 repair orders each (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench \
        python bench/bench_recompute.py --dealers 2000 --ros 1000000

Generates the dealers and one month of repair orders, complaints, parts orders, survey
responses and approved submissions with COPY (fast), then times `period_recompute` and
counts its queries. Run it at 200 and at 2,000 dealers to see that the query count does
not grow with the number of dealers. Not a test: figures go to docs/benchmarks.md.

In the same run it times the single-SQL lower bound: one statement that computes every KPI
family's grouped aggregates (the families' own queries, comeback semi-join and median
included, as materialized CTEs joined on the dealer) and returns them, with nothing scored
or written. It reports recompute / lower bound, the time of each phase of the recompute
(measure, score, write) and, with --profile, the top of a cProfile of one recompute.
--reuse skips generating when the month's data is there already.
"""

from __future__ import annotations

import argparse
import cProfile
import io
import os
import pstats
import random
import sys
import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.db import connection, reset_queries  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from assessments.kpis import kpi_measurements  # noqa: E402
from assessments.models import Complaint, MonthlySubmission, PartsOrder, RepairOrder, Scorecard  # noqa: E402
from assessments.periods import SHANGHAI, Month  # noqa: E402
from assessments.services import recompute  # noqa: E402
from assessments.services.recompute import period_recompute  # noqa: E402
from dealers.models import Dealer, Region  # noqa: E402
from surveys.models import SurveyResponse  # noqa: E402

MONTH_START = datetime(2026, 10, 1, tzinfo=SHANGHAI)
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]


def copy_rows(table: str, columns: list[str], rows: list[tuple]) -> None:
    buffer = io.StringIO()
    for row in rows:
        buffer.write("\t".join("\\N" if v is None else str(v) for v in row) + "\n")
    buffer.seek(0)
    with connection.cursor() as cursor:
        cursor.cursor.copy_expert(f"COPY {table} ({', '.join(columns)}) FROM STDIN", buffer)


def ts(moment: datetime) -> str:
    return moment.isoformat()


def generate(dealer_count: int, ro_count: int, seed: int = 7) -> None:
    rng = random.Random(seed)
    for model in (SurveyResponse, Complaint, PartsOrder, MonthlySubmission, Scorecard):
        model.objects.all().delete()
    with connection.cursor() as cursor:
        cursor.execute(
            "TRUNCATE assessments_kpiresult, assessments_scorecard, assessments_repairorder CASCADE"
        )
    Dealer.objects.filter(code__startswith="BN").delete()
    regions = [Region.objects.get_or_create(name=name)[0] for name in REGIONS]
    Dealer.objects.bulk_create(
        Dealer(
            code=f"BN{i:05d}",
            name=f"基准{i}",
            region=regions[i % 7],
            province="省",
            city="市",
            city_tier=i % 5 + 1,
        )
        for i in range(dealer_count)
    )
    dealer_ids = list(Dealer.objects.filter(code__startswith="BN").values_list("id", flat=True))
    seconds_in_month = 31 * 86400
    ro_rows, complaint_rows, survey_rows = [], [], []
    for n in range(ro_count):
        dealer_id = dealer_ids[n % len(dealer_ids)]
        opened = MONTH_START + timedelta(seconds=rng.randrange(seconds_in_month - 5 * 86400))
        closed = opened + timedelta(seconds=rng.randrange(3600, 4 * 86400))
        kind = rng.choice(["maintenance", "repair", "warranty", "accident"])
        vin = f"LB3E8MAL8RV{rng.randrange(400000):06d}"
        fault = f"F{rng.randrange(40):03d}" if kind in ("repair", "warranty") else ""
        booked = opened - timedelta(seconds=rng.randrange(86400 * 6)) if rng.random() < 0.6 else None
        ro_rows.append(
            (
                dealer_id,
                f"RO{n:09d}",
                vin,
                kind,
                ts(booked) if booked else None,
                ts(opened),
                ts(opened + timedelta(hours=48)),
                ts(closed),
                fault,
                2.5,
                450,
                820.5,
                rng.randrange(300, 3000) if kind == "warranty" else 0,
            )
        )
        if n % 60 == 0:
            complaint_rows.append(
                (
                    f"C{n:09d}",
                    dealer_id,
                    ts(opened),
                    ts(opened + timedelta(hours=rng.randrange(1, 48))),
                    "quality",
                    "major" if n % 600 == 0 else "normal",
                    "",
                )
            )
        if n % 8 == 0:
            survey_rows.append(
                (
                    f"S{n:09d}",
                    dealer_id,
                    ts(closed),
                    rng.randint(2, 5),
                    rng.randint(0, 10),
                    "",
                    "import",
                    False,
                    "",
                )
            )
    copy_rows(
        "assessments_repairorder",
        [
            "dealer_id",
            "ro_number",
            "vin",
            "repair_type",
            "booked_at",
            "opened_at",
            "promised_at",
            "closed_at",
            "fault_code",
            "labor_hours",
            "labor_amount",
            "parts_amount",
            "warranty_cost",
        ],
        ro_rows,
    )
    copy_rows(
        "assessments_complaint",
        ["complaint_id", "dealer_id", "received_at", "closed_at", "category", "severity", "description"],
        complaint_rows,
    )
    copy_rows(
        "surveys_surveyresponse",
        [
            "response_id",
            "dealer_id",
            "responded_at",
            "overall",
            "nps",
            "comment",
            "source",
            "excluded",
            "excluded_reason",
        ],
        survey_rows,
    )
    parts = []
    for n in range(ro_count // 10):
        ordered = MONTH_START + timedelta(seconds=rng.randrange(seconds_in_month - 6 * 86400))
        parts.append(
            (
                f"P{n:09d}",
                dealer_ids[n % len(dealer_ids)],
                "PN1",
                1,
                ts(ordered),
                ts(ordered + timedelta(hours=rng.randrange(2, 120))),
            )
        )
    copy_rows(
        "assessments_partsorder",
        ["order_id", "dealer_id", "part_number", "quantity", "ordered_at", "fulfilled_at"],
        parts,
    )
    copy_rows(
        "assessments_monthlysubmission",
        [
            "dealer_id",
            "period",
            "technicians",
            "certified_technicians",
            "equipment_total",
            "equipment_ok",
            "training_hours",
            "status",
            "review_comment",
        ],
        [
            (
                d,
                "2026-10",
                12,
                rng.randint(6, 12),
                30,
                rng.randint(24, 30),
                rng.randint(20, 120),
                "approved",
                "",
            )
            for d in dealer_ids
        ],
    )
    with connection.cursor() as cursor:
        cursor.execute("ANALYZE")


def lower_bound_sql(month: Month) -> str:
    """One statement: every family's grouped query, as the registry runs it over all dealers
    (comeback semi-join and median included), as a subquery, all joined on the dealer.
    Nothing scored, nothing written. (As MATERIALIZED CTEs the same statement ran 1.4× slower.)"""
    grouped = [sql for sql, _seconds in registry_queries(month) if "GROUP BY" in sql]
    joined = " FULL JOIN ".join(
        f"({sql}) q{i}" if i == 0 else f"({sql}) q{i} USING (group_key)" for i, sql in enumerate(grouped)
    )
    return f"SELECT * FROM {joined}"


def registry_queries(month: Month) -> list[tuple[str, float]]:
    """The registry's own queries for every dealer, run back to back: (SQL, seconds) each."""
    with CaptureQueriesContext(connection) as captured:
        kpi_measurements(month, None)
    return [(q["sql"], float(q["time"])) for q in captured.captured_queries]


def time_lower_bound(sql: str) -> tuple[float, int]:
    with connection.cursor() as cursor:
        t0 = time.perf_counter()
        cursor.execute(sql)
        rows = cursor.fetchall()
        return time.perf_counter() - t0, len(rows)


@contextmanager
def phase_timers() -> Iterator[dict[str, float]]:
    """Time the recompute's phases by wrapping the functions it calls (see `labels`)."""
    spent: dict[str, float] = defaultdict(float)
    labels = {
        "recompute_part": "measure",  # the grouped queries and the part's payload
        "_write_scorecards": "finish",  # load the parts, score, swap in
        "score_period": "score",  # the engine (within finish)
        "_store_scorecards": "write",  # the rows written in the swap (within finish)
        "group_figures_store": "groups",  # the stored group figures (within finish)
    }
    originals = {name: getattr(recompute, name) for name in labels if hasattr(recompute, name)}

    def timed(name: str, fn: Callable[..., Any]) -> Callable[..., Any]:
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            t0 = time.perf_counter()
            try:
                return fn(*args, **kwargs)
            finally:
                spent[labels[name]] += time.perf_counter() - t0

        return wrapper

    for name, fn in originals.items():
        setattr(recompute, name, timed(name, fn))
    try:
        yield spent
    finally:
        for name, fn in originals.items():
            setattr(recompute, name, fn)


def time_recompute() -> tuple[float, int, int, dict[str, float]]:
    reset_queries()
    with phase_timers() as spent, CaptureQueriesContext(connection) as queries:
        t0 = time.perf_counter()
        run = period_recompute("2026-10")
        elapsed = time.perf_counter() - t0
    return elapsed, len(queries), run.scorecards, dict(spent)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dealers", type=int, default=2000)
    parser.add_argument("--ros", type=int, default=1_000_000)
    parser.add_argument("--reuse", action="store_true", help="keep the data already generated")
    parser.add_argument("--rounds", type=int, default=2, help="recompute / lower bound pairs")
    parser.add_argument("--profile", action="store_true", help="cProfile one more recompute")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    month = Month.parse("2026-10")
    if not (args.reuse and RepairOrder.objects.exists()):
        t0 = time.perf_counter()
        generate(args.dealers, args.ros)
        print(
            f"generated {args.dealers} dealers, {args.ros} repair orders in {time.perf_counter() - t0:.1f} s"
        )
    sql = lower_bound_sql(month)
    for round_ in range(1, args.rounds + 1):
        load = os.getloadavg()[0]
        elapsed, query_count, scorecards, spent = time_recompute()
        bound, bound_rows = time_lower_bound(sql)
        registry_sql = sum(seconds for _sql, seconds in registry_queries(month))
        phases = " ".join(f"{name}={seconds:.2f}" for name, seconds in spent.items())
        print(
            f"round {round_}: recompute 2026-10 dealers={args.dealers} ros={args.ros} "
            f"scorecards={scorecards} seconds={elapsed:.2f} queries={query_count} [{phases}] | "
            f"lower bound seconds={bound:.2f} rows={bound_rows} | ratio={elapsed / bound:.2f} | "
            f"registry queries alone seconds={registry_sql:.2f} (ratio {elapsed / registry_sql:.2f}) | "
            f"load={load:.2f}"
        )
    if args.profile:
        profiler = cProfile.Profile()
        profiler.enable()
        period_recompute("2026-10")
        profiler.disable()
        pstats.Stats(profiler).sort_stats("cumulative").print_stats(30)


if __name__ == "__main__":
    main()
