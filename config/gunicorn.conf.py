"""gunicorn, the production web server: `gunicorn -c config/gunicorn.conf.py config.wsgi:application`
(`scripts/serve` runs exactly that after migrate and collectstatic).

Every setting can be overridden from the environment; the defaults suit one machine behind
a TLS-terminating proxy.
"""

import os

# Where to listen; the TLS proxy in front connects here.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Processes: the usual 2 × cores + 1, or WEB_CONCURRENCY, each serving one request at a time
# (gunicorn's sync worker). Waiting requests queue in the listening socket, first come first
# served, so under load every request waits about as long as the others: measured on 2 cores
# with 32 clients (docs/benchmarks.md, "Pages under load"), p95 fell from 250–600 ms with
# 4 threads per process (a kept-alive connection stays with the process that accepted it,
# and some processes get more than their share) to 120–210 ms, at the same throughput.
# A sync process is held for the whole of a slow upload, so the proxy in front must buffer
# request bodies (nginx does by default: proxy_request_buffering on). Without such a proxy,
# GUNICORN_WORKER_CLASS=gthread with GUNICORN_THREADS threads per process.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = os.environ.get("GUNICORN_WORKER_CLASS", "sync")
threads = int(os.environ.get("GUNICORN_THREADS", "1" if worker_class == "sync" else "4"))

# A worker silent for this long is restarted: a sync worker reports between requests, so no
# request may take longer (large imports run in the Celery worker or a background thread,
# exports stream from the database in seconds); a gthread worker reports while its threads work.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
# Kept-alive connections (gthread only; a sync worker closes each after its response).
keepalive = int(os.environ.get("GUNICORN_KEEPALIVE", "5"))

# Restart each process now and then, so a slow leak never grows without bound. The portal is
# loaded once, before the processes fork (preload_app), so a restarted process starts in
# milliseconds instead of importing Django again (about a second of a core, during which the
# other processes take its queue: the benchmark's slowest answers came from such restarts).
# A new release needs a restart of gunicorn, not a HUP. GUNICORN_PRELOAD=0 turns it off.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "10000"))
max_requests_jitter = max_requests // 10
preload_app = os.environ.get("GUNICORN_PRELOAD", "1") != "0"

# Heartbeat files in memory, not on a possibly slow disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicorn 24+ opens a control socket in the home directory; nothing here uses it.
control_socket_disable = True
