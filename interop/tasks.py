"""Celery tasks of the EHR connection. They receive ids only, never patient data."""

from celery import shared_task
from django.utils import timezone

from .services import cds_launches_purge


@shared_task(name="interop.purge_expired_launches", ignore_result=True)
def purge_expired_launches() -> int:
    """Erase the EHR's patient details from expired CDS launches (periodic, Celery beat)."""
    return cds_launches_purge(now=timezone.now())
