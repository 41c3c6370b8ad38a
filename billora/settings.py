"""Billora settings: one module, every machine-specific value from the environment.

Defaults give a working local app (SQLite under var/, eager Celery tasks, console
email). Production sets SECRET_KEY, DATABASE_URL, REDIS_URL, ALLOWED_HOSTS and
EMAIL_URL and passes ``manage.py check --deploy`` without warnings.
"""

import os
from pathlib import Path

import environ
from django.core.exceptions import ImproperlyConfigured
from kombu import Queue

from billora import object_storage
from billora.cache import redis_cache_settings

BASE_DIR = Path(__file__).resolve().parent.parent
VAR_DIR = BASE_DIR / "var"

env = environ.Env()
environ.Env.read_env(BASE_DIR / ".env", overwrite=False)

DEBUG = env.bool("DJANGO_DEBUG", default=False)
# Development key only: production must set SECRET_KEY (check --deploy refuses this one).
SECRET_KEY = env("SECRET_KEY", default="django-insecure-billora-development-key-do-not-use")
ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost", "[::1]", "testserver"])
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[])
SITE_URL = env("SITE_URL", default="http://127.0.0.1:8000")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    # The project package itself: its template filters (formatting) and catalog commands.
    "billora",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "rest_framework",
    "django_filters",
    "drf_spectacular",
    "drf_spectacular_sidecar",
    "django_htmx",
    "django_prometheus",
    "accounts",
    "organizations",
    "audit",
    "billing",
    "documents",
]

MIDDLEWARE = [
    # First and last: request counts, latencies and response codes for /metrics.
    "django_prometheus.middleware.PrometheusBeforeMiddleware",
    "billora.middleware.RequestIdMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The web's language: the set_language cookie, else the browser's Accept-Language.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "organizations.middleware.TenantScopeMiddleware",
    "accounts.middleware.TwoFactorRequiredMiddleware",
    "accounts.middleware.SecretPagesNotCachedMiddleware",
    "billora.middleware.ApiBodyTooLargeMiddleware",
    "django_prometheus.middleware.PrometheusAfterMiddleware",
]

ROOT_URLCONF = "billora.urls"
WSGI_APPLICATION = "billora.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.debug",
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "organizations.context_processors.tenancy",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------
VAR_DIR.mkdir(exist_ok=True)
DATABASES = {"default": env.db("DATABASE_URL", default=f"sqlite:///{VAR_DIR / 'billora.sqlite3'}")}
DATABASES["default"].setdefault("CONN_MAX_AGE", env.int("DB_CONN_MAX_AGE", default=60))
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.postgresql":
    # Server-side parameter binding lets psycopg prepare a statement once it has run
    # DB_PREPARE_THRESHOLD times on a connection: the queries every request repeats skip
    # parsing and planning. Behind a pooler in transaction mode that does not track prepared
    # statements, set DB_PREPARE_THRESHOLD to empty (never prepare).
    _prepare_threshold = env("DB_PREPARE_THRESHOLD", default="5")
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("server_side_binding", env.bool("DB_SERVER_SIDE_BINDING", default=True))
    DATABASES["default"]["OPTIONS"].setdefault(
        "prepare_threshold", int(_prepare_threshold) if _prepare_threshold else None
    )
DATABASES["default"].setdefault("TEST", {})
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # Row locks do not exist on SQLite; IMMEDIATE transactions serialise writers instead.
    DATABASES["default"].setdefault("OPTIONS", {})
    DATABASES["default"]["OPTIONS"].setdefault("transaction_mode", "IMMEDIATE")
    DATABASES["default"]["OPTIONS"].setdefault("timeout", 20)
