"""The transactional outbox: notifications are written with the change they report.

`outbox_enqueue` writes a row inside the caller's transaction and publishes it to Celery when
that transaction commits, on the background publisher (`vpselect.publisher`) so that a slow
or absent broker never holds the web request. If the broker is down the row simply stays
unsent; the beat task `reviews.outbox_republish` publishes it again later. Delivery
(`outbox_deliver`) is idempotent: notifications are unique per message and recipient, each
e-mail is sent under a row lock and marked, and the message is marked sent last, so
re-publishing never notifies twice.
"""

import logging
import time
from datetime import timedelta

from django.db import transaction
from django.db.models import F
from django.utils import timezone

from vpselect.publisher import publish_on_commit

from .models import Notification, NotificationKind, OutboxMessage

logger = logging.getLogger(__name__)

# Messages younger than this are left to their on-commit publish.
REPUBLISH_AFTER = timedelta(seconds=30)
REPUBLISH_BATCH = 500
# After this many failed deliveries a message waits for an administrator (see the admin).
MAX_ATTEMPTS = 10
# After a failed publish, skip publishing for this long: a request must not pay the broker
# timeout again and again while the broker is down; the re-publisher catches up.
BROKER_PAUSE_SECONDS = 30.0
_broker_down_until = 0.0


def outbox_enqueue(*, kind: NotificationKind, payload: dict) -> OutboxMessage:
    """Write an outbox message in the current transaction; publish it once that commits.

    The payload holds ids only, never patient data.
    """
    message = OutboxMessage.objects.create(kind=kind, payload=payload)
    publish_on_commit(outbox_publish, message_id=message.pk)
    return message


def outbox_publish(*, message_id: int, force: bool = False) -> bool:
    """Queue the delivery task of one message; False (left for re-publishing) on failure.

    Never raises: the change the message reports is already committed.
    """
    global _broker_down_until
    from .tasks import deliver_outbox_message

    if not force and time.monotonic() < _broker_down_until:
        return False
    if deliver_outbox_message.app.conf.task_always_eager:
        # In-process (make run without Redis): a delivery failure is the task's, not the broker's.
        try:
            deliver_outbox_message.apply(args=[message_id], throw=True)
        except Exception:
            logger.exception("Outbox message %s failed in-process; it will be retried.", message_id)
            return False
        return True
    try:
        deliver_outbox_message.apply_async(args=[message_id], ignore_result=True, retry=False)
    except Exception as exc:  # noqa: BLE001 - kombu and redis raise many kinds; all mean "not queued"
        _broker_down_until = time.monotonic() + BROKER_PAUSE_SECONDS
        logger.warning(
            "Outbox message %s not published (%s: %s); it will be re-published.",
            message_id,
            type(exc).__name__,
            str(exc)[:200],
        )
        return False
    _broker_down_until = 0.0
    return True


def outbox_publish_pending(*, older_than: timedelta = REPUBLISH_AFTER) -> int:
    """Publish again every unsent message older than `older_than`; returns how many were queued."""
    cutoff = timezone.now() - older_than
    ids = list(
        OutboxMessage.objects.filter(
            sent_at__isnull=True, created_at__lte=cutoff, attempts__lt=MAX_ATTEMPTS
        )
        .order_by("created_at", "id")
        .values_list("id", flat=True)[:REPUBLISH_BATCH]
    )
    return sum(outbox_publish(message_id=message_id, force=True) for message_id in ids)


def outbox_deliver(*, message_id: int) -> bool:
    """Create the message's notifications and send its e-mails, each exactly once.

    Returns False when the message was already delivered (or is being delivered right now).
    A failing e-mail raises after counting the attempt; what was sent stays marked as sent.
    """
    from .notifications import notification_email, notification_recipients

    try:
        with transaction.atomic():
            message = (
                OutboxMessage.objects.select_for_update(skip_locked=True)
                .filter(pk=message_id, sent_at__isnull=True)
                .first()
            )
            if message is None:
                return False
            target = notification_recipients(message)
            Notification.objects.bulk_create(
                [
                    Notification(
                        recipient=recipient,
                        kind=message.kind,
                        referral_id=target.referral_id,
                        decision_id=target.decision_id,
                        outbox_message=message,
                    )
                    for recipient in target.recipients
                ],
                ignore_conflicts=True,
            )
        pending = Notification.objects.filter(
            outbox_message_id=message_id, emailed_at__isnull=True
        ).exclude(recipient__email="")
        for notification_id in pending.values_list("id", flat=True):
            with transaction.atomic():
                notification = (
                    Notification.objects.select_for_update(skip_locked=True, of=("self",))
                    .select_related("recipient", "referral", "decision")
                    .filter(pk=notification_id, emailed_at__isnull=True)
                    .first()
                )
                if notification is None:
                    continue
                notification_email(notification).send()
                notification.emailed_at = timezone.now()
                notification.save(update_fields=["emailed_at"])
        with transaction.atomic():
            if pending.exists():
                return False  # another delivery holds one of them; it finishes the message
            OutboxMessage.objects.filter(pk=message_id, sent_at__isnull=True).update(
                sent_at=timezone.now(), attempts=F("attempts") + 1, last_error=""
            )
    except Exception as exc:
        OutboxMessage.objects.filter(pk=message_id).update(
            attempts=F("attempts") + 1, last_error=f"{type(exc).__name__}: {exc}"[:1000]
        )
        raise
    return True
