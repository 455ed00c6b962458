"""Settings shared by every environment, read from environment variables.

Each variable is listed in the README's settings table.
"""

from datetime import timedelta
from pathlib import Path
from typing import Any

import environ
from celery.schedules import crontab
from csp.constants import NONE, SELF, UNSAFE_INLINE

BASE_DIR = Path(__file__).resolve().parent.parent.parent

env = environ.Env()
# https://django-environ.readthedocs.io/en/latest/tips.html#multiple-env-files
if env.bool("DJANGO_READ_DOT_ENV_FILE", default=False):
    env.read_env(str(BASE_DIR / ".env"))

# GENERAL
# https://docs.djangoproject.com/en/5.2/ref/settings/#debug
DEBUG = env.bool("DJANGO_DEBUG", default=False)
# https://docs.djangoproject.com/en/5.2/ref/settings/#secret-key
# The development default is public: production refuses it (settings/production.py).
DEVELOPMENT_SECRET_KEY = "insecure-local-development-key-change-me-0123456789"  # noqa: S105
SECRET_KEY = env("DJANGO_SECRET_KEY", default=DEVELOPMENT_SECRET_KEY)
# Old keys still accepted while rotating (docs/security.md).
SECRET_KEY_FALLBACKS = env.list("DJANGO_SECRET_KEY_FALLBACKS", default=[])
ALLOWED_HOSTS = env.list("DJANGO_ALLOWED_HOSTS", default=["127.0.0.1", "localhost"])
TIME_ZONE = env("DJANGO_TIME_ZONE", default="UTC")
LANGUAGE_CODE = "en-gb"
# Staff pages follow the user's saved language, else the browser's (accounts.language); patient
# pages and messages are in the patient's language (outcomes). README "Languages".
# https://docs.djangoproject.com/en/5.2/ref/settings/#languages
LANGUAGES = [("en", "English"), ("it", "Italiano")]
LOCALE_PATHS = [BASE_DIR / "locale"]
USE_I18N = True
# Dates and numbers follow the active language (Italian writes 1,4); English dates are day-first
# with a 24-hour clock (vpselect/formats). No thousands separator: it would split MRNs and ids.
# https://docs.djangoproject.com/en/5.2/ref/settings/#format-module-path
FORMAT_MODULE_PATH = ["vpselect.formats"]
USE_THOUSAND_SEPARATOR = False
USE_TZ = True
# Shown on printed summaries and in the page header.
VPSELECT_CLINIC_NAME = env("VPSELECT_CLINIC_NAME", default="VPSelect Spine Clinic")
# The clinic's language (a code of LANGUAGES): a new patient's preferred language until told
# otherwise, and the language of documents and CDS cards made with no user's language at hand.
VPSELECT_CLINIC_LANGUAGE = env("VPSELECT_CLINIC_LANGUAGE", default="en")
# The CDS cards' language when the hook request's Accept-Language names none we have ("": the
# clinic's). interop/cds/cards.py card_language.
VPSELECT_CDS_LANGUAGE = env("VPSELECT_CDS_LANGUAGE", default="")
# How the clinic types dates in forms (a strptime format with a four-digit year; ISO
# YYYY-MM-DD is always accepted too). docs/referring.md, "Dates".
VPSELECT_DATE_INPUT_FORMAT = env("VPSELECT_DATE_INPUT_FORMAT", default="%d/%m/%Y")
# The number patients are told to call (questionnaire pages, urgent answers, dead links).
VPSELECT_CLINIC_PHONE = env("VPSELECT_CLINIC_PHONE", default="+39 02 0000 0000")

# DATABASES
# https://docs.djangoproject.com/en/5.2/ref/settings/#databases


