"""Settings for the test suite: the real PostgreSQL and Redis on this machine, never SQLite."""

import tempfile
from pathlib import Path

from .base import *  # noqa: F403
from .base import CACHES, database_settings, env, replay_cache

DATABASES = {
    "default": database_settings(
        env("DATABASE_URL", default="postgres://postgres@127.0.0.1:5432/vpselect")
    )
}
DATABASES["default"]["CONN_MAX_AGE"] = 0
REDIS_URL = env("REDIS_URL", default="redis://127.0.0.1:6379/1")
CELERY_BROKER_URL = REDIS_URL
CELERY_RESULT_BACKEND = REDIS_URL
CACHES = {**CACHES, "cds-hooks": replay_cache(REDIS_URL)}
# Tests that need a worker start a real one; the rest run tasks in-process.
CELERY_TASK_ALWAYS_EAGER = env.bool("CELERY_TASK_ALWAYS_EAGER", default=True)
PASSWORD_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]  # noqa: S105 - tests only
EMAIL_BACKEND = "django.core.mail.backends.locmem.EmailBackend"
VPSELECT_PRIVATE_FILES_ROOT = env.path(
    "VPSELECT_PRIVATE_FILES_ROOT",
    default=str(Path(tempfile.gettempdir()) / "vpselect-test-private-files"),
)
STORAGES = {
    "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
    "staticfiles": {"BACKEND": "django.contrib.staticfiles.storage.StaticFilesStorage"},
    "attachments": {
        "BACKEND": "django.core.files.storage.FileSystemStorage",
        "OPTIONS": {"location": str(VPSELECT_PRIVATE_FILES_ROOT), "base_url": None},
    },
}
DEBUG = False
# Rendered PDFs of the tests go to a scratch directory, not the checkout's media/.
MEDIA_ROOT = env.path(
    "DJANGO_MEDIA_ROOT", default=str(Path(tempfile.gettempdir()) / "vpselect-test-media")
)
# The active ruleset is read once per test (tests/conftest.py) and after each activation:
# never again in the middle of a test, so that query counts stay exact.
VPSELECT_RULESET_REFRESH_SECONDS = None
VPSELECT_SMS_BACKEND = "outcomes.sms.LocmemSmsBackend"
VPSELECT_CLINIC_PHONE = "+39 02 1234 5678"
# The security sweep and the fuzzer open the patient pages many times from one address;
# tests of the limit set their own.
VPSELECT_QUESTIONNAIRE_RATE_LIMIT = 10_000
