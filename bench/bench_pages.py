"""Benchmark: the busiest pages under load, behind the production server, page cache off and on.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/aftersales_bench_pages \
    CACHE_URL=redis://127.0.0.1:6379/9 python bench/bench_pages.py --seconds 10

Expects a database filled by `manage.py seed_demo` (its users hq, east, north, dealer1). Gives
those users a known password (a benchmark database only), collects the static files, starts
gunicorn with config/gunicorn.conf.py (the processes scripts/serve runs: sync, 2 × cores + 1) and the
production settings on a loopback port, signs the users in through the login form, then runs
a load generator on loopback: N client threads, each with its own kept-alive connection and
user, sending requests to one endpoint back to back for --seconds, then stopping by itself.
For 1, 8 and 32 clients on overview, ranking, scorecard and the scorecards API it prints
requests/s, p50 and p95; once with PAGE_CACHE=0 (before) and once with PAGE_CACHE=1 (after),
each after a short warm-up. Not a test: figures go to docs/benchmarks.md → "Pages under load".
"""

from __future__ import annotations

import argparse
import http.client
import os
import re
import signal
import socket
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path
from urllib.parse import urlencode

REPO = Path(__file__).resolve().parent.parent
PASSWORD = "bench-pages-Secret-2026"  # noqa: S105 — set on the benchmark database only
MANAGERS = ("hq", "east", "north")


def set_passwords(users: list[str]) -> None:
    """Give the demo users a known password, through the ORM (they are printed only once)."""
    code = (
        "from dealers.models import User\n"
        f"for u in User.objects.filter(username__in={users!r}):\n"
        f"    u.set_password({PASSWORD!r}); u.save(update_fields=['password'])\n"
    )
    subprocess.run([sys.executable, "manage.py", "shell", "-c", code], cwd=REPO, check=True, env=_env("0"))


def _env(page_cache: str, port: int = 0) -> dict[str, str]:
    env = dict(os.environ)
    cache_url = env.get("CACHE_URL", "redis://127.0.0.1:6379/9")
    env.update(
        {
            "DJANGO_SETTINGS_MODULE": "config.settings.production",
            "DJANGO_SECRET_KEY": env.get("DJANGO_SECRET_KEY", "bench-pages-" + "x" * 50),
            "DJANGO_SECURE_COOKIES": "0",
            "DJANGO_SECURE_SSL_REDIRECT": "0",
            "CACHE_URL": cache_url,
            # The broker makes the settings choose the Redis cache; pages queue no task.
            "CELERY_BROKER_URL": env.get("CELERY_BROKER_URL", cache_url),
            "PAGE_CACHE": page_cache,
            "GUNICORN_BIND": f"127.0.0.1:{port}",
            "AXES_FAILURE_LIMIT": "1000",
        }
    )
    return env


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def start_server(page_cache: str, port: int) -> subprocess.Popen:
    with socket.socket() as probe:  # a server already there would answer in our place
        # (connections the last server closed may linger in TIME_WAIT: they do not count)
        probe.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        probe.bind(("127.0.0.1", port))
    server = subprocess.Popen(
        [sys.executable, "-m", "gunicorn", "-c", "config/gunicorn.conf.py", "config.wsgi:application"],
        cwd=REPO,
        env=_env(page_cache, port),
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
        start_new_session=True,
    )
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            conn = http.client.HTTPConnection("127.0.0.1", port, timeout=2)
            conn.request("GET", "/healthz")
            if conn.getresponse().status < 500:
                return server
        except OSError:
            time.sleep(0.3)
    stop_server(server)
    raise SystemExit("gunicorn did not answer within 60 s")


def stop_server(server: subprocess.Popen) -> None:
    os.killpg(server.pid, signal.SIGTERM)
    try:
        server.wait(timeout=30)
    except subprocess.TimeoutExpired:
        os.killpg(server.pid, signal.SIGKILL)
        server.wait()


def _cookies(response: http.client.HTTPResponse) -> dict[str, str]:
    found = {}
    for header in response.headers.get_all("Set-Cookie") or []:
        name, _eq, rest = header.partition("=")
        found[name.strip()] = rest.split(";", 1)[0]
    return found


def sign_in(port: int, username: str) -> str:
    """The session cookie of `username`, signed in through the login form."""
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
    conn.request("GET", "/accounts/login/")
    response = conn.getresponse()
    page = response.read().decode()
    cookies = _cookies(response)
    token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)  # type: ignore[union-attr]
    body = urlencode({"username": username, "password": PASSWORD, "csrfmiddlewaretoken": token})
    conn.request(
        "POST",
        "/accounts/login/",
        body,
        {
            "Content-Type": "application/x-www-form-urlencoded",
            "Cookie": f"csrftoken={cookies['csrftoken']}",
        },
    )
    response = conn.getresponse()
    answer = response.read().decode()
    session = _cookies(response).get("sessionid")
    if response.status != 302 or not session:
        errors = re.findall(r"<p>([^<]*)</p>", answer)[:3]
        raise SystemExit(f"could not sign in {username}: {response.status} {errors}")
    return session