def database_settings(url: str) -> dict:
    """One database from a URL, with persistent, health-checked connections.

    Opening a PostgreSQL connection costs ~20 ms here, so connections are kept and checked
    before reuse (https://docs.djangoproject.com/en/5.2/ref/databases/#persistent-connections).

    PostgreSQL's JIT is off: it compiled this app's short queries it misjudged as expensive
    (bench/load.py measured the patient list at 121 ms with it, 56 ms without).
    """
    database = env.db_url_config(url)
    database["CONN_MAX_AGE"] = env.int("DJANGO_CONN_MAX_AGE", default=60)
    database["CONN_HEALTH_CHECKS"] = True
    # Behind PgBouncer in transaction mode (docs/deploy.md) a server-side cursor would outlive
    # the transaction's server connection, and PgBouncer refuses the `options` startup
    # parameter: jit=off is then set on the database (ALTER DATABASE … SET jit = off).
    # https://docs.djangoproject.com/en/5.2/ref/databases/#transaction-pooling-server-side-cursors
    behind_pgbouncer = env.bool("DJANGO_DB_BEHIND_PGBOUNCER", default=False)
    database["DISABLE_SERVER_SIDE_CURSORS"] = behind_pgbouncer
    if database["ENGINE"] == "django.db.backends.postgresql":
        if behind_pgbouncer:
            # Django's backend, opening a connection again while a restarting PgBouncer
            # refuses it (vpselect/dbbackend), for up to this many seconds.
            database["ENGINE"] = "vpselect.dbbackend"
            database["CONNECT_RETRY_SECONDS"] = env.float(
                "DJANGO_DB_CONNECT_RETRY_SECONDS", default=5.0
            )
        else:
            database.setdefault("OPTIONS", {})["options"] = "-c jit=off"
    return database


DATABASES = {
    "default": database_settings(
        env("DATABASE_URL", default=f"sqlite:///{BASE_DIR / 'db.sqlite3'}")
    )
}
DEFAULT_AUTO_FIELD = "django.db.models.BigAutoField"

# APPS
DJANGO_APPS = [
    "django.contrib.auth",
    "django.contrib.contenttypes",
    "django.contrib.sessions",
    "django.contrib.messages",
    "django.contrib.staticfiles",
    "django.contrib.admin",
    "django.contrib.humanize",
]
THIRD_PARTY_APPS = [
    "crispy_forms",
    "crispy_bootstrap5",
    "django_htmx",
    "simple_history",
    "axes",
    "django_otp",
    "django_otp.plugins.otp_totp",
]
LOCAL_APPS = [
    "audit",
    "accounts",
    "patients",
    "eligibility",
    "interop",
    "reviews",
    "governance",
    "summaries",
    "outcomes",
]
INSTALLED_APPS = DJANGO_APPS + THIRD_PARTY_APPS + LOCAL_APPS

