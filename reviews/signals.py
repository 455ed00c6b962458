"""Signals other apps connect to: a review decision was recorded or countersigned.

Both are sent inside the deciding transaction, after the referral's row was locked
(`select_for_update`) by it; a receiver may rely on that lock (it need not lock the referral
again) and one that queues work must do it with `transaction.on_commit`.
"""

from django.dispatch import Signal

# Sent by decision_record(sender=ReviewDecision, decision=...) for every new decision.
decision_recorded = Signal()
# Sent by decision_countersign(sender=ReviewDecision, decision=...) when a decision that
# needed a second radiologist takes effect.
decision_countersigned = Signal()
