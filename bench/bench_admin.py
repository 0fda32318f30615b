"""Benchmark: every admin changelist and add page, at 1 M repair orders (PostgreSQL) or demo scale.

    psql -h 127.0.0.1 -U postgres -c "CREATE DATABASE bench_admin"
    DATABASE_URL=postgresql://postgres@127.0.0.1:5432/bench_admin python bench/bench_admin.py
    psql -h 127.0.0.1 -U postgres -c "DROP DATABASE bench_admin"

    DATABASE_URL=sqlite:////tmp/bench_admin.sqlite3 python bench/bench_admin.py   # demo scale

On PostgreSQL it migrates the database, then loads (server-side, `INSERT … SELECT … FROM
generate_series`, the generators of bench_history) 2,000 dealers and one month (2026-10) of
1,000,000 repair orders with complaints (1/60), parts orders (1/10), survey responses (1/8)
and a monthly submission per dealer, unless they are there already. On SQLite it migrates
and runs `seed_demo` (120 dealers, the demo's months) if the database has no dealers.

Then, as a superuser with the Django test client in-process, it GETs every registered
admin's changelist and, where the admin allows adding, its add page, plus a repair order's
change page and a search of the repair-order list: the median of --runs requests after
one warm-up each. It prints a table (milliseconds, rows of the model, whether under the
300 ms target) and writes /tmp/bench_admin.json. Not a test: the figures go to
docs/benchmarks.md → "Admin at 1 M repair orders".
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
os.environ["PAGE_CACHE"] = "0"
os.environ["DJANGO_ALLOWED_HOSTS"] = "testserver,localhost,127.0.0.1"

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.core.management import call_command  # noqa: E402
from django.db import connection, transaction  # noqa: E402

TARGET_MS = 300.0
MONTH = "2026-10"
RESULTS = Path("/tmp/bench_admin.json")


def is_postgresql() -> bool:
    return connection.vendor == "postgresql"


def load_postgresql() -> None:
    """2,000 dealers and a month of 1 M repair orders and the other kinds (bench_history's shape)."""
    from bench_history import ensure_dealers, generate_other_kinds, generate_repair_orders, sql

    from assessments.models import RepairOrder

    ensure_dealers()
    if RepairOrder.objects.filter(ro_number__startswith="R2610").exists():
        print("data there already", flush=True)
        return
    t0 = time.perf_counter()
    with transaction.atomic():
        generate_repair_orders(MONTH)
        generate_other_kinds(MONTH)
    sql("ANALYZE")
    print(
        f"loaded 1,000,000 repair orders and the other kinds in {time.perf_counter() - t0:.0f} s", flush=True
    )


def load_demo() -> None:
    from dealers.models import Dealer

    if not Dealer.objects.exists():
        t0 = time.perf_counter()
        call_command("seed_demo", verbosity=0)
        print(f"seed_demo in {time.perf_counter() - t0:.0f} s", flush=True)


def admin_paths(request: Any) -> list[tuple[str, str, Any]]:
    """(label, path, model) for every registered admin's changelist and, if it may add, add page."""
    from django.contrib import admin
    from django.urls import reverse

    from assessments.models import RepairOrder

    out = []
    for model, model_admin in sorted(admin.site._registry.items(), key=lambda item: item[0]._meta.label):
        opts = model._meta
        name = f"admin:{opts.app_label}_{opts.model_name}"
        out.append((f"{opts.label} list", reverse(f"{name}_changelist"), model))
        if model_admin.has_add_permission(request):
            out.append((f"{opts.label} add", reverse(f"{name}_add"), model))
    order = RepairOrder.objects.order_by("pk").first()
    if order is not None:
        ro_list = reverse("admin:assessments_repairorder_changelist")
        out.append(
            (
                "assessments.RepairOrder change",
                reverse("admin:assessments_repairorder_change", args=[order.pk]),
                RepairOrder,
            )
        )
        out.append(
            ("assessments.RepairOrder search ro_number", f"{ro_list}?q={order.ro_number}", RepairOrder)
        )
        out.append(
            (
                "assessments.RepairOrder filter repair type",
                f"{ro_list}?repair_type__exact=warranty",
                RepairOrder,
            )
        )
        out.append(("assessments.RepairOrder page 50", f"{ro_list}?p=50", RepairOrder))
    return out


def estimated_rows(model: Any) -> int:
    """Rows of the model's table: the planner's estimate on PostgreSQL, a count on SQLite."""
    if is_postgresql():
        with connection.cursor() as cursor:
            cursor.execute(
                "SELECT reltuples::bigint FROM pg_class WHERE relname = %s", [model._meta.db_table]
            )
            row = cursor.fetchone()
        return max(int(row[0]), 0) if row else 0
    return int(model._default_manager.count())


def time_admin(runs: int) -> list[dict[str, Any]]:
    from django.test import Client, RequestFactory

    from dealers.models import User

    user = User.objects.filter(username="bench_admin").first()
    if user is None:
        user = User.objects.create_superuser("bench_admin", "bench@example.com", None)
    client = Client()
    client.force_login(user)
    request = RequestFactory().get("/admin/")
    request.user = user
    rows = []
    for label, path, model in admin_paths(request):
        times = []
        for i in range(runs + 1):
            t0 = time.perf_counter()
            response = client.get(path, HTTP_ACCEPT_LANGUAGE="zh-hans")
            elapsed = (time.perf_counter() - t0) * 1000
            assert response.status_code == 200, (path, response.status_code)
            if i:  # the first is a warm-up
                times.append(elapsed)
        median = statistics.median(times)
        rows.append({"page": label, "path": path, "ms": round(median, 1), "rows": estimated_rows(model)})
        print(f"{label:<48} {median:8.1f} ms", flush=True)
    return rows


def report(rows: list[dict[str, Any]]) -> None:
    over = [r for r in rows if r["ms"] >= TARGET_MS]
    print()
    print(f"| page | rows | ms (median) | < {TARGET_MS:.0f} ms |")
    print("|---|---:|---:|:---:|")
    for r in rows:
        print(f"| {r['page']} | {r['rows']:,} | {r['ms']:.0f} | {'yes' if r['ms'] < TARGET_MS else 'NO'} |")
    slowest = max(rows, key=lambda r: r["ms"])
    print(
        f"\n{len(rows)} pages, slowest {slowest['page']} {slowest['ms']:.0f} ms, {len(over)} at or over target"
    )


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--runs", type=int, default=5, help="timed requests per page (after a warm-up)")
    parser.add_argument("--no-load", action="store_true", help="measure what is there, load nothing")
    args = parser.parse_args()

    print(f"database: {connection.vendor} {settings.DATABASES['default']['NAME']}", flush=True)
    call_command("migrate", verbosity=0)
    if not args.no_load:
        load_postgresql() if is_postgresql() else load_demo()
    rows = time_admin(args.runs)
    report(rows)
    RESULTS.write_text(
        json.dumps({"vendor": connection.vendor, "load": os.getloadavg(), "pages": rows}, indent=2)
    )
    print(f"load average {os.getloadavg()[0]:.2f}; results in {RESULTS}")


if __name__ == "__main__":
    main()
