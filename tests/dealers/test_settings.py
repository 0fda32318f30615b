"""Settings come from the environment, with working laptop defaults (interfaces.md → Configuration).

Each case imports the settings in a fresh Python process with a controlled environment,
because settings are read once per process.
"""

from __future__ import annotations

import json
import os
import runpy
import secrets
import subprocess
import sys
from pathlib import Path

import pytest
from django.conf import settings

REPO = Path(__file__).resolve().parents[2]
PROBE = """
import json
from django.conf import settings
from config.celery_app import app
db = settings.DATABASES["default"]
print(json.dumps({
    "engine": db["ENGINE"], "name": str(db["NAME"]), "host": db.get("HOST"), "port": db.get("PORT"),
    "user": db.get("USER"), "broker": app.conf.broker_url, "eager": app.conf.task_always_eager,
    "debug": settings.DEBUG, "allowed_hosts": settings.ALLOWED_HOSTS,
    "session_cookie_secure": settings.SESSION_COOKIE_SECURE, "csrf_cookie_secure": settings.CSRF_COOKIE_SECURE,
    "hsts": settings.SECURE_HSTS_SECONDS, "ssl_redirect": settings.SECURE_SSL_REDIRECT,
    "secret_key": settings.SECRET_KEY, "static_storage": settings.STORAGES["staticfiles"]["BACKEND"],
    "sessions": settings.SESSION_ENGINE,
}))
"""
SETTINGS_PREFIXES = ("DJANGO_", "DATABASE_", "CELERY_", "CACHE_")


