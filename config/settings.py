"""Undersigned settings: one module, everything that differs between machines comes from
environment variables (see the table in README.md).

Embedded default (no variables but DEBUG=1): SQLite file, Celery tasks run eagerly in the web
process, email printed to the console, local-memory cache. Full stack: DATABASE_URL,
REDIS_URL and EMAIL_URL point at PostgreSQL, Redis and an SMTP server.
"""

from datetime import timedelta
from pathlib import Path
from urllib.parse import urlsplit

import environ
from cryptography.fernet import Fernet
from django.conf.locale import LANG_INFO
from django.core.exceptions import ImproperlyConfigured
from django.utils.csp import CSP
from django.utils.translation import gettext_lazy as _

from core.crypto import index_key_from_secret_key, key_from_secret_key

BASE_DIR = Path(__file__).resolve().parent.parent

env = environ.Env()
# A developer's local overrides; never committed (.gitignore).
if (BASE_DIR / ".env").is_file():
    env.read_env(str(BASE_DIR / ".env"))

DEBUG = env.bool("DEBUG", default=False)

SECRET_KEY = env.str("SECRET_KEY", default="")
if not SECRET_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "SECRET_KEY is not set. Set it in the environment (it is only optional with DEBUG=1)."
        )
    SECRET_KEY = "django-insecure-development-only-key-never-use-in-production"  # noqa: S105

# Keys that encrypt secrets at rest (core/crypto.py: the link secrets of queued emails):
# comma-separated Fernet keys, the first encrypts, all decrypt (rotation). Required without
# DEBUG: a copy of the database must not be readable with what the database itself holds.
FIELD_ENCRYPTION_KEYS = env.list("FIELD_ENCRYPTION_KEYS", default=[])
if not FIELD_ENCRYPTION_KEYS:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_ENCRYPTION_KEYS is not set. Generate a key with: python -c "
            '"from cryptography.fernet import Fernet; print(Fernet.generate_key().decode())" '
            "(it is only optional with DEBUG=1)."
        )
    # DEBUG only (development, tests): a key derived from SECRET_KEY, so that nothing needs
    # setting up. Production never uses it: see core.crypto.key_from_secret_key.
    FIELD_ENCRYPTION_KEYS = [key_from_secret_key(SECRET_KEY)]
# The key of the blind indexes (core.crypto.blind_index): what the database compares without
# reading it, such as "one counted signature per organisation and letter" over encrypted links.
# Any long random string; never rotated with FIELD_ENCRYPTION_KEYS. Required without DEBUG.
FIELD_INDEX_KEY = env.str("FIELD_INDEX_KEY", default="")
if not FIELD_INDEX_KEY:
    if not DEBUG:
        raise ImproperlyConfigured(
            "FIELD_INDEX_KEY is not set. Generate one with: python -c "
            '"import secrets; print(secrets.token_urlsafe(32))" (only optional with DEBUG=1).'
        )
    FIELD_INDEX_KEY = index_key_from_secret_key(SECRET_KEY)
try:
    _field_keys = [Fernet(key) for key in FIELD_ENCRYPTION_KEYS]
except ValueError as _exc:
    raise ImproperlyConfigured(
        "FIELD_ENCRYPTION_KEYS holds a value that is not a Fernet key "
        "(32 url-safe base64-encoded bytes)."
    ) from _exc

ALLOWED_HOSTS = env.list("ALLOWED_HOSTS", default=["127.0.0.1", "localhost"] if DEBUG else [])
SITE_URL = env.str("SITE_URL", default="http://127.0.0.1:8000").rstrip("/")
CSRF_TRUSTED_ORIGINS = env.list("CSRF_TRUSTED_ORIGINS", default=[SITE_URL])

INSTALLED_APPS = [
    "django.contrib.admin",
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "whitenoise.runserver_nostatic",
    "django.contrib.staticfiles",
    "django.contrib.humanize",
    "allauth",
    "allauth.account",
    "allauth.mfa",
    "accounts",
    "organisations",
    "core",
    "audit",
    "outbox",
    "webhooks",
    "letters",
    "rest_framework",
    "drf_spectacular",
    "api",
]

MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    # The reader's language: ?lang=, the account's, the switcher's cookie, the browser's.
    "core.locale.LanguageMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django.middleware.csp.ContentSecurityPolicyMiddleware",
    "allauth.account.middleware.AccountMiddleware",
    "accounts.middleware.StaffMustUseTwoFactorMiddleware",
    "accounts.middleware.LoginThrottleStatusMiddleware",
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
                "django.template.context_processors.i18n",
                "django.template.context_processors.csp",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
                "core.locale.context",
            ],
        },
    },
]

# --- Database -------------------------------------------------------------------------------
# Persistent connections with health checks: opening a PostgreSQL connection per request
# costs more than the request itself (DESIGN.md §10).
DATABASES = {
    "default": env.db_url("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}"),
}
DATABASES["default"]["CONN_MAX_AGE"] = env.int("CONN_MAX_AGE", default=60)
DATABASES["default"]["CONN_HEALTH_CHECKS"] = True
if DATABASES["default"]["ENGINE"] == "django.db.backends.sqlite3":
    # SQLite: let concurrent writers of the embedded default wait instead of failing.
    DATABASES["default"].setdefault("OPTIONS", {}).update(
        {"timeout": 20, "transaction_mode": "IMMEDIATE"}
    )
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# --- Cache and Redis ------------------------------------------------------------------------
REDIS_URL = env.str("REDIS_URL", default="")
# A real cache is needed for rate limits: Redis in the full stack, local memory otherwise.
if REDIS_URL:
    CACHES = {
        "default": {
            # Redis, with a local stand-in while Redis does not answer (core/cache.py).
            "BACKEND": "core.cache.ResilientRedisCache",
            "LOCATION": REDIS_URL,
            "KEY_PREFIX": "undersigned",
            # A hung Redis costs a request at most this long, once per process per breaker
            # period (core.cache.BREAKER_SECONDS); loopback or a LAN answers in well under 1 ms.
            "OPTIONS": {
                "socket_connect_timeout": env.float("REDIS_CONNECT_TIMEOUT", default=0.1),
                "socket_timeout": env.float("REDIS_SOCKET_TIMEOUT", default=0.1),
            },
        }
    }
else:
    CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# --- Celery ---------------------------------------------------------------------------------
CELERY_BROKER_URL = REDIS_URL or "memory://localhost/"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without Redis every task runs in-process, at once (the embedded default).
CELERY_TASK_ALWAYS_EAGER = not REDIS_URL
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_RESULT_EXPIRES = timedelta(days=1)
CELERY_TIMEZONE = "UTC"
# A task is acknowledged after it ran, and re-queued if its worker died: tasks are idempotent.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 4 * 60
# Kombu's Redis transport with the fix for a worker that died after a connection loss
# (core/redis_transport.py, issue 13).
if REDIS_URL:
    CELERY_BROKER_TRANSPORT = "core.redis_transport:Transport"
