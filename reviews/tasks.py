"""Celery tasks of the review app. They receive ids only, never patient data."""

from celery import shared_task

from .outbox import outbox_deliver, outbox_publish_pending


@shared_task(name="reviews.deliver_outbox_message", ignore_result=True)
def deliver_outbox_message(message_id: int) -> bool:
    """Deliver one outbox message's notifications and e-mails; a repeat delivery does nothing.

    A failure is retried by `outbox_republish`, which also covers a broker outage.
    """
    return outbox_deliver(message_id=message_id)


@shared_task(name="reviews.outbox_republish", ignore_result=True)
def outbox_republish() -> int:
    """Publish again the outbox messages still unsent (periodic, from Celery beat)."""
    return outbox_publish_pending()
