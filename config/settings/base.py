"""Settings shared by every environment. Everything that differs comes from the environment."""

import os
from pathlib import Path

import dj_database_url
from celery.schedules import crontab
from django.utils.translation import gettext_lazy as _

BASE_DIR = Path(__file__).resolve().parent.parent.parent


def env_bool(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None or value == "":
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


def env_list(name: str, default: str) -> list[str]:
    return [item.strip() for item in os.environ.get(name, default).split(",") if item.strip()]


SECRET_KEY = os.environ.get("DJANGO_SECRET_KEY") or "dev-insecure-key-change-me-0123456789-abcdefghijklmnop"
DEBUG = env_bool("DJANGO_DEBUG", False)
ALLOWED_HOSTS = env_list("DJANGO_ALLOWED_HOSTS", "localhost,127.0.0.1")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "rest_framework",
    # Only for the data migration that hashed its plain tokens into dealers.ApiToken
    # (dealers 0003); nothing authenticates with it any more.
    "rest_framework.authtoken",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "import_export",
    "config.apps.AxesConfig",  # django-axes, named in the reader's language
    "dealers",
    "assessments",
    "surveys",
    "incentives",
    "workbench",
    "training",
    "goals",
    "insights",
    "support",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "assessments.pages.cache.PageVersionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.auth.middleware.LoginRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "config.delays.DelayNoticeMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "axes.middleware.AxesMiddleware",
    "config.middleware.ContentSecurityPolicyMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "django.template.context_processors.i18n",
                "dealers.context_processors.navigation",
                # A suspended dealer's users see the suspension on every page.
                "incentives.context_processors.sanction_banner",
            ],
        },
    },
]

DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("DATABASE_URL") or f"sqlite:///{BASE_DIR / 'db.sqlite3'}",
        conn_max_age=int(os.environ.get("DJANGO_CONN_MAX_AGE", "60")),
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets the web process read while an import or a recompute writes. synchronous=NORMAL
    # (safe with WAL): a commit no longer waits for an fsync, only checkpoints do; a power cut
    # may lose the last commits but never corrupts the file (an application crash loses
    # nothing). A 64 MB page cache and temporary tables in memory serve large imports.
    DATABASES["default"].setdefault("OPTIONS", {})["init_command"] = (
        "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL;"
        " PRAGMA cache_size=-65536; PRAGMA temp_store=MEMORY;"
    )
    DATABASES["default"]["OPTIONS"]["transaction_mode"] = "IMMEDIATE"
    DATABASES["default"]["OPTIONS"]["timeout"] = 30
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "dealers.User"
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sign-in throttling: five failures for one user name from one address lock that pair
# for fifteen minutes, then it cools off. An attacker cannot lock a user out for good.
AXES_FAILURE_LIMIT = int(os.environ.get("AXES_FAILURE_LIMIT", "5"))
AXES_COOLOFF_TIME = 0.25  # hours
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"

LANGUAGE_CODE = "zh-hans"
LANGUAGES = [("zh-hans", _("简体中文")), ("en", _("English"))]
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = "Asia/Shanghai"
USE_I18N = True
# ISO dates and a 24-hour clock in every language (config/formats).
FORMAT_MODULE_PATH = ["config.formats"]
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
}
MEDIA_URL = "media/"
MEDIA_ROOT = Path(os.environ.get("DJANGO_MEDIA_ROOT", BASE_DIR / "media"))

