"""Signals other apps connect to: a referral was submitted or resubmitted.

Sent inside the submitting transaction, after the referral's row was locked and saved; a
receiver's writes (the review app's notification, in its outbox) commit or roll back with
the submission, and an exception in a receiver undoes it.
"""

from django.dispatch import Signal

# Sent by referral_submit(sender=Referral, referral=..., resubmitted=...) for every submission;
# resubmitted is True when it answers the radiologist's request for information.
referral_submitted = Signal()

# Sent by the physician's own pages to gather what the apps above patients show there (the
# radiologists' decisions, their questions): physician_page_context.send(sender=Referral,
# page=..., user=..., referral=...), page one of PhysicianPage. Each receiver returns a dict
# of context, read through its own app's selectors, or None; the templates only present it,
# so no template tag reads the database.
physician_page_context = Signal()


class PhysicianPage:
    """The physician's pages that ask the apps above for context."""

    LIST = "list"  # the physician's referral list (user)
    REFERRAL = "referral"  # one referral's page (referral)
    INTAKE = "intake"  # the intake of a saved referral (referral)
