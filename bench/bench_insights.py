"""Benchmark: the nightly findings over 2,000 dealers and 12 months of 1,000,000 repair orders.

    psql -h 127.0.0.1 -U postgres -c 'CREATE DATABASE aftersales_bench_insights'
    export DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench_insights
    python manage.py migrate
    python bench/bench_insights.py [--rows 1000000] [--reuse]

PostgreSQL only. Generates, server-side (`INSERT … SELECT … FROM generate_series`, the
dealers and VIN pool of bench_history, `generate_month` below), 12 months (2025-11 … 2026-10) of
`--rows` repair orders each for 2,000 dealers, with the tables' secondary indexes dropped
during the load and rebuilt after; and the stored KPI figures (GroupMember) of the 12 months,
every KPI at a stable level of the dealer's own plus the noise of its records. Then it plants
one problem of every kind in the last month (a fault code at 40 dealers; one dealer each with
a collapsed first-time fix rate, repeated claims, expensive claims, claims bunched at month
end, round times, flat repair cycles, a survey burst) and times every detector for 2026-10
in this process, one after the other, printing seconds and findings per kind, whether each
plant was found, and the cost of a re-measure.

Target: all detectors together under 5 minutes on this machine (2 cores); the task runs them
side by side. --reuse keeps the data when the months are there with the same --rows (the
plants included); anything else starts again. Results go to /tmp/bench_insights.json. Not a
test. It empties the service data and group figures of the database it runs on: use its own.
"""

from __future__ import annotations

import argparse
import json
import math
import os
import random
import sys
import time
from datetime import timedelta
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

# The dealers, their id array, the VIN pool and the index juggling of the history benchmark.
from bench_history import DEALER_IDS, DEALERS, FAULTS, VIN_POOL, drop_secondary, ensure_dealers, sql, tag  # noqa: E402
from django.db import connection, transaction  # noqa: E402

from assessments.periods import Month  # noqa: E402

LAST = Month(2026, 10)
MONTHS = [LAST.shift(-i) for i in range(11, -1, -1)]
RESULTS = Path("/tmp/bench_insights.json")
REBUILD = Path("/tmp/bench_insights_rebuild.json")
SERVICE_TABLES = ["assessments_repairorder"]
BOOKKEEPING = "bench_insights_loaded"
# Dealers (by position among the benchmark's dealers) that get a planted problem.
PLANTED_FAULT_DEALERS = range(100, 140)
PLANTED_FAULT = "F007"
PLANT = {
    "peer_outlier": 8,
    "trend_break": 8,
    "warranty_repeat": 6,
    "warranty_cost": 4,
    "warranty_bunching": 5,
    "round_times": 2,
    "flat_cycle": 3,
    "survey_burst": 7,
}


# --- the data --------------------------------------------------------------------------------


def loaded(rows: int) -> set[str]:
    sql(f"CREATE TABLE IF NOT EXISTS {BOOKKEEPING} (month text PRIMARY KEY, rows bigint)")
    return {m for (m,) in sql(f"SELECT month FROM {BOOKKEEPING} WHERE rows = %s", [rows])}


def reset() -> None:
    sql(f"TRUNCATE {BOOKKEEPING}")
    sql("TRUNCATE assessments_repairorder, surveys_surveyresponse, assessments_groupmember CASCADE")


def dealer_ids() -> list[int]:
    return [pk for (pk,) in sql("SELECT id FROM dealers_dealer WHERE code LIKE 'BN%%' ORDER BY id")]