# Celery: with no broker the tasks run eagerly, in-process.
CELERY_BROKER_URL = os.environ.get("CELERY_BROKER_URL", "")
CELERY_TASK_ALWAYS_EAGER = not CELERY_BROKER_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = os.environ.get("CELERY_RESULT_BACKEND", CELERY_BROKER_URL or None)
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_ACCEPT_CONTENT = ["json"]
# A task is acknowledged only after it finished; a worker lost mid-task puts it back.
# The queue tasks go to and workers read by default; separate deployments on one Redis set their own.
CELERY_TASK_DEFAULT_QUEUE = os.environ.get("CELERY_TASK_DEFAULT_QUEUE", "celery")
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 1800
CELERY_TASK_TIME_LIMIT = 2100
# Redis hands a task that was not acknowledged (its worker died) to another worker after
# this long; a task still running by then may run twice, which every task here tolerates
# (imports claim their job, recompute parts are idempotent, a fenced run writes nothing).
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": int(os.environ.get("CELERY_VISIBILITY_TIMEOUT", "300"))
}
CELERY_RESULT_EXPIRES = 86400
# A broker or result store that is down must cost a request seconds, not a minute of
# retries: the work waits in the database and the sweep queues it when Redis is back.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {
    "retry_policy": {"max_retries": 3, "interval_start": 0, "interval_step": 0.5, "interval_max": 0.5}
}
CELERY_BEAT_SCHEDULE = {
    "recompute-open-periods-nightly": {
        "task": "assessments.tasks.recompute_open_periods",
        "schedule": crontab(hour=2, minute=0),
    },
    # Lost runs, waiting recompute requests, lost or never-queued imports: nothing stuck for long.
    "sweep-background-work": {
        "task": "assessments.tasks.sweep_background_work",
        "schedule": 60.0,
    },
}
# A recompute holds its period under a lease renewed every quarter of it; a run whose worker
# died frees the period within one lease, and the sweep gives its requests to a new run.
RECOMPUTE_LEASE_SECONDS = int(os.environ.get("RECOMPUTE_LEASE_SECONDS", "120"))
# Nudges for one period within this many seconds end in one run.
RECOMPUTE_COALESCE_SECONDS = int(os.environ.get("RECOMPUTE_COALESCE_SECONDS", "10"))
# A running import on PostgreSQL beats every few seconds; silent this long, its worker is gone.
IMPORT_STALE_SECONDS = int(os.environ.get("IMPORT_STALE_SECONDS", "300"))

REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": [
        "dealers.api.authentication.ApiTokenAuthentication",
        "rest_framework.authentication.SessionAuthentication",
    ],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.IsAuthenticated"],
    "DEFAULT_PARSER_CLASSES": [
        "config.api_parsers.JSONParser",
        "rest_framework.parsers.FormParser",
        "rest_framework.parsers.MultiPartParser",
    ],
    "DEFAULT_PAGINATION_CLASS": "config.api_pagination.StandardPagination",
    "PAGE_SIZE": 50,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    # DRF's throttles, failing open to a per-process limit while the shared cache is down.
    "DEFAULT_THROTTLE_CLASSES": [
        "config.api_throttles.ApiAnonRateThrottle",
        "config.api_throttles.ApiUserRateThrottle",
    ],
    # "uploads": imports through the API, per user (the upload page counts import records).
    "DEFAULT_THROTTLE_RATES": {
        "anon": "60/minute",
        "user": "2000/minute",
        "uploads": f"{os.environ.get('IMPORT_UPLOADS_PER_HOUR', '30')}/hour",
    },
    "EXCEPTION_HANDLER": "config.api_errors.exception_handler",
    # How many proxies sit in front: throttling trusts only that many X-Forwarded-For hops.
    "NUM_PROXIES": int(os.environ.get("DJANGO_NUM_PROXIES", "0")),
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Dealer after-sales assessment API",
    "DESCRIPTION": "Scorecards, service data and imports of the dealer after-sales assessment portal.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": f"/{STATIC_URL.lstrip('/')}img/favicon.svg",
    # The docs page draws fast (docs/benchmarks.md → "API docs page"): the endpoint groups
    # start closed (a reader opens one; a deep link opens its own), no separate list of every
    # schema (each operation shows its own), no syntax colouring of long JSON examples.
    "SWAGGER_UI_SETTINGS": {
        "deepLinking": True,
        "docExpansion": "none",
        "defaultModelsExpandDepth": -1,
        "syntaxHighlight": {"activated": False},
        "filter": True,
    },
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    # Choice sets that share a field name get names of their own in the schema.
    "ENUM_NAME_OVERRIDES": {
        "AppealCorrectionEnum": "incentives.choices.CorrectionKind",
        "AppealRecordCorrectionEnum": "incentives.choices.RecordCorrection",
        "AppealRecordKindEnum": "incentives.choices.AppealRecordKind",
        "ImportKindEnum": "assessments.choices.ImportKind",
        "GoalKindEnum": "goals.choices.GoalKind",
    },
    # Behind sign-in unless API_DOCS_PUBLIC=1 (config.api_base.ApiDocsAccess reads it per request).
    "SERVE_PERMISSIONS": ["config.api_base.ApiDocsAccess"],
}
# The OpenAPI schema and its docs page are for signed-in users; 1 opens them to anyone.
API_DOCS_PUBLIC = env_bool("API_DOCS_PUBLIC", False)

