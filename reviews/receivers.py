"""A submitted referral reaches the radiologists: its notification, written with the submission."""

from django.dispatch import receiver

from patients.signals import referral_submitted

from .services import submission_notify


@receiver(referral_submitted, dispatch_uid="reviews.notify_submission")
def notify_submission(sender, referral, resubmitted: bool, **kwargs) -> None:
    """Queue the radiologists' notification in the outbox, inside the submitting transaction."""
    submission_notify(referral=referral, resubmitted=resubmitted)