def generate_month(month: Month, rows: int) -> None:
    """`rows` repair orders opened in the month (Shanghai), dealer by row number, the rest
    drawn per order: type (48 % maintenance, 27 % repair, 12 % warranty, 13 % accident), fault
    code F000–F019 on repair and warranty orders, vehicle from the pool, repair cycle
    log-normal (median 20 h, σ 0.7), warranty cost uniform 300–3,000 CNY. (bench_history's
    generator gives each dealer a single repair type: no dealer there has both claims and
    repairs.)"""
    sql(
        f"""
        INSERT INTO assessments_repairorder (dealer_id, ro_number, vin, repair_type, opened_at, closed_at,
            fault_code, labor_hours, labor_amount, parts_amount, warranty_cost)
        SELECT d.ids[1 + o.g %% {DEALERS}], 'I' || %(tag)s || lpad(o.g::text, 7, '0'),
            'LB3E8MAL' || lpad(o.v::text, 9, '0'), o.kind, o.opened, o.opened + o.hours * interval '1 hour',
            CASE WHEN o.kind IN ('repair', 'warranty') THEN 'F' || lpad(o.f::text, 3, '0') ELSE '' END,
            2.5, 450, 820.5,
            CASE WHEN o.kind = 'warranty' THEN round((300 + o.c * 2700)::numeric, 2) ELSE 0 END
        FROM {DEALER_IDS}, (
            SELECT g,
                %(start)s::timestamptz + random() * (%(end)s::timestamptz - %(start)s::timestamptz) AS opened,
                floor(random() * {VIN_POOL})::int AS v,
                floor(random() * {FAULTS})::int AS f,
                CASE WHEN r < 0.48 THEN 'maintenance' WHEN r < 0.75 THEN 'repair'
                    WHEN r < 0.87 THEN 'warranty' ELSE 'accident' END AS kind,
                exp(ln(20) + 0.7 * sqrt(-2 * ln(1 - random())) * cos(2 * pi() * random())) AS hours,
                random() AS c
            FROM (SELECT g, random() AS r FROM generate_series(0, {rows - 1}) g) s
        ) o
        """,
        {"tag": tag(str(month)), "start": month.start.isoformat(), "end": month.end.isoformat()},
    )


def load_repair_orders(rows: int) -> None:
    """The 12 months of repair orders, indexes dropped during the load and rebuilt after."""
    rebuild = json.loads(REBUILD.read_text()) if REBUILD.exists() else drop_secondary(SERVICE_TABLES)
    REBUILD.write_text(json.dumps(rebuild))
    for n, month in enumerate(MONTHS, 1):
        t0 = time.perf_counter()
        with transaction.atomic():
            sql("SELECT setseed(%s)", [n / 100])
            generate_month(month, rows)
        print(f"  {month}: {rows:,} repair orders in {time.perf_counter() - t0:.0f} s", flush=True)
    sql("SET maintenance_work_mem = '512MB'")
    for statement in rebuild:
        t0 = time.perf_counter()
        sql(statement)
        print(f"  {time.perf_counter() - t0:5.0f} s  {statement[:100]}", flush=True)
    REBUILD.unlink()


def share_value(rng: random.Random, level: float, scale: float, n: int) -> float:
    p = min(0.999, max(0.001, level / scale))
    return min(scale, max(0.0, level + rng.gauss(0, scale * math.sqrt(p * (1 - p) / n))))


def store_group_members() -> None:
    """Every month's stored KPI figures: each dealer's own stable level per KPI plus the noise of
    its n records (binomial for shares, else sd 20/√n), peer key tier-L (500 orders a month)."""
    from assessments.kpis import BY_CODE
    from assessments.models import GroupMember, Period
    from dealers.models import Dealer

    rng = random.Random(2026)
    dealers = list(
        Dealer.objects.filter(code__startswith="BN")
        .order_by("id")
        .values_list("id", "region_id", "city_tier")
    )
    scales = {"%": 100.0, "‰": 1000.0}
    levels = {
        (d, code): (
            rng.gauss(85, 4)
            if BY_CODE[code].unit == "%"
            else rng.gauss(20, 3)
            if BY_CODE[code].unit == "‰"
            else rng.gauss(50, 5)
        )
        for d, _r, _t in dealers
        for code in BY_CODE
    }
    sizes = {d: rng.randint(30, 400) for d, _r, _t in dealers}
    for month in MONTHS:
        period, _ = Period.objects.get_or_create(code=str(month))
        members = []
        for d, region_id, tier in dealers:
            n = sizes[d]
            figures: dict[str, list[Any]] = {}
            for code, kpi in BY_CODE.items():
                scale = scales.get(kpi.unit)
                level = levels[(d, code)]
                value = (
                    share_value(rng, level, scale, n) if scale else level + rng.gauss(0, 20 / math.sqrt(n))
                )
                figures[code] = [round(value, 4), n]
            figures["repair_count"] = [500, 500]
            members.append(
                GroupMember(
                    period=period,
                    dealer_id=d,
                    region_id=region_id,
                    city_tier=tier,
                    peer_key=f"{tier}-L",
                    figures=figures,
                )
            )
        GroupMember.objects.bulk_create(members, batch_size=2000)


