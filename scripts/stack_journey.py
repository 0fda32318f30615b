#!/usr/bin/env python3
"""One journey over HTTP against a running portal (gunicorn + a Celery worker), as CI runs it.

Signs in through the sign-in page, uploads a large repair-orders CSV through the upload page
(50,000 rows for the portal's own dealers, dated in the latest open month with scorecards),
follows the preview and then the import on their progress endpoint until 100 % and
"succeeded", and then waits for the recompute that the import queued to land: every scorecard
of that month computed after the import finished. Prints the timings; exits 1 with a message
on any failure or when a step takes longer than --timeout seconds.

    .venv/bin/python scripts/stack_journey.py --url http://127.0.0.1:8000 --username admin \\
        --password "$PASSWORD" [--rows 50000] [--timeout 300]

The user must be an HQ user (one who may upload for every dealer). Needs only `requests`.
"""

from __future__ import annotations

import argparse
import io
import random
import re
import sys
import time
import uuid
from collections.abc import Callable
from datetime import datetime
from typing import Any

import requests

VIN_CHARACTERS = "ABCDEFGHJKLMNPRSTUVWXYZ0123456789"
POLL_SECONDS = 1.0


class JourneyFailed(Exception):
    pass


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--url", required=True, help="the portal's address, e.g. http://127.0.0.1:8000")
    parser.add_argument("--username", required=True)
    parser.add_argument("--password", required=True)
    parser.add_argument("--rows", type=int, default=50_000, help="rows in the uploaded file (default 50,000)")
    parser.add_argument("--timeout", type=float, default=300, help="seconds each wait may take (default 300)")
    args = parser.parse_args()
    try:
        Journey(args.url.rstrip("/"), args.timeout).run(args.username, args.password, args.rows)
    except JourneyFailed as exc:
        print(f"stack journey FAILED: {exc}", file=sys.stderr)
        return 1
    return 0


class Journey:
    def __init__(self, base_url: str, timeout: float) -> None:
        self.base = base_url
        self.timeout = timeout
        self.http = requests.Session()
        self.http.headers["Accept-Language"] = "en"

    # --- the journey -------------------------------------------------------------------

    def run(self, username: str, password: str, rows: int) -> None:
        health = self.http.get(f"{self.base}/healthz", timeout=10)
        step("health", f"{health.status_code} {health.text}")
        if health.status_code != 200:
            raise JourneyFailed(f"/healthz answered {health.status_code}: {health.text}")

        self.sign_in(username, password)
        period, dealers, before = self.open_month_with_scorecards()
        step("month", f"{period}: {len(dealers)} dealers, {len(before)} scorecards")

        content = repair_orders_csv(period, dealers, rows)
        began = time.monotonic()
        preview_pk = self.upload(content, f"stack-journey-{rows}-rows.csv")
        preview = self.wait_until_finished(preview_pk, "preview")
        if preview["status"] != "previewed" or preview["rejected"]:
            raise JourneyFailed(
                f"the preview ended {preview['status']} with {preview['rejected']} rejected rows: "
                f"{preview['message']} {preview['errors'][:3]}"
            )
        step("preview", f"{preview['rows_total']:,} rows valid after {time.monotonic() - began:.1f} s")

        job_pk = self.confirm(preview_pk)
        job = self.wait_until_finished(job_pk, "import")
        finished = time.monotonic()
        if job["status"] != "succeeded" or job["progress_percent"] != 100 or job["created"] != rows:
            raise JourneyFailed(
                f"the import ended {job['status']} at {job['progress_percent']} % "
                f"with {job['created']} of {rows} rows created: {job['message']}"
            )
        step("import", f"{job['created']:,} rows created, 100 %, status {job['status']}")

        landed = self.wait_for_recompute(period, after=parse_time(job["finished_at"]), before=before)
        step("recompute", f"{len(landed)} scorecards of {period} recomputed after the import")

        print(
            "stack journey timings: "
            f"upload → import finished {finished - began:.1f} s; "
            f"import finished → recompute landed {time.monotonic() - finished:.1f} s"
        )

    # --- pages ---------------------------------------------------------------------------

    def sign_in(self, username: str, password: str) -> None:
        url = f"{self.base}/accounts/login/"
        page = self.get(url)
        response = self.http.post(
            url,
            data={"username": username, "password": password, "csrfmiddlewaretoken": csrf_token(page)},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=30,
        )
        if response.status_code != 302 or "sessionid" not in self.http.cookies:
            raise JourneyFailed(f"signing in as {username} answered {response.status_code}, not a redirect")
        step("sign in", f"as {username}")

    def upload(self, content: bytes, file_name: str) -> int:
        url = f"{self.base}/assessments/imports/upload/"
        form = self.get(url)
        response = self.http.post(
            url,
            data={"kind": "repair_orders", "csrfmiddlewaretoken": csrf_token(form)},
            files={"file": (file_name, content, "text/csv")},
            headers={"Referer": url},
            allow_redirects=False,
            timeout=self.timeout,
        )
        return job_from_redirect(response, "the upload")

    def confirm(self, preview_pk: int) -> int:
        detail = f"{self.base}/assessments/imports/{preview_pk}/"
        page = self.get(detail)
        response = self.http.post(
            f"{detail}confirm/",
            data={"mode": "all", "csrfmiddlewaretoken": csrf_token(page)},
            headers={"Referer": detail},
            allow_redirects=False,
            timeout=self.timeout,
        )
        return job_from_redirect(response, "confirming the import")

    def wait_until_finished(self, pk: int, what: str) -> dict[str, Any]:
        """Follow the page's progress endpoint until the job is finished; then its API record."""
        seen: list[int] = []

        def finished() -> bool:
            progress = self.get_json(f"/assessments/imports/{pk}/progress/")
            if not seen or progress["percent"] != seen[-1]:
                seen.append(progress["percent"])
            return bool(progress["finished"])

        self.wait(finished, f"the {what} (import {pk}) to finish; progress seen: {seen}")
        step(f"{what} progress", " → ".join(f"{p} %" for p in seen))
        return self.get_json(f"/api/v1/imports/{pk}/")

    def open_month_with_scorecards(self) -> tuple[str, list[str], dict[str, str]]:
        periods = [p for p in self.get_list("/api/v1/periods/") if p["status"] == "open"]
        for period in sorted((p["code"] for p in periods), reverse=True):
            cards = self.get_list(f"/api/v1/scorecards/?period={period}")
            if cards:
                dealers = sorted({c["dealer_code"] for c in cards})
                return period, dealers, {c["dealer_code"]: c["computed_at"] for c in cards}
        raise JourneyFailed("no open month has scorecards; seed the demo first")

    def wait_for_recompute(
        self, period: str, *, after: datetime, before: dict[str, str]
    ) -> list[dict[str, Any]]:
        """Every scorecard recomputed since the import: the scorecard JSON gives whole seconds,
        so a recompute that lands within the import's last second counts when the card has
        changed since the journey began (it was computed before the upload)."""
        cards: list[dict[str, Any]] = []
        second = after.replace(microsecond=0)

        def fresh(card: dict[str, Any]) -> bool:
            computed = parse_time(card["computed_at"])
            return computed > after or (
                computed >= second and card["computed_at"] != before.get(card["dealer_code"])
            )

        def landed() -> bool:
            cards[:] = self.get_list(f"/api/v1/scorecards/?period={period}")
            return bool(cards) and all(fresh(c) for c in cards)

        self.wait(landed, f"the recompute of {period} to land after the import finished at {after}")
        return cards

    # --- HTTP helpers ----------------------------------------------------------------------

    def wait(self, condition: Callable[[], bool], what: str) -> None:
        deadline = time.monotonic() + self.timeout
        while not condition():
            if time.monotonic() > deadline:
                raise JourneyFailed(f"timed out after {self.timeout:.0f} s waiting for {what}")
            time.sleep(POLL_SECONDS)

    def get(self, url: str) -> requests.Response:
        response = self.http.get(url, timeout=30)
        if response.status_code != 200:
            raise JourneyFailed(f"GET {url} answered {response.status_code}")
        return response

    def get_json(self, path: str) -> Any:
        return self.get(f"{self.base}{path}").json()

    def get_list(self, path: str) -> list[dict[str, Any]]:
        """Every item of a paged API list."""
        items: list[dict[str, Any]] = []
        url: str | None = f"{self.base}{path}"
        while url:
            page = self.get(url).json()
            items.extend(page["results"])
            url = page.get("next")
        return items


