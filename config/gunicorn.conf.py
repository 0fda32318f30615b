"""gunicorn, the production web server: `gunicorn -c config/gunicorn.conf.py config.wsgi:application`
(`scripts/serve` runs exactly that after migrate and collectstatic).

Every setting can be overridden from the environment; the defaults suit one machine behind
a TLS-terminating proxy.
"""

import os

# Where to listen; the TLS proxy in front connects here.
bind = os.environ.get("GUNICORN_BIND", f"127.0.0.1:{os.environ.get('PORT', '8000')}")

# Processes: the usual 2 × cores + 1, or WEB_CONCURRENCY. Each runs a few threads, so a slow
# upload or a slow client holds one thread, not a whole process.
workers = int(os.environ.get("WEB_CONCURRENCY", str(2 * (os.cpu_count() or 1) + 1)))
worker_class = "gthread"
threads = int(os.environ.get("GUNICORN_THREADS", "4"))

# A worker silent for this long is restarted. With threads the worker keeps reporting while a
# request runs, so a long upload (up to IMPORT_MAX_FILE_BYTES) is not cut off by it; large
# imports themselves run in the Celery worker, not in the request.
timeout = int(os.environ.get("GUNICORN_TIMEOUT", "120"))
graceful_timeout = int(os.environ.get("GUNICORN_GRACEFUL_TIMEOUT", "30"))
keepalive = 5

# Restart each process now and then, so a slow leak never grows without bound.
max_requests = int(os.environ.get("GUNICORN_MAX_REQUESTS", "2000"))
max_requests_jitter = max_requests // 10

# Heartbeat files in memory, not on a possibly slow disk.
if os.path.isdir("/dev/shm"):
    worker_tmp_dir = "/dev/shm"

accesslog = os.environ.get("GUNICORN_ACCESS_LOG", "-")
errorlog = "-"
loglevel = os.environ.get("GUNICORN_LOG_LEVEL", "info")

# gunicorn 24+ opens a control socket in the home directory; nothing here uses it.
control_socket_disable = True