# A dead or hung Redis never holds a web request for long: the web process publishes through
# core.broker.publish (no retry, skipped while Redis is known down), with short timeouts.
CELERY_BROKER_CONNECTION_TIMEOUT = 1
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
# A worker keeps trying to reconnect for as long as Redis is away (None: forever).
CELERY_BROKER_CONNECTION_MAX_RETRIES = None
CELERY_TASK_PUBLISH_RETRY_POLICY = {"max_retries": 1, "interval_start": 0, "interval_step": 0.2}
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_connect_timeout": 1,
    "socket_timeout": 1,
    "max_retries": 1,
    # Retry delays of every task stay well below this (DESIGN.md §6).
    "visibility_timeout": 60 * 60,
}
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 1
CELERY_REDIS_SOCKET_TIMEOUT = 1
# Periodic work (run `celery -A config beat`). Every task is idempotent: a run twice is harmless.
CELERY_BEAT_SCHEDULE: dict[str, dict] = {
    "purge-expired-personal-data-retention": {
        "task": "letters.purge_expired_personal_data",
        "schedule": 24 * 60 * 60,
    },
    "purge-decided-coordinator-requests": {
        "task": "accounts.purge_decided_coordinator_requests",
        "schedule": 24 * 60 * 60,
    },
    "close-letters-past-deadline": {
        "task": "letters.close_letters_past_deadline",
        "schedule": env.int("DEADLINE_CHECK_SECONDS", default=300),
    },
    "lift-due-embargoes": {
        "task": "letters.lift_due_embargoes",
        "schedule": env.int("DEADLINE_CHECK_SECONDS", default=300),
    },
    "expire-unconfirmed-signatures": {
        "task": "letters.expire_unconfirmed_signatures",
        "schedule": 60 * 60,
    },
    # Lost emails go out within OUTBOX_LOST_AFTER_SECONDS (30) + this of the broker's or
    # worker's recovery.
    "requeue-stuck-emails": {
        "task": "outbox.requeue_stuck_emails",
        "schedule": env.int("OUTBOX_SWEEP_SECONDS", default=15),
    },
    "send-invitation-reminders": {
        "task": "letters.send_invitation_reminders",
        "schedule": 60 * 60,
    },
    "expire-invitations": {
        "task": "letters.expire_invitations",
        "schedule": 60 * 60,
    },
    "reduce-sent-emails": {
        "task": "outbox.reduce_sent_emails",
        "schedule": 60 * 60,
    },
    "purge-invitation-imports": {
        "task": "letters.purge_invitation_imports",
        "schedule": 60 * 60,
    },
    # Webhook deliveries whose task was lost go out within WEBHOOKS_LOST_AFTER_SECONDS + this.
    "requeue-stuck-webhooks": {
        "task": "webhooks.requeue_stuck_deliveries",
        "schedule": env.int("WEBHOOKS_SWEEP_SECONDS", default=15),
    },
    "reduce-webhook-deliveries": {
        "task": "webhooks.reduce_deliveries",
        "schedule": 60 * 60,
    },
}
# Moderators' digest of the signatures awaiting review: at most one per moderator every
# MODERATION_DIGEST_HOURS (0 turns it off), none when nothing awaits. Beat looks every hour;
# the digest goes out at the first look of each period.
MODERATION_DIGEST_HOURS = env.int("MODERATION_DIGEST_HOURS", default=24)
if MODERATION_DIGEST_HOURS > 0:
    CELERY_BEAT_SCHEDULE["send-moderation-digest"] = {
        "task": "letters.send_moderation_digest",
        "schedule": 60 * 60,
    }
