"""Benchmark: importing N repair orders from CSV, against the physical limits (PostgreSQL).

    createdb -h 127.0.0.1 -U postgres aftersales_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench \\
        python bench/bench_import.py --rows 1000000

Generates a CSV of N repair orders for 2,000 dealers (creating the dealers), then times,
each in its own process so that each peak memory (max RSS) is its own:

- import_data      — the portal's import (`assessments.importing.import_file`), atomic;
- re-import        — the same file again (every row unchanged);
- raw COPY         — the CSV COPied as it is into an unindexed table of text columns;
- typed COPY       — the same rows, already resolved (dealer ids) and typed, in the order
                     the import writes them (each chunk of 20,000 dealer by dealer), COPied into
                     a copy of the real table (`LIKE assessments_repairorder INCLUDING ALL`,
                     its indexes and unique key, plus the same statement-level check of the
                     dealers and users it names, migration 0017): the physical limit for
                     our table;
- import-export    — django-import-export's default `import_data` on a slice.

Prints rows/s and peak memory of each, and the ratios the targets are stated in. Not a
test; the figures go to docs/benchmarks.md. It empties the repair orders of the database
it runs on: use a database of its own.
"""

from __future__ import annotations

import argparse
import csv
import json
import os
import random
import resource
import subprocess
import sys
import time
from operator import itemgetter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")
os.environ.setdefault("IMPORT_MAX_FILE_BYTES", str(2 * 1024**3))
os.environ.setdefault("IMPORT_MAX_ROWS", "20000000")

DEALERS = 2000
CHUNK_ROWS = 20_000  # assessments.importing.service.CHUNK_ROWS
REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
VIN_CHARS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
HEADER = [
    "ro_number",
    "dealer_code",
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
]


def django_setup() -> None:
    import django

    django.setup()


def peak_rss_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


# --- data -------------------------------------------------------------------------------


def dealer_code(i: int) -> str:
    return f"BD{i:05d}"


def generate_csv(path: Path, rows: int, seed: int = 11) -> None:
    rng = random.Random(seed)
    vins = ["LB3" + "".join(rng.choice(VIN_CHARS) for _ in range(14)) for _ in range(50_000)]
    types = ["maintenance", "repair", "warranty", "accident"]
    base = 1_788_192_000  # 2026-09-01 00:00 Asia/Shanghai as a Unix time, shifted below
    with path.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(HEADER)
        for i in range(rows):
            opened = base + rng.randrange(0, 61 * 86400)
            repair_type = types[i % 4]
            booked = "" if i % 3 == 0 else fmt(opened - rng.randrange(3600, 3 * 86400))
            promised = fmt(opened + rng.randrange(3600, 3 * 86400))
            closed = "" if i % 20 == 0 else fmt(opened + rng.randrange(600, 4 * 86400))
            fault = f"F{rng.randrange(1, 300):03d}" if repair_type in ("repair", "warranty") else ""
            writer.writerow(
                [
                    f"RO{i:09d}",
                    dealer_code(i % DEALERS + 1),
                    vins[i % len(vins)],
                    repair_type,
                    booked,
                    fmt(opened),
                    promised,
                    closed,
                    fault,
                    f"{rng.randrange(0, 200) / 10:.1f}",
                    f"{rng.randrange(0, 500_000) / 100:.2f}",
                    f"{rng.randrange(0, 900_000) / 100:.2f}",
                    f"{rng.randrange(0, 100_000) / 100:.2f}" if repair_type == "warranty" else "0",
                ]
            )


def fmt(unix: int) -> str:
    # Asia/Shanghai is UTC+8 without daylight saving since 1991.
    return time.strftime("%Y-%m-%d %H:%M:%S", time.gmtime(unix + 8 * 3600))


