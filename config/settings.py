"""Accord settings: one file, driven by ACCORD_* environment variables (see .env.example)."""

from __future__ import annotations

import os
from pathlib import Path

import dj_database_url
from django.core.exceptions import ImproperlyConfigured

from accord.core.env import env_bool, env_choice, env_int, env_list, env_str

BASE_DIR = Path(__file__).resolve().parent.parent
DATA_DIR = Path(env_str("ACCORD_DATA_DIR", str(BASE_DIR / "var")))
DATA_DIR.mkdir(parents=True, exist_ok=True)

DEBUG = env_bool("ACCORD_DEBUG", False)
# Django's own deployment check asks for at least 50 characters; below that production refuses to start.
MIN_SECRET_KEY_LENGTH = 50
SECRET_KEY = env_str("ACCORD_SECRET_KEY")
if not SECRET_KEY:
    if not DEBUG and not env_bool("ACCORD_ALLOW_INSECURE_KEY", False):
        raise ImproperlyConfigured(
            "ACCORD_SECRET_KEY is not set. Set it (or ACCORD_SECRET_KEY_FILE) to a long random string; "
            "for local development set ACCORD_DEBUG=true."
        )
    SECRET_KEY = "insecure-development-key-do-not-use-in-production"
elif not DEBUG and len(SECRET_KEY) < MIN_SECRET_KEY_LENGTH:
    # A short key can be guessed offline from any signed value (session cookie, reset link), and then
    # every session can be forged: refuse to start rather than warn in a log nobody reads.
    raise ImproperlyConfigured(
        f"ACCORD_SECRET_KEY is {len(SECRET_KEY)} characters long; production mode (ACCORD_DEBUG off) needs "
        f"at least {MIN_SECRET_KEY_LENGTH}. Generate one with: "
        'python3 -c "import secrets; print(secrets.token_urlsafe(50))"'
    )

ALLOWED_HOSTS = env_list("ACCORD_ALLOWED_HOSTS", ["127.0.0.1", "localhost", "testserver"])
CSRF_TRUSTED_ORIGINS = env_list("ACCORD_CSRF_TRUSTED_ORIGINS")
# Links in emails start with this. Unset, it is the address `accord run` serves (ACCORD_BIND, else :8000).
_bind_host, _, _bind_port = (env_str("ACCORD_BIND") or "127.0.0.1:8000").rpartition(":")
_bind_host = "127.0.0.1" if _bind_host in ("", "0.0.0.0", "[::]") else _bind_host
SITE_URL = env_str("ACCORD_SITE_URL", f"http://{_bind_host}:{_bind_port}").rstrip("/")

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django_htmx",
    # Listed so the API docs page serves Swagger UI from django-ninja's own static files, not a CDN
    # (the Content-Security-Policy allows scripts and styles from this site only).
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "accord.core",
    "accord.people",
    "accord.leads",
    "accord.qualification",
    "accord.routing",
    "accord.sla",
    "accord.notifications",
    "accord.campaigns",
    "accord.deals",
    "accord.intake",
    "accord.planning",
    "accord.enablement",
    "accord.intelligence",
    "accord.knowledge",
    "accord.reporting",
    "accord.webhooks",
    "accord.workday",
    "accord.privacy",
    "accord.audit",
    "accord.records",
    "accord.demo",  # the top layer: the demo uses every app listed above
]

MIDDLEWARE = [
    # Outermost: a database that cannot be reached answers 503 (JSON on /api/ and /f/), not a 500 page.
    "accord.core.middleware.DatabaseUnavailableMiddleware",
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    # After WhiteNoise: static files need no policy and stay cacheable; every page gets both headers.
    "accord.core.security_headers.ContentSecurityPolicyMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "accord.core.security_headers.SessionIdleMiddleware",
    "accord.core.security_headers.NoStoreForSignedInMiddleware",
    "accord.people.auth_security.TotpRequiredMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    # An ApplicationError (or a model's ValidationError) a view let through: the one error, not a 500.
    "accord.core.middleware.ApplicationErrorMiddleware",
    "accord.audit.middleware.AuditContextMiddleware",
]