def load(port: int, path: str, sessions: list[str], clients: int, seconds: float) -> dict[str, float]:
    """`clients` threads send GET `path` back to back for `seconds`; client i is sessions[i % n]."""
    latencies: list[list[float]] = [[] for _ in range(clients)]
    errors = [0] * clients
    start = threading.Barrier(clients + 1)
    deadline = [0.0]

    def client(i: int) -> None:
        conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
        headers = {"Cookie": f"sessionid={sessions[i % len(sessions)]}"}
        start.wait()
        while time.monotonic() < deadline[0]:
            began = time.monotonic()
            try:
                conn.request("GET", path, headers=headers)
                response = conn.getresponse()
                response.read()
                ok = response.status == 200
            except (OSError, http.client.HTTPException):
                conn.close()
                conn = http.client.HTTPConnection("127.0.0.1", port, timeout=30)
                ok = False
            if ok:
                latencies[i].append(time.monotonic() - began)
            else:
                errors[i] += 1
        conn.close()

    threads = [threading.Thread(target=client, args=(i,), daemon=True) for i in range(clients)]
    for thread in threads:
        thread.start()
    deadline[0] = time.monotonic() + seconds
    began = time.monotonic()
    start.wait()
    for thread in threads:
        thread.join(seconds + 60)
    elapsed = time.monotonic() - began
    every = sorted(x for per in latencies for x in per)
    if not every:
        return {"rps": 0.0, "p50": float("nan"), "p95": float("nan"), "errors": sum(errors)}
    return {
        "rps": len(every) / elapsed,
        "p50": statistics.median(every) * 1000,
        "p95": every[min(len(every) - 1, int(len(every) * 0.95))] * 1000,
        "errors": sum(errors),
    }


def main() -> None:
    parser = argparse.ArgumentParser(
        description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seconds", type=float, default=10.0, help="per endpoint and client count")
    parser.add_argument("--clients", default="1,8,32")
    parser.add_argument("--port", type=int, default=0, help="loopback port (default: a free one)")
    parser.add_argument("--period", default="2026-10")
    parser.add_argument("--dealer", default="GL0001")
    parser.add_argument("--modes", default="0,1", help="PAGE_CACHE values to run, e.g. 0,1")
    parser.add_argument("--endpoints", default="", help="only these, e.g. ranking,scorecard")
    args = parser.parse_args()
    clients = [int(c) for c in args.clients.split(",")]
    args.port = args.port or free_port()
    period, dealer = args.period, args.dealer
    endpoints = [
        ("overview", f"/assessments/overview/?period={period}", MANAGERS),
        ("ranking", f"/assessments/ranking/?period={period}", MANAGERS),
        ("scorecard", f"/assessments/dealers/{dealer}/{period}/", ("hq", "east", "dealer1")),
        ("api scorecards", f"/api/v1/scorecards/?period={period}", MANAGERS),
    ]
    if args.endpoints:
        endpoints = [e for e in endpoints if e[0] in args.endpoints.split(",")]
    set_passwords(["hq", "east", "north", "dealer1"])
    subprocess.run(
        [sys.executable, "manage.py", "collectstatic", "--noinput", "-v0"],
        cwd=REPO,
        check=True,
        env=_env("0"),
    )
    results: dict[tuple[str, str, int], dict[str, float]] = {}
    for mode in args.modes.split(","):
        server = start_server(mode, args.port)
        try:
            sessions = {name: sign_in(args.port, name) for name in ("hq", "east", "north", "dealer1")}
            for name, path, users in endpoints:
                chosen = [sessions[u] for u in users]
                load(args.port, path, chosen, 4, 1.0)  # warm-up: connections, caches
                for n in clients:
                    found = load(args.port, path, chosen, n, args.seconds)
                    results[(mode, name, n)] = found
                    print(
                        f"PAGE_CACHE={mode} {name:15} {n:3} clients: {found['rps']:7.1f} req/s  "
                        f"p50 {found['p50']:7.1f} ms  p95 {found['p95']:7.1f} ms  errors {found['errors']}",
                        flush=True,
                    )
        finally:
            stop_server(server)
    modes = args.modes.split(",")
    if modes == ["0", "1"]:
        print("\nendpoint         clients  req/s before → after (×)   p95 before → after (ms)")
        for name, _path, _users in endpoints:
            for n in clients:
                b, a = results[("0", name, n)], results[("1", name, n)]
                ratio = a["rps"] / b["rps"] if b["rps"] else float("nan")
                print(
                    f"{name:15} {n:8}  {b['rps']:7.1f} → {a['rps']:7.1f} ({ratio:4.1f}×)"
                    f"   {b['p95']:7.1f} → {a['p95']:7.1f}"
                )


if __name__ == "__main__":
    main()