def setup(rows: int, path: Path) -> None:
    django_setup()
    from django.core.management import call_command
    from django.db import connection

    from dealers.models import Dealer, Region

    assert connection.vendor == "postgresql", "run the benchmark on PostgreSQL (DATABASE_URL)"
    call_command("migrate", verbosity=0)
    regions = [Region.objects.get_or_create(name=name)[0] for name in REGIONS]
    existing = set(Dealer.objects.filter(code__startswith="BD").values_list("code", flat=True))
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
            if dealer_code(i) not in existing
        ]
    )
    truncate_repair_orders()
    if not path.exists() or sum(1 for _ in path.open("rb")) != rows + 1:
        generate_csv(path, rows)


def truncate_repair_orders() -> None:
    from django.db import connection

    with connection.cursor() as cursor:
        cursor.execute("TRUNCATE assessments_repairorder CASCADE")
        cursor.execute("DROP TABLE IF EXISTS bench_raw, bench_ro_copy")


# --- phases, each in its own process ----------------------------------------------------


def phase_import(path: Path) -> dict:
    django_setup()
    import assessments.importing.service
    from assessments.importing import import_file

    # Time the import, not the recompute it queues (with no broker, Celery runs it in-process).
    # The service calls the name it imported itself, so that is the one to replace.
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
    }


def phase_raw_copy(path: Path) -> dict:
    django_setup()
    from django.db import connection

    columns = ", ".join(f"{name} text" for name in HEADER)
    with connection.cursor() as cursor:
        cursor.execute(f"DROP TABLE IF EXISTS bench_raw; CREATE TABLE bench_raw ({columns})")
        started = time.perf_counter()
        with path.open("rb") as handle:
            cursor.cursor.copy_expert(
                "COPY bench_raw FROM STDIN WITH (FORMAT csv, HEADER true)", handle, 1 << 20
            )
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_raw")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_raw")
    return {"seconds": seconds, "rows": rows}


def phase_typed_copy(path: Path) -> dict:
    django_setup()
    from django.db import connection

    from dealers.models import Dealer

    ids = dict(Dealer.objects.values_list("code", "id"))
    typed = path.with_suffix(".typed.tsv")
    with path.open(encoding="utf-8", newline="") as source, typed.open("w", encoding="utf-8") as out:
        reader = csv.reader(source)
        next(reader)
        lines: list[tuple[int, str]] = []
        for r in reader:
            cells = [
                r[0],
                str(ids[r[1]]),
                r[2],
                r[3],
                tz(r[4]),
                tz(r[5]),
                tz(r[6]),
                tz(r[7]),
                r[8],
                r[9],
                r[10],
                r[11],
                r[12],
                r"\N",
            ]
            lines.append((ids[r[1]], "\t".join(cells) + "\n"))
            if len(lines) == CHUNK_ROWS:
                out.writelines(line for _, line in sorted(lines, key=itemgetter(0)))
                lines = []
        out.writelines(line for _, line in sorted(lines, key=itemgetter(0)))
    columns = "ro_number, dealer_id, " + ", ".join(HEADER[2:]) + ", imported_at"
    with connection.cursor() as cursor:
        cursor.execute(
            "DROP TABLE IF EXISTS bench_ro_copy;"
            " CREATE TABLE bench_ro_copy (LIKE assessments_repairorder INCLUDING ALL);"
            " CREATE TRIGGER bench_ro_copy_references AFTER INSERT ON bench_ro_copy"
            " REFERENCING NEW TABLE AS new_rows FOR EACH STATEMENT EXECUTE FUNCTION ro_check_references();"
        )
        connection.commit() if not connection.get_autocommit() else None
        started = time.perf_counter()
        with typed.open("rb") as handle:
            cursor.cursor.copy_expert(f"COPY bench_ro_copy ({columns}) FROM STDIN", handle, 1 << 20)
        seconds = time.perf_counter() - started
        cursor.execute("SELECT count(*) FROM bench_ro_copy")
        rows = cursor.fetchone()[0]
        cursor.execute("DROP TABLE bench_ro_copy")
    typed.unlink()
    return {"seconds": seconds, "rows": rows}


def tz(text: str) -> str:
    return text + "+08" if text else r"\N"