# The embedded default (`make run`) runs the schedule above in a thread of the web process
# (core/embedded.py); a deployment runs `celery beat` instead.
EMBEDDED_SCHEDULER = env.bool("EMBEDDED_SCHEDULER", default=False) and CELERY_TASK_ALWAYS_EAGER
# Emails sent per task (one SMTP connection each) in a fan-out.
OUTBOX_CHUNK_SIZE = env.int("OUTBOX_CHUNK_SIZE", default=50)
# A sent (or failed for good) email keeps its subject, bodies and address this many hours;
# then only kind, recipient hash, status, Message-ID and error (addresses removed) remain.
OUTBOX_BODY_RETENTION_HOURS = env.int("OUTBOX_BODY_RETENTION_HOURS", default=72)
# A queued email whose task has not run this long after the broker's queue emptied has lost it
# (a broker outage, a killed worker): the sweeper above queues it again (outbox.services).
OUTBOX_LOST_AFTER_SECONDS = env.int("OUTBOX_LOST_AFTER_SECONDS", default=30)
# Coordinators' webhooks (README "Webhooks"). Timeouts of one attempt, in seconds.
WEBHOOKS_CONNECT_TIMEOUT = env.float("WEBHOOKS_CONNECT_TIMEOUT", default=3.0)
WEBHOOKS_READ_TIMEOUT = env.float("WEBHOOKS_READ_TIMEOUT", default=5.0)
# Attempts of one delivery (retried on 5xx, 408, 425, 429, timeouts and connection errors),
# the first retry after WEBHOOKS_RETRY_BASE_SECONDS, doubling, capped well below the broker's
# visibility_timeout (1 h).
WEBHOOKS_MAX_ATTEMPTS = env.int("WEBHOOKS_MAX_ATTEMPTS", default=8)
WEBHOOKS_RETRY_BASE_SECONDS = env.int("WEBHOOKS_RETRY_BASE_SECONDS", default=30)
WEBHOOKS_RETRY_MAX_SECONDS = env.int("WEBHOOKS_RETRY_MAX_SECONDS", default=30 * 60)
# An endpoint is disabled after this many failed attempts in a row (its coordinators are told).
WEBHOOKS_DISABLE_AFTER = env.int("WEBHOOKS_DISABLE_AFTER", default=20)
WEBHOOKS_MAX_PER_LETTER = env.int("WEBHOOKS_MAX_PER_LETTER", default=5)
# A queued delivery this late has lost its task: the sweeper hands it over again.
WEBHOOKS_LOST_AFTER_SECONDS = env.int("WEBHOOKS_LOST_AFTER_SECONDS", default=30)
# A failed delivery keeps its body (for "retry now") this long; every row goes after the days.
WEBHOOKS_BODY_RETENTION_HOURS = env.int("WEBHOOKS_BODY_RETENTION_HOURS", default=72)
WEBHOOKS_DELIVERY_RETENTION_DAYS = env.int("WEBHOOKS_DELIVERY_RETENTION_DAYS", default=30)
# Tests only: plain http:// to 127.0.0.1/::1 (a receiver the test starts). Never outside DEBUG,
# whatever the environment says: production refuses loopback like any private address.
WEBHOOKS_ALLOW_LOOPBACK = DEBUG and env.bool("WEBHOOKS_ALLOW_LOOPBACK", default=False)
# Invitations from a CSV: the largest file and the most contacts one upload may hold.
INVITATION_CSV_MAX_BYTES = env.int("INVITATION_CSV_MAX_BYTES", default=2 * 1024 * 1024)
INVITATION_CSV_MAX_ROWS = env.int("INVITATION_CSV_MAX_ROWS", default=10_000)
# An uploaded file never confirmed is deleted after this many hours (it holds contact details).
INVITATION_IMPORT_KEEP_HOURS = env.int("INVITATION_IMPORT_KEEP_HOURS", default=24)
# No reminder to an invitation sent less than this many hours ago.
INVITATION_REMINDER_MIN_AGE_HOURS = env.int("INVITATION_REMINDER_MIN_AGE_HOURS", default=24)
# Declines and hand-overs through invitation links: attempts per client address per hour.
INVITATION_ANSWER_RATE_PER_CLIENT = env.int("INVITATION_ANSWER_RATE_PER_CLIENT", default=20)

# --- Email ----------------------------------------------------------------------------------
# Django 6.1 mailers. EMAIL_URL: smtp://user:pass@host:port (smtp+tls:// for STARTTLS,
# smtps:// for TLS), consolemail:// (the default with DEBUG=1), filemail:///path, memorymail://.
# Production has no default: the console backend would print every password-reset,
# confirmation and manage link into the server's log, where anyone who reads logs could use it.
if not DEBUG and env.str("EMAIL_URL", default="").split(":", 1)[0] in {"", "consolemail"}:
    raise ImproperlyConfigured(
        "EMAIL_URL is not set to a mail server (smtp://, smtp+tls://, smtps:// or filemail://). "
        "With DEBUG=0 emails are never printed to the console: they carry working links."
    )