ROOT_URLCONF = "config.urls"
WSGI_APPLICATION = "config.wsgi.application"
ASGI_APPLICATION = "config.asgi.application"

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
                "accord.people.context_processors.roles",
            ],
        },
    }
]

# --- database -------------------------------------------------------------------------------
_database_url = env_str("DATABASE_URL") or env_str("ACCORD_DATABASE_URL")
if _database_url:
    try:
        _db = dj_database_url.parse(_database_url, conn_max_age=env_int("ACCORD_CONN_MAX_AGE", 60))
    except ValueError as exc:
        raise ImproperlyConfigured(f"DATABASE_URL is not a valid database URL: {exc}") from None
else:
    _db = {"ENGINE": "django.db.backends.sqlite3", "NAME": str(DATA_DIR / "accord.sqlite3")}

if _db["ENGINE"] == "django.db.backends.sqlite3":
    _db.setdefault("OPTIONS", {})
    _db["OPTIONS"].update(
        {
            # IMMEDIATE takes the write lock at BEGIN, so concurrent writers queue instead of failing
            # half-way through a transaction with "database is locked".
            "transaction_mode": "IMMEDIATE",
            "timeout": 30,
            "init_command": (
                "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; PRAGMA foreign_keys=ON; "
                "PRAGMA cache_size=-65536; PRAGMA busy_timeout=30000;"
            ),
        }
    )
    # Each process keeps its connection, as on PostgreSQL: a new SQLite connection reads the whole
    # schema again on its first statement (a few ms a request with this many tables and indexes).
    _db["CONN_MAX_AGE"] = env_int("ACCORD_CONN_MAX_AGE", 60)
    _db["CONN_HEALTH_CHECKS"] = True
else:
    _db["CONN_HEALTH_CHECKS"] = True
_db.setdefault("TEST", {})
if _db["ENGINE"] == "django.db.backends.sqlite3":
    # A file, not memory: tests of concurrent requests need a database their threads share. The
    # process id keeps test runs that happen at the same time apart.
    _db["TEST"].setdefault("NAME", str(DATA_DIR / f"test-{os.getpid()}.sqlite3"))
DATABASES = {"default": _db}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_USER_MODEL = "people.User"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": env_int("ACCORD_PASSWORD_MIN_LENGTH", 12, minimum=8)},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]

# "Forgot password?" links: valid this many minutes, and once (the token depends on the password hash).
PASSWORD_RESET_TIMEOUT = env_int("ACCORD_PASSWORD_RESET_MINUTES", 60, minimum=5, maximum=24 * 60) * 60
# Reset requests allowed per hour from one client address, and for one email address.
ACCORD_PASSWORD_RESET_PER_HOUR = env_int("ACCORD_PASSWORD_RESET_PER_HOUR", 5, minimum=1)

LANGUAGE_CODE = "en-us"
TIME_ZONE = env_str("ACCORD_TIME_ZONE", "UTC")
USE_I18N = True
USE_TZ = True
# One date convention on every page, chosen once: "iso" (2026-12-06, 2026-12-06 05:24; date inputs
# are text fields taking YYYY-MM-DD) or "locale" (the language's short formats, 12/06/2026, and the
# browser's own date picker, which shows the same). Templates name formats (SHORT_DATE_FORMAT,
# SHORT_DATETIME_FORMAT), never spell one out; accord.core.widgets.DateInput follows this too.
ACCORD_DATE_FORMAT = env_choice("ACCORD_DATE_FORMAT", ("iso", "locale"), "iso")
if ACCORD_DATE_FORMAT == "iso":
    FORMAT_MODULE_PATH = ["config.formats"]  # Django's English formats would win over DATE_FORMAT

