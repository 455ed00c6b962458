"""Celery tasks of the outcomes app. They receive ids only, never patient data."""

import logging

from celery import shared_task
from django.utils import timezone

from .invitations import invitations_send
from .services import follow_ups_mark, reminder_recipients_to_email, reminders_email

logger = logging.getLogger(__name__)


@shared_task(name="outcomes.mark_follow_ups", ignore_result=True)
def mark_follow_ups() -> int:
    """Mark today's due and overdue follow-ups and queue the reminder e-mails (daily, beat).

    E-mails are queued for every user with a reminder not yet e-mailed, so a send that failed
    yesterday is tried again today.
    """
    transitions = follow_ups_mark(today=timezone.localdate())
    for user_id in reminder_recipients_to_email():
        email_follow_up_reminders.delay(user_id)
    logger.info("Follow-ups marked: %d changed state.", len(transitions))
    return len(transitions)


@shared_task(
    name="outcomes.email_follow_up_reminders",
    ignore_result=True,
    autoretry_for=(OSError,),
    retry_backoff=60,
    max_retries=5,
)
def email_follow_up_reminders(user_id: int) -> int:
    """E-mail one user the follow-up reminders not yet e-mailed to them."""
    return reminders_email(user_id=user_id)


@shared_task(name="outcomes.send_follow_up_invitations", ignore_result=True)
def send_follow_up_invitations() -> dict:
    """Invite patients to their due follow-up questionnaires and remind them (daily, beat).

    `manage.py follow_up_invitations` runs the same.
    """
    run = invitations_send(today=timezone.localdate(), now=timezone.now())
    logger.info(
        "Questionnaires: %d invited, %d reminded, %d failed.", run.invited, run.reminded, run.failed
    )
    return {"invited": run.invited, "reminded": run.reminded, "failed": run.failed}