# AUTHENTICATION
# https://docs.djangoproject.com/en/5.2/topics/auth/passwords/#using-argon2-with-django
PASSWORD_HASHERS = [
    "django.contrib.auth.hashers.Argon2PasswordHasher",
    "django.contrib.auth.hashers.PBKDF2PasswordHasher",
]
AUTH_PASSWORD_VALIDATORS = [
    {"NAME": "django.contrib.auth.password_validation.UserAttributeSimilarityValidator"},
    {
        "NAME": "django.contrib.auth.password_validation.MinimumLengthValidator",
        "OPTIONS": {"min_length": 12},
    },
    {"NAME": "django.contrib.auth.password_validation.CommonPasswordValidator"},
    {"NAME": "django.contrib.auth.password_validation.NumericPasswordValidator"},
]
# django-axes first: it refuses locked-out username+IP pairs before a password is checked.
# https://django-axes.readthedocs.io/en/latest/4_configuration.html
AUTHENTICATION_BACKENDS = [
    "axes.backends.AxesStandaloneBackend",
    "django.contrib.auth.backends.ModelBackend",
]
AXES_FAILURE_LIMIT = env.int("VPSELECT_LOGIN_FAILURE_LIMIT", default=10)
# Reverse proxies in front of VPSelect that append to X-Forwarded-For (0: none, the header is
# ignored). The client address axes locks out and the audit trail records both come from it
# (vpselect/clientip.py); behind a proxy, leaving it at 0 would lock everyone out together.
VPSELECT_TRUSTED_PROXY_COUNT = env.int("VPSELECT_TRUSTED_PROXY_COUNT", default=0)
AXES_CLIENT_IP_CALLABLE = "vpselect.clientip.client_ip"
# Failed logins from one address, any usernames, within the cool-off, before it gets 429.
VPSELECT_LOGIN_IP_FAILURE_LIMIT = env.int("VPSELECT_LOGIN_IP_FAILURE_LIMIT", default=20)
AXES_COOLOFF_TIME = timedelta(minutes=15)
AXES_LOCKOUT_PARAMETERS = [["username", "ip_address"]]
AXES_HTTP_RESPONSE_CODE = 429
AXES_RESET_ON_SUCCESS = True
AXES_LOCKOUT_TEMPLATE = "registration/locked_out.html"
AXES_VERBOSE = False
# Sessions: logged out after 30 minutes idle (server side) and 12 hours after login.
SESSION_IDLE_TIMEOUT = env.int("VPSELECT_SESSION_IDLE_SECONDS", default=30 * 60)
SESSION_ABSOLUTE_TIMEOUT = env.int("VPSELECT_SESSION_ABSOLUTE_SECONDS", default=12 * 60 * 60)
# TOTP second factor: required for superusers, optional for everyone else.
OTP_TOTP_ISSUER = "VPSelect"
LOGIN_URL = "login"
LOGIN_REDIRECT_URL = "home"
LOGOUT_REDIRECT_URL = "login"

# MIDDLEWARE
MIDDLEWARE = [
    "django.middleware.security.SecurityMiddleware",
    "whitenoise.middleware.WhiteNoiseMiddleware",
    "django.contrib.sessions.middleware.SessionMiddleware",
    # After sessions, before CommonMiddleware (Django's documented place): the language from
    # the cookie or Accept-Language; then the user's saved choice, kept in the session, wins.
    # https://docs.djangoproject.com/en/5.2/topics/i18n/translation/#how-django-discovers-language-preference
    "django.middleware.locale.LocaleMiddleware",
    "accounts.language.UserLanguageMiddleware",
    "django.middleware.common.CommonMiddleware",
    "django.middleware.csrf.CsrfViewMiddleware",
    "django.contrib.auth.middleware.AuthenticationMiddleware",
    "django_otp.middleware.OTPMiddleware",
    # Django's, telling htmx requests that the session ended instead of redirecting them.
    "vpselect.login_required.LoginRequiredMiddleware",
    "audit.middleware.AuditMiddleware",
    "django.contrib.messages.middleware.MessageMiddleware",
    # After messages (it says why you were logged out); its check runs before any view.
    "accounts.middleware.SessionTimeoutMiddleware",
    "django.middleware.clickjacking.XFrameOptionsMiddleware",
    "django_htmx.middleware.HtmxMiddleware",
    "simple_history.middleware.HistoryRequestMiddleware",
    "accounts.middleware.NoStoreForAuthenticatedMiddleware",
    "csp.middleware.CSPMiddleware",
    "axes.middleware.AxesMiddleware",
]

# CONTENT SECURITY POLICY: scripts only from our own static files, never inline.
# https://django-csp.readthedocs.io/en/latest/configuration.html
CONTENT_SECURITY_POLICY = {
    "DIRECTIVES": {
        "default-src": [SELF],
        "script-src": [SELF],
        # Inline style attributes are allowed (Bootstrap components set them); scripts are not.
        "style-src": [SELF, UNSAFE_INLINE],
        "img-src": [SELF, "data:"],
        "font-src": [SELF],
        "connect-src": [SELF],
        "form-action": [SELF],
        "frame-ancestors": [NONE],
        "base-uri": [SELF],
        "object-src": [NONE],
    }
}

