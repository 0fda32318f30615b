"""Test settings: fast hashing, isolated media, the same database choice as the environment."""

import tempfile

from .base import *  # noqa: F401,F403
from .base import REST_FRAMEWORK

PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
MEDIA_ROOT = tempfile.mkdtemp(prefix="aftersales-test-media-")
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
REST_FRAMEWORK = {
    **REST_FRAMEWORK,
    "DEFAULT_THROTTLE_RATES": {"anon": "10000/minute", "user": "100000/minute", "uploads": "100000/hour"},
}
STATIC_ROOT = tempfile.mkdtemp(prefix="aftersales-test-static-")
# Tests run tasks in-process whatever the broker; the worker test turns this off to go
# through a real Celery worker process.
CELERY_TASK_ALWAYS_EAGER = True
# Background imports run in the request in tests (one test turns the in-process thread on).
IMPORT_IN_PROCESS_THREAD = False
# Robot messages are posted in the request (after commit) in tests; SMS go to an outbox.
ROBOT_IN_PROCESS_THREAD = False
SMS_BACKEND = "surveys.sms.LocmemSmsBackend"
# The page cache is off in tests: with Redis as the cache (the PostgreSQL run), its entries and
# version token would outlive each test's database, whose ids repeat. The cache's own tests
# switch it on and clear it (tests/assessments/test_page_cache.py).
PAGE_CACHE = False
# Sessions in the database on both test runs (the PostgreSQL run has Redis, where production
# reads them from the cache): the query-count pins count the session's query either way.
SESSION_ENGINE = "django.contrib.sessions.backends.db"