STATIC_URL = "static/"
STATICFILES_DIRS = [BASE_DIR / "static"]
STATIC_ROOT = DATA_DIR / "staticfiles"
MEDIA_ROOT = DATA_DIR / "media"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedStaticFilesStorage"},
}
WHITENOISE_USE_FINDERS = True
WHITENOISE_AUTOREFRESH = DEBUG

# --- background work ------------------------------------------------------------------------
# db: tasks are rows in this database (django-tasks-db), claimed by any number of `accord worker`
# processes. rq: tasks go to Redis at ACCORD_REDIS_URL (django-tasks-rq) and `accord worker` runs an
# RQ worker with its scheduler (docs/scale-out.md says what changes).
ACCORD_TASK_BACKEND = env_choice("ACCORD_TASK_BACKEND", ("db", "rq"), "db")
ACCORD_REDIS_URL = env_str("ACCORD_REDIS_URL", "redis://127.0.0.1:6379/0")
# Every Accord task runs on the one default queue.
TASK_QUEUES = ["default"]


def task_backend_settings(backend: str, redis_url: str) -> tuple[dict, dict]:
    """``TASKS`` and django-rq's ``RQ_QUEUES`` for the chosen backend."""
    if backend == "db":
        return {"default": {"BACKEND": "django_tasks_db.DatabaseBackend", "QUEUES": TASK_QUEUES}}, {}
    if not redis_url.startswith(("redis://", "rediss://", "unix://")):
        raise ImproperlyConfigured(
            f"ACCORD_REDIS_URL={redis_url!r} is not a Redis URL: use redis://HOST:6379/0, rediss://... for "
            "TLS, or unix:///path/to/redis.sock."
        )
    # A task may run as long as an import of a large file: RQ's default timeout is 3 minutes.
    queues = {name: {"URL": redis_url, "DEFAULT_TIMEOUT": 6 * 3600} for name in TASK_QUEUES}
    return {"default": {"BACKEND": "django_tasks_rq.RQBackend", "QUEUES": TASK_QUEUES}}, queues


TASKS, RQ_QUEUES = task_backend_settings(ACCORD_TASK_BACKEND, ACCORD_REDIS_URL)
if ACCORD_TASK_BACKEND == "rq":
    INSTALLED_APPS += ["django_rq", "django_tasks_rq"]

# --- email ------------------------------------------------------------------------------------
_email_host = env_str("ACCORD_EMAIL_HOST")
EMAIL_HOST = _email_host or "127.0.0.1"
EMAIL_PORT = env_int("ACCORD_EMAIL_PORT", 25, minimum=1, maximum=65535)
EMAIL_HOST_USER = env_str("ACCORD_EMAIL_USER")
EMAIL_HOST_PASSWORD = env_str("ACCORD_EMAIL_PASSWORD")
EMAIL_USE_TLS = env_bool("ACCORD_EMAIL_USE_TLS", False)
DEFAULT_FROM_EMAIL = env_str("ACCORD_EMAIL_FROM", "accord@localhost")
# A notification email that fails is tried again after 1, 2, 4 ... minutes (at most an hour apart)
# until this many tries; failures show on the notification, in the admin and in /healthz ("mail").
ACCORD_EMAIL_MAX_ATTEMPTS = env_int("ACCORD_EMAIL_MAX_ATTEMPTS", 8, minimum=1, maximum=50)
if env_bool("ACCORD_EMAIL_CONSOLE", False):
    EMAIL_BACKEND = "django.core.mail.backends.console.EmailBackend"
elif DEBUG and not _email_host:
    # A local trial has no mail server: mail is written as files to var/outbox instead of failing.
    EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
    EMAIL_FILE_PATH = str(DATA_DIR / "outbox")

