"""Signals other apps connect to: a referral was submitted or resubmitted.

Sent inside the submitting transaction, after the referral's row was locked and saved; a
receiver's writes (the review app's notification, in its outbox) commit or roll back with
the submission, and an exception in a receiver undoes it.
"""

from django.dispatch import Signal

# Sent by referral_submit(sender=Referral, referral=..., resubmitted=...) for every submission;
# resubmitted is True when it answers the radiologist's request for information.
referral_submitted = Signal()
