"""The daily reminder task: scheduled by beat, run in-process and by a real worker on Redis."""

import datetime as dt
import time

import pytest
from django.conf import settings
from django.core import mail
from django.utils import timezone

from outcomes.models import FollowUp, FollowUpReminder
from outcomes.tasks import email_follow_up_reminders, mark_follow_ups

WORKER_TIMEOUT = 30


def test_beat_runs_the_follow_up_marking_once_a_day():
    entry = settings.CELERY_BEAT_SCHEDULE["outcomes-mark-follow-ups"]

    assert entry["task"] == mark_follow_ups.name == "outcomes.mark_follow_ups"
    assert entry["schedule"].hour == {6}
    assert entry["schedule"].minute == {15}
    assert "args" not in entry  # the task takes no arguments: it reads today's date itself


def make_yesterdays_procedure(accepted, record_procedure):
    """A procedure whose day-1 follow-up fell due today (its target date moved to today)."""
    procedure = record_procedure(accepted())
    FollowUp.objects.filter(procedure=procedure, interval="day_1").update(
        target_date=timezone.localdate()
    )
    return procedure


@pytest.mark.django_db
def test_mark_task_marks_due_follow_ups_and_emails_each_recipient_once(
    accepted, record_procedure, radiologist, clinic_staff
):
    procedure = make_yesterdays_procedure(accepted, record_procedure)

    assert mark_follow_ups.delay().get() == 1
    assert mark_follow_ups.delay().get() == 0  # a second run the same day changes nothing

    assert procedure.follow_ups.get(interval="day_1").status == "due"
    assert sorted(message.to[0] for message in mail.outbox) == sorted(
        [radiologist.email, clinic_staff.email]
    )
    assert not FollowUpReminder.objects.filter(emailed_at__isnull=True).exists()


@pytest.mark.django_db
def test_email_task_takes_a_user_id_only(accepted, record_procedure, radiologist):
    make_yesterdays_procedure(accepted, record_procedure)
    mark_follow_ups.delay()
    mail.outbox.clear()
    FollowUpReminder.objects.update(emailed_at=None)

    assert email_follow_up_reminders.delay(radiologist.pk).get() == 1
    assert len(mail.outbox) == 1


@pytest.mark.django_db(transaction=True)
def test_a_real_worker_marks_follow_ups_and_sends_the_reminders(
    celery_worker_process, accepted, record_procedure, radiologist
):
    procedure = make_yesterdays_procedure(accepted, record_procedure)

    mark_follow_ups.delay()

    deadline = time.monotonic() + WORKER_TIMEOUT
    while time.monotonic() < deadline:
        reminder = FollowUpReminder.objects.filter(recipient=radiologist).first()
        if reminder is not None and reminder.emailed_at is not None:
            break
        time.sleep(0.2)
    else:
        pytest.fail(f"No e-mailed reminder within {WORKER_TIMEOUT} s (artifacts/celery-worker.log)")
    assert procedure.follow_ups.get(interval="day_1").status == "due"
    assert reminder.follow_up.interval == "day_1"
    assert timezone.now() - reminder.emailed_at < dt.timedelta(minutes=1)
