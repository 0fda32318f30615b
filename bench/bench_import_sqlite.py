"""Benchmark: importing N repair orders from CSV on SQLite, against a plain `executemany`.

    python bench/bench_import_sqlite.py --rows 100000

Generates a CSV of N repair orders for 2,000 dealers (the generator of bench_import.py),
builds a template SQLite database (migrated, with the dealers) and then times, each phase
in its own process on a fresh copy of that database (`DATABASE_URL=sqlite:////tmp/…`,
with the portal's settings, hence its pragmas):

- import_data     — the portal's import (`assessments.importing.import_file`), atomic, the
                    recompute it queues stubbed as bench_import.py does;
- re-import       — the same file again on the same database (every row unchanged);
- executemany     — the yardstick: the same rows, already resolved (dealer ids) and typed
                    as Django stores them, inserted by one `cursor.executemany` of one
                    INSERT into the real table (its indexes, unique key and foreign key),
                    in one transaction;
- import_data ×3  — three imports in a row, each on a fresh database, to show that a run
                    is not slower than the one before; each followed by the yardstick on a
                    fresh database (pairs side by side: the median ratio of the pairs);
- import_data, 3 in a row on one database (a new file of new keys each time), the case a
                    growing database would slow down; then the yardstick the same way, 3 in a
                    row on one database: how much of a slowdown is the table's own.

Prints a table and the ratio import / executemany (target ≥ 0.5). Not a test; the figures
go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import shutil
import subprocess
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("IMPORT_MAX_FILE_BYTES", str(2 * 1024**3))
os.environ.setdefault("IMPORT_MAX_ROWS", "20000000")

from bench_import import DEALERS, HEADER, REGIONS, dealer_code, generate_csv, peak_rss_mb  # noqa: E402

TEMPLATE = Path("/tmp/bench_sqlite_template.db")


def use_database(path: Path) -> None:
    os.environ["DATABASE_URL"] = f"sqlite:///{path}"
    import django

    django.setup()


def fresh_copy(path: Path) -> None:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{path}{suffix}").unlink(missing_ok=True)
    shutil.copyfile(TEMPLATE, path)


# --- the template -----------------------------------------------------------------------


def phase_template() -> dict:
    for suffix in ("", "-wal", "-shm"):
        Path(f"{TEMPLATE}{suffix}").unlink(missing_ok=True)
    use_database(TEMPLATE)
    from django.core.management import call_command
    from django.db import connection

    from dealers.models import Dealer, Region

    call_command("migrate", verbosity=0)
    regions = [Region.objects.get_or_create(name=name)[0] for name in REGIONS]
    Dealer.objects.bulk_create(
        [
            Dealer(
                code=dealer_code(i),
                name=f"基准{i}店",
                region=regions[i % len(regions)],
                province="江苏",
                city="南京",
                city_tier=i % 5 + 1,
            )
            for i in range(1, DEALERS + 1)
        ]
    )
    with connection.cursor() as cursor:
        cursor.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    connection.close()
    return {"seconds": 0, "rows": 0}


# --- phases, each in its own process ----------------------------------------------------


def phase_import(path: Path, database: Path, fresh: bool) -> dict:
    if fresh:
        fresh_copy(database)
    use_database(database)
    import assessments.importing.service
    from assessments.importing import import_file

    # Time the import, not the recompute it queues (with no broker, Celery runs it in-process).
    # The service holds its own name for it: stubbing assessments.tasks.queue_recompute, as
    # bench_import.py does, leaves the in-process recompute in the timing.
    assessments.importing.service.queue_recompute = lambda periods: None

    started = time.perf_counter()
    job = import_file("repair_orders", path, user=None, file_name=path.name)
    seconds = time.perf_counter() - started
    assert job.status == "succeeded", (job.status, job.message, job.errors[:5])
    return {
        "seconds": seconds,
        "rows": job.rows_total,
        "created": job.created,
        "updated": job.updated,
        "unchanged": job.unchanged,
        "db_mb": database.stat().st_size / 1024**2,
    }


def typed_rows(path: Path, ids: dict[str, int]) -> list[tuple]:
    """The file's rows as Django stores them on SQLite: UTC times, decimals as text."""
    from datetime import datetime, timedelta

    def utc(text: str) -> str | None:
        if not text:
            return None
        return str(datetime.fromisoformat(text) - timedelta(hours=8))

    now = str(datetime.utcnow().replace(microsecond=0))
    rows = []
    with path.open(encoding="utf-8", newline="") as source:
        reader = csv.reader(source)
        next(reader)
        for r in reader:
            rows.append(
                (
                    ids[r[1]],
                    r[0],
                    r[2],
                    r[3],
                    utc(r[4]),
                    utc(r[5]),
                    utc(r[6]),
                    utc(r[7]),
                    r[8],
                    r[9],
                    r[10],
                    r[11],
                    r[12],
                    now,
                    "system",
                    None,
                    False,
                )
            )
    return rows