_email = env.email_url("EMAIL_URL", default="consolemail://")
_email_options: dict[str, object] = {}
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.smtp.EmailBackend":
    _email["EMAIL_BACKEND"] = "outbox.backends.SmtpBackend"  # its emails serialised faster
    _email_options = {
        "host": _email.get("EMAIL_HOST") or "localhost",
        "port": _email.get("EMAIL_PORT") or 25,
        "username": _email.get("EMAIL_HOST_USER") or "",
        "password": _email.get("EMAIL_HOST_PASSWORD") or "",
        "use_tls": bool(_email.get("EMAIL_USE_TLS")),
        "use_ssl": bool(_email.get("EMAIL_USE_SSL")),
        "timeout": 10,
    }
elif _email["EMAIL_BACKEND"] == "django.core.mail.backends.filebased.EmailBackend":
    _email_options = {"file_path": _email.get("EMAIL_FILE_PATH") or str(BASE_DIR / "sent-emails")}
if _email["EMAIL_BACKEND"] == "django.core.mail.backends.console.EmailBackend":
    _email["EMAIL_BACKEND"] = "outbox.backends.ReadableConsoleBackend"  # links printed whole
MAILERS = {"default": {"BACKEND": _email["EMAIL_BACKEND"], "OPTIONS": _email_options}}
DEFAULT_FROM_EMAIL = env.str("DEFAULT_FROM_EMAIL", default="Undersigned <noreply@undersigned.test>")
SERVER_EMAIL = DEFAULT_FROM_EMAIL

# --- Accounts: custom user, allauth, 2FA ----------------------------------------------------
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

ACCOUNT_ADAPTER = "accounts.adapters.AccountAdapter"
ACCOUNT_USER_MODEL_USERNAME_FIELD = None
ACCOUNT_LOGIN_METHODS = {"email"}
ACCOUNT_SIGNUP_FIELDS = ["email*", "password1*", "password2*"]
# The account's name, asked first (accounts.forms.SignupDetailsForm).
ACCOUNT_SIGNUP_FORM_CLASS = "accounts.forms.SignupDetailsForm"
ACCOUNT_EMAIL_VERIFICATION = "mandatory"
ACCOUNT_UNIQUE_EMAIL = True
ACCOUNT_CHANGE_EMAIL = True
ACCOUNT_LOGIN_ON_EMAIL_CONFIRMATION = False
ACCOUNT_CONFIRM_EMAIL_ON_GET = False
ACCOUNT_LOGOUT_ON_PASSWORD_CHANGE = False
ACCOUNT_PREVENT_ENUMERATION = True
ACCOUNT_SESSION_REMEMBER = None
ACCOUNT_EMAIL_SUBJECT_PREFIX = "[Undersigned] "
ACCOUNT_DEFAULT_HTTP_PROTOCOL = urlsplit(SITE_URL).scheme or "https"
# allauth's own rate limits (they need the cache above); explicit so they are reviewed.
ACCOUNT_RATE_LIMITS = {
    "login": "30/m/ip",
    # Failed logins: per client address, and per address *and* account (accounts.adapters),
    # so a stranger's wrong passwords never lock the owner out; per account across addresses,
    # beyond which the password alone is refused but password plus second factor is not.
    "login_failed": "10/m/ip,5/5m/key",
    "login_failed_account": "30/h/key",
    "signup": "20/m/ip",
    "confirm_email": "1/3m/key",
    "reset_password": "20/m/ip,5/m/key",
    "reset_password_from_key": "20/m/ip",
    "change_password": "5/m/user",
    "manage_email": "10/m/user",
    "reauthenticate": "10/m/user",
}
MFA_SUPPORTED_TYPES = ["totp", "recovery_codes"]
MFA_TOTP_ISSUER = "Undersigned"