ROOT_URLCONF = "vpselect.urls"
WSGI_APPLICATION = "vpselect.wsgi.application"

# TEMPLATES
TEMPLATES = [
    {
        "BACKEND": "django.template.backends.django.DjangoTemplates",
        "DIRS": [BASE_DIR / "templates"],
        "APP_DIRS": True,
        "OPTIONS": {
            "context_processors": [
                "django.template.context_processors.request",
                "django.template.context_processors.i18n",
                "django.contrib.auth.context_processors.auth",
                "django.contrib.messages.context_processors.messages",
                "accounts.context_processors.roles",
            ],
        },
    },
]
# https://django-crispy-forms.readthedocs.io/
CRISPY_ALLOWED_TEMPLATE_PACKS = "bootstrap5"
CRISPY_TEMPLATE_PACK = "bootstrap5"

# STATIC
# https://docs.djangoproject.com/en/5.2/howto/static-files/
STATIC_URL = "/static/"
STATIC_ROOT = BASE_DIR / "staticfiles"
STATICFILES_DIRS = [BASE_DIR / "static"]
# Files browsers ask for at the site's root (favicon.ico), served by WhiteNoise.
# https://whitenoise.readthedocs.io/en/stable/django.html#WHITENOISE_ROOT
WHITENOISE_ROOT = BASE_DIR / "static" / "root"
MEDIA_ROOT = env.path("DJANGO_MEDIA_ROOT", default=BASE_DIR / "media")
MEDIA_URL = "/media/"
# Files physicians attach to their answers (reviews.InformationAttachment): patient data, kept
# outside MEDIA_ROOT and the static files and served only by a view that checks access
# (reviews.views.attachment_download). Never point a web server at this directory.
VPSELECT_PRIVATE_FILES_ROOT = env.path(
    "VPSELECT_PRIVATE_FILES_ROOT", default=BASE_DIR / "private-files"
)
# The largest attachment accepted, in bytes (default 10 MB).
VPSELECT_ATTACHMENT_MAX_BYTES = env.int("VPSELECT_ATTACHMENT_MAX_BYTES", default=10 * 1024 * 1024)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "whitenoise.storage.CompressedManifestStaticFilesStorage"},
    # base_url None: a stored attachment has no URL of its own.
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VPSELECT_PRIVATE_FILES_ROOT), "base_url": None},
    },
}

# SECURITY
SESSION_COOKIE_HTTPONLY = True
SESSION_COOKIE_AGE = env.int("DJANGO_SESSION_COOKIE_AGE", default=12 * 60 * 60)
SESSION_ENGINE = "django.contrib.sessions.backends.db"
CSRF_COOKIE_HTTPONLY = True
# JSON on /api/*, Django's page elsewhere.
CSRF_FAILURE_VIEW = "vpselect.errors.csrf_failure"
X_FRAME_OPTIONS = "DENY"
SECURE_CONTENT_TYPE_NOSNIFF = True
SECURE_REFERRER_POLICY = "same-origin"
# Bodies larger than this are refused before any view runs.
DATA_UPLOAD_MAX_MEMORY_SIZE = env.int("DJANGO_DATA_UPLOAD_MAX_MEMORY_SIZE", default=256 * 1024)

# CACHE: local memory, so sessions, login and forms never depend on Redis being up.
# "cds-hooks" remembers the jti of CDS Hooks tokens: shared by every worker (Redis) when
# REDIS_URL is set, or a replay could reach another worker.
# https://docs.djangoproject.com/en/5.2/topics/cache/#redis
CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache"}}

# EMAIL
# https://docs.djangoproject.com/en/5.2/ref/settings/#email-backend
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.console.EmailBackend"
)
DEFAULT_FROM_EMAIL = env("DJANGO_DEFAULT_FROM_EMAIL", default="VPSelect <vpselect@localhost>")
EMAIL_TIMEOUT = 10