def phase_executemany(path: Path, database: Path, fresh: bool = True) -> dict:
    if fresh:
        fresh_copy(database)
    use_database(database)
    from django.db import connection, transaction

    from dealers.models import Dealer

    rows = typed_rows(path, dict(Dealer.objects.values_list("code", "id")))
    columns = [
        "dealer_id",
        "ro_number",
        *HEADER[2:],
        "imported_at",
        "created_channel",
        "created_by_id",
        "comeback_waived",
    ]
    sql = (
        f"INSERT INTO assessments_repairorder ({', '.join(columns)})"
        f" VALUES ({', '.join('?' for _ in columns)})"
    )

    def stored() -> int:
        with connection.cursor() as cursor:
            cursor.execute("SELECT count(*) FROM assessments_repairorder")
            return cursor.fetchone()[0]

    before = stored()
    started = time.perf_counter()
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.cursor.executemany(sql, rows)  # the raw sqlite3 cursor: one prepared statement
    seconds = time.perf_counter() - started
    count = stored() - before
    assert count == len(rows), (count, len(rows))
    return {"seconds": seconds, "rows": count, "db_mb": database.stat().st_size / 1024**2}


def run_phase(name: str, path: Path, extra: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path), *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    if result["rows"]:
        result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--file", type=Path)
    parser.add_argument("--database", type=Path, default=Path("/tmp/bench_sqlite.db"))
    parser.add_argument("--phase")
    parser.add_argument("--fresh", action="store_true")
    args = parser.parse_args()
    path = args.file or Path(f"/tmp/bench_repair_orders_{args.rows}.csv")
    if args.phase:
        phases = {
            "template": phase_template,
            "import": lambda: phase_import(path, args.database, args.fresh),
            "executemany": lambda: phase_executemany(path, args.database, args.fresh),
        }
        result = phases[args.phase]()
        result["peak_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    print(f"Preparing {args.rows:,} repair orders for {DEALERS:,} dealers in {path} …", flush=True)
    if not path.exists() or sum(1 for _ in path.open("rb")) != args.rows + 1:
        generate_csv(path, args.rows)
    run_phase("template", path, [])
    db = ["--database", str(args.database)]
    results = {}
    results["import_data"] = run_phase("import", path, [*db, "--fresh"])
    results["import_data, re-import"] = run_phase("import", path, db)
    results["executemany, one transaction"] = run_phase("executemany", path, [*db, "--fresh"])
    # Pairs side by side (import, then the yardstick, each on a fresh database): on a shared
    # machine the load moves between phases; the median of the pairs' ratios is the figure.
    for run in (1, 2, 3):
        results[f"import_data, fresh database, run {run}"] = run_phase("import", path, [*db, "--fresh"])
        results[f"executemany, run {run}"] = run_phase("executemany", path, [*db, "--fresh"])
    # Three files of new keys into one database: does a growing database slow the import down
    # more than it slows the table itself (the yardstick, three times into one database)?
    shifted = []
    for run in (1, 2, 3):
        shifted.append(path.with_suffix(f".run{run}.csv"))
        with path.open(encoding="utf-8") as source, shifted[-1].open("w", encoding="utf-8") as out:
            out.write(source.readline())
            for line in source:
                out.write(f"R{run}" + line[2:])  # RO000… → R1000…: new keys, same shape
    for phase, label in (("import", "import_data"), ("executemany", "executemany")):
        fresh_copy(args.database)
        for run in (1, 2, 3):
            results[f"{label}, same database, run {run}"] = run_phase(phase, shifted[run - 1], db)
    for file in shifted:
        file.unlink()

    size_mb = path.stat().st_size / 1024**2
    print(f"\n{args.rows:,} repair orders, {size_mb:,.0f} MB CSV, {DEALERS:,} dealers, SQLite\n")
    print(f"| {'phase':<38} | {'rows':>9} | {'seconds':>8} | {'rows/s':>8} | {'DB MB':>6} | {'peak MB':>7} |")
    print(f"|{'-' * 40}|{'-' * 10}:|{'-' * 9}:|{'-' * 9}:|{'-' * 7}:|{'-' * 8}:|")
    for name, r in results.items():
        print(
            f"| {name:<38} | {r['rows']:>9,} | {r['seconds']:>8.2f} | {r['rows_per_s']:>8,.0f}"
            f" | {r['db_mb']:>6,.0f} | {r['peak_mb']:>7,.0f} |"
        )
    yardstick = results["executemany, one transaction"]["rows_per_s"]
    print()
    print(
        f"- import_data / executemany (target ≥ 0.5): {results['import_data']['rows_per_s'] / yardstick:.3f}"
    )
    runs = [results[f"import_data, fresh database, run {run}"]["seconds"] for run in (1, 2, 3)]
    pairs = [results[f"executemany, run {run}"]["seconds"] / runs[run - 1] for run in (1, 2, 3)]
    print(
        f"- import_data / executemany, pairs side by side: {', '.join(f'{r:.3f}' for r in pairs)}"
        f" (median {sorted(pairs)[1]:.3f})"
    )
    print(f"- fresh databases, run 3 / run 1: {runs[2] / runs[0]:.2f}")
    same = [results[f"import_data, same database, run {run}"]["seconds"] for run in (1, 2, 3)]
    table = [results[f"executemany, same database, run {run}"]["seconds"] for run in (1, 2, 3)]
    print(
        f"- same database, run 3 / run 1: import {same[2] / same[0]:.2f}, executemany {table[2] / table[0]:.2f}"
    )
    print(
        "- same database, import / executemany by run: "
        + ", ".join(f"{table[i] / same[i]:.3f}" for i in range(3))
    )
    print(f"- re-import: {results['import_data, re-import']['unchanged']:,} unchanged")


if __name__ == "__main__":
    main()
