"""Django settings for Luoshi, read from ``LUOSHI_*`` environment variables only.

See ``luoshi.conf`` for the parsers and the README for the list of variables.
"""

from __future__ import annotations

from pathlib import Path

from luoshi.conf import ConfigError, Env, database_config, email_config, secret_key

env = Env()
BASE_DIR = Path(__file__).resolve().parent

MODE = env.choice("LUOSHI_MODE", "embedded", ("embedded", "production"))
PRODUCTION = MODE == "production"
DATA_DIR = env.path("LUOSHI_DATA_DIR", "./var")
DEBUG = env.bool("LUOSHI_DEBUG", False)
if PRODUCTION and DEBUG:
    raise ConfigError("LUOSHI_DEBUG: must be false when LUOSHI_MODE=production")

SECRET_KEY = secret_key(env, DATA_DIR, PRODUCTION)
ALLOWED_HOSTS = env.list("LUOSHI_ALLOWED_HOSTS", [] if PRODUCTION else ["localhost", "127.0.0.1", "[::1]"])
if PRODUCTION and not ALLOWED_HOSTS:
    raise ConfigError("LUOSHI_ALLOWED_HOSTS: required when LUOSHI_MODE=production (e.g. luoshi.example.gov.cn)")
CSRF_TRUSTED_ORIGINS = env.list("LUOSHI_CSRF_TRUSTED_ORIGINS", [])

INSTALLED_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "axes",
    "django_htmx",
    "ninja",
    "django_tasks",
    "django_tasks_db",
    "luoshi.core",
    "luoshi.audit",
    "luoshi.accounts",
    "luoshi.orgs",
    "luoshi.plans",
    "luoshi.intake",
    "luoshi.indicators",
    "luoshi.pilots",
    "luoshi.library",
    "luoshi.analytics",
    "luoshi.bulletins",
]

MIDDLEWARE = [
    "luoshi.core.middleware.HardeningMiddleware",  # body size cap before anything reads it; CSP
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "luoshi.core.middleware.RequestContextMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "luoshi.urls"
WSGI_APPLICATION = "luoshi.wsgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "luoshi.core.context_processors.luoshi",
            ],
        },
    }
]

DATABASES = {"default": database_config(env, DATA_DIR)}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    Path(DATABASES["default"]["NAME"]).parent.mkdir(parents=True, exist_ok=True)
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator", "OPTIONS": {"min_length": 10}},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
]
LOGIN_URL = "accounts:login"
LOGIN_REDIRECT_URL = "core:home"
LOGOUT_REDIRECT_URL = "accounts:login"

# Failed-login rate limiting (django-axes): lock a username+IP pair after N failures.
AXES_ENABLED = env.bool("LUOSHI_LOGIN_RATE_LIMIT", True)
AXES_FAILURE_LIMIT = env.int("LUOSHI_LOGIN_FAILURE_LIMIT", 5, minimum=1, maximum=100)
AXES_COOLOFF_TIME = env.int("LUOSHI_LOGIN_COOLOFF_MINUTES", 15, minimum=1) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_TEMPLATE = "accounts/locked_out.html"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
# Password spraying: failed log-ins from one address across all usernames within the cool-off.
LUOSHI_LOGIN_ADDRESS_LIMIT = env.int("LUOSHI_LOGIN_ADDRESS_LIMIT", 30, minimum=1, maximum=10000)

LANGUAGES = [("zh-hans", "简体中文"), ("en", "English")]
# The language of pages whose browser asks for none, of the command line, and of the messages the
# worker writes (reminders); a user switches with the language menu.
LANGUAGE_CODE = env.choice("LUOSHI_LANGUAGE", "zh-hans", tuple(code for code, _name in LANGUAGES))
LOCALE_PATHS = [BASE_DIR / "locale"]
TIME_ZONE = env.raw("LUOSHI_TIME_ZONE") or "Asia/Shanghai"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
# Embedded mode serves static files straight from the packages (WhiteNoise finders); production
# serves the hashed, compressed copies `luoshi collectstatic` writes here.
STATIC_ROOT = env.path("LUOSHI_STATIC_DIR", str(DATA_DIR / "static")) if PRODUCTION else None
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("LUOSHI_MEDIA_DIR", str(DATA_DIR / "media"))
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if PRODUCTION
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
WHITENOISE_USE_FINDERS = not PRODUCTION
WHITENOISE_AUTOREFRESH = DEBUG