# Behind a pooler in transaction mode a cursor must not outlive its transaction: Django then
# reads iterator() results client-side (every iterator() in the app already runs in a transaction).
DATABASES["default"]["DISABLE_SERVER_SIDE_CURSORS"] = env.bool("DB_DISABLE_SERVER_SIDE_CURSORS", default=False)
# The same engines, wrapped by django-prometheus to count queries, errors and query time for
# /metrics (the connection's vendor is unchanged; code that needs it asks connection.vendor).
PROMETHEUS_ENGINES = {
    "django.db.backends.postgresql": "django_prometheus.db.backends.postgresql",
    "django.db.backends.sqlite3": "django_prometheus.db.backends.sqlite3",
}
DATABASES["default"]["ENGINE"] = PROMETHEUS_ENGINES.get(DATABASES["default"]["ENGINE"], DATABASES["default"]["ENGINE"])
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
# PostgreSQL row-level security, the second tenancy wall (organizations/rls.py): on, every
# transaction tells PostgreSQL the open tenant scope, and the policies hide other tenants' rows
# from the role the app connects as. Off: nothing is set, and the app must connect as the role
# that owns the tables (the policies do not bind it). No effect on SQLite.
BILLORA_RLS = env.bool("BILLORA_RLS", default=True)

# --- Auth -----------------------------------------------------------------------------
AUTH_USER_MODEL = "accounts.User"
AUTHENTICATION_BACKENDS = [
    "django.contrib.auth.backends.ModelBackend",
    "allauth.account.auth_backends.AuthenticationBackend",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 10},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "account_login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "account_login"

ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = True
ACCOUNT_LOGIN_ON_PASSWORD_RESET = False
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_REAUTHENTICATION_TIMEOUT = env.int("ACCOUNT_REAUTHENTICATION_TIMEOUT", default=300)
# Email changes need a recent password entry (allauth asks again after the timeout above).
ACCOUNT_REAUTHENTICATION_REQUIRED = True
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Billora] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = env("ACCOUNT_DEFAULT_HTTP_PROTOCOL", default="https" if not DEBUG else "http")
ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
# Two-factor authentication (allauth.mfa): an authenticator app (TOTP) with recovery codes.
# Recovery codes are shown once, right after they are generated (a new set replaces them).
# Showing codes, adding or removing an authenticator asks for the password again.
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Billora"
# One 30-second step either side: a phone whose clock is a few seconds off, or a code typed
# in the last moment of its step, still signs in (RFC 6238 section 5.2 allows this).
MFA_TOTP_TOLERANCE = 1
MFA_RECOVERY_CODES_SHOW_ONCE = True
MFA_REAUTHENTICATION_REQUIRED = True
# allauth's built-in rate limits stay on (they need a shared cache, configured below).
# Proxies in front of the app that append to X-Forwarded-For (a TLS terminator, a load
# balancer): with 0, every client behind a proxy shares the proxy's address and its per-address
# login limits. The security log and request log use the same client address.
ALLAUTH_TRUSTED_PROXY_COUNT = env.int("ALLAUTH_TRUSTED_PROXY_COUNT", default=0)

# --- Internationalisation ---------------------------------------------------------------
# The web follows the browser (Accept-Language) or the footer's language switcher; documents
# (PDF, email) follow the customer's language (documents.language). Catalogs: locale/<lang>/,
# updated by `make messages`, compiled by `make compilemessages` (Babel, no GNU gettext needed).
LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("fr", "Français"), ("de", "Deutsch")]
LOCALE_PATHS = [BASE_DIR / "locale"]
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = env("TIME_ZONE", default="UTC")
USE_I18N = True
USE_TZ = True

