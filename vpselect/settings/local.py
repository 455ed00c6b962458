"""Settings for `make run`: debug on, SQLite and in-process Celery unless told otherwise."""

from .base import *  # noqa: F403
from .base import env

DEBUG = env.bool("DJANGO_DEBUG", default=True)
