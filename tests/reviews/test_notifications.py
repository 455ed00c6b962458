import datetime as dt
import time

import pytest
from django.core import mail
from django.core.mail import EmailMessage
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role
from reviews import outbox
from reviews.models import Notification, NotificationKind, OutboxMessage, ReasonCode
from reviews.outbox import outbox_deliver, outbox_publish_pending
from reviews.services import referral_claim
from tests.factories import record_decision
from vpselect.publisher import publisher_idle

pytestmark = pytest.mark.django_db


def test_submission_emails_every_radiologist_and_marks_flagged_ones(
    physician, radiologist, radiologist2, make_user, submitted, django_capture_on_commit_callbacks
):
    make_user(Role.PHYSICIAN, username="other-dr")
    with django_capture_on_commit_callbacks(execute=True):
        flagged = submitted("review", family_name="Deramond", given_name="Rita", mrn="MRN-9876")
    with django_capture_on_commit_callbacks(execute=True):
        submitted("eligible")

    assert sorted(m.to[0] for m in mail.outbox) == sorted(
        [radiologist.email, radiologist2.email] * 2
    )
    flagged_mail = [m for m in mail.outbox if f"#{flagged.pk} " in m.subject]
    assert all("[FLAGGED for review]" in m.subject for m in flagged_mail)
    assert all("FLAGGED" not in m.subject for m in mail.outbox if m not in flagged_mail)
    for message in mail.outbox:  # no patient data travels by e-mail
        text = message.subject + message.body
        assert "Deramond" not in text and "Rita" not in text and "MRN-9876" not in text
        assert "/reviews/referrals/" in text


def test_a_submission_reaches_the_review_app_by_signal_and_stands_or_falls_with_its_notice(
    physician, radiologist, monkeypatch
):
    """patients sends `referral_submitted`; reviews writes the outbox message in the same
    transaction, so a notice that cannot be written leaves the referral a draft."""
    from patients.models import Referral
    from patients.services import referral_submit
    from reviews import receivers
    from tests.factories import make_referral

    referral = make_referral(physician=physician)

    def broken(**kwargs):
        raise RuntimeError("outbox unavailable")

    monkeypatch.setattr(receivers, "submission_notify", broken)
    with pytest.raises(RuntimeError):
        referral_submit(referral=referral, by=physician, today=dt.date(2026, 11, 24))

    assert Referral.objects.get(pk=referral.pk).status == Referral.Status.DRAFT
    assert not OutboxMessage.objects.exists()
    monkeypatch.undo()

    referral_submit(
        referral=Referral.objects.get(pk=referral.pk), by=physician, today=dt.date(2026, 11, 24)
    )

    message = OutboxMessage.objects.get()
    assert message.kind == NotificationKind.REFERRAL_SUBMITTED
    assert message.payload == {"referral_id": referral.pk}


def test_outbox_payloads_and_task_arguments_hold_ids_only(
    physician, radiologist, submitted, monkeypatch
):
    from reviews.tasks import deliver_outbox_message
    from vpselect.celery import app

    published = []
    monkeypatch.setitem(app.conf, "task_always_eager", False)
    monkeypatch.setattr(
        deliver_outbox_message, "apply_async", lambda args, **kw: published.append(args)
    )
    referral = submitted("eligible")  # published on commit, in the background
    publisher_idle()
    outbox_publish_pending(older_than=dt.timedelta(0))  # and again by the re-publisher

    message = OutboxMessage.objects.get()
    assert message.payload == {"referral_id": referral.pk}
    assert published == [[message.pk], [message.pk]]


def test_delivering_a_message_twice_notifies_each_recipient_once(
    physician, radiologist, radiologist2, submitted
):
    submitted("eligible")  # eager: delivered once on commit of the submission
    message = OutboxMessage.objects.get()
    sent_before = len(mail.outbox)

    assert outbox_deliver(message_id=message.pk) is False
    assert outbox_publish_pending(older_than=dt.timedelta(0)) == 0

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 1
    assert len(mail.outbox) == sent_before
    assert Notification.objects.filter(outbox_message=message).count() == 2