# --- Internationalisation -------------------------------------------------------------------
# The interface languages of the people who sign: English, Chinese in both scripts, Tibetan
# and Uyghur (right to left). The switcher names each in its own language (LANG_INFO's
# name_local); Django knows every one of them but Tibetan, added here.
LANGUAGE_CODE = "en"
LANGUAGES = [
    ("en", _("English")),
    ("zh-hans", _("Simplified Chinese")),
    ("zh-hant", _("Traditional Chinese")),
    ("bo", _("Tibetan")),
    ("ug", _("Uyghur")),
]
LANG_INFO.setdefault("bo", {"bidi": False, "code": "bo", "name": "Tibetan", "name_local": "བོད་ཡིག"})
# The project's catalogs (makemessages writes here), then the translations of Django's and
# allauth's own strings for the languages they ship none of (Tibetan; allauth in Uyghur).
LOCALE_PATHS = [BASE_DIR / "locale", BASE_DIR / "locale-extra"]
# English dates as "5 December 2026, 14:30" (config/formats/en/formats.py), the admin's too.
FORMAT_MODULE_PATH = ["config.formats"]
# The switcher's cookie (visitors; an account keeps its choice in User.language): a
# preference, not a secret, sent only over HTTPS in production.
LANGUAGE_COOKIE_AGE = 365 * 24 * 3600
LANGUAGE_COOKIE_HTTPONLY = True
LANGUAGE_COOKIE_SAMESITE = "Lax"
LANGUAGE_COOKIE_SECURE = not DEBUG
USE_I18N = True
TIME_ZONE = "UTC"
USE_TZ = True

# --- Static and uploaded files --------------------------------------------------------------
STATIC_URL = "/static/"
STATIC_ROOT = env.path("STATIC_ROOT", default=BASE_DIR / "staticfiles")
STATICFILES_DIRS = [BASE_DIR / "static"]
MEDIA_URL = "/media/"
MEDIA_ROOT = env.path("MEDIA_ROOT", default=BASE_DIR / "media")
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {
        "BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"
        if not DEBUG
        else "django.contrib.staticfiles.storage.StaticFilesStorage"
    },
}
DATA_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
FILE_UPLOAD_MAX_MEMORY_SIZE = 5 * 1024 * 1024
LOGO_MAX_BYTES = 2 * 1024 * 1024
LOGO_MAX_PIXELS = 4000 * 4000
# A recipient's response as a PDF (letters.documents).
RESPONSE_PDF_MAX_BYTES = env.int("RESPONSE_PDF_MAX_BYTES", default=10 * 1024 * 1024)
RESPONSE_PDF_MAX_PAGES = 200

# --- Security -------------------------------------------------------------------------------
# Every asset is served by the app itself: no CDN, no web fonts, no analytics (DESIGN.md §2).
SECURE_CSP = {
    "default-src": [CSP.SELF],
    "script-src": [CSP.SELF, CSP.NONCE],
    "style-src": [CSP.SELF],
    "img-src": [CSP.SELF, "data:"],
    "font-src": [CSP.SELF],
    "connect-src": [CSP.SELF],
    "form-action": [CSP.SELF],
    "frame-ancestors": [CSP.NONE],
    "base-uri": [CSP.NONE],
    "object-src": [CSP.NONE],
}
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
SECURE_CROSS_ORIGIN_OPENER_POLICY = "same-origin"
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_SAMESITE = "Lax"
CSRF_COOKIE_SAMESITE = "Lax"
# TLS: on unless DEBUG. Behind a proxy that terminates TLS, it sets X-Forwarded-Proto.
SECURE_PROXY_SSL_HEADER = ("HTTP_X_FORWARDED_PROTO", "https")
SECURE_SSL_REDIRECT = env.bool("SECURE_SSL_REDIRECT", default=not DEBUG)
# Health checks come from inside the network, over plain HTTP.
SECURE_REDIRECT_EXEMPT = [r"^healthz$"]
SESSION_COOKIE_SECURE = not DEBUG
CSRF_COOKIE_SECURE = not DEBUG
SECURE_HSTS_SECONDS = env.int("SECURE_HSTS_SECONDS", default=0 if DEBUG else 60 * 60 * 24 * 365)
SECURE_HSTS_INCLUDE_SUBDOMAINS = not DEBUG
SECURE_HSTS_PRELOAD = not DEBUG