# CELERY
# https://docs.celeryq.dev/en/stable/userguide/configuration.html
REDIS_URL = env("REDIS_URL", default="")


def replay_cache(redis_url: str) -> dict:
    """The "cds-hooks" cache: Redis when there is one, else this process's memory."""
    if not redis_url:
        return {"BACKEND": "django.core.cache.backends.locmem.LocMemCache", "LOCATION": "cds"}
    return {
        "BACKEND": "django.core.cache.backends.redis.RedisCache",
        "LOCATION": redis_url,
        "KEY_PREFIX": "vpselect-cds",
        "OPTIONS": {"socket_timeout": 2, "socket_connect_timeout": 2},
    }


CACHES["cds-hooks"] = replay_cache(REDIS_URL)
CELERY_BROKER_URL = REDIS_URL or "memory://"
CELERY_RESULT_BACKEND = REDIS_URL or "cache+memory://"
# Without a broker (make run on a bare machine) tasks run in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=not REDIS_URL)
CELERY_TASK_EAGER_PROPAGATES = True
CELERY_ACCEPT_CONTENT = ["json"]
CELERY_TASK_SERIALIZER = "json"
CELERY_RESULT_SERIALIZER = "json"
CELERY_TIMEZONE = TIME_ZONE
CELERY_TASK_TIME_LIMIT = 5 * 60
CELERY_TASK_SOFT_TIME_LIMIT = 60
# A task is acknowledged when it has run, and handed back to the queue when its worker process
# dies under it (kill -9, out of memory): every task here is idempotent, so a second run is
# harmless and a lost one is not. One task reserved at a time per process: a PDF waits for a
# free process, not behind a long render on a busy one.
CELERY_TASK_ACKS_LATE = True
CELERY_TASK_REJECT_ON_WORKER_LOST = True
CELERY_WORKER_PREFETCH_MULTIPLIER = 1
CELERY_RESULT_EXPIRES = 24 * 60 * 60
# A hung or absent broker must not hang a web request.
CELERY_BROKER_CONNECTION_TIMEOUT = 2
CELERY_BROKER_CONNECTION_RETRY_ON_STARTUP = True
CELERY_BROKER_TRANSPORT_OPTIONS = {
    "socket_timeout": 2,
    "socket_connect_timeout": 2,
    "max_retries": 1,
    "retry_policy": {"timeout": 2},
    # A task reserved by a worker that died whole (kill -9 of the node) goes back to the queue
    # after this many seconds (Redis holds it as unacknowledged until then; the default is an
    # hour), looked for every 10 s (throttle 1; the default scans every 100 s). It must exceed
    # the longest countdown (render retries: 2, 4, 8 s); a task running longer may be delivered
    # twice, which every task here tolerates (row locks, "already done" checks: docs/deploy.md).
    # https://docs.celeryq.dev/en/stable/getting-started/backends-and-brokers/redis.html#visibility-timeout
    "visibility_timeout": env.int("CELERY_VISIBILITY_TIMEOUT", default=30),
    "unacked_restore_interval": 10,
    "unacked_restore_throttle": 1,
}
CELERY_REDIS_SOCKET_TIMEOUT = 2
CELERY_REDIS_SOCKET_CONNECT_TIMEOUT = 2
# Publishing a task whose result is kept subscribes to the result backend first; its default
# retry policy (20 tries, 1 s apart) would hold a request ~20 s while Redis is down.
CELERY_RESULT_BACKEND_TRANSPORT_OPTIONS = {"retry_policy": {"max_retries": 0}}
CELERY_BROKER_POOL_LIMIT = 10
CELERY_TASK_PUBLISH_RETRY = False
# Re-publish outbox notifications a broker outage kept from being queued (reviews.outbox).
# https://docs.celeryq.dev/en/stable/userguide/periodic-tasks.html
CELERY_BEAT_SCHEDULE = {
    # Every 30 s: a message stranded by a fault (a worker killed holding it) is published
    # again 30-60 s after it was written, so the outbox drains within a minute of the fault.
    "reviews-outbox-republish": {"task": "reviews.outbox_republish", "schedule": 30.0},
    # Daily, early: mark follow-ups due / overdue and e-mail the reminders (outcomes.tasks).
    # Hourly: the MRN, names and answers of expired CDS launch links are erased (interop).
    "interop-purge-expired-launches": {
        "task": "interop.purge_expired_launches",
        "schedule": 60.0 * 60,
    },
    "outcomes-mark-follow-ups": {
        "task": "outcomes.mark_follow_ups",
        "schedule": crontab(hour=6, minute=15),
    },
    # Daily, after breakfast: invite patients to their questionnaires and remind them
    # (outcomes.tasks; `manage.py follow_up_invitations` runs the same).
    "outcomes-follow-up-invitations": {
        "task": "outcomes.send_follow_up_invitations",
        "schedule": crontab(hour=9, minute=30),
    },
}

