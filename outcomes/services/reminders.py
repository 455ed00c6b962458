"""The daily marking of follow-ups due and overdue, the reminders it makes, and their
e-mails (referral numbers and a link, no PHI)."""

from collections.abc import Sequence
from datetime import date

from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.mail import EmailMessage
from django.db import transaction
from django.urls import reverse
from django.utils import timezone

from accounts.roles import Role, group_name

from ..models import (
    FollowUp,
    FollowUpReminder,
    FollowUpStatus,
)
from ..schedule import (
    FollowUpDates,
    FollowUpState,
    Transition,
    follow_up_transitions,
)

DEFAULT_SITE_URL = "http://127.0.0.1:8000"
REMINDER_PRIVACY_NOTE = (
    "For patient privacy this e-mail contains no patient data; sign in to see it."
)


def staff_members():
    """Active users holding the clinic staff role."""
    return (
        get_user_model()
        .objects.filter(is_active=True, groups__name=group_name(Role.STAFF))
        .distinct()
    )


@transaction.atomic
def follow_ups_mark(*, today: date) -> list[Transition]:
    """Mark follow-ups that fell due or overdue by `today` and remind the people responsible.

    Each changed follow-up gets one in-app reminder per recipient (its responsible
    radiologist and every clinic staff member); `reminders_email` e-mails them. Running it
    twice on the same day changes nothing the second time.
    """
    # Only unrecorded follow-ups whose target date has come can change state.
    candidates = (
        FollowUp.objects.select_for_update(skip_locked=True)
        .filter(status__in=[FollowUpStatus.SCHEDULED, FollowUpStatus.DUE], target_date__lte=today)
        .values_list("id", "interval", "target_date", "status")
    )
    transitions = follow_up_transitions(
        (
            FollowUpDates(pk, interval, target_date, FollowUpState(status))
            for pk, interval, target_date, status in candidates
        ),
        today=today,
    )
    if not transitions:
        return []
    # One save per follow-up (a handful a day), so each change is in its history.
    new_state = {transition.id: transition.new for transition in transitions}
    radiologist_of = {}
    for follow_up in FollowUp.objects.filter(pk__in=new_state).select_related(
        "procedure__responsible_radiologist"
    ):
        follow_up.status = new_state[follow_up.pk].value
        follow_up.save(update_fields=["status"])
        radiologist = follow_up.procedure.responsible_radiologist
        if radiologist is not None and radiologist.is_active:
            radiologist_of[follow_up.pk] = radiologist.pk
    staff_ids = list(staff_members().values_list("id", flat=True))
    reminders: list[FollowUpReminder] = []
    for transition in transitions:
        recipients = set(staff_ids)
        if transition.id in radiologist_of:
            recipients.add(radiologist_of[transition.id])
        kind = (
            FollowUpReminder.Kind.OVERDUE
            if transition.new == FollowUpState.OVERDUE
            else FollowUpReminder.Kind.DUE
        )
        reminders.extend(
            FollowUpReminder(recipient_id=user_id, follow_up_id=transition.id, kind=kind)
            for user_id in sorted(recipients)
        )
    FollowUpReminder.objects.bulk_create(reminders, ignore_conflicts=True)
    return transitions


def reminder_recipients_to_email() -> list[int]:
    """Ids of users with reminders not yet e-mailed (new ones, or a failed earlier send)."""
    return sorted(
        set(
            FollowUpReminder.objects.filter(emailed_at__isnull=True).values_list(
                "recipient_id", flat=True
            )
        )
    )


def site_url() -> str:
    """The address users reach VPSelect at, for links in e-mails."""
    for name in ("VPSELECT_SITE_URL", "VPSELECT_PUBLIC_URL"):
        value = getattr(settings, name, "")
        if value:
            return value.rstrip("/")
    return DEFAULT_SITE_URL


def reminders_email_message(reminders: Sequence[FollowUpReminder], recipient) -> EmailMessage:
    """One e-mail listing the user's new reminders: referral numbers and a link, no PHI."""
    lines = [reminder.text for reminder in reminders]
    overdue = sum(reminder.kind == FollowUpReminder.Kind.OVERDUE for reminder in reminders)
    subject = f"VPSelect: {len(reminders)} follow-up(s) to record" + (
        f", {overdue} overdue" if overdue else ""
    )
    site = site_url()
    body = "\n\n".join(
        [
            "\n".join(lines),
            f"Open the list of follow-ups due: {site}{reverse('outcomes:follow-ups-due')}",
            REMINDER_PRIVACY_NOTE,
        ]
    )
    return EmailMessage(subject=subject, body=body, to=[recipient.email])


@transaction.atomic
def reminders_email(*, user_id: int) -> int:
    """Send the user one e-mail with their reminders not yet e-mailed; returns how many.

    The rows are locked and marked in the sending transaction, so a repeated task sends
    nothing twice; a failed send leaves them unmarked for the next run.
    """
    recipient = get_user_model().objects.filter(pk=user_id, is_active=True).first()
    if recipient is None or not recipient.email:
        return 0
    reminders = list(
        FollowUpReminder.objects.select_for_update(skip_locked=True, of=("self",))
        .filter(recipient=recipient, emailed_at__isnull=True)
        .select_related("follow_up__procedure")
        .order_by("follow_up__target_date", "id")
    )
    if not reminders:
        return 0
    reminders_email_message(reminders, recipient).send()
    FollowUpReminder.objects.filter(pk__in=[reminder.pk for reminder in reminders]).update(
        emailed_at=timezone.now()
    )
    return len(reminders)


@transaction.atomic
def reminders_mark_read(*, user, now=None) -> int:
    """Mark all of the user's unread reminders read; returns how many."""
    return FollowUpReminder.objects.filter(recipient=user, read_at__isnull=True).update(
        read_at=now or timezone.now()
    )
