"""Django settings for medoffice.

Everything an operator sets comes from the environment, so one installed
package serves the laptop demo (SQLite in a data folder) and a group's
PostgreSQL cluster alike:

- ``DATABASE_URL``: ``sqlite:///path/to/file.sqlite3`` or ``postgres://...``;
  default is ``medoffice.sqlite3`` in the data folder.
- ``MEDOFFICE_DATA_DIR``: where the SQLite file, uploads and generated keys live.
- ``MEDOFFICE_SECRET_KEY``, ``MEDOFFICE_AUDIT_KEY``, ``MEDOFFICE_FIELD_KEYS``:
  secrets; when absent they are generated once into the data folder.
- ``MEDOFFICE_DEBUG``, ``MEDOFFICE_ALLOWED_HOSTS``, ``MEDOFFICE_IDLE_MINUTES``,
  ``MEDOFFICE_LOGIN_FAILURE_LIMIT``, ``MEDOFFICE_LOGIN_COOLOFF_MINUTES``.
"""

from __future__ import annotations

import os
from pathlib import Path

from django.core.exceptions import ImproperlyConfigured

from medoffice.core.config import database_from_url, env_bool, env_int, secret_from_env_or_file

PACKAGE_DIR = Path(__file__).resolve().parent
DATA_DIR = Path(os.environ.get("MEDOFFICE_DATA_DIR", Path.cwd() / "data")).resolve()

DEBUG = env_bool("MEDOFFICE_DEBUG", default=False)
SECRET_KEY = secret_from_env_or_file("MEDOFFICE_SECRET_KEY", DATA_DIR / "secret_key")
# Key of the PHI access log's hash chain (HMAC): kept apart from SECRET_KEY so
# rotating session signing never invalidates the audit trail.
AUDIT_CHAIN_KEY = secret_from_env_or_file("MEDOFFICE_AUDIT_KEY", DATA_DIR / "audit_key")
# Fernet keys for sensitive identifiers, newest first, comma separated
# (MultiFernet: add a new key in front to rotate, keep old ones to read).
FIELD_ENCRYPTION_KEYS = secret_from_env_or_file(
    "MEDOFFICE_FIELD_KEYS", DATA_DIR / "field_keys", kind="fernet"
).split(",")
# Key of the keyed hash kept beside encrypted identifiers for exact search (core.crypto).
SEARCH_HASH_KEY = secret_from_env_or_file("MEDOFFICE_SEARCH_KEY", DATA_DIR / "search_key")

ALLOWED_HOSTS = [
    h.strip()
    for h in os.environ.get("MEDOFFICE_ALLOWED_HOSTS", "127.0.0.1,localhost,testserver").split(",")
    if h.strip()
]
CSRF_TRUSTED_ORIGINS = [
    o.strip() for o in os.environ.get("MEDOFFICE_CSRF_TRUSTED_ORIGINS", "").split(",") if o.strip()
]

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "django_htmx",
    "django_tasks",
    "django_tasks_db",
    "django_otp",
    "django_otp.plugins.otp_totp",
    "axes",
    "medoffice.core",
    "medoffice.patients",
    "medoffice.scheduling",
    "medoffice.messaging",
    "medoffice.billing",
    "medoffice.demo",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    "medoffice.core.middleware.IdleTimeoutMiddleware",
    "medoffice.core.middleware.TwoFactorRequiredMiddleware",
    "medoffice.core.middleware.LocationTimeZoneMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "axes.middleware.AxesMiddleware",
]

ROOT_URLCONF = "medoffice.urls"
WSGI_APPLICATION = "medoffice.wsgi.application"
ASGI_APPLICATION = "medoffice.asgi.application"

TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [PACKAGE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "medoffice.core.context_processors.shell",
            ],
        },
    },
]

try:
    DATABASES = {"default": database_from_url(os.environ.get("DATABASE_URL"), DATA_DIR)}
except ValueError as exc:  # malformed URL: say so in one line
    raise ImproperlyConfigured(f"DATABASE_URL is not usable: {exc}") from exc

DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"
AUTH_USER_MODEL = "core.User"

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
    {"NAME": "django.contrib.auth.password_validation.MinimumLengthValidator"},
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# Sessions end after idle time (checked per request by IdleTimeoutMiddleware,
# and the cookie itself expires after the same idle period).
IDLE_TIMEOUT_MINUTES = env_int("MEDOFFICE_IDLE_MINUTES", default=15)
SESSION_COOKIE_AGE = IDLE_TIMEOUT_MINUTES * 60
API_TOKEN_HOURS = env_int("MEDOFFICE_API_TOKEN_HOURS", default=12)
SESSION_SAVE_EVERY_REQUEST = True
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
SESSION_COOKIE_SECURE = env_bool("MEDOFFICE_SECURE_COOKIES", default=False)
CSRF_COOKIE_SECURE = SESSION_COOKIE_SECURE
X_FRAME_OPTIONS = "DENY"

# Login throttling (django-axes): lock a username+address pair after repeated failures.
AXES_FAILURE_LIMIT = env_int("MEDOFFICE_LOGIN_FAILURE_LIMIT", default=5)
AXES_COOLOFF_TIME = env_int("MEDOFFICE_LOGIN_COOLOFF_MINUTES", default=15) / 60
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_LOCKOUT_CALLABLE = "medoffice.core.lockout.lockout_response"
AXES_RESET_ON_SUCCESS = True
AXES_VERBOSE = False
AXES_ENABLED = env_bool("MEDOFFICE_LOGIN_THROTTLE", default=True)

OTP_TOTP_ISSUER = "medoffice"

LANGUAGE_CODE = "en-us"
TIME_ZONE = "UTC"
USE_I18N = True
USE_TZ = True

STATIC_URL = "static/"
STATIC_ROOT = DATA_DIR / "static"  # only for an optional `medoffice collectstatic`
# WhiteNoise serves static files from inside the app (any server, no nginx
# needed), finding them in the installed package, so no collectstatic step.
WHITENOISE_USE_FINDERS = True
MEDIA_ROOT = DATA_DIR / "private-files"  # never served by the web server directly

TASKS = {
    "default": {
        "BACKEND": os.environ.get("MEDOFFICE_TASK_BACKEND", "django_tasks_db.DatabaseBackend"),
        "QUEUES": [],
    }
}

EMAIL_BACKEND = os.environ.get(
    "MEDOFFICE_EMAIL_BACKEND", "django.core.mail.backends.console.EmailBackend"
)

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": os.environ.get("MEDOFFICE_LOG_LEVEL", "WARNING")},
    "loggers": {
        "django_tasks_db": {"level": "INFO"},
        "medoffice": {"level": "INFO"},
    },
}
