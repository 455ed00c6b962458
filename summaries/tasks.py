"""Celery tasks of the summaries app: render a PDF, and re-queue summaries the broker missed.

Tasks take ids only, never patient data.
"""

import logging

from celery import shared_task
from celery.schedules import schedule

from .models import SummaryDocument
from .services import summaries_requeue_pending, summary_render, summary_render_failed

logger = logging.getLogger(__name__)

RENDER_MAX_RETRIES = 3
# Waits of 2, 4 and 8 seconds between attempts (exponential, capped at a minute).
RENDER_RETRY_BACKOFF = 2
RENDER_RETRY_BACKOFF_MAX = 60
SWEEP_EVERY_SECONDS = 60.0
SWEEP_TASK = "summaries.requeue_pending_summaries"
SWEEP_NAME = "summaries-requeue-pending"


@shared_task(
    bind=True,
    name="summaries.render_summary",
    # The document row records the outcome; no result is stored or waited for in Redis.
    ignore_result=True,
    autoretry_for=(Exception,),
    dont_autoretry_for=(SummaryDocument.DoesNotExist,),
    max_retries=RENDER_MAX_RETRIES,
    retry_backoff=RENDER_RETRY_BACKOFF,
    retry_backoff_max=RENDER_RETRY_BACKOFF_MAX,
    retry_jitter=False,
)
def render_summary(self, document_id: int) -> str:
    """Render one summary's PDF; retried with backoff, recorded as failed after the last try."""
    try:
        document = summary_render(document_id=document_id)
    except SummaryDocument.DoesNotExist:
        logger.warning("summary %s no longer exists; nothing to render", document_id)
        raise
    except Exception as exc:
        final = self.request.retries >= self.max_retries
        logger.warning(
            "summary %s render attempt %s failed (%s)%s",
            document_id,
            self.request.retries + 1,
            type(exc).__name__,
            "; giving up" if final else "; retrying",
        )
        summary_render_failed(document_id=document_id, exc=exc, final=final)
        if final:
            # Recorded as failed with its error; raising again would only retry once more.
            return SummaryDocument.Status.FAILED
        raise
    return document.status


@shared_task(name=SWEEP_TASK)
def requeue_pending_summaries() -> int:
    """Queue again the summaries left pending while the broker was unavailable."""
    return summaries_requeue_pending()


def register_periodic_sweep() -> None:
    """Add the sweep to Celery beat's schedule (the worker runs with beat, see compose)."""
    from vpselect.celery import app

    app.add_periodic_task(
        schedule(SWEEP_EVERY_SECONDS),
        app.signature(SWEEP_TASK),
        name=SWEEP_NAME,
    )