# --- security ---------------------------------------------------------------------------------
# HTTPS is enforced only for a real deployment: debug off and an https ACCORD_SITE_URL. A local
# `make run` (debug, or http://127.0.0.1) keeps working over plain HTTP.
_HTTPS = not DEBUG and SITE_URL.startswith("https://")
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SECURE = env_bool("ACCORD_SECURE_COOKIES", _HTTPS)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
# A sign-in lasts at most ACCORD_SESSION_HOURS (a working day by default), and ends sooner when the
# session is left unused for ACCORD_SESSION_IDLE_MINUTES (accord.core.security_headers.SessionIdleMiddleware).
SESSION_COOKIE_AGE = env_int("ACCORD_SESSION_HOURS", 12, minimum=1, maximum=24 * 90) * 3600
ACCORD_SESSION_IDLE_MINUTES = env_int("ACCORD_SESSION_IDLE_MINUTES", 60, minimum=1, maximum=24 * 60 * 90)
SECURE_SSL_REDIRECT = env_bool("ACCORD_SSL_REDIRECT", _HTTPS)
SECURE_HSTS_SECONDS = env_int("ACCORD_HSTS_SECONDS", 31_536_000 if _HTTPS else 0, minimum=0)
SECURE_HSTS_INCLUDE_SUBDOMAINS = env_bool("ACCORD_HSTS_INCLUDE_SUBDOMAINS", _HTTPS)
SECURE_HSTS_PRELOAD = env_bool("ACCORD_HSTS_PRELOAD", _HTTPS)
if env_bool("ACCORD_TRUST_X_FORWARDED_PROTO", False):
    # Only behind a proxy that sets (and strips incoming) X-Forwarded-Proto; otherwise a client could
    # claim HTTPS. Without it SECURE_SSL_REDIRECT loops behind a TLS-terminating proxy.
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
if SITE_URL.startswith("https://") and SITE_URL not in CSRF_TRUSTED_ORIGINS:
    CSRF_TRUSTED_ORIGINS = [*CSRF_TRUSTED_ORIGINS, SITE_URL]
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
DATA_UPLOAD_MAX_MEMORY_SIZE = env_int("ACCORD_MAX_REQUEST_BYTES", 2_621_440, minimum=1024)
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
# Enablement material uploads: at most this many bytes each (checked by content, see docs/enablement.md).
# Files go to STORAGES["materials"] when a deployment adds one (e.g. an S3-compatible bucket), else to
# the default storage under MEDIA_ROOT.
ACCORD_MATERIAL_MAX_BYTES = env_int("ACCORD_MATERIAL_MAX_BYTES", 25 * 1024 * 1024, minimum=1024)
# Bodies anyone may send (public form, incoming lead webhook): at most this many bytes (a source's
# own, smaller limit still applies). JSON bodies on every door (those two and the REST API) nest at
# most ACCORD_JSON_MAX_DEPTH levels and hold numbers of at most ACCORD_JSON_MAX_NUMBER_DIGITS digits.
ACCORD_PUBLIC_MAX_BODY_BYTES = env_int("ACCORD_PUBLIC_MAX_BODY_BYTES", 1_048_576, minimum=1024)
ACCORD_JSON_MAX_DEPTH = env_int("ACCORD_JSON_MAX_DEPTH", 32, minimum=2, maximum=200)
ACCORD_JSON_MAX_NUMBER_DIGITS = env_int("ACCORD_JSON_MAX_NUMBER_DIGITS", 50, minimum=16, maximum=4000)
# Sign-in throttling: after this many failed attempts for one username from one address within the
# window, further attempts are refused for the lockout period (login page and admin login alike);
# after ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS failures from one address for any usernames, that address
# is refused for every username.
ACCORD_LOGIN_MAX_FAILURES = env_int("ACCORD_LOGIN_MAX_FAILURES", 5, minimum=1)
ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS = env_int("ACCORD_LOGIN_MAX_FAILURES_PER_ADDRESS", 20, minimum=1)
ACCORD_LOGIN_WINDOW_MINUTES = env_int("ACCORD_LOGIN_WINDOW_MINUTES", 15, minimum=1)
ACCORD_LOGIN_LOCKOUT_MINUTES = env_int("ACCORD_LOGIN_LOCKOUT_MINUTES", 15, minimum=1)
# Admins must enrol an authenticator app (TOTP) before they can use Accord.
ACCORD_REQUIRE_TOTP_FOR_ADMINS = env_bool("ACCORD_REQUIRE_TOTP_FOR_ADMINS", False)
# Marketing email goes only to leads that granted consent (true), or to everyone who did not
# refuse it (false: unknown consent may be emailed). An unsubscribe is honoured either way.
ACCORD_EMAIL_REQUIRES_CONSENT = env_bool("ACCORD_EMAIL_REQUIRES_CONSENT", False)