# Uploads: size limits (bytes) checked by forms and services, not only by Django.
MAX_UPLOAD_BYTES = env.int("LUOSHI_MAX_UPLOAD_MB", 20, minimum=1, maximum=1024) * 1024 * 1024
DATA_UPLOAD_MAX_MEMORY_SIZE = 10 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024

TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}

# A cache shared by the server's worker processes (files in the data directory: no extra service,
# and a read never waits for the database's write lock). It holds short-lived read data only
# (navigation badges); every entry is invalidated by the writes that change it (core/badges.py).
# Several application hosts need a shared folder here (LUOSHI_CACHE_DIR).
CACHES = {
    "default": {
        "BACKEND": "django.core.cache.backends.filebased.FileBasedCache",
        "LOCATION": str(env.path("LUOSHI_CACHE_DIR", str(DATA_DIR / "cache"))),
        "TIMEOUT": 300,
        "OPTIONS": {"MAX_ENTRIES": 20000},
    }
}

# Supervision (督办): reminder timing, in days.
LUOSHI_REMIND_DAYS_BEFORE = env.int("LUOSHI_REMIND_DAYS_BEFORE", 7, minimum=0, maximum=365)
LUOSHI_REPORT_GRACE_DAYS = env.int("LUOSHI_REPORT_GRACE_DAYS", 10, minimum=0, maximum=365)
LUOSHI_ESCALATE_AFTER_DAYS = env.int("LUOSHI_ESCALATE_AFTER_DAYS", 14, minimum=1, maximum=365)
# Evaluation system: may higher levels see lower-level indicator values before they are approved?
# (true: reviewers above follow drafts as they come in; false: only submitted values to reviewers
# and approved values to everyone above the reporting unit.)
LUOSHI_SHOW_UNAPPROVED_DATA = env.bool("LUOSHI_SHOW_UNAPPROVED_DATA", True)
# Rows per write transaction of a bulk import (bounded, so other writers get the database between batches).
LUOSHI_IMPORT_BATCH_ROWS = env.int("LUOSHI_IMPORT_BATCH_ROWS", 20000, minimum=100, maximum=1000000)

globals().update(email_config(env))
DEFAULT_FROM_EMAIL = env.raw("LUOSHI_EMAIL_FROM") or "luoshi@localhost"

# The database store, with its read compiled once per process (core/sessions.py).
SESSION_ENGINE = "luoshi.core.sessions"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("LUOSHI_SESSION_HOURS", 12, minimum=1) * 3600
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = False  # htmx reads the token from the page, not the cookie
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
if PRODUCTION:
    SESSION_COOKIE_SECURE = True
    CSRF_COOKIE_SECURE = True
    SECURE_SSL_REDIRECT = env.bool("LUOSHI_SSL_REDIRECT", True)
    SECURE_HSTS_SECONDS = env.int("LUOSHI_HSTS_SECONDS", 31536000, minimum=0)
    SECURE_HSTS_INCLUDE_SUBDOMAINS = True
    SECURE_HSTS_PRELOAD = env.bool("LUOSHI_HSTS_PRELOAD", False)
    if env.bool("LUOSHI_BEHIND_PROXY", False):
        SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
    SILENCED_SYSTEM_CHECKS = [] if SECURE_HSTS_PRELOAD else ["security.W021"]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {"quiet_forbidden": {"()": "luoshi.core.logs.QuietForbidden"}},
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "loggers": {"django.request": {"filters": ["quiet_forbidden"]}},
    "root": {"handlers": ["console"], "level": env.choice("LUOSHI_LOG_LEVEL", "WARNING", ("DEBUG", "INFO", "WARNING", "ERROR"))},
}

NINJA_PAGINATION_PER_PAGE = 50
NINJA_PAGINATION_MAX_LIMIT = 1000