# --- Static and media ---------------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=VAR_DIR / "media")
# Logos and PDFs: local files under MEDIA_ROOT (one machine), or an S3-compatible object store
# shared by every web and worker host (STORAGE_URL or AWS_STORAGE_BUCKET_NAME; see
# billora/object_storage.py). Media is never public: downloads go through the app's views,
# which stream the file, or with MEDIA_REDIRECT_SECONDS > 0 (object storage only) answer with a
# redirect to a signed URL valid that many seconds (the object store must then be reachable
# by the users' browsers and API clients).
STORAGE_URL = env("STORAGE_URL", default="")
MEDIA_REDIRECT_SECONDS = env.int("MEDIA_REDIRECT_SECONDS", default=0)
_default_storage = object_storage.default_storage_config(
    storage_url=STORAGE_URL, environ=os.environ, signed_url_seconds=MEDIA_REDIRECT_SECONDS or 300
)
if _default_storage["BACKEND"] == object_storage.S3_BACKEND:
    from botocore.config import Config as BotoConfig

    # A hung object store must not hold a request or a worker for botocore's 60 s defaults. (A
    # client_config replaces the one django-storages would build from these two options.)
    _default_storage["OPTIONS"]["client_config"] = BotoConfig(
        connect_timeout=5,
        read_timeout=30,
        retries={"max_attempts": 3, "mode": "standard"},
        signature_version=_default_storage["OPTIONS"]["signature_version"],
        s3={"addressing_style": _default_storage["OPTIONS"].get("addressing_style")},
    )
elif MEDIA_REDIRECT_SECONDS:
    raise ImproperlyConfigured("MEDIA_REDIRECT_SECONDS needs object storage (STORAGE_URL): local files have no URL.")
STORAGES = {
    "default": _default_storage,
    "staticfiles": {
        "BACKEND": env(
            "STATICFILES_STORAGE",
            default="whitenoise.storage.CompressedManifestStaticFilesStorage"
            if not DEBUG
            else "django.contrib.staticfiles.storage.StaticFilesStorage",
        )
    },
}
WHITENOISE_USE_FINDERS = DEBUG
FILE_UPLOAD_MAX_MEMORY_SIZE = 2_621_440
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DATA_UPLOAD_MAX_MEMORY_SIZE", default=10_485_760)
# The invoice editor posts 4 fields per line and an invoice may have 500 lines (Django's
# default of 1,000 fields would refuse an invoice of more than about 245 lines).
DATA_UPLOAD_MAX_NUMBER_FIELDS = 2_500

# --- Redis: cache and Celery --------------------------------------------------------------
REDIS_URL = env("REDIS_URL", default="")
if REDIS_URL:
    # allauth's rate limits live here; during a Redis outage they are skipped (with a warning)
    # rather than failing every sign-in: see billora/cache.py.
    CACHES = {"default": redis_cache_settings(REDIS_URL, key_prefix=env("CACHE_KEY_PREFIX", default="billora"))}
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