# API tokens (dealers.api.tokens): stored as SHA-256, valid this many days after they are made.
API_TOKEN_TTL_DAYS = int(os.environ.get("API_TOKEN_TTL_DAYS", "90"))

# Content-Security-Policy (config.middleware): no inline script or style anywhere, so an
# injected <script> or style= does nothing. CSP_REPORT_ONLY=1 only reports violations.
CONTENT_SECURITY_POLICY = "; ".join(
    [
        "default-src 'self'",
        "script-src 'self'",
        "style-src 'self'",
        "img-src 'self' data:",
        "object-src 'none'",
        "base-uri 'self'",
        "frame-ancestors 'none'",
        "form-action 'self'",
    ]
)
CSP_REPORT_ONLY = env_bool("CSP_REPORT_ONLY", False)

# Imports
IMPORT_MAX_FILE_BYTES = int(os.environ.get("IMPORT_MAX_FILE_BYTES", str(200 * 1024 * 1024)))
IMPORT_MAX_ROWS = int(os.environ.get("IMPORT_MAX_ROWS", "2000000"))
IMPORT_BACKGROUND_ROWS = int(os.environ.get("IMPORT_BACKGROUND_ROWS", "5000"))
# Without a broker, a background import runs in a thread of the web process (off: in the request).
IMPORT_IN_PROCESS_THREAD = env_bool("IMPORT_IN_PROCESS_THREAD", True)
IMPORT_UPLOADS_PER_HOUR = int(os.environ.get("IMPORT_UPLOADS_PER_HOUR", "30"))
# From this size on a file is parsed in a forked child process, beside the process that
# writes it (assessments/importing/parse_process.py); 0: always, -1: never (a thread).
IMPORT_PARSE_PROCESS_MIN_BYTES = int(os.environ.get("IMPORT_PARSE_PROCESS_MIN_BYTES", str(1024 * 1024)))
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

EMAIL_BACKEND = os.environ.get("DJANGO_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend")
DEFAULT_FROM_EMAIL = os.environ.get("DJANGO_DEFAULT_FROM_EMAIL", "portal@aftersales.local")

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": os.environ.get("DJANGO_LOG_LEVEL", "WARNING")},
}

# The cache coalesces recompute requests across processes: Redis when there is a broker.
if CELERY_BROKER_URL.startswith("redis"):
    CACHES = {
        "default": {
            "BACKEND": "django.core.cache.backends.redis.RedisCache",
            "LOCATION": os.environ.get("CACHE_URL", CELERY_BROKER_URL),
            # A cache that cannot be reached fails within a second instead of hanging requests.
            "OPTIONS": {"socket_connect_timeout": 1, "socket_timeout": 1},
        }
    }
    # Sessions are read from the shared cache and written through to the database: a page no
    # longer waits for the session's query (logging out or expiring clears both).
    SESSION_ENGINE = "django.contrib.sessions.backends.cached_db"
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# Page cache (assessments/pages/cache.py): what only a recompute changes, per scope and language.
# On by default with Redis, the cache every web process and the worker share; PAGE_CACHE=0 turns
# it off. Entries expire after PAGE_CACHE_SECONDS whatever happens.
PAGE_CACHE = env_bool("PAGE_CACHE", CACHES["default"]["BACKEND"].endswith("RedisCache"))
PAGE_CACHE_SECONDS = int(os.environ.get("PAGE_CACHE_SECONDS", "600"))

