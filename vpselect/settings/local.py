"""Settings for `make run`: debug on, SQLite and in-process Celery unless told otherwise."""

from .base import *  # noqa: F403
from .base import BASE_DIR, LOGGING, env

DEBUG = env.bool("DJANGO_DEBUG", default=True)

# Demo notifications go to files, not the terminal: `make run` prints where.
# https://docs.djangoproject.com/en/5.2/topics/email/#file-backend
EMAIL_BACKEND = env(
    "DJANGO_EMAIL_BACKEND", default="django.core.mail.backends.filebased.EmailBackend"
)
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH", default=str(BASE_DIR / "var" / "mail"))
# In-process tasks would log a line each ("Task … succeeded"): keep the console for requests.
LOGGING["loggers"]["celery"] = {"level": "WARNING"}