ADMINS = [("Undersigned admins", a) for a in env.list("ADMIN_EMAILS", default=[])]

LOGGING = {
    "version": 1,
    "disable_existing_loggers": False,
    "filters": {
        "require_debug_false": {"()": "django.utils.log.RequireDebugFalse"},
        # No email address, token or tokened link in any log line (core/logging.py).
        "redact_secrets": {"()": "core.logging.RedactSecrets"},
    },
    "formatters": {"plain": {"format": "%(asctime)s %(levelname)s %(name)s: %(message)s"}},
    "handlers": {
        "console": {
            "class": "logging.StreamHandler",
            "formatter": "plain",
            "filters": ["redact_secrets"],
        },
        # Error reports to ADMINS go through the outbox like every email; Django's own
        # handler would send them from the failing request.
        "mail_admins": {
            "level": "ERROR",
            "filters": ["require_debug_false"],
            "class": "outbox.error_reports.AdminEmailHandler",
        },
    },
    "root": {"handlers": ["console"], "level": env.str("LOG_LEVEL", default="INFO")},
    "loggers": {
        # Replaces Django's default handlers of this logger; records still reach the console.
        "django": {"handlers": ["mail_admins"], "level": "INFO"},
        "django.db.backends": {"level": "INFO"},
        # One line per task is noise in the embedded default, where every email is a task.
        "celery.app.trace": {"level": "WARNING"},
    },
}
CSRF_FAILURE_VIEW = "config.views.csrf_failure"

# --- Signing ----------------------------------------------------------------------------------
# Days a signer has to click the confirmation link before the signature expires.
SIGNATURE_CONFIRMATION_DAYS = env.int("SIGNATURE_CONFIRMATION_DAYS", default=7)
# Days after a letter's delivery (or, never published, its closing) after which signers' names,
# titles and emails and invitees' contact details are erased (letters/services/retention.py).
SIGNER_CONTACT_RETENTION_DAYS = env.int("SIGNER_CONTACT_RETENTION_DAYS", default=180)
# Requests to coordinate letters (accounts.CoordinatorRequest) are deleted this long after a
# moderator decided them; the audit trail keeps the decision (the privacy page says so).
COORDINATOR_REQUEST_RETENTION_DAYS = env.int("COORDINATOR_REQUEST_RETENTION_DAYS", default=90)
# Lifting the embargo of an open letter: every signer named publicly is emailed when the
# coordinator asks, and the list becomes public only this many hours later (time to narrow).
EMBARGO_LIFT_NOTICE_HOURS = env.int("EMBARGO_LIFT_NOTICE_HOURS", default=72)
# Days the links to withdraw or change a signature keep working (withdrawal ends at publication).
SIGNATURE_MANAGE_LINK_DAYS = env.int("SIGNATURE_MANAGE_LINK_DAYS", default=365)
# Public sign form: attempts per client address per hour, and per letter per minute.
SIGN_RATE_PER_CLIENT = env.int("SIGN_RATE_PER_CLIENT", default=10)
SIGN_RATE_PER_LETTER = env.int("SIGN_RATE_PER_LETTER", default=120)
# Behind a reverse proxy that sets X-Forwarded-For (and strips a client's own), trust it.
RATELIMIT_TRUST_X_FORWARDED_FOR = env.bool("RATELIMIT_TRUST_X_FORWARDED_FOR", default=False)