def plant(ids: list[int]) -> None:
    """One problem of every kind in the last month."""
    from assessments.models import GroupMember
    from surveys.choices import FlagKind
    from surveys.models import ResponseFlag, SurveyResponse

    start, end = LAST.start, LAST.end
    previous = LAST.shift(-1)
    in_month = "closed_at >= %(start)s AND closed_at < %(end)s"
    b = {"start": start, "end": end}
    faulty = [ids[i] for i in PLANTED_FAULT_DEALERS]
    sql(
        f"UPDATE assessments_repairorder SET fault_code = %(code)s WHERE {in_month} "
        "AND dealer_id = ANY(%(dealers)s) AND fault_code IN ('F001', 'F002', 'F003')",
        {**b, "code": PLANTED_FAULT, "dealers": faulty},
    )
    member = GroupMember.objects.get(period__code=str(LAST), dealer_id=ids[PLANT["peer_outlier"]])
    member.figures["first_time_fix_rate"][0] = 55.0
    member.save(update_fields=["figures"])
    sql(
        """
        WITH cur AS (SELECT id, row_number() OVER (ORDER BY id) AS rn FROM assessments_repairorder
                WHERE dealer_id = %(dealer)s AND repair_type = 'warranty' AND closed_at >= %(start)s
                AND closed_at < %(end)s),
            prev AS (SELECT vin, fault_code, row_number() OVER (ORDER BY id) AS rn FROM assessments_repairorder
                WHERE dealer_id = %(dealer)s AND repair_type = 'warranty' AND closed_at >= %(pstart)s
                AND closed_at < %(start)s)
        UPDATE assessments_repairorder r SET vin = prev.vin, fault_code = prev.fault_code
        FROM cur JOIN prev USING (rn) WHERE r.id = cur.id AND cur.rn <= 40
        """,
        {**b, "dealer": ids[PLANT["warranty_repeat"]], "pstart": previous.start},
    )
    sql(
        f"UPDATE assessments_repairorder SET warranty_cost = warranty_cost + 3000 WHERE {in_month} "
        "AND dealer_id = %(dealer)s AND repair_type = 'warranty'",
        {**b, "dealer": ids[PLANT["warranty_cost"]]},
    )
    sql(
        f"UPDATE assessments_repairorder SET closed_at = GREATEST(opened_at, %(late)s::timestamptz + (id %% 2000) * interval '1 minute') "
        f"WHERE {in_month} AND dealer_id = %(dealer)s AND repair_type = 'warranty' AND id %% 5 < 3",
        {**b, "dealer": ids[PLANT["warranty_bunching"]], "late": end - timedelta(days=2)},
    )
    sql(
        f"UPDATE assessments_repairorder SET opened_at = date_trunc('hour', opened_at), "
        f"closed_at = date_trunc('hour', closed_at) + interval '30 minutes' WHERE {in_month} AND dealer_id = %(dealer)s",
        {**b, "dealer": ids[PLANT["round_times"]]},
    )
    sql(
        f"UPDATE assessments_repairorder SET closed_at = opened_at + interval '24 hours' WHERE {in_month} "
        "AND dealer_id = %(dealer)s AND repair_type IN ('repair', 'warranty')",
        {**b, "dealer": ids[PLANT["flat_cycle"]]},
    )
    moment = start + (end - start) / 2
    responses = SurveyResponse.objects.bulk_create(
        SurveyResponse(
            response_id=f"BURST{i}",
            dealer_id=ids[PLANT["survey_burst"]],
            responded_at=moment + timedelta(seconds=40 * i),
            overall=5,
            nps=10,
        )
        for i in range(12)
    )
    ResponseFlag.objects.bulk_create(
        ResponseFlag(response=r, kind=FlagKind.BURST, detail="12") for r in responses
    )


