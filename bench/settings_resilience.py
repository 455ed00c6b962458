"""Settings of the resilience run (bench/resilience.py): the load benchmark's (production over
plain http on 127.0.0.1), with e-mails written to files so that duplicates can be counted."""

from bench.settings_bench import *  # noqa: F403
from bench.settings_bench import env

VPSELECT_BENCH_FLOOR = False
EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = env("DJANGO_EMAIL_FILE_PATH")
