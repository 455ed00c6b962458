"""What reaches the radiologists from below: a submitted referral, and an activated ruleset that
changes an open referral's recommendation; each notice written in the sender's transaction."""

from django.dispatch import receiver

from eligibility.signals import ruleset_impact_found
from patients.signals import referral_submitted

from .models import NotificationKind
from .outbox import outbox_enqueue
from .services import submission_notify


@receiver(referral_submitted, dispatch_uid="reviews.notify_submission")
def notify_submission(sender, referral, resubmitted: bool, **kwargs) -> None:
    """Queue the radiologists' notification in the outbox, inside the submitting transaction."""
    submission_notify(referral=referral, resubmitted=resubmitted)


@receiver(ruleset_impact_found, dispatch_uid="reviews.notify_ruleset_impact")
def notify_ruleset_impact(sender, referral_id: int, **kwargs) -> None:
    """Queue the "rules changed" notice of the referral in the outbox."""
    outbox_enqueue(kind=NotificationKind.RULES_CHANGED, payload={"referral_id": referral_id})