def step(name: str, detail: str) -> None:
    print(f"  {name:<18} {detail}", flush=True)


def csrf_token(page: requests.Response) -> str:
    match = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page.text)
    if not match:
        raise JourneyFailed(f"{page.url} has no CSRF token in its form")
    return match.group(1)


def job_from_redirect(response: requests.Response, what: str) -> int:
    match = re.search(r"/assessments/imports/(\d+)/$", response.headers.get("Location", ""))
    if response.status_code != 302 or not match:
        raise JourneyFailed(f"{what} answered {response.status_code}, not a redirect to the import's page")
    return int(match.group(1))


def parse_time(text: str) -> datetime:
    return datetime.fromisoformat(text.replace("Z", "+00:00"))


def repair_orders_csv(period: str, dealers: list[str], rows: int) -> bytes:
    """`rows` closed repair orders of this month for these dealers, with order numbers new to the portal."""
    rng = random.Random(20261203)
    run = uuid.uuid4().hex[:8].upper()
    out = io.StringIO()
    out.write(
        "ro_number,dealer_code,vin,repair_type,opened_at,promised_at,closed_at,fault_code,"
        "labor_hours,labor_amount,parts_amount,warranty_cost\n"
    )
    for n in range(rows):
        day, hour = rng.randint(1, 28), rng.randint(8, 17)
        repair_type = rng.choice(("maintenance", "repair", "warranty", "accident"))
        fault = "" if repair_type in ("maintenance", "accident") else f"F{rng.randint(100, 999)}"
        vin = "".join(rng.choice(VIN_CHARACTERS) for _ in range(17))
        opened = f"{period}-{day:02d} {hour:02d}:00"
        promised = f"{period}-{day:02d} {min(hour + 4, 23):02d}:00"
        closed = f"{period}-{day:02d} {min(hour + rng.choice((2, 3, 5)), 23):02d}:30"
        out.write(
            f"CI-{run}-{n:06d},{dealers[n % len(dealers)]},{vin},{repair_type},{opened},{promised},{closed},"
            f"{fault},{rng.randint(1, 6)}.5,{rng.randint(100, 900)}.00,{rng.randint(0, 2000)}.00,0\n"
        )
    return out.getvalue().encode("utf-8")


if __name__ == "__main__":
    sys.exit(main())