# LOGGING: never log request bodies or patient data; a request id ties lines together.
LOGGING: dict[str, Any] = {
    "version": 1,
    "disable_existing_loggers": False,
    "formatters": {
        "plain": {"format": "%(asctime)s %(levelname)s %(name)s %(message)s"},
    },
    "handlers": {"console": {"class": "logging.StreamHandler", "formatter": "plain"}},
    "root": {"handlers": ["console"], "level": env("DJANGO_LOG_LEVEL", default="INFO")},
    "loggers": {
        "django.db.backends": {"level": "WARNING"},
    },
}

# VPSELECT
# Threshold overrides for the eligibility engine, by the spec's names, e.g.
# {"SEVERE_PAIN_NRS": 7}. Any change shows in the ruleset version of new evaluations.
VPSELECT_THRESHOLDS = env.json("VPSELECT_THRESHOLDS", default={})
# Seconds a process keeps the active ruleset version before reading it again (docs/governance.md).
VPSELECT_RULESET_REFRESH_SECONDS = env.float("VPSELECT_RULESET_REFRESH_SECONDS", default=5.0)

# EHR CONNECTION (interop): the JSON file of trusted CDS Hooks clients (issuer, JWK Set or
# jwks_url, FHIR servers), docs/api.md. Clients sign each call with a JWT.
# https://cds-hooks.hl7.org/2.0/#trusting-cds-clients
VPSELECT_CDS_CLIENTS = env("VPSELECT_CDS_CLIENTS", default="")
# Development only (production refuses it): a shared secret accepted instead of a signed JWT.
VPSELECT_CDS_HOOKS_TOKEN = env("VPSELECT_CDS_HOOKS_TOKEN", default="")
# The address clinicians' browsers reach VPSelect at, for the links on CDS cards, e.g.
# https://vpselect.example.org. Unset, the address the EHR called is used.
VPSELECT_PUBLIC_URL = env("VPSELECT_PUBLIC_URL", default="")

# PATIENT QUESTIONNAIRES (outcomes, docs/outcomes.md)
# SMS backend: a dotted path to a class with send_messages(messages). The console and file
# backends are for development; a real provider is a class of the same shape.
VPSELECT_SMS_BACKEND = env("VPSELECT_SMS_BACKEND", default="outcomes.sms.ConsoleSmsBackend")
VPSELECT_SMS_FILE_PATH = env.path("VPSELECT_SMS_FILE_PATH", default=BASE_DIR / "sms-messages")
# Days a questionnaire link stays valid.
VPSELECT_QUESTIONNAIRE_LINK_DAYS = env.int("VPSELECT_QUESTIONNAIRE_LINK_DAYS", default=14)
# Questionnaire pages one address may open in 10 minutes (then 429).
VPSELECT_QUESTIONNAIRE_RATE_LIMIT = env.int("VPSELECT_QUESTIONNAIRE_RATE_LIMIT", default=30)
