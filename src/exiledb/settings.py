"""The one settings module, driven by environment variables.

A fresh clone runs with no configuration: an SQLite database and a generated secret key under
EXILEDB_DATA_DIR (default ./var/). Set EXILEDB_DATABASE_URL to use PostgreSQL.
"""

from __future__ import annotations

import os
import secrets
from pathlib import Path

import dj_database_url

BASE_DIR = Path(__file__).resolve().parent


def _flag(name: str, default: bool = False) -> bool:
    value = os.environ.get(name)
    if value is None:
        return default
    return value.strip().lower() in {"1", "true", "yes", "on"}


DATA_DIR = Path(os.environ.get("EXILEDB_DATA_DIR", "var")).resolve()


def _secret_key() -> str:
    """EXILEDB_SECRET_KEY, or a key generated once and kept (mode 0600) in the data dir.

    The key is written to a temporary file and linked into place, so concurrent first starts
    (several gunicorn workers) agree on one key and nobody ever reads a half-written file.
    """
    key = os.environ.get("EXILEDB_SECRET_KEY")
    if key:
        return key
    path = DATA_DIR / "secret_key"
    try:
        existing = path.read_text().strip()
        if existing:
            return existing
        path.unlink()  # an empty file left by a crash is no key
    except FileNotFoundError:
        pass
    DATA_DIR.mkdir(parents=True, exist_ok=True)
    tmp = DATA_DIR / f".secret_key.{os.getpid()}.{secrets.token_hex(4)}"
    fd = os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as fh:
        fh.write(secrets.token_urlsafe(50))
    try:
        os.link(tmp, path)
    except FileExistsError:
        pass  # another process won: use its key
    finally:
        tmp.unlink()
    return path.read_text().strip()


SECRET_KEY = _secret_key()
DEBUG = _flag("EXILEDB_DEBUG")
ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("EXILEDB_ALLOWED_HOSTS", "localhost,127.0.0.1,[::1]").split(",")
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("EXILEDB_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "exiledb.editor.apps.EditorAdminConfig",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "simple_history",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "django_otp.plugins.otp_static",
    "ninja",  # the API's interactive docs, served from the app's own static files
    "exiledb.cases",
    "exiledb.access",
    "exiledb.editor",
    "exiledb.explore",
    "exiledb.public",
    "exiledb.dedupe",
    "exiledb.editions",
    "exiledb.analysis",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # The language: the switcher's cookie, else the browser's Accept-Language; URLs stay the same.
    "django.middleware.locale.LocaleMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "exiledb.access.middleware.SecurityHeadersMiddleware",
]

ROOT_URLCONF = "exiledb.urls"
WSGI_APPLICATION = "exiledb.wsgi.application"

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
            ],
        },
    },
]

_default_db = f"sqlite:///{DATA_DIR / 'exiledb.sqlite3'}"
DATABASES = {
    "default": dj_database_url.parse(
        os.environ.get("EXILEDB_DATABASE_URL") or _default_db, conn_max_age=60
    )
}
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # WAL lets readers work while an import writes; IMMEDIATE transactions avoid "database is
    # locked" upgrades under concurrent writers. Django turns foreign keys on for every connection.
    DATABASES["default"]["OPTIONS"] = {
        "init_command": "PRAGMA journal_mode=WAL; PRAGMA synchronous=NORMAL; "
        "PRAGMA busy_timeout=5000;",
        "transaction_mode": "IMMEDIATE",
    }
    DATABASES["default"]["CONN_MAX_AGE"] = 0
    DATABASES["default"].setdefault("TEST", {})
    DATABASES["default"]["TEST"]["NAME"] = os.environ.get("EXILEDB_TEST_SQLITE") or None

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]

LANGUAGE_CODE = "en"
LANGUAGES = [("en", "English"), ("ru", "Русский")]
# The Russian catalogue ships compiled (locale/ru/LC_MESSAGES/django.mo): no gettext at runtime.
LOCALE_PATHS = [BASE_DIR / "locale"]
# The switcher's choice lasts until the browser closes, like the session; never sent to scripts.
LANGUAGE_COOKIE_AGE = None
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "/static/"
STATIC_ROOT = DATA_DIR / "static"
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
MEDIA_ROOT = DATA_DIR / "media"

LOGIN_URL = "/editor/login/"
# Failed sign-ins are counted and lock the name or address out for a while (access/auth.py).
AUTHENTICATION_BACKENDS = ["exiledb.access.auth.LockoutBackend"]
OTP_TOTP_ISSUER = "exiledb"
OTP_ADMIN_HIDE_SENSITIVE_DATA = True
SESSION_COOKIE_AGE = 8 * 3600  # a working day; then sign in again
SESSION_EXPIRE_AT_BROWSER_CLOSE = True

# Cookies and headers: safe defaults; the Secure flags follow EXILEDB_HTTPS.
HTTPS = _flag("EXILEDB_HTTPS")
SESSION_COOKIE_SECURE = HTTPS
CSRF_COOKIE_SECURE = HTTPS
LANGUAGE_COOKIE_SECURE = HTTPS
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_HTTPONLY = True
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
X_FRAME_OPTIONS = "DENY"
if HTTPS:
    SECURE_HSTS_SECONDS = 31536000
    SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")

# History: record who made each change; the HistoryRequestMiddleware supplies the user.
SIMPLE_HISTORY_HISTORY_ID_USE_UUID = True

# The JSON API: requests per client address without a token (N/s, N/min, N/hour, N/day), and
# how many reverse proxies in front of the app may be trusted to set X-Forwarded-For (0: none,
# so a client cannot pick the address it is counted under).
EXILEDB_API_ANON_RATE = os.environ.get("EXILEDB_API_ANON_RATE", "120/min")
# After a change, the overview shows the last figures while a thread counts new ones
# (exiledb.analysis.stored); off: its first reader waits for the count.
EXILEDB_FIGURES_IN_BACKGROUND = _flag("EXILEDB_FIGURES_IN_BACKGROUND", default=True)
NINJA_NUM_PROXIES = int(os.environ.get("EXILEDB_TRUSTED_PROXIES", "0"))

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "handlers": {"console": {"class": "logging.StreamHandler"}},
    "root": {"handlers": ["console"], "level": "WARNING"},
}