# Pages open by default on the newest month that has ended and in which at least this share
# of the scorecards in the user's scope are scored (not insufficient data): "mostly scored".
DEFAULT_PERIOD_MIN_SCORED_SHARE = float(os.environ.get("DEFAULT_PERIOD_MIN_SCORED_SHARE", "0.5"))

# Monthly submissions: due on this day of the following month; reminders this many days before.
SUBMISSION_DEADLINE_DAY = int(os.environ.get("SUBMISSION_DEADLINE_DAY", "5"))
SUBMISSION_REMINDER_DAYS_BEFORE = int(os.environ.get("SUBMISSION_REMINDER_DAYS_BEFORE", "2"))
CELERY_BEAT_SCHEDULE["submission-reminders-daily"] = {
    "task": "assessments.tasks_submissions.send_submission_reminders",
    "schedule": crontab(hour=9, minute=0),
}

# The portal's own address, put in front of every link an e-mail carries (a mail client cannot
# resolve a bare path): e.g. https://aftersales.example.cn — no trailing slash needed.
SITE_URL = os.environ.get("SITE_URL", "http://localhost:8000").rstrip("/")

# Group robots (WeCom, DingTalk) that notices are posted to: how long one POST may take, and
# whether, without a broker (the laptop default), a thread of the web process posts them.
ROBOT_TIMEOUT_SECONDS = int(os.environ.get("ROBOT_TIMEOUT_SECONDS", "5"))
ROBOT_IN_PROCESS_THREAD = env_bool("ROBOT_IN_PROCESS_THREAD", True)
# Text messages (survey links): the backend class, like EMAIL_BACKEND. No real provider is
# configured here; the console backend writes each message to the log.
SMS_BACKEND = os.environ.get("SMS_BACKEND", "surveys.sms.ConsoleSmsBackend")

# Workbench (待办): an appeal window shows as closing this many days before its end; a proposal,
# an appeal, a report or a plan waiting for a manager is due this many days after it arrived;
# failed imports stay on their uploader's list this many days.
WORKBENCH_APPEAL_NOTICE_DAYS = int(os.environ.get("WORKBENCH_APPEAL_NOTICE_DAYS", "3"))
WORKBENCH_DECIDE_WITHIN_DAYS = int(os.environ.get("WORKBENCH_DECIDE_WITHIN_DAYS", "7"))
WORKBENCH_FAILED_IMPORT_DAYS = int(os.environ.get("WORKBENCH_FAILED_IMPORT_DAYS", "7"))

# Appeals are taken for this many days after a period's scorecards first appear (and before close).
APPEAL_WINDOW_DAYS = int(os.environ.get("APPEAL_WINDOW_DAYS", "7"))
CELERY_BEAT_SCHEDULE["rectifications-overdue-daily"] = {
    "task": "incentives.tasks.flag_overdue_rectifications",
    "schedule": crontab(hour=7, minute=30),
}

