"""Signals other apps connect to: an activated ruleset changes an open referral's
recommendation.

Sent inside the transaction that records the impact; a receiver's writes (the review app's
notice to the radiologists, in its outbox) commit or roll back with it.
"""

from django.dispatch import Signal

# Sent by ruleset_impacts_find(sender=RulesetImpact, referral_id=...) once per open referral
# whose recommendation the activated version changes.
ruleset_impact_found = Signal()