def phase_import_export(path: Path, rows: int) -> dict:
    django_setup()
    import tablib
    from import_export import fields, resources
    from import_export.widgets import ForeignKeyWidget

    from assessments.models import RepairOrder
    from dealers.models import Dealer

    class DefaultRepairOrderResource(resources.ModelResource):
        """The library's defaults; only what is needed to map the file's columns."""

        dealer = fields.Field(
            attribute="dealer", column_name="dealer_code", widget=ForeignKeyWidget(Dealer, "code")
        )

        class Meta:
            model = RepairOrder
            import_id_fields = ["dealer", "ro_number"]
            fields = HEADER[:1] + ["dealer"] + HEADER[2:]

    with path.open(encoding="utf-8") as handle:
        text = "".join(line for _, line in zip(range(rows + 1), handle, strict=False))
    dataset = tablib.Dataset().load(text, format="csv")
    started = time.perf_counter()
    result = DefaultRepairOrderResource().import_data(dataset, dry_run=False)
    seconds = time.perf_counter() - started
    assert not result.has_errors() and not result.has_validation_errors()
    return {"seconds": seconds, "rows": len(dataset)}


def run_phase(name: str, path: Path, extra: list[str]) -> dict:
    out = subprocess.run(
        [sys.executable, __file__, "--phase", name, "--file", str(path), *extra],
        check=True,
        capture_output=True,
        text=True,
    )
    result = json.loads(out.stdout.strip().splitlines()[-1])
    result["rows_per_s"] = result["rows"] / result["seconds"]
    return result


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--slice", type=int, default=2_000, help="rows for django-import-export")
    parser.add_argument("--file", type=Path)
    parser.add_argument("--phase")
    args = parser.parse_args()
    path = args.file or Path(f"/tmp/bench_repair_orders_{args.rows}.csv")
    if args.phase:
        phases = {
            "import": lambda: phase_import(path),
            "raw_copy": lambda: phase_raw_copy(path),
            "typed_copy": lambda: phase_typed_copy(path),
            "import_export": lambda: phase_import_export(path, args.slice),
        }
        result = phases[args.phase]()
        result["peak_mb"] = peak_rss_mb()
        print(json.dumps(result))
        return

    print(f"Preparing {args.rows:,} repair orders for {DEALERS:,} dealers in {path} …", flush=True)
    setup(args.rows, path)
    size_mb = path.stat().st_size / 1024**2
    results = {}
    results["import-export default"] = run_phase("import_export", path, ["--slice", str(args.slice)])
    truncate_repair_orders()
    results["import_data"] = run_phase("import", path, [])
    results["import_data, re-import"] = run_phase("import", path, [])
    results["raw COPY, unindexed"] = run_phase("raw_copy", path, [])
    results["typed COPY, real table's copy"] = run_phase("typed_copy", path, [])

    print(f"\n{args.rows:,} repair orders, {size_mb:,.0f} MB CSV, {DEALERS:,} dealers, PostgreSQL\n")
    print(f"| {'phase':<32} | {'rows':>10} | {'seconds':>8} | {'rows/s':>9} | {'peak MB':>8} |")
    print(f"|{'-' * 34}|{'-' * 12}:|{'-' * 9}:|{'-' * 10}:|{'-' * 9}:|")
    for name, r in results.items():
        print(
            f"| {name:<32} | {r['rows']:>10,} | {r['seconds']:>8.2f} | {r['rows_per_s']:>9,.0f} | {r['peak_mb']:>8,.0f} |"
        )
    ours = results["import_data"]["rows_per_s"]
    ratios = {
        "import_data / typed COPY (target ≥ 0.5)": ours
        / results["typed COPY, real table's copy"]["rows_per_s"],
        "import_data / raw COPY (target ≥ 0.125)": ours / results["raw COPY, unindexed"]["rows_per_s"],
        "import_data / import-export default (target ≥ 100)": ours
        / results["import-export default"]["rows_per_s"],
    }
    print()
    for name, value in ratios.items():
        print(f"- {name}: {value:.3f}")
    print(f"- import_data peak memory: {results['import_data']['peak_mb']:,.0f} MB (target < 1024)")
    print(f"- re-import: {results['import_data, re-import']['unchanged']:,} unchanged")


if __name__ == "__main__":
    main()