# --- Accord ---------------------------------------------------------------------------------
# Fuzzy company-name match (rapidfuzz token-sort ratio, 0-100): at or above it a lead whose email
# domain names no account is linked to the account with the most similar name.
ACCORD_COMPANY_MATCH_THRESHOLD = env_int("ACCORD_COMPANY_MATCH_THRESHOLD", 90, minimum=50, maximum=100)
ACCORD_FREE_MAIL_DOMAINS_EXTRA = env_list("ACCORD_FREE_MAIL_DOMAINS_EXTRA")
ACCORD_IMPORT_CHUNK_ROWS = env_int("ACCORD_IMPORT_CHUNK_ROWS", 20_000, minimum=100)
# A running import whose heartbeat (refreshed with every chunk) is older than this has lost its worker
# (killed, machine restarted): a worker starting, or the periodic sweep, requeues it to go on.
ACCORD_IMPORT_STALE_SECONDS = env_int("ACCORD_IMPORT_STALE_SECONDS", 300, minimum=1)
# Every task worker writes a heartbeat each 10 s; /healthz reports the worker as not ok when none
# has for this long, and a task left running by a worker gone this long is put back in the queue.
ACCORD_WORKER_STALE_SECONDS = env_int("ACCORD_WORKER_STALE_SECONDS", 60, minimum=20)
# "Send now" on the page sends inline up to this many recipients; a larger audience is handed to the
# worker (the send is scheduled for now) so the request does not wait for every message.
ACCORD_SEND_INLINE_LIMIT = env_int("ACCORD_SEND_INLINE_LIMIT", 200, minimum=0)
# Email capture: per-user addresses <token>@ACCORD_MAILIN_DOMAIN served by `accord mail-in`.
ACCORD_MAILIN_DOMAIN = env_str("ACCORD_MAILIN_DOMAIN", "mail.accord.local")
ACCORD_MAILIN_HOST = env_str("ACCORD_MAILIN_HOST", "127.0.0.1")
ACCORD_MAILIN_PORT = env_int("ACCORD_MAILIN_PORT", 2525, minimum=1, maximum=65535)
ACCORD_MAILIN_MAX_BYTES = env_int("ACCORD_MAILIN_MAX_BYTES", 10_485_760, minimum=1024)
# Parts nested deeper than this (a message attached to a message attached to ...) are reported back
# to the user as unreadable rather than parsed.
ACCORD_MAILIN_MAX_MIME_DEPTH = env_int("ACCORD_MAILIN_MAX_MIME_DEPTH", 16, minimum=2, maximum=100)
ACCORD_NURTURE_RECHECK_DAYS = env_int("ACCORD_NURTURE_RECHECK_DAYS", 90, minimum=1, maximum=3650)
# Behind a reverse proxy, read the client address from X-Forwarded-For (for rate limits).
ACCORD_TRUST_X_FORWARDED_FOR = env_bool("ACCORD_TRUST_X_FORWARDED_FOR", False)
ACCORD_IDEMPOTENCY_TTL_HOURS = env_int("ACCORD_IDEMPOTENCY_TTL_HOURS", 24, minimum=1)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": env_str("ACCORD_LOG_LEVEL", "INFO")},
    "loggers": {"django.db.backends": {"level": "INFO"}},
}