def test_a_failed_email_is_retried_without_repeating_the_ones_already_sent(
    physician, radiologist, radiologist2, submitted, monkeypatch
):
    send = EmailMessage.send
    failures = iter([True])

    def flaky_send(self, *args, **kwargs):
        if self.to == [radiologist2.email] and next(failures, False):
            raise ConnectionRefusedError("SMTP server down")
        return send(self, *args, **kwargs)

    monkeypatch.setattr(EmailMessage, "send", flaky_send)
    submitted("eligible")  # the in-process delivery fails half-way; the submission stands
    message = OutboxMessage.objects.get()
    assert message.sent_at is None and message.attempts == 1
    assert "ConnectionRefusedError" in message.last_error
    OutboxMessage.objects.filter(pk=message.pk).update(
        created_at=timezone.now() - dt.timedelta(minutes=5)
    )

    assert outbox_publish_pending() == 1

    message.refresh_from_db()
    assert message.sent_at is not None and message.attempts == 2
    assert sorted(m.to[0] for m in mail.outbox) == sorted([radiologist.email, radiologist2.email])


def test_the_republisher_leaves_young_messages_to_their_on_commit_publish(
    physician, radiologist, submitted, monkeypatch
):
    monkeypatch.setattr(outbox, "outbox_publish", lambda **kwargs: True)
    submitted("eligible")
    young = OutboxMessage.objects.get()
    assert young.sent_at is None

    assert outbox_publish_pending() == 0
    OutboxMessage.objects.update(created_at=timezone.now() - dt.timedelta(minutes=2))
    assert outbox_publish_pending() == 1


def test_the_physician_is_emailed_and_notified_of_a_decision(
    client, physician, radiologist, submitted, django_capture_on_commit_callbacks
):
    referral = submitted("eligible", family_name="Okafor")
    referral_claim(referral=referral, by=radiologist)
    mail.outbox.clear()
    with django_capture_on_commit_callbacks(execute=True):
        record_decision(
            referral,
            by=radiologist,
            outcome="decline",
            reason_code=ReasonCode.objects.get(code="pain-controlled"),
            override_reason=ReasonCode.objects.get(code="clinical-judgement"),
            comment="Pain now controlled.",
        )

    assert [m.to for m in mail.outbox] == [[physician.email]]
    assert "Okafor" not in mail.outbox[0].body
    client.force_login(physician)
    page = client.get(reverse("reviews:notifications")).content.decode()
    assert f"A radiologist declined referral #{referral.pk} (Okafor, Ada)." in page
    badge = client.get(reverse("reviews:unread-count")).content.decode()
    assert 'data-testid="unread-count">1<' in badge


def test_opening_a_notification_marks_it_read_and_leads_to_the_referral(
    client, physician, radiologist, submitted
):
    referral = submitted("review")
    notification = Notification.objects.get(recipient=radiologist)
    client.force_login(radiologist)

    response = client.post(reverse("reviews:notification-open", args=[notification.pk]))

    notification.refresh_from_db()
    assert response["Location"] == reverse("reviews:review", args=[referral.pk])
    assert notification.read_at is not None
    assert client.get(reverse("reviews:unread-count")).content.decode().strip() == ""


def test_nobody_opens_another_users_notification(client, physician, radiologist, submitted):
    submitted("review")
    notification = Notification.objects.get(recipient=radiologist)
    client.force_login(physician)

    response = client.post(reverse("reviews:notification-open", args=[notification.pk]))

    assert response.status_code == 404
    notification.refresh_from_db()
    assert notification.read_at is None


def test_mark_all_read_clears_the_unread_count(client, radiologist, physician, submitted):
    submitted("review")
    submitted("eligible")
    client.force_login(radiologist)
    assert client.get(reverse("reviews:notifications")).context["unread"] == 2

    client.post(reverse("reviews:notifications-read-all"))

    assert client.get(reverse("reviews:notifications")).context["unread"] == 0


def test_the_notification_list_query_count_does_not_grow(
    client, radiologist, physician, submitted, django_assert_max_num_queries
):
    for _ in range(12):
        submitted("review")
    client.force_login(radiologist)
    client.get(reverse("reviews:notifications"))

    with django_assert_max_num_queries(8):
        response = client.get(reverse("reviews:notifications"))

    assert len(response.context["rows"]) == 12


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_on_redis_delivers_the_notifications(
    celery_worker_process, physician, radiologist, radiologist2, submitted
):
    referral = submitted("review")  # committed; queued on commit to the real broker

    deadline = time.monotonic() + 30
    message = OutboxMessage.objects.get()
    while message.sent_at is None and time.monotonic() < deadline:
        time.sleep(0.2)
        message.refresh_from_db()

    assert message.sent_at is not None, message.last_error
    notifications = Notification.objects.filter(referral=referral)
    assert sorted(n.recipient.username for n in notifications) == ["ir-a", "ir-b"]
    assert all(
        n.kind == NotificationKind.REFERRAL_SUBMITTED and n.emailed_at for n in notifications
    )
