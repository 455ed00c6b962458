"""The Celery application. Tasks get ids only, never patient data."""

import os

from celery import Celery

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "vpselect.settings.local")

app = Celery("vpselect")
app.config_from_object("django.conf:settings", namespace="CELERY")
app.autodiscover_tasks()


@app.task(name="vpselect.ping")
def ping() -> str:
    """Answer 'pong': proves a worker is consuming from the broker."""
    return "pong"