def clean_env(**overrides: str) -> dict[str, str]:
    """The current environment without any variable the settings (or Django) read, plus the given ones."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(SETTINGS_PREFIXES)}
    env.update(overrides)
    return env


def run_python(args: list[str], **env: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, *args], cwd=REPO, env=clean_env(**env), capture_output=True, text=True, timeout=120
    )


def probe(module: str = "config.settings.local", **env: str) -> dict[str, object]:
    result = run_python(["-c", PROBE], DJANGO_SETTINGS_MODULE=module, **env)
    assert result.returncode == 0, result.stderr
    return json.loads(result.stdout)


def strong_key() -> str:
    return secrets.token_urlsafe(60)


def test_with_no_variables_the_portal_runs_on_sqlite_with_tasks_in_process():
    found = probe()

    assert found["engine"] == "django.db.backends.sqlite3"
    assert found["name"] == str(REPO / "db.sqlite3")
    assert found["broker"] in ("", None)
    assert found["eager"] is True
    assert found["sessions"] == "django.contrib.sessions.backends.db"
    assert found["debug"] is False
    assert found["allowed_hosts"] == ["localhost", "127.0.0.1"]


def test_database_url_and_broker_url_select_postgresql_and_a_real_broker():
    found = probe(
        DATABASE_URL="postgres://portal:s3cret@db.internal:6543/aftersales",
        CELERY_BROKER_URL="redis://cache.internal:6379/3",
    )

    assert found["engine"] == "django.db.backends.postgresql"
    assert (found["name"], found["host"], found["port"], found["user"]) == (
        "aftersales",
        "db.internal",
        6543,
        "portal",
    )
    assert found["broker"] == "redis://cache.internal:6379/3"
    assert found["eager"] is False
    # with Redis as the shared cache, sessions are read from it and written through
    assert found["sessions"] == "django.contrib.sessions.backends.cached_db"


def test_debug_secret_key_and_allowed_hosts_come_from_the_environment():
    key = strong_key()

    found = probe(
        DJANGO_DEBUG="1", DJANGO_SECRET_KEY=key, DJANGO_ALLOWED_HOSTS="portal.example.com, x.example.com"
    )

    assert found["debug"] is True
    assert found["secret_key"] == key
    assert found["allowed_hosts"] == ["portal.example.com", "x.example.com"]


def test_production_refuses_to_start_without_a_secret_key():
    result = run_python(["manage.py", "check"], DJANGO_SETTINGS_MODULE="config.settings.production")

    assert result.returncode != 0
    assert "DJANGO_SECRET_KEY" in result.stderr


def test_production_uses_secure_cookies_hsts_and_https_and_never_debug():
    found = probe("config.settings.production", DJANGO_SECRET_KEY=strong_key(), DJANGO_DEBUG="1")

    assert found["debug"] is False
    assert found["session_cookie_secure"] is True
    assert found["csrf_cookie_secure"] is True
    assert found["ssl_redirect"] is True
    assert found["hsts"] >= 31536000


def test_production_cookies_are_plain_only_when_switched_off_for_a_test_over_http():
    found = probe("config.settings.production", DJANGO_SECRET_KEY=strong_key(), DJANGO_SECURE_COOKIES="0")

    assert found["session_cookie_secure"] is False
    assert found["csrf_cookie_secure"] is False


def test_production_serves_static_files_compressed_with_hashed_names():
    found = probe("config.settings.production", DJANGO_SECRET_KEY=strong_key())

    assert found["static_storage"] == "whitenoise.storage.CompressedManifestStaticFilesStorage"


# The production server ---------------------------------------------------------------

GUNICORN_CONF = REPO / "config" / "gunicorn.conf.py"


def gunicorn_settings(monkeypatch, **env: str) -> dict[str, object]:
    for name in (
        "WEB_CONCURRENCY",
        "GUNICORN_BIND",
        "PORT",
        "GUNICORN_THREADS",
        "GUNICORN_TIMEOUT",
        "GUNICORN_WORKER_CLASS",
    ):
        monkeypatch.delenv(name, raising=False)
    for name, value in env.items():
        monkeypatch.setenv(name, value)
    return runpy.run_path(str(GUNICORN_CONF))


def test_gunicorn_runs_two_sync_processes_per_core_plus_one_first_come_first_served(monkeypatch):
    conf = gunicorn_settings(monkeypatch)

    assert conf["workers"] == 2 * (os.cpu_count() or 1) + 1
    assert conf["worker_class"] == "sync"
    assert conf["threads"] == 1
    assert conf["timeout"] >= 60
    assert conf["bind"] == "127.0.0.1:8000"


def test_gunicorn_takes_threads_per_process_where_no_proxy_buffers_uploads(monkeypatch):
    conf = gunicorn_settings(monkeypatch, GUNICORN_WORKER_CLASS="gthread")

    assert conf["worker_class"] == "gthread"
    assert conf["threads"] == 4


def test_gunicorn_processes_and_address_come_from_the_environment(monkeypatch):
    conf = gunicorn_settings(monkeypatch, WEB_CONCURRENCY="3", GUNICORN_BIND="0.0.0.0:9000")

    assert conf["workers"] == 3
    assert conf["bind"] == "0.0.0.0:9000"


def test_gunicorn_accepts_its_configuration_and_loads_the_portal():
    result = run_python(
        ["-m", "gunicorn", "--check-config", "-c", str(GUNICORN_CONF), "config.wsgi:application"],
        DJANGO_SECRET_KEY=strong_key(),
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_production_passes_the_deploy_check_at_warning_level():
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY=strong_key(),
        DJANGO_ALLOWED_HOSTS="example.com",
    )

    assert result.returncode == 0, result.stdout + result.stderr


def test_the_deploy_check_fails_on_a_weak_secret_key_when_warnings_count():
    # Proves the check above means something: a warning does fail at this level.
    result = run_python(
        ["manage.py", "check", "--deploy", "--fail-level", "WARNING"],
        DJANGO_SETTINGS_MODULE="config.settings.production",
        DJANGO_SECRET_KEY="short",
        DJANGO_ALLOWED_HOSTS="example.com",
    )

    assert result.returncode != 0
    assert "security.W009" in result.stdout + result.stderr


def test_time_zone_is_shanghai_and_chinese_is_the_default_language_with_english_available():
    assert settings.TIME_ZONE == "Asia/Shanghai"
    assert settings.USE_TZ is True
    assert settings.LANGUAGE_CODE == "zh-hans"
    assert {code for code, _name in settings.LANGUAGES} == {"zh-hans", "en"}
    assert settings.CELERY_TIMEZONE == "Asia/Shanghai"


@pytest.mark.parametrize("module", ["config.settings.local", "config.settings.test"])
def test_every_settings_module_loads_without_variables(module):
    found = probe(module)

    assert found["engine"] == "django.db.backends.sqlite3"