# --- Read API (api/, README "Read API") --------------------------------------------------------
# Requests per minute: anonymous clients per client address (hashed, in the cache only), each
# personal token on its own.
API_RATE_ANONYMOUS_PER_MINUTE = env.int("API_RATE_ANONYMOUS_PER_MINUTE", default=60)
API_RATE_TOKEN_PER_MINUTE = env.int("API_RATE_TOKEN_PER_MINUTE", default=300)
REST_FRAMEWORK = {
    # A personal token, or nobody: no session, so no cross-site request reads as a user.
    "DEFAULT_AUTHENTICATION_CLASSES": ["api.authentication.TokenAuthentication"],
    "DEFAULT_PERMISSION_CLASSES": ["rest_framework.permissions.AllowAny"],
    "DEFAULT_THROTTLE_CLASSES": ["api.throttling.ApiRateThrottle"],
    # JSON only: no browsable API (its pages would load scripts and need a CSP of their own).
    "DEFAULT_RENDERER_CLASSES": ["rest_framework.renderers.JSONRenderer"],
    "DEFAULT_PARSER_CLASSES": ["rest_framework.parsers.JSONParser"],
    "DEFAULT_SCHEMA_CLASS": "drf_spectacular.openapi.AutoSchema",
    "UNAUTHENTICATED_USER": "django.contrib.auth.models.AnonymousUser",
    "UNAUTHENTICATED_TOKEN": None,
}
SPECTACULAR_SETTINGS = {
    "TITLE": "Undersigned read API",
    "DESCRIPTION": (
        "Public letters and exactly what their public pages show; for coordinators and "
        "moderators with a personal token, their letters' signatures and invitations."
    ),
    "VERSION": "1",
    "SERVE_INCLUDE_SCHEMA": False,
    "SCHEMA_PATH_PREFIX": "/api/v1",
    "COMPONENT_SPLIT_REQUEST": False,
    # Each set of states its own name in the schema (else: a generated "StatusFdfEnum").
    "ENUM_NAME_OVERRIDES": {
        "LetterStatusEnum": "letters.models.Letter.Status",
        "SignatureStatusEnum": "letters.models.Signature.Status",
        "InvitationStatusEnum": "letters.models.Invitation.Status",
        "RecordStatusEnum": ["approved", "withdrawn_after_delivery"],
        "SignOnModeEnum": "letters.models.Letter.SignOnMode",
    },
}

# --- Benchmarks -------------------------------------------------------------------------------
# The bare baseline views of bench/ (a fixed string; one INSERT) under /bench/. Only the
# benchmark scripts turn this on, for a server they start themselves. Never on in production.
BENCH_VIEWS = env.bool("BENCH_VIEWS", default=False)

# --- Publication ------------------------------------------------------------------------------
# The public list of signatories is cached; every change that affects it changes its key, so
# this is only how long an unused list stays in the cache.
SIGNATORY_LIST_CACHE_SECONDS = env.int("SIGNATORY_LIST_CACHE_SECONDS", default=24 * 60 * 60)
# Named organisations per page of the letter page's list (search and the exports show all).
SIGNATORIES_PER_PAGE = env.int("SIGNATORIES_PER_PAGE", default=1000)
# The PDFs' fonts (letters/pdf_fonts.py), fetched by `make install` (scripts/fetch_fonts.py).
PDF_FONT_DIR = env.str("PDF_FONT_DIR", default=str(BASE_DIR / "var" / "fonts"))
# Rendered PDFs are cached under the list's key: 10,000 signatories take seconds to lay out.
EXPORT_PDF_CACHE_SECONDS = env.int("EXPORT_PDF_CACHE_SECONDS", default=7 * 24 * 60 * 60)
# Who may frame the embeddable count (letters:embed), as CSP frame-ancestors sources. Every
# other page refuses to be framed ('none' and X-Frame-Options: DENY).
EMBED_FRAME_ANCESTORS = env.list("EMBED_FRAME_ANCESTORS", default=["https:"])
# WeasyPrint reports every step of every PDF at INFO: noise in the web and worker logs.
LOGGING["loggers"].update({"weasyprint": {"level": "WARNING"}, "fontTools": {"level": "WARNING"}})
