"""Benchmark: the network page for 2,000 dealers and 24 months of stored group figures (PostgreSQL).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_h_network \
        python bench/bench_network.py --dealers 2000 --months 24 --rounds 20

The page reads only the stored group figures (assessments.models.GroupFigure, written at
recompute), never the raw records, so this generates those rows directly — every KPI and the
average total of the network, each region, city tier and peer group for 24 months, and the
members of each month (what the drill reads) — then times the page server-side through the
test client (HQ, and a regional manager), and the drill of the network's complaint rate to its
2,000 dealers, with their query counts. Not a test: figures go to docs/benchmarks.md.
"""

from __future__ import annotations

import argparse
import os
import random
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
os.environ.setdefault("DJANGO_SETTINGS_MODULE", "config.settings.local")

import django  # noqa: E402

django.setup()

from django.conf import settings  # noqa: E402
from django.db import connection, transaction  # noqa: E402
from django.test import Client  # noqa: E402
from django.test.utils import CaptureQueriesContext  # noqa: E402

from assessments.kpis import CATALOGUE  # noqa: E402
from assessments.kpis.peers import peer_key  # noqa: E402
from assessments.models import AVERAGE_TOTAL, GroupFigure, GroupMember, Period  # noqa: E402
from assessments.periods import Month  # noqa: E402
from dealers.choices import Role  # noqa: E402
from dealers.models import Dealer, Region, User  # noqa: E402

REGIONS = ["华东", "华南", "华北", "华中", "西南", "西北", "东北"]
LAST = Month(2026, 10)


def generate(dealer_count: int, months: int, seed: int = 11) -> None:
    """The dealers (BN… codes, kept when there) and `months` months of stored figures."""
    rng = random.Random(seed)
    regions = [Region.objects.get_or_create(name=name)[0] for name in REGIONS]
    have = Dealer.objects.filter(code__startswith="BN").count()
    if have < dealer_count:
        Dealer.objects.bulk_create(
            Dealer(code=f"BN{i:05d}", name=f"基准{i}", region=regions[i % 7], province="省", city="市",
                   city_tier=i % 5 + 1)
            for i in range(have, dealer_count)
        )  # fmt: skip
    dealers = list(
        Dealer.objects.filter(code__startswith="BN")
        .order_by("code")
        .values_list("pk", "region_id", "city_tier")
    )
    dealers = dealers[:dealer_count]
    GroupFigure.objects.all().delete()
    GroupMember.objects.all().delete()
    for index in range(months):
        month = LAST.shift(index - months + 1)
        period, _created = Period.objects.get_or_create(code=str(month))
        figures, members = [], []
        groups: dict[tuple[str, str], int] = {("network", ""): 0}
        for pk, region_id, tier in dealers:
            repairs = rng.randrange(20, 1500)
            peer = peer_key(tier, repairs) or ""
            for key in (
                ("network", ""),
                ("region", str(region_id)),
                ("city_tier", str(tier)),
                ("peer", peer),
            ):
                groups[key] = groups.get(key, 0) + 1
            members.append(
                GroupMember(period=period, dealer_id=pk, region_id=region_id, city_tier=tier, peer_key=peer,
                            figures={k.code: [rng.uniform(0, 100), rng.randrange(1, 500)] for k in CATALOGUE})
            )  # fmt: skip
        for (grouping, key), size in groups.items():
            for code in [k.code for k in CATALOGUE] + [AVERAGE_TOTAL]:
                figures.append(
                    GroupFigure(period=period, grouping=grouping, group_key=key, kpi_code=code,
                                value=round(rng.uniform(0, 100), 4), n=size * 100, dealers=size)
                )  # fmt: skip
        with transaction.atomic():
            GroupFigure.objects.bulk_create(figures, batch_size=2000)
            GroupMember.objects.bulk_create(members, batch_size=1000)


def user(username: str, role: str, regions: list[Region] | None = None) -> User:
    found, _created = User.objects.get_or_create(username=username, defaults={"role": role})
    if regions:
        found.regions.set(regions)
    return found


def timed(client: Client, path: str, params: dict[str, str], rounds: int) -> tuple[list[float], int, int]:
    client.get(path, params)  # warm up (templates, translations, the session)
    times, count, size = [], 0, 0
    for _ in range(rounds):
        with CaptureQueriesContext(connection) as queries:
            t0 = time.perf_counter()
            response = client.get(path, params)
            times.append((time.perf_counter() - t0) * 1000)
        assert response.status_code == 200, response.status_code
        count, size = len(queries), len(response.content)
    return times, count, size


def report(label: str, times: list[float], count: int, size: int) -> None:
    times = sorted(times)
    p95 = times[max(0, int(len(times) * 0.95) - 1)]
    print(f"{label}: median {statistics.median(times):.1f} ms, p95 {p95:.1f} ms, max {times[-1]:.1f} ms, "
          f"{count} queries, {size // 1024} kB")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--dealers", type=int, default=2000)
    parser.add_argument("--months", type=int, default=24)
    parser.add_argument("--rounds", type=int, default=20)
    parser.add_argument("--reuse", action="store_true", help="keep the figures already generated")
    args = parser.parse_args()
    if connection.vendor != "postgresql":
        sys.exit("run this benchmark on PostgreSQL (set DATABASE_URL)")
    settings.ALLOWED_HOSTS = [*settings.ALLOWED_HOSTS, "testserver"]
    if not (args.reuse and GroupFigure.objects.exists()):
        t0 = time.perf_counter()
        generate(args.dealers, args.months)
        print(f"generated {GroupFigure.objects.count()} group figures, {GroupMember.objects.count()} members "
              f"({args.dealers} dealers × {args.months} months) in {time.perf_counter() - t0:.1f} s")  # fmt: skip
    hq = Client()
    hq.force_login(user("bench_network_hq", Role.HQ_MANAGER))
    east = Client()
    east.force_login(user("bench_network_east", Role.REGIONAL_MANAGER, [Region.objects.get(name="华东")]))
    print(f"load average {os.getloadavg()[0]:.2f}")
    report(
        "network page, HQ (network, complaint rate)",
        *timed(hq, "/assessments/network/", {"kpi": "complaint_rate"}, args.rounds),
    )
    report(
        "network page, HQ (a peer group)",
        *timed(hq, "/assessments/network/", {"group": "peer:3-L", "kpi": "csat"}, args.rounds),
    )
    report("network page, regional manager", *timed(east, "/assessments/network/", {}, args.rounds))
    report("drill, network complaint rate (all dealers)", *timed(
        hq, "/assessments/network/drill/", {"group": "network", "month": str(LAST), "kpi": "complaint_rate"}, args.rounds
    ))  # fmt: skip
    report(
        "export, every KPI's trend (CSV)",
        *timed(hq, "/assessments/network/export.csv", {"table": "trends"}, args.rounds),
    )


if __name__ == "__main__":
    main()
