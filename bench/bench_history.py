"""Benchmark: a month's import, recompute and pages on one month of data, then on five years.

    createdb -h 127.0.0.1 -U postgres aftersales_bench_history
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench_history \\
        python bench/bench_history.py [--reuse] [--months 60]

PostgreSQL only. In one run, so that the ratios compare like with like on a shared machine:

1. **Baseline.** 2,000 dealers and one month (2026-10) of 1,000,000 repair orders plus
   complaints (1/60), parts orders (1/10), survey responses (1/8) and approved submissions,
   generated server-side (`INSERT … SELECT … FROM generate_series`), on otherwise empty
   tables; 2026-10 is recomputed (untimed) so that the pages have a previous month. Then it
   times, for the next month (2026-11, whose other kinds are generated alike):
   (a) the import of a 1,000,000-row CSV of its repair orders through the real import service
       (`assessments.importing.import_file`, the queued recompute stubbed as in bench_import),
   (b) `period_recompute("2026-11")`,
   (c) the pages ranking, overview, scorecard, the drill-down of first_time_fix_rate and the
       scorecards API, with the Django test client in-process as an HQ manager, page cache
       off: the median of 5 (after one warm-up request),
   (d) a raw COPY of the same CSV into an unindexed table of text columns.
2. **History.** The imported 2026-11 repair orders are deleted, then 60 months before 2026-10
   (2021-10 … 2026-09) are loaded: 1,000,000 repair orders a month (60 M) and the other
   kinds in the same proportions for every month, with the tables' secondary indexes, unique
   keys and foreign keys dropped first and rebuilt after (the load time is printed); the
   2026-10 scorecards are cloned to the 59 earlier months (as a recompute would have left
   them). Then (a)–(d) again, and the ratios history / baseline.

VINs come from one pool of 3,000,000 vehicles (`LB3E8MAL` + 9 digits) for every month and
for the CSV, so a vehicle comes back about 4 times a year and the comeback look-up (a later
repair of the same VIN and fault within 30 days) finds earlier months' repairs. Fault codes
are F000–F019 on repair and warranty orders.

--reuse keeps what is there: the baseline month if it exists, the history months already
loaded (the load goes month by month and resumes), the CSV file. --skip-baseline measures
only the history (when the baseline figures of the same run are in the results file).
Results go to /tmp/bench_history.json. Not a test; figures go to docs/benchmarks.md →
"Five years of history". It empties the service-data tables of the database it runs on.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("IMPORT_MAX_FILE_BYTES", str(2 * 1024**3))
os.environ.setdefault("IMPORT_MAX_ROWS", "20000000")
os.environ["PAGE_CACHE"] = "0"  # time the pages, not the cache
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"

import django  # noqa: E402

django.setup()

from bench_import import HEADER, REGIONS  # noqa: E402  the same file shape and regions
from django.db import connection, transaction  # noqa: E402

DEALERS = 2000
ROWS_PER_MONTH = 1_000_000
VIN_POOL = 3_000_000
FAULTS = 20
BASE_MONTH = "2026-10"
NEXT_MONTH = "2026-11"
RESULTS = Path("/tmp/bench_history.json")
SERVICE_TABLES = [
    "assessments_repairorder",
    "assessments_complaint",
    "assessments_partsorder",
    "surveys_surveyresponse",
]


def sql(statement: str, params: Any = None) -> list[tuple]:
    with connection.cursor() as cursor:
        cursor.execute(statement, params)
        return cursor.fetchall() if cursor.description else []


def months_before(month: str, count: int) -> list[str]:
    year, mon = map(int, month.split("-"))
    out = []
    for _ in range(count):
        mon -= 1
        if mon == 0:
            year, mon = year - 1, 12
        out.append(f"{year:04d}-{mon:02d}")
    return sorted(out)


def tag(month: str) -> str:
    return month[2:4] + month[5:7]


# --- generation (server-side) ----------------------------------------------------------------


def ensure_dealers() -> None:
    from dealers.models import Dealer, Region

    if Dealer.objects.filter(code__startswith="BN").count() == DEALERS:
        return
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
        for i in range(DEALERS)
    )


DEALER_IDS = "(SELECT array_agg(id ORDER BY id) AS ids FROM dealers_dealer WHERE code LIKE 'BN%%') d"


def generate_repair_orders(
    month: str, table: str = "assessments_repairorder", rows: int | None = None
) -> None:
    """1,000,000 repair orders opened in `month` (local time), random over its first days less
    five, closed 1–96 hours later, VINs from the pool."""
    sql(
        f"""
        INSERT INTO {table} (dealer_id, ro_number, vin, repair_type, booked_at, opened_at,
            promised_at, closed_at, fault_code, labor_hours, labor_amount, parts_amount,
            warranty_cost)
        SELECT d.ids[1 + o.g %% {DEALERS}], 'R' || %(tag)s || lpad(o.g::text, 7, '0'),
            'LB3E8MAL' || lpad(o.v::text, 9, '0'), o.kind,
            CASE WHEN o.b < 0.6 THEN o.opened - o.b * interval '10 days' END,
            o.opened, o.opened + interval '48 hours', o.opened + interval '1 hour' + o.c * interval '95 hours',
            CASE WHEN o.kind IN ('repair', 'warranty') THEN 'F' || lpad(o.f::text, 3, '0') ELSE '' END,
            2.5, 450, 820.5, CASE WHEN o.kind = 'warranty' THEN 300 + floor(o.c * 2700) ELSE 0 END
        FROM {DEALER_IDS}, (
            SELECT g,
                %(start)s::timestamptz + random() * (%(end)s::timestamptz - %(start)s::timestamptz
                    - interval '5 days') AS opened,
                floor(random() * {VIN_POOL})::int AS v,
                floor(random() * {FAULTS})::int AS f,
                (ARRAY['maintenance', 'repair', 'warranty', 'accident'])[1 + g %% 4] AS kind,
                random() AS b, random() AS c
            FROM generate_series(0, {(rows or ROWS_PER_MONTH) - 1}) g
        ) o
        """,
        bounds(month),
    )


def bounds(month: str) -> dict[str, str]:
    from assessments.periods import Month

    m = Month.parse(month)
    return {"tag": tag(month), "start": m.start.isoformat(), "end": m.end.isoformat()}


def generate_other_kinds(month: str) -> None:
    """Complaints (1/60 of the repair orders), parts orders (1/10), survey responses (1/8) and
    an approved submission per dealer, for `month`."""
    b = bounds(month)
    span = "(%(start)s::timestamptz + random() * (%(end)s::timestamptz - %(start)s::timestamptz - interval '5 days'))"
    sql(
        f"""
        INSERT INTO assessments_complaint (complaint_id, dealer_id, received_at, closed_at, category,
            severity, description)
        SELECT 'C' || %(tag)s || lpad(o.g::text, 7, '0'), d.ids[1 + o.g %% {DEALERS}], o.t,
            o.t + interval '1 hour' + random() * interval '47 hours', 'quality',
            CASE WHEN o.g %% 10 = 0 THEN 'major' ELSE 'normal' END, ''
        FROM {DEALER_IDS}, (SELECT g, {span} AS t FROM generate_series(0, {ROWS_PER_MONTH // 60 - 1}) g) o
        """,
        b,
    )
    sql(
        f"""
        INSERT INTO assessments_partsorder (order_id, dealer_id, part_number, quantity, ordered_at,
            fulfilled_at)
        SELECT 'P' || %(tag)s || lpad(o.g::text, 7, '0'), d.ids[1 + o.g %% {DEALERS}], 'PN1', 1, o.t,
            o.t + interval '2 hours' + random() * interval '118 hours'
        FROM {DEALER_IDS}, (SELECT g, {span} AS t FROM generate_series(0, {ROWS_PER_MONTH // 10 - 1}) g) o
        """,
        b,
    )
    sql(
        f"""
        INSERT INTO surveys_surveyresponse (response_id, dealer_id, responded_at, overall, nps, comment,
            source, excluded, excluded_reason)
        SELECT 'S' || %(tag)s || lpad(o.g::text, 7, '0'), d.ids[1 + o.g %% {DEALERS}], o.t,
            2 + floor(random() * 4)::int, floor(random() * 11)::int, '', 'import', false, ''
        FROM {DEALER_IDS}, (SELECT g, {span} AS t FROM generate_series(0, {ROWS_PER_MONTH // 8 - 1}) g) o
        """,
        b,
    )
    sql(
        """
        INSERT INTO assessments_monthlysubmission (dealer_id, period, technicians, certified_technicians,
            equipment_total, equipment_ok, training_hours, status, review_comment)
        SELECT id, %(month)s, 12, 6 + floor(random() * 7)::int, 30, 24 + floor(random() * 7)::int,
            20 + floor(random() * 101)::int, 'approved', ''
        FROM dealers_dealer WHERE code LIKE 'BN%%'
        ON CONFLICT DO NOTHING
        """,
        {"month": month},
    )


def month_loaded(month: str) -> bool:
    """Whether `month` was generated (a bookkeeping table: the indexes may be dropped)."""
    sql("CREATE TABLE IF NOT EXISTS bench_history_loaded (month text PRIMARY KEY)")
    return bool(sql("SELECT 1 FROM bench_history_loaded WHERE month = %s", [month]))


def mark_loaded(month: str) -> None:
    sql("INSERT INTO bench_history_loaded VALUES (%s) ON CONFLICT DO NOTHING", [month])


def reset_all() -> None:
    month_loaded(BASE_MONTH)  # creates the bookkeeping table
    sql(
        "TRUNCATE assessments_kpiresult, assessments_scorecard, assessments_repairorder, "
        "assessments_complaint, assessments_partsorder, surveys_surveyresponse, "
        "assessments_monthlysubmission, assessments_importjob, bench_history_loaded CASCADE"
    )


def prepare_baseline(reuse: bool) -> None:
    from assessments.services.recompute import period_recompute

    ensure_dealers()
    if reuse and month_loaded(BASE_MONTH) and not month_loaded(months_before(BASE_MONTH, 1)[0]):
        print("baseline month there already", flush=True)
    else:
        reset_all()
        t0 = time.perf_counter()
        with transaction.atomic():
            generate_repair_orders(BASE_MONTH)
            generate_other_kinds(BASE_MONTH)
            generate_other_kinds(NEXT_MONTH)
            mark_loaded(BASE_MONTH)
        sql("ANALYZE")
        print(f"generated {BASE_MONTH} (+ other kinds of {NEXT_MONTH}) in {time.perf_counter() - t0:.0f} s")
        period_recompute(BASE_MONTH)
    remove_next_month()


def remove_next_month() -> None:
    """Undo a measurement: the imported repair orders of the next month and its scorecards."""
    t0 = time.perf_counter()
    sql("DELETE FROM assessments_repairorder WHERE ro_number LIKE %s", ["R" + tag(NEXT_MONTH) + "%"])
    sql(
        "DELETE FROM assessments_kpiresult WHERE scorecard_id IN (SELECT s.id FROM assessments_scorecard s "
        "JOIN assessments_period p ON p.id = s.period_id WHERE p.code = %s)",
        [NEXT_MONTH],
    )
    sql(
        "DELETE FROM assessments_scorecard WHERE period_id IN (SELECT id FROM assessments_period WHERE code = %s)",
        [NEXT_MONTH],
    )
    sql("TRUNCATE assessments_importjob CASCADE")
    connection.ensure_connection()
    sql("VACUUM ANALYZE assessments_repairorder")
    print(f"removed {NEXT_MONTH}'s repair orders in {time.perf_counter() - t0:.0f} s", flush=True)


def write_csv(path: Path, reuse: bool) -> None:
    """The next month's repair orders as a CSV the import reads, from the same generator."""
    if reuse and path.exists():
        return
    sql("DROP TABLE IF EXISTS bench_next")
    sql(
        "CREATE UNLOGGED TABLE bench_next (LIKE assessments_repairorder INCLUDING DEFAULTS INCLUDING IDENTITY)"
    )
    sql("SELECT setseed(0.5)")
    generate_repair_orders(NEXT_MONTH, "bench_next")

    def local(column: str) -> str:
        return f"to_char({column} AT TIME ZONE 'Asia/Shanghai', 'YYYY-MM-DD HH24:MI:SS')"

    query = f"""
        SELECT r.ro_number, dl.code, r.vin, r.repair_type, {local("r.booked_at")}, {local("r.opened_at")},
            {local("r.promised_at")}, {local("r.closed_at")}, r.fault_code, r.labor_hours, r.labor_amount,
            r.parts_amount, r.warranty_cost
        FROM bench_next r JOIN dealers_dealer dl ON dl.id = r.dealer_id ORDER BY r.ro_number
    """
    with connection.cursor() as cursor, path.open("w", encoding="utf-8") as handle:
        handle.write(",".join(HEADER) + "\n")
        cursor.cursor.copy_expert(f"COPY ({query}) TO STDOUT WITH (FORMAT csv)", handle)
    sql("DROP TABLE bench_next")


# --- history ---------------------------------------------------------------------------------


def drop_secondary(tables: list[str]) -> list[str]:
    """Drop the tables' foreign keys, unique constraints and indexes (not the primary keys);
    return the statements that rebuild them."""
    rebuild: list[str] = []
    for table in tables:
        for name, definition in sql(
            "SELECT conname, pg_get_constraintdef(oid) FROM pg_constraint "
            "WHERE conrelid = %s::regclass AND contype IN ('u', 'f')",
            [table],
        ):
            rebuild.append(f'ALTER TABLE {table} ADD CONSTRAINT "{name}" {definition}')
            sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
        for name, definition in sql(
            "SELECT i.relname, pg_get_indexdef(x.indexrelid) FROM pg_index x "
            "JOIN pg_class i ON i.oid = x.indexrelid WHERE x.indrelid = %s::regclass AND NOT x.indisprimary",
            [table],
        ):
            rebuild.insert(0, definition)  # indexes before the constraints that may use them
            sql(f'DROP INDEX "{name}"')
    return rebuild


def load_history(months: list[str]) -> float:
    """Load the months not loaded yet; return the seconds it took (drop, load, rebuild)."""
    todo = [m for m in months if not month_loaded(m)]
    if not todo:
        return 0.0
    saved = Path(f"/tmp/bench_history_rebuild_{connection.settings_dict['NAME']}.json")
    t0 = time.perf_counter()
    if saved.exists():  # an interrupted load: the indexes are dropped already
        rebuild = json.loads(saved.read_text())
    else:
        rebuild = drop_secondary(SERVICE_TABLES)
        saved.write_text(json.dumps(rebuild))
    for n, month in enumerate(todo, 1):
        t1 = time.perf_counter()
        with transaction.atomic():
            sql("SELECT setseed(%s)", [n / 1000])
            generate_repair_orders(month)
            generate_other_kinds(month)
            mark_loaded(month)
        print(f"  loaded {month} ({n}/{len(todo)}) in {time.perf_counter() - t1:.1f} s", flush=True)
    loaded = time.perf_counter() - t0
    sql("SET maintenance_work_mem = '1GB'")
    for statement in rebuild:
        t1 = time.perf_counter()
        sql(statement)
        print(f"  {time.perf_counter() - t1:6.1f} s  {statement[:110]}", flush=True)
    saved.unlink()
    t1 = time.perf_counter()
    sql("VACUUM ANALYZE")
    print(
        f"history: {len(todo)} months loaded in {loaded:.0f} s, indexes and keys rebuilt in "
        f"{time.perf_counter() - t0 - loaded - (time.perf_counter() - t1):.0f} s, vacuum analyze "
        f"{time.perf_counter() - t1:.0f} s; total {time.perf_counter() - t0:.0f} s",
        flush=True,
    )
    return time.perf_counter() - t0


def clone_scorecards(months: list[str]) -> None:
    """The base month's scorecards and KPI results copied to the history months, as their
    recomputes would have left them (the pages read earlier months' scorecards)."""
    from assessments.models import KpiResult, Period, Scorecard

    base = Period.objects.get(code=BASE_MONTH)
    columns = [f.column for f in Scorecard._meta.concrete_fields if f.column not in ("id", "period_id")]
    kpi_columns = [
        f.column for f in KpiResult._meta.concrete_fields if f.column not in ("id", "scorecard_id")
    ]
    for month in months:
        period, _ = Period.objects.get_or_create(code=month)
        if period.scorecards.exists():
            continue
        cols = ", ".join(columns)
        sql(
            f"INSERT INTO assessments_scorecard (period_id, {cols}) "
            f"SELECT %s, {cols} FROM assessments_scorecard WHERE period_id = %s",
            [period.id, base.id],
        )
        kcols = ", ".join(kpi_columns)
        sql(
            f"INSERT INTO assessments_kpiresult (scorecard_id, {kcols}) "
            f"SELECT n.id, {', '.join('k.' + c for c in kpi_columns)} FROM assessments_kpiresult k "
            "JOIN assessments_scorecard o ON o.id = k.scorecard_id AND o.period_id = %s "
            "JOIN assessments_scorecard n ON n.dealer_id = o.dealer_id AND n.period_id = %s",
            [base.id, period.id],
        )
    # Statistics as autovacuum keeps them on a table that grew a month at a time: without this
    # the planner sees two periods and a few thousand cards, and the pages' plans are of that
    # (a sequential scan of every scorecard for the months in scope, 34 ms instead of 0.4 ms).
    sql("ANALYZE assessments_period, assessments_scorecard, assessments_kpiresult")


# --- measurements ----------------------------------------------------------------------------


def time_import(path: Path) -> float:
    import assessments.importing.service
    from assessments.importing import import_file

    # Time the import, not the recompute it queues (as bench_import does).
    assessments.importing.service.queue_recompute = lambda periods: None
    t0 = time.perf_counter()
    job = import_file("repair_orders", path, user=None, file_name=path.name)
    seconds = time.perf_counter() - t0
    assert job.status == "succeeded", (job.status, job.message, job.errors[:5])
    assert job.created == ROWS_PER_MONTH, (job.created, job.updated, job.unchanged)
    return seconds


def time_recompute() -> float:
    from assessments.services.recompute import period_recompute

    t0 = time.perf_counter()
    period_recompute(NEXT_MONTH)
    return time.perf_counter() - t0


def time_raw_copy(path: Path) -> float:
    columns = ", ".join(f"{name} text" for name in HEADER)
    sql(f"DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw ({columns})")
    with connection.cursor() as cursor, path.open("rb") as handle:
        t0 = time.perf_counter()
        cursor.cursor.copy_expert("COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)", handle, 1 << 20)
        seconds = time.perf_counter() - t0
    assert sql("SELECT count(*) FROM bench_raw")[0][0] == ROWS_PER_MONTH
    sql("DROP TABLE bench_raw")
    return seconds


def page_paths(month: str = NEXT_MONTH) -> dict[str, str]:
    dealer = "BN00001"
    return {
        "ranking": f"/assessments/ranking/?period={month}",
        "overview": f"/assessments/overview/?period={month}",
        "scorecard": f"/assessments/dealers/{dealer}/{month}/",
        "drill-down first_time_fix_rate": f"/assessments/dealers/{dealer}/{month}/kpi/first_time_fix_rate/",
        "API scorecards": f"/api/v1/scorecards/?period={month}",
    }


def time_pages(rounds: int = 5, month: str = NEXT_MONTH) -> dict[str, float]:
    from django.test import Client

    from dealers.choices import Role
    from dealers.models import User

    user, _ = User.objects.get_or_create(username="bench_history_hq", defaults={"role": Role.HQ_MANAGER})
    client = Client()
    client.force_login(user)
    out = {}
    for name, path in page_paths(month).items():
        times = []
        for i in range(rounds + 1):
            t0 = time.perf_counter()
            response = client.get(path)
            elapsed = time.perf_counter() - t0
            assert response.status_code == 200, (path, response.status_code)
            if i:  # the first is a warm-up
                times.append(elapsed)
        out[name] = statistics.median(times)
    return out


def measure(label: str, path: Path) -> dict[str, Any]:
    load = os.getloadavg()[0]
    result: dict[str, Any] = {"rows": sql("SELECT count(*) FROM assessments_repairorder")[0][0]}
    result["import"] = time_import(path)
    print(f"[{label}] import {result['import']:.1f} s", flush=True)
    sql("ANALYZE assessments_repairorder")
    result["recompute"] = time_recompute()
    print(f"[{label}] recompute {result['recompute']:.1f} s", flush=True)
    result["pages"] = time_pages()
    print(
        f"[{label}] pages " + ", ".join(f"{k} {v * 1000:.0f} ms" for k, v in result["pages"].items()),
        flush=True,
    )
    result["raw_copy"] = time_raw_copy(path)
    print(f"[{label}] raw COPY {result['raw_copy']:.1f} s", flush=True)
    result["load"] = [load, os.getloadavg()[0]]
    return result


# --- where the time goes (--explain, after a run) ------------------------------------------


def explain(rows: int) -> None:
    """Why a ratio misses: the registry's queries of the recompute on this table, timed one by
    one (the slowest EXPLAIN ANALYZEd), and the write cost of `rows` new repair orders into the
    60 M table and into a one-month copy of it, with each index or key left out in turn
    (INSERT … SELECT in a transaction rolled back; EXPLAIN ANALYZE shows the FK trigger)."""
    from django.test.utils import CaptureQueriesContext

    from assessments.kpis import kpi_measurements
    from assessments.periods import Month

    with CaptureQueriesContext(connection) as captured:
        kpi_measurements(Month.parse(NEXT_MONTH), None)
    timed = sorted(((float(q["time"]), q["sql"]) for q in captured.captured_queries), reverse=True)
    print("registry queries of the recompute, slowest first:")
    for seconds, text in timed[:6]:
        print(f"  {seconds:6.2f} s  {text[:150]}")
    chosen = timed[:2] + [q for q in timed[2:] if "EXISTS" in q[1]][:1]
    for _seconds, text in chosen:
        print("\nEXPLAIN (ANALYZE, BUFFERS) " + text[:300])
        for (line,) in sql("EXPLAIN (ANALYZE, BUFFERS) " + text):
            print("  " + line)

    sql("DROP TABLE IF EXISTS bench_src, bench_one")
    sql(
        "CREATE UNLOGGED TABLE bench_src (LIKE assessments_repairorder INCLUDING DEFAULTS INCLUDING IDENTITY)"
    )
    sql("SELECT setseed(0.25)")
    generate_repair_orders("2026-12", "bench_src", rows)
    sql("ALTER TABLE bench_src DROP COLUMN id")
    sql("CREATE TABLE bench_one (LIKE assessments_repairorder INCLUDING ALL)")
    sql(
        "ALTER TABLE bench_one ADD CONSTRAINT bench_one_dealer_fk FOREIGN KEY (dealer_id) "
        "REFERENCES dealers_dealer (id) DEFERRABLE INITIALLY DEFERRED"
    )
    b = bounds(BASE_MONTH)
    columns = [
        c
        for (c,) in sql(
            "SELECT column_name FROM information_schema.columns WHERE table_name = 'bench_src' ORDER BY ordinal_position"
        )
    ]
    cols = ", ".join(columns)
    sql(
        f"INSERT INTO bench_one ({cols}) SELECT {cols} FROM assessments_repairorder "
        "WHERE opened_at >= %(start)s AND opened_at < %(end)s",
        b,
    )
    sql("VACUUM ANALYZE bench_one")
    fk = sql(
        "SELECT conname FROM pg_constraint WHERE conrelid = 'assessments_repairorder'::regclass "
        "AND contype = 'f' AND confrelid = 'dealers_dealer'::regclass"
    )[0][0]
    variants: list[tuple[str, dict[str, str]]] = [
        ("all indexes and keys", {}),
        ("without ro_comeback_bucket (bucket, vin, fault_code, opened_at)", {"idx": "ro_comeback_bucket"}),
        ("without ro_dealer_opened, ro_dealer_closed", {"idx": "ro_dealer_opened,ro_dealer_closed"}),
        ("without the BRIN indexes of the times", {"idx": "ro_opened_brin,ro_closed_brin"}),
        ("without the FK to dealers", {"fk": "1"}),
        (
            "a VIN-first comeback index instead (before 6 Dec)",
            {"idx": "ro_comeback_bucket", "vin_first": "1"},
        ),
    ]
    print(f"\nINSERT of {rows:,} new repair orders (seconds; EXPLAIN ANALYZE, rolled back):")
    print("| variant | one-month table | 60 M table | ratio |")
    for label, change in variants:
        seconds = {}
        for table in ("bench_one", "assessments_repairorder"):
            with transaction.atomic():
                for index in filter(None, change.get("idx", "").split(",")):
                    name = index if table == "assessments_repairorder" else _copied_index(table, index)
                    sql(f'DROP INDEX "{name}"')
                if change.get("fk"):
                    name = fk if table == "assessments_repairorder" else "bench_one_dealer_fk"
                    sql(f'ALTER TABLE {table} DROP CONSTRAINT "{name}"')
                if change.get("vin_first"):
                    sql(f"CREATE INDEX bench_vin_first ON {table} (vin, fault_code, opened_at)")
                sql("SET CONSTRAINTS ALL IMMEDIATE")
                t0 = time.perf_counter()
                plan = sql(
                    f"EXPLAIN (ANALYZE, BUFFERS) INSERT INTO {table} ({cols}) SELECT {cols} FROM bench_src"
                )
                seconds[table] = time.perf_counter() - t0
                triggers = [line for (line,) in plan if "Trigger" in line]
                transaction.set_rollback(True)
        print(
            f"| {label} | {seconds['bench_one']:.2f} | {seconds['assessments_repairorder']:.2f} | "
            f"{seconds['assessments_repairorder'] / seconds['bench_one']:.2f} | {' '.join(triggers)[:120]}",
            flush=True,
        )
    sql("DROP TABLE bench_src, bench_one")


def _copied_index(table: str, original: str) -> str:
    """The name `LIKE … INCLUDING ALL` gave the copy of `original` (same definition)."""
    definition = sql("SELECT pg_get_indexdef(%s::regclass)", [original])[0][0]
    columns = definition[definition.index("(") :]
    for name, other in sql("SELECT indexname, indexdef FROM pg_indexes WHERE tablename = %s", [table]):
        if other.endswith(columns) and "UNIQUE" not in other:
            return name
    raise LookupError(original)


def report(base: dict[str, Any], hist: dict[str, Any], load_seconds: float | None) -> None:
    print(f"\nrepair orders before the import: baseline {base['rows']:,}, history {hist['rows']:,}")
    if load_seconds:
        print(f"history load (drop, load, rebuild, vacuum): {load_seconds:.0f} s")
    print("\n| measurement | baseline s | history s | ratio (target ≤ 1.5) |")
    print("|---|---:|---:|---:|")
    rows = [("import of 1 M rows", "import"), ("recompute", "recompute")]
    for key, label in rows:
        print(f"| {key} | {base[label]:.2f} | {hist[label]:.2f} | {hist[label] / base[label]:.2f} |")
    for name in base["pages"]:
        b, h = base["pages"][name], hist["pages"][name]
        print(f"| page: {name} | {b:.3f} | {h:.3f} | {h / b:.2f} |")
    print(
        f"| raw COPY of the CSV | {base['raw_copy']:.2f} | {hist['raw_copy']:.2f} | {hist['raw_copy'] / base['raw_copy']:.2f} |"
    )
    for label, r in (("baseline", base), ("history", hist)):
        print(
            f"- import / raw COPY, {label}: {r['raw_copy'] / r['import']:.3f} (target ≥ 0.125); load {r['load']}"
        )


def cards_only(months: int, reuse: bool, rows: int) -> None:
    """The pages of the base month on one month of scorecards, then with `months` earlier
    months of scorecards and KPI results (what the month picker and the history charts read)."""
    global ROWS_PER_MONTH
    ROWS_PER_MONTH = rows
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    prepare_baseline(reuse)
    history = months_before(BASE_MONTH, months)
    from assessments.models import Period

    old = list(Period.objects.filter(code__in=history).values_list("id", flat=True))
    if old:  # drop an earlier run's clones
        sql(
            "DELETE FROM assessments_kpiresult WHERE scorecard_id IN "
            "(SELECT id FROM assessments_scorecard WHERE period_id = ANY(%s))",
            [old],
        )
        sql("DELETE FROM assessments_scorecard WHERE period_id = ANY(%s)", [old])
        Period.objects.filter(id__in=old).delete()
    sql("ANALYZE")
    base = time_pages(month=BASE_MONTH)
    cards = sql("SELECT count(*) FROM assessments_scorecard")[0][0]
    clone_scorecards(history)
    sql("VACUUM ANALYZE assessments_scorecard")
    sql("VACUUM ANALYZE assessments_kpiresult")
    hist = time_pages(month=BASE_MONTH)
    total = sql("SELECT count(*) FROM assessments_scorecard")[0][0]
    print(f"\nscorecards: {cards:,} → {total:,}; load {os.getloadavg()}")
    print("\n| page | one month, s | history, s | ratio (target ≤ 1.5) |\n|---|---:|---:|---:|")
    for name in base:
        print(f"| {name} | {base[name]:.3f} | {hist[name]:.3f} | {hist[name] / base[name]:.2f} |")


def main() -> None:
    global ROWS_PER_MONTH, RESULTS
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--months", type=int, default=60)
    parser.add_argument("--reuse", action="store_true")
    parser.add_argument("--skip-baseline", action="store_true")
    parser.add_argument("--file", type=Path, default=Path("/tmp/bench_history_next_month.csv"))
    parser.add_argument("--rows", type=int, default=ROWS_PER_MONTH, help="repair orders a month")
    parser.add_argument("--results", type=Path, default=RESULTS)
    parser.add_argument("--explain", type=int, metavar="ROWS", help="after a run: where the time goes")
    parser.add_argument(
        "--cards-only",
        action="store_true",
        help="only the pages against a history of scorecards (no repair-order history loaded): "
        "the base month's pages, then the same after its scorecards are cloned to --months months",
    )
    args = parser.parse_args()
    if args.cards_only:
        cards_only(args.months, args.reuse, args.rows)
        return
    if args.explain:
        explain(args.explain)
        return
    ROWS_PER_MONTH, RESULTS = args.rows, args.results
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    results = json.loads(RESULTS.read_text()) if RESULTS.exists() else {}
    history_months = months_before(BASE_MONTH, args.months)
    if not args.skip_baseline:
        prepare_baseline(args.reuse)
        write_csv(args.file, args.reuse)
        results["baseline"] = measure("baseline", args.file)
        RESULTS.write_text(json.dumps(results, indent=1))
    ensure_dealers()
    remove_next_month()
    load_seconds = load_history(history_months)
    if load_seconds:
        results["load_seconds"] = load_seconds
    clone_scorecards(history_months)
    results["history"] = measure("history", args.file)
    RESULTS.write_text(json.dumps(results, indent=1))
    report(results["baseline"], results["history"], results.get("load_seconds"))


if __name__ == "__main__":
    main()
