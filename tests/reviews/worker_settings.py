"""Settings of the private Celery worker in the broker-outage tests: e-mails go to files so the
test can count what the worker sent."""

import os

from vpselect.settings.test import *  # noqa: F403

EMAIL_BACKEND = "django.core.mail.backends.filebased.EmailBackend"
EMAIL_FILE_PATH = os.environ["VPSELECT_TEST_MAIL_DIR"]