# Customer voice: survey links live this long; closed repair orders this recent get one.
SURVEY_INVITATION_TTL_DAYS = int(os.environ.get("SURVEY_INVITATION_TTL_DAYS", "14"))
SURVEY_INVITATION_LOOKBACK_DAYS = int(os.environ.get("SURVEY_INVITATION_LOOKBACK_DAYS", "14"))
SURVEY_HOT_ALERT_LOOKBACK_DAYS = int(os.environ.get("SURVEY_HOT_ALERT_LOOKBACK_DAYS", "14"))
SURVEY_LINK_BASE_URL = os.environ.get("SURVEY_LINK_BASE_URL", "")  # e.g. https://survey.example.cn
# What drives overall satisfaction: a factor answered together with overall by fewer responses
# than this is shown but marked "too few answers to judge".
SURVEY_FACTOR_MIN_SAMPLE = int(os.environ.get("SURVEY_FACTOR_MIN_SAMPLE", "30"))
CELERY_BEAT_SCHEDULE["daily-clearing-reminders"] = {
    "task": "surveys.tasks.send_daily_clearing_reminders",
    "schedule": crontab(hour=8, minute=30),
}
CELERY_BEAT_SCHEDULE["customer-voice-sweep"] = {
    "task": "surveys.tasks.sweep_customer_voice",
    "schedule": crontab(minute="*/10"),
}

# Incentive proposals left undecided this many days expire (status "expired", audited) in a
# daily task; a rule that still holds proposes again at the next close.
INCENTIVE_PROPOSAL_MAX_AGE_DAYS = int(os.environ.get("INCENTIVE_PROPOSAL_MAX_AGE_DAYS", "60"))
CELERY_BEAT_SCHEDULE["incentive-proposals-expire-daily"] = {
    "task": "incentives.tasks.expire_incentive_proposals",
    "schedule": crontab(hour=3, minute=15),
}
# Rule precedence, strongest tier first; each tier is a list of action types. For one dealer
# and month, when any rule's condition selects an action of a tier, the actions of every
# LATER tier are not proposed that month (the condition counts even when the stronger action
# itself is not proposed again because one is pending or already in force). Actions within a
# tier do not block each other; a type listed in no tier is never blocked. Independently of
# this order, a veto for the dealer and month blocks every reward (bonus, honour).
# Default: any sanction (suspension, rectification, interview) means no reward that month.
INCENTIVE_PRECEDENCE: list[list[str]] = [
    ["suspension", "rectification", "interview"],
    ["honour", "bonus"],
]

# Goals at risk: one notice per goal per day to its owner (goals.services.goals_remind_at_risk).
CELERY_BEAT_SCHEDULE["goals-at-risk-daily"] = {
    "task": "goals.tasks.remind_goals_at_risk",
    "schedule": crontab(hour=8, minute=35),
}

# Technical support (support app): service levels in hours, (first response, resolution), by urgency.
SUPPORT_SERVICE_LEVELS = {
    "vor": (
        int(os.environ.get("SUPPORT_VOR_FIRST_HOURS", "2")),
        int(os.environ.get("SUPPORT_VOR_RESOLVE_HOURS", "24")),
    ),
    "normal": (
        int(os.environ.get("SUPPORT_FIRST_HOURS", "8")),
        int(os.environ.get("SUPPORT_RESOLVE_HOURS", "72")),
    ),
}
# Largest file per kind (MB) and files per message.
SUPPORT_MAX_FILE_MB = {"photo": 10, "video": 50, "pdf": 20, "log": 20}
SUPPORT_MAX_FILES = 10
# Members of this group are the senior experts a breached case is escalated to.
SUPPORT_SENIOR_GROUP = os.environ.get("SUPPORT_SENIOR_GROUP", "senior technical experts")
# Breached cases are escalated every quarter of an hour.
# Findings: every night the detectors run over the last month that has ended, one task each
# (insights.tasks.analyse_month fans out), then closed findings are re-measured.
CELERY_BEAT_SCHEDULE["insights-analyse-nightly"] = {
    "task": "insights.tasks.analyse_month",
    "schedule": crontab(hour=2, minute=30),
}
CELERY_BEAT_SCHEDULE["support-escalate-breached"] = {
    "task": "support.tasks.escalate_breached_cases",
    "schedule": 15 * 60,
}