CELERY_BROKER_URL = env("CELERY_BROKER_URL", default=REDIS_URL)
# No broker configured: tasks run in-process, so the local app works without Redis.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not CELERY_BROKER_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_RESULT_BACKEND = None
CELERY_TASK_IGNORE_RESULT = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_SOFT_TIME_LIMIT = 120
CELERY_TASK_TIME_LIMIT = 180
# A task taken by a worker that then vanished (host lost, SIGKILL) goes back to its queue after
# this many seconds; a live worker keeps its messages. Longer than any task's time limit and
# retry countdown (the email's longest is 4 minutes), so acks_late never redelivers early.
CELERY_VISIBILITY_TIMEOUT = env.int("CELERY_VISIBILITY_TIMEOUT", default=3600)
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "visibility_timeout": CELERY_VISIBILITY_TIMEOUT,
    # How often each worker looks for such messages: a quarter of the timeout, at most 10 s
    # (one small Redis read). The look holds a Redis lock that a worker killed while holding it
    # leaves behind until it expires: never longer than the timeout's quarter either.
    "unacked_restore_interval": max(1, min(10, CELERY_VISIBILITY_TIMEOUT // 4)),
    "unacked_restore_throttle": 1,
    "unacked_mutex_expire": max(1, min(300, CELERY_VISIBILITY_TIMEOUT // 4)),
    "socket_connect_timeout": 2,
}
# Queues by kind of work, so each kind has its own workers: a flood of PDF renders never
# delays an email, and beat's housekeeping never waits behind either. A worker started without
# -Q (`make worker`) consumes them all; production runs a worker group per queue (README,
# Production), e.g. `celery -A billora worker -Q documents`.
TASK_QUEUE_NAMES = ("documents", "email", "scheduled")
CELERY_TASK_QUEUES = [Queue(name) for name in TASK_QUEUE_NAMES]
CELERY_TASK_ROUTES = {
    "documents.tasks.render_invoice_document": {"queue": "documents"},
    "documents.tasks.render_credit_note_document": {"queue": "documents"},
    "documents.tasks.send_outbound_email": {"queue": "email"},
    "documents.tasks.sweep_pending_work": {"queue": "scheduled"},
    "organizations.tasks.purge_idempotency_keys": {"queue": "scheduled"},
    "billing.tasks.run_recurring_invoices": {"queue": "scheduled"},
    "billing.tasks.send_due_reminders": {"queue": "scheduled"},
}
# A task missing from the routes still runs (with the light periodic work) instead of waiting
# in a queue no worker consumes; a test requires every task to be routed explicitly.
CELERY_TASK_DEFAULT_QUEUE = "scheduled"
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_TASK_PUBLISH_RETRY = False
CELERY_TIMEZONE = TIME_ZONE
CELERY_BEAT_SCHEDULE = {}  # filled in by the apps that own periodic work (see billora/celery.py)

# --- Email --------------------------------------------------------------------------------
EMAIL_CONFIG = env.email_url("EMAIL_URL", default="consolemail://")
vars().update(EMAIL_CONFIG)
DEFAULT_FROM_EMAIL = env("DEFAULT_FROM_EMAIL", default="Billora <no-reply@billora.localhost>")
SERVER_EMAIL = env("SERVER_EMAIL", default=DEFAULT_FROM_EMAIL)
EMAIL_TIMEOUT = env.int("EMAIL_TIMEOUT", default=20)
# How long a worker holds an outbox row while it sends (README, Invoice PDFs and email): longer
# than a task may run (CELERY_TASK_TIME_LIMIT), so a live send never loses its row; once it
# has passed, the worker is taken for dead and the sweeper gives the row to another.
EMAIL_SENDING_LEASE_SECONDS = env.int("EMAIL_SENDING_LEASE_SECONDS", default=CELERY_TASK_TIME_LIMIT + 60)

# --- Security -----------------------------------------------------------------------------
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Load balancers and Prometheus talk to the hosts directly over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$", r"^metrics$"]
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 31_536_000)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env.bool("SECURE_HSTS_INCLUDE_SUBDOMAINS", default=not DEBUG)
SECURE_HSTS_PRELOAD = env.bool("SECURE_HSTS_PRELOAD", default=not DEBUG)
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SESSION_COOKIE_SECURE = env.bool("SESSION_COOKIE_SECURE", default=not DEBUG)
CSRF_COOKIE_SECURE = env.bool("CSRF_COOKIE_SECURE", default=not DEBUG)
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
X_FRAME_OPTIONS = "DENY"

# --- REST API -----------------------------------------------------------------------------
REST_FRAMEWORK = {
    "DEFAULT_AUTHENTICATION_CLASSES": ["organizations.api.authentication.ApiKeyAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["organizations.api.permissions.HasCapability"],
    "DEFAULT_RENDERER_CLASSES": ["billora.api.renderers.OrjsonRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_PAGINATION_CLASS": "billora.api.pagination.PageNumberPagination",
    "PAGE_SIZE": 25,
    "DEFAULT_FILTER_BACKENDS": [
        "django_filters.rest_framework.DjangoFilterBackend",
        "rest_framework.filters.SearchFilter",
        "rest_framework.filters.OrderingFilter",
    ],
    "DEFAULT_SCHEMA_CLASS": "billora.api.schema.BilloraAutoSchema",
    "DEFAULT_THROTTLE_CLASSES": ["organizations.api.throttling.ApiKeyRateThrottle"],
    "DEFAULT_THROTTLE_RATES": {"api_key": env("API_THROTTLE_RATE", default="120/minute")},
    "EXCEPTION_HANDLER": "billora.api.exceptions.exception_handler",
    "COERCE_DECIMAL_TO_STRING": True,
    "UNAUTHENTICATED_USER": None,
    "TEST_REQUEST_DEFAULT_FORMAT": "json",
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Billora API",
    "DESCRIPTION": "REST API v1 for scripted access to Billora: businesses, customers, "
    "invoices, payments and the audit log. Authenticate with `Authorization: Bearer <api key>`.",
    "VERSION": "1.0.0",
    "SERVE_INCLUDE_SCHEMA": False,
    "SWAGGER_UI_DIST": "SIDECAR",
    "SWAGGER_UI_FAVICON_HREF": "SIDECAR",
    "REDOC_DIST": "SIDECAR",
    "COMPONENT_SPLIT_REQUEST": True,
    "SCHEMA_PATH_PREFIX": r"/api/v1",
    "ENUM_NAME_OVERRIDES": {
        "InvoiceStatusEnum": "billing.models.InvoiceStatus",
        "VatCategoryEnum": "billing.models.VatCategory",
        "DocumentStatusEnum": "documents.api.DOCUMENT_STATES",
        "CreditNoteStatusEnum": "billing.models.CreditNoteStatus",
        "PaymentKindEnum": "billing.models.PaymentKind",
    },
}

# --- Logging ------------------------------------------------------------------------------
# Web, workers and beat log through this configuration (billora/celery.py hands Celery's logging
# to it). LOG_FORMAT=json writes one JSON object per line, with the request log's fields
# (request_id, status, duration_ms, ...) as keys, for a log shipper.
LOG_LEVEL = env("LOG_LEVEL", default="INFO")
LOG_FORMAT = env("LOG_FORMAT", default="line")
if LOG_FORMAT not in ("line", "json"):
    raise ImproperlyConfigured(f"LOG_FORMAT must be line or json, not {LOG_FORMAT!r}.")
LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "line": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
        "json": {
            "()": "pythonjsonlogger.json.JsonFormatter",
            "fmt": "%(asctime)s %(levelname)s %(name)s %(process)d %(message)s",
            "rename_fields": {"asctime": "time", "levelname": "level", "name": "logger"},
        },
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": LOG_FORMAT}},
    "root": {"handlers": ["console"], "level": LOG_LEVEL},
    "loggers": {
        "django.request": {"level": "ERROR"},
        "django.server": {"level": "WARNING"},
        "billora.requests": {"level": "INFO", "propagate": True},
        "factur-x": {"level": "WARNING"},  # it logs every file it makes at INFO
        "pikepdf": {"level": "WARNING"},  # it logs its own start at INFO in every process
    },
}

# --- Metrics (Prometheus) -------------------------------------------------------------------
# /metrics answers only a request that carries `Authorization: Bearer <METRICS_TOKEN>` or comes
# from an address in METRICS_ALLOWED_IPS (addresses or networks, e.g. 10.0.0.0/8); with neither
# set it does not exist (404). Behind a proxy, scrape the hosts directly: the allow-list checks
# the connecting address. Under gunicorn with several workers, PROMETHEUS_MULTIPROC_DIR (an empty
# directory per host) sums the workers' request and query metrics (billora/gunicorn_conf.py).
METRICS_TOKEN = env("METRICS_TOKEN", default="")
METRICS_ALLOWED_IPS = env.list("METRICS_ALLOWED_IPS", default=[])
# What /metrics reads on each scrape, besides the request and database metrics of this process.
METRICS_COLLECTORS = [
    "billora.metrics.CeleryCollector",
    "billora.metrics.OutboxCollector",
    "billora.metrics.DocumentCollector",
]

ADMIN_SITE_HEADER = "Billora support"