def prepare(rows: int, reuse: bool) -> list[int]:
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    ensure_dealers()
    ids = dealer_ids()
    if reuse and loaded(rows) == {str(m) for m in MONTHS}:
        print("data there already (--reuse)", flush=True)
        return ids
    loaded(rows)
    reset()
    t0 = time.perf_counter()
    load_repair_orders(rows)
    store_group_members()
    plant(ids)
    for month in MONTHS:
        sql(f"INSERT INTO {BOOKKEEPING} VALUES (%s, %s)", [str(month), rows])
    sql("VACUUM ANALYZE")
    print(f"generated in {time.perf_counter() - t0:.0f} s", flush=True)
    return ids


# --- the measurement -------------------------------------------------------------------------


def planted_subjects(ids: list[int]) -> dict[str, tuple[str, int | None]]:
    """What each kind should find: (subject, dealer id)."""
    expected: dict[str, tuple[str, int | None]] = {"fault_rising": (PLANTED_FAULT, None)}
    for kind, position in PLANT.items():
        subject = "first_time_fix_rate" if kind in ("peer_outlier", "trend_break") else ""
        expected[kind] = (subject, ids[position])
    return expected


def measure(ids: list[int]) -> dict[str, Any]:
    from insights.detectors import DETECTORS
    from insights.remeasure import remeasure

    expected = planted_subjects(ids)
    out: dict[str, Any] = {"load": list(os.getloadavg()), "kinds": {}}
    for kind, detect in DETECTORS.items():
        t0 = time.perf_counter()
        drafts = detect(LAST)
        seconds = time.perf_counter() - t0
        found = any((d.subject, d.dealer_id) == expected[kind] for d in drafts)
        t0 = time.perf_counter()
        again = [remeasure(d.kind, d.subject, d.dealer_id, LAST) for d in drafts[:3]]
        per_call = (time.perf_counter() - t0) / max(1, len(again))
        same = all(
            a is not None and abs(a - d.figures["value"]) < 1e-6 for a, d in zip(again, drafts, strict=False)
        )
        out["kinds"][kind] = {
            "seconds": seconds,
            "findings": len(drafts),
            "planted_found": found,
            "remeasure_s": per_call,
            "remeasure_same": same,
        }
        print(f"  {kind:18} {seconds:7.2f} s  {len(drafts):4} findings  planted found: {found}", flush=True)
    out["total"] = sum(k["seconds"] for k in out["kinds"].values())
    out["load"].extend(os.getloadavg())
    return out


def report(result: dict[str, Any], rows: int) -> None:
    total_rows = sql("SELECT count(*) FROM assessments_repairorder")[0][0]
    print(
        f"\n{DEALERS:,} dealers, {len(MONTHS)} months of {rows:,} repair orders ({total_rows:,} rows); month {LAST}"
    )
    print("\n| detector | seconds | findings | planted problem found | re-measure s/call (same value) |")
    print("|---|---:|---:|---|---:|")
    for kind, k in result["kinds"].items():
        print(
            f"| {kind} | {k['seconds']:.2f} | {k['findings']} | {'yes' if k['planted_found'] else 'no'} | "
            f"{k['remeasure_s']:.3f} ({'yes' if k['remeasure_same'] else 'NO'}) |"
        )
    print(
        f"| **all, one after the other** | **{result['total']:.1f}** | {sum(k['findings'] for k in result['kinds'].values())} | | |"
    )
    print(f"\nload average before, after: {result['load']}; target: under 300 s")


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000, help="repair orders a month")
    parser.add_argument(
        "--reuse", action="store_true", help="keep the data if it is there with the same --rows"
    )
    args = parser.parse_args()
    ids = prepare(args.rows, args.reuse)
    result = measure(ids)
    result["rows"] = args.rows
    RESULTS.write_text(json.dumps(result, indent=1))
    report(result, args.rows)


if __name__ == "__main__":
    main()
